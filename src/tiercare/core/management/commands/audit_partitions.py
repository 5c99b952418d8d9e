"""Create the coming months' audit-log partitions and drop those past TIERCARE_AUDIT_RETENTION_MONTHS (PostgreSQL).
Run it daily (cron or the task worker); it is idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tiercare.core.partitions import audit_partitions_maintain


class Command(BaseCommand):
    help = "Create next months' audit partitions; drop partitions past the retention setting (PostgreSQL only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ahead", type=int, default=3, help="months to create ahead (default 3)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_partitions_maintain(now=timezone.now(), ahead=options["ahead"])
        if not report.partitioned:
            self.stdout.write("The audit log is not partitioned on this database (SQLite); nothing to do.")
            return
        self.stdout.write(f"created: {', '.join(report.created) or '-'}")
        self.stdout.write(f"dropped: {', '.join(report.dropped) or '-'}")
        if report.left_in_default:
            self.stderr.write(f"rows already in the default partition, left there: {', '.join(report.left_in_default)}")
