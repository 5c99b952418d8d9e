"""Delete online-consultation messages past their ≥3-year retention and records past their ≥15-year retention
(``consults.services.online_records_purge``); everything still within the law's period is kept."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercare.consults.services import online_records_purge


class Command(BaseCommand):
    help = "Purge online-consultation chat older than its retention (≥3 years) and records older than ≥15 years."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = online_records_purge(dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(
            f"{verb}: {counts['messages']} messages, {counts['prescriptions']} prescriptions, "
            f"{counts['consultations']} consultations"
        )
