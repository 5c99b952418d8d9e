"""The import engine, the same for every sheet kind (``sheets.py`` declares the kinds).

Export writes one sheet with Chinese headers, choice fields as their Chinese labels and dates as Excel dates.

Import is two steps, so that nothing reaches the directory before a person has seen what will:

- ``import_preview`` reads the sheet (headers in Chinese or English or the column keys, in any order),
  parses every row, validates it and stores an ImportBatch with the good rows and each bad row's Excel row
  number and reasons, all of a row's errors at once. Validation is the very code confirmation runs: every good
  row goes through ``directory_create`` inside a transaction that is then rolled back, so preview writes nothing
  and cannot disagree with confirmation.
- ``import_confirm`` writes all the good rows through ``directory_create`` (validated and audited again) in
  one transaction, once. If the directory changed since the preview and a row no longer passes, nothing is
  written and the row is named.

Bad rows can be downloaded back as a sheet with a reason column (``rejected_workbook``), fixed and uploaded
again; the extra columns are ignored on upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from tiercare.core.access import DIRECTORY_WRITERS, require_role
from tiercare.core.audit import audit_record, audit_write
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.excel.cells import CellError, cell_text, norm
from tiercare.network.excel.sheet import Problem, RowErrors, Sheet
from tiercare.network.excel.sheets import sheet_for
from tiercare.network.excel.workbook import jsonable_cell, read_rows, write_workbook
from tiercare.network.models import ImportBatch, ImportStatus
from tiercare.network.services import directory_create

# Preview validates this many rows per rolled-back transaction (about 1.5 s of SQLite's write lock).
PREVIEW_CHUNK = 200

# Headers of the two columns the bad-rows download adds; an upload ignores them (and these spellings of them).
SOURCE_ROW_HEADER = "原行号"
REASON_HEADER = "错误原因"
_IGNORED_HEADERS = (SOURCE_ROW_HEADER, REASON_HEADER, "source row", "reason", "row", "行号", "errors")


# -- export --------------------------------------------------------------------------------------------------


def export_workbook(*, by: User | None, kind: str) -> tuple[bytes, int]:
    """The sheet of ``kind`` as .xlsx bytes, and its number of rows. Audited as an export.

    Only operations and administrators export (Forbidden otherwise). ``by=None`` is the command line, run by
    whoever holds the server (and so the database) itself.
    """
    if by is not None:
        require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(kind)
    content, n = write_workbook(sheet.kind, [c.zh for c in sheet.columns], sheet.export_rows())
    audit_record(
        actor=by,
        action=AuditAction.EXPORT,
        object_type=sheet.object_type,
        reason="" if by is not None else "manage.py directory_excel",
        details={"rows": n, "kind": kind},
    )
    return content, n


def export_filename(kind: str) -> str:
    return f"{kind}-{timezone.localdate():%Y%m%d}.xlsx"


# -- import: reading -----------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    """One data row of an upload: its Excel row number, its cells as uploaded, what they parse to, its errors."""

    number: int
    cells: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)


def _header_map(sheet: Sheet, header: tuple[Any, ...]) -> tuple[dict[int, str], list[str]]:
    """Column index → column key, and the headers that were ignored. Refuses a repeated or missing column."""
    names: dict[str, str] = {}
    for column in sheet.columns:
        for name in (column.key, column.zh, column.en, *column.aliases):
            names[norm(name)] = column.key
    ignored_known = {norm(h) for h in _IGNORED_HEADERS}
    index: dict[int, str] = {}
    seen: dict[str, int] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        key = names.get(norm(text))
        if key is None:
            if norm(text) not in ignored_known:
                ignored.append(text)
            continue
        if key in seen:
            raise ValidationFailed(
                _("Column “%(column)s” appears twice (columns %(first)s and %(second)s).")
                % {
                    "column": text,
                    "first": get_column_letter(seen[key] + 1),
                    "second": get_column_letter(i + 1),
                }
            )
        seen[key] = i
        index[i] = key
    missing = [c for c in sheet.columns if c.required and c.key not in seen]
    if missing:
        wanted = f"{missing[0].zh} / {missing[0].en}"
        raise ValidationFailed(
            _("Missing column “%(column)s”. The first row must hold the column headers, as in the exported file.")
            % {"column": wanted}
        )
    return index, ignored


def read_sheet(sheet: Sheet, file: IO[bytes], filename: str = "") -> tuple[list[ParsedRow], list[str]]:
    """Every data row of the upload parsed cell by cell (not yet checked against the directory)."""
    rows = read_rows(file, filename)
    if not rows:
        raise ValidationFailed(_("The sheet is empty."))
    header_number, header = rows[0]
    if header_number != 1:
        raise ValidationFailed(_("The first row must hold the column headers, as in the exported file."))
    index, ignored = _header_map(sheet, header)
    positions = {key: i for i, key in index.items()}
    if len(rows) == 1:
        raise ValidationFailed(_("The sheet has headers but no rows."))
    parsed: list[ParsedRow] = []
    for number, raw in rows[1:]:
        cells = {key: jsonable_cell(raw[i]) for i, key in index.items() if i < len(raw) and raw[i] is not None}
        if not cells:
            continue  # data only in ignored columns
        row = ParsedRow(number=number, cells=cells)
        for column in sheet.columns:
            i = positions.get(column.key)
            value = raw[i] if i is not None and i < len(raw) else None
            try:
                row.values[column.key] = column.cell.parse(value)
            except CellError as exc:
                row.errors.append((column.key, exc.reason))
                continue
            if column.required and row.values[column.key] in ("", None):
                row.errors.append((column.key, _("required")))
        # Rules across cells run on the cells that could be read, so a row's errors are all reported at once.
        row.errors.extend(sheet.check_row(row.values))
        parsed.append(row)
    return parsed, ignored


# -- import: validation --------------------------------------------------------------------------------------


def _validation_errors(sheet: Sheet, exc: ValidationFailed) -> list[Problem]:
    """A ValidationFailed from directory_create as (column, reason) pairs."""
    model_fields = {f.name for f in sheet.model._meta.get_fields()}

    def split(name: str, message: str) -> tuple[str, str]:
        # Constraint and cross-field messages name their field as a "field: " prefix.
        prefix, sep, rest = message.partition(": ")
        if name in ("", NON_FIELD_ERRORS) and sep and prefix in model_fields:
            return sheet.column_of_field(prefix), rest
        return ("" if name == NON_FIELD_ERRORS else sheet.column_of_field(name)), message

    details = exc.details if isinstance(exc.details, dict) else {}
    fields = details.get("fields")
    if isinstance(fields, dict) and fields:
        return [split(name, str(message)) for name, messages in fields.items() for message in messages]
    return [split("", exc.message)]


def _check_rows(*, by: User, sheet: Sheet, rows: list[ParsedRow]) -> None:
    """Add each row's errors: duplicates in the file, unresolved references, all that directory_create checks.

    directory_create runs on every remaining row inside transactions that are rolled back, so each row is
    checked exactly as confirmation will write it. The rows go in chunks, each its own rolled-back
    transaction, so that a large file does not hold SQLite's single write lock for the whole preview; rows of
    different chunks cannot clash, since what makes two rows clash (licence number, insurer and policy
    number) is caught above as a duplicate in the file.
    """
    first_seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = sheet.identity_of(row.values)
        if key is None:
            continue
        if key in first_seen:
            row.errors.append(
                (sheet.identity_field, _("duplicate of row %(row)s in this file") % {"row": first_seen[key]})
            )
        else:
            first_seen[key] = row.number
    prepared = sheet.prepare([row.values for row in rows])
    for start in range(0, len(rows), PREVIEW_CHUNK):
        with transaction.atomic():
            for row in rows[start : start + PREVIEW_CHUNK]:
                _check_row(by=by, sheet=sheet, row=row, prepared=prepared)
            transaction.set_rollback(True)


def _check_row(*, by: User, sheet: Sheet, row: ParsedRow, prepared: list[Any]) -> None:
    """The row's references are resolved even when its cells have errors, so that all are reported together;
    ``directory_create`` (the rules of the model) runs only on a row whose cells and references are sound."""
    try:
        data = sheet.to_data(row.values, prepared)
    except RowErrors as exc:
        row.errors.extend(exc.errors)
        return
    if row.errors:
        return
    try:
        with transaction.atomic():
            directory_create(by=by, model=sheet.model, data=data)
    except ValidationFailed as exc:
        row.errors.extend(_validation_errors(sheet, exc))
    except Conflict as exc:
        row.errors.append(("", exc.message))


def import_preview(*, by: User, kind: str, file: IO[bytes], filename: str = "") -> ImportBatch:
    """Parse and validate an uploaded sheet and store it as a previewed ImportBatch; write nothing else.

    Only operations and administrators import (Forbidden). A file that is not .xlsx, over 5 MB or 5,000 rows,
    or lacks a required column is refused with ValidationFailed; a bad row is not: it is kept in
    ``batch.errors`` with its Excel row number and reason, and the good rows wait in ``batch.rows`` for
    ``import_confirm``.
    """
    require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(kind)
    filename = filename or str(getattr(file, "name", "") or "")
    rows, ignored = read_sheet(sheet, file, filename)
    _check_rows(by=by, sheet=sheet, rows=rows)
    good = [{"row": r.number, "values": r.values} for r in rows if not r.errors]
    errors = [{"row": r.number, "field": f, "reason": reason} for r in rows for f, reason in r.errors]
    rejected = [{"row": r.number, "cells": r.cells} for r in rows if r.errors]
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            created_by=by,
            filename=filename[-255:],
            rows=good,
            errors=errors,
            rejected=rejected,
            ignored_columns=ignored,
        )
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=batch,
            changes={
                "kind": kind,
                "filename": batch.filename,
                "good_rows": len(good),
                "bad_rows": len(rejected),
            },
        )
    return batch


def import_confirm(*, by: User, batch: ImportBatch) -> int:
    """Write every good row of a previewed batch through directory_create in one transaction; return count.

    The batch is claimed under ``select_for_update`` (and by a conditional update, which is what serialises
    the claim on SQLite), so a double click imports once: a batch already confirmed or discarded raises
    Conflict. A row that no longer passes (the directory changed since the preview) raises ValidationFailed
    naming it, and nothing is written. Forbidden unless ``by`` is operations or an administrator.
    """
    require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(batch.kind)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise Conflict(_already_closed(locked), details={"status": locked.status})
        if not locked.rows:
            raise ValidationFailed(_("Nothing to import: every row of this file has an error."))
        now = timezone.now()
        claimed = ImportBatch.objects.filter(pk=locked.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.CONFIRMED, confirmed_at=now, updated_at=now
        )
        if not claimed:
            raise Conflict(_("This import has already been confirmed."))
        prepared = sheet.prepare([r["values"] for r in locked.rows])
        for item in locked.rows:
            try:
                data = sheet.to_data(item["values"], prepared)
                directory_create(by=by, model=sheet.model, data=data)
            except RowErrors as exc:
                raise _stale_row(sheet, item["row"], exc.errors) from exc
            except ValidationFailed as exc:
                raise _stale_row(sheet, item["row"], _validation_errors(sheet, exc)) from exc
        audit_record(
            actor=by,
            action=AuditAction.IMPORT,
            obj=locked,
            details={"kind": locked.kind, "rows": len(locked.rows), "filename": locked.filename},
        )
    batch.refresh_from_db()
    return len(batch.rows)


def import_discard(*, by: User, batch: ImportBatch) -> ImportBatch:
    """Close a previewed batch without importing it. Conflict if it was confirmed or discarded already."""
    require_role(by, *DIRECTORY_WRITERS)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        claimed = ImportBatch.objects.filter(pk=locked.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.DISCARDED, updated_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_already_closed(locked), details={"status": locked.status})
        audit_record(actor=by, action=AuditAction.UPDATE, obj=locked, details={"status": ImportStatus.DISCARDED})
    batch.refresh_from_db()
    return batch


def _already_closed(batch: ImportBatch) -> str:
    if batch.status == ImportStatus.CONFIRMED:
        return _("This import has already been confirmed.")
    return _("This import was discarded; upload the file again.")


def _stale_row(sheet: Sheet, number: int, errors: list[Problem]) -> ValidationFailed:
    field_key, reason = errors[0]
    message = row_message(sheet, {"row": number, "field": field_key, "reason": reason})
    return ValidationFailed(
        _("%(error)s The directory changed since the preview; nothing was imported. Upload the file again.")
        % {"error": message},
        details={"row": number, "field": field_key, "reason": reason},
    )


# -- reading a batch back ------------------------------------------------------------------------------------


def access_import_batch(user: User, batch_id: Any) -> ImportBatch:
    """The batch, for the operations user who uploaded it or an administrator; NotFound for anyone else."""
    require_role(user, *DIRECTORY_WRITERS)
    qs = ImportBatch.objects.filter(pk=batch_id)
    if user.role != Role.ADMIN:
        qs = qs.filter(created_by=user)
    try:
        return qs.get()
    except (ImportBatch.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound(_("No such import.")) from None


def column_header(sheet: Sheet, key: str, language: str | None = None) -> str:
    column = sheet.column(key)
    return column.header(language) if column else key


def row_message(sheet: Sheet, error: dict[str, Any], language: str | None = None) -> str:
    """One error as a sentence: "Row 5, title: unknown title '教授'" (第 5 行 职称: …)."""
    if error.get("field"):
        return _("Row %(row)s, %(field)s: %(reason)s") % {
            "row": error["row"],
            "field": column_header(sheet, error["field"], language),
            "reason": error["reason"],
        }
    return _("Row %(row)s: %(reason)s") % {"row": error["row"], "reason": error["reason"]}


def preview_table(batch: ImportBatch, limit: int | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headers in the active language and the good rows as display text, for the preview page."""
    sheet = sheet_for(batch.kind)
    headers = [c.header() for c in sheet.columns]
    rows = batch.rows if limit is None else batch.rows[:limit]
    return headers, [(r["row"], [sheet.display(c.key, r["values"].get(c.key)) for c in sheet.columns]) for r in rows]


