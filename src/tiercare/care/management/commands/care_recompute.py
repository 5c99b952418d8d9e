"""`manage.py care_recompute`: recompute every active enrolment's next due date, control status and risk in bulk."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tiercare.care import services
from tiercare.care.models import Enrollment


class Command(BaseCommand):
    help = "Recompute next due date, control status and risk of every active enrolment (set-based, in batches)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=20_000, help="enrolments per UPDATE (default 20,000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.CARE_RECOMPUTE_WORKERS,
            help="batches recomputed at once, each on its own database connection (PostgreSQL only; default "
            "CARE_RECOMPUTE_WORKERS, 2)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more")
        if not 1 <= options["workers"] <= 32:
            raise CommandError("--workers must be between 1 and 32")
        total = Enrollment.objects.active().count()
        with tqdm(total=total, unit="enrolment", disable=options["quiet"], file=self.stderr) as bar:
            n = services.enrollments_recompute(
                batch_size=options["batch_size"], progress=bar.update, workers=options["workers"]
            )
        self.stdout.write(f"recomputed {n} enrolments")
