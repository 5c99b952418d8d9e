"""`manage.py directory_excel`: export or import the directory's Excel sheets.

    manage.py directory_excel export experts --out experts.xlsx
    manage.py directory_excel import experts experts.xlsx --user ops            # check only, write nothing
    manage.py directory_excel import experts experts.xlsx --user ops --confirm  # write the good rows

The same services as the pages: rows are validated and audited as the given user's. Each bad row is printed
with its Excel row number and reason; the command exits with status 1 when any row was refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from tiercare.core.errors import DomainError
from tiercare.core.models import User
from tiercare.network import excel
from tiercare.network.models import ImportKind


class _DryRun(Exception):
    """Raised to roll back a check-only import, batch row included."""


class Command(BaseCommand):
    help = "Export or import the directory's Excel sheets (experts, registrations, insurance)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", nargs="?", help="the .xlsx file to import")
        parser.add_argument("--out", help="where to write the export (default: <kind>-<date>.xlsx)")
        parser.add_argument("--user", help="username of the operations user or administrator acting")
        parser.add_argument("--confirm", action="store_true", help="write the good rows (default: check only)")
        parser.add_argument(
            "--lang",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the messages",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            if options["action"] == "export":
                self._export(options)
            else:
                self._import(options)

    def _user(self, username: str | None, *, required: bool) -> User | None:
        if not username:
            if required:
                raise CommandError("--user is required: the import is validated and audited as that user.")
            return None
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user '{username}'.") from None

    def _export(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"], required=False)
        out = Path(options["out"] or excel.export_filename(options["kind"]))
        try:
            content, n = excel.export_workbook(by=user, kind=options["kind"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out.write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"{n} rows → {out}"))

    def _import(self, options: dict[str, Any]) -> None:
        if not options["file"]:
            raise CommandError("Give the .xlsx file to import.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        user = self._user(options["user"], required=True)
        assert user is not None
        sheet = excel.sheet_for(options["kind"])
        try:
            if options["confirm"]:
                batch = self._preview(user, options["kind"], path)
                if batch.rows:
                    written = excel.import_confirm(by=user, batch=batch)
                else:
                    excel.import_discard(by=user, batch=batch)
                    written = 0
            else:
                batch, written = self._check_only(user, options["kind"], path), 0
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for error in batch.errors:
            self.stdout.write(excel.row_message(sheet, error))
        good, bad = len(batch.rows), len(batch.rejected)
        self.stdout.write(f"{good + bad} rows checked: {good} good, {bad} with errors.")
        if options["confirm"]:
            self.stdout.write(self.style.SUCCESS(f"{written} rows imported."))
        else:
            self.stdout.write("Nothing written. Run again with --confirm to import the good rows.")
        if bad:
            raise CommandError(f"{bad} rows have errors.")

    def _preview(self, user: User, kind: str, path: Path) -> Any:
        with path.open("rb") as fh:
            return excel.import_preview(by=user, kind=kind, file=fh, filename=path.name)

    def _check_only(self, user: User, kind: str, path: Path) -> Any:
        """Preview inside a transaction that is rolled back: not even the batch row is kept."""
        holder: dict[str, Any] = {}
        try:
            with transaction.atomic():
                holder["batch"] = self._preview(user, kind, path)
                raise _DryRun
        except _DryRun:
            pass
        return holder["batch"]