def error_table(batch: ImportBatch, limit: int | None = None) -> list[dict[str, Any]]:
    """The errors with the column header in the active language and the cell as uploaded."""
    sheet = sheet_for(batch.kind)
    cells = {r["row"]: r["cells"] for r in batch.rejected}
    errors = batch.errors if limit is None else batch.errors[:limit]
    return [
        {
            "row": e["row"],
            "column": column_header(sheet, e["field"]) if e["field"] else "",
            "value": "" if not e["field"] else cell_text(cells.get(e["row"], {}).get(e["field"])),
            "reason": e["reason"],
        }
        for e in errors
    ]


def rejected_workbook(batch: ImportBatch) -> bytes:
    """The bad rows as uploaded, with their source row and reasons, to fix and upload again."""
    sheet = sheet_for(batch.kind)
    reasons: dict[int, list[str]] = {}
    for e in batch.errors:
        label = column_header(sheet, e["field"], "zh-hans") if e["field"] else ""
        reasons.setdefault(e["row"], []).append(f"{label}: {e['reason']}" if label else e["reason"])
    header = [c.zh for c in sheet.columns] + [SOURCE_ROW_HEADER, REASON_HEADER]
    rows = (
        [r["cells"].get(c.key) for c in sheet.columns] + [r["row"], "; ".join(reasons.get(r["row"], []))]
        for r in sorted(batch.rejected, key=lambda r: r["row"])
    )
    content, _n = write_workbook(sheet.kind, header, rows)
    return content
