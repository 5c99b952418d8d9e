"""`manage.py load_demo` (or `python -m tiercare load-demo`): load the deterministic demo network."""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import translation

from tiercare.demo.builder import DEMO_PASSWORD, DemoBuilder, demo_is_loaded, load_workflow_demos


class Command(BaseCommand):
    help = "Load the demo network (synthetic people, one login per role). Deterministic for a seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--households", type=int, default=300, help="households at the flagship GP center")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="the demo's today (YYYY-MM-DD)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if a demo network is loaded")
        parser.add_argument(
            "--network-only", action="store_true", help="only the directory and households, no workflow data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's stored texts (an expert's biography names their title, …) are written in the product's default
        # language, whatever language the calling thread has active (a test that asked for ?lang=en left English on).
        with translation.override(settings.LANGUAGE_CODE):
            self._load(**options)

    def _load(self, **options: Any) -> None:
        if demo_is_loaded():
            if options["if_empty"]:
                self.stdout.write("The demo network is already loaded.")
                self._logins()
                return
            raise CommandError("A network is already loaded; use a fresh database (or --if-empty).")
        if not 1 <= options["households"] <= 100_000:
            raise CommandError("--households must be between 1 and 100000")
        builder = DemoBuilder(seed=options["seed"], today=options["today"], households=options["households"])
        summary = builder.build()
        for name, count in summary.counts.items():
            self.stdout.write(f"  {name:>14}: {count}")
        if not options["network_only"]:
            for name, result in load_workflow_demos(seed=options["seed"], today=builder.today).items():
                self.stdout.write(f"  {name:>14}: {result}")
        self._analyze()
        self._logins()

    def _analyze(self) -> None:
        """After a bulk load, give PostgreSQL's planner the tables' new sizes and values at once instead of waiting
        for autovacuum. Statistics taken while the tables were nearly empty are the likely cause of a CI run in which
        one query of a patient's pages ran for many minutes on the demo's data. Inside a transaction (the tests load
        the demo in one) ANALYZE counts the transaction's own rows."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    def _logins(self) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                "Demo logins (username = role): ops, expert, coordinator, gp, health_manager, patient, auditor, admin,"
                " director, finance, pharmacist, mother (a patient holding a proxy for her son; also by SMS code"
                " to 13800138016, shown on the console)"
                " (and referral_desk_1…6 at the tertiary hospitals' referral desks)"
                f" — password: {DEMO_PASSWORD}"
            )
        )
