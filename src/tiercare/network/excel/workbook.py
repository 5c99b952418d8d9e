"""The .xlsx files themselves: reading an upload's rows (refusing what is not a workbook, or too big) and writing
a one-sheet workbook, streamed, with dates as Excel dates and text that looks like a formula kept as text."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from tiercare.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Sheets often carry formatted blank rows below the data; they are skipped, but reading stops after this many.
MAX_SCANNED_ROWS = 10 * MAX_ROWS
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def jsonable_cell(value: Any) -> Any:
    """A cell as uploaded, in a form the batch (JSON) can keep."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _not_xlsx(filename: str) -> ValidationFailed:
    if filename.lower().endswith(".xls"):
        return ValidationFailed(
            _(
                "“%(name)s” is an old Excel 97-2003 file (.xls). In Excel choose Save As → "
                "Excel Workbook (.xlsx) and upload that file."
            )
            % {"name": filename}
        )
    return ValidationFailed(
        _(
            "“%(name)s” is not an Excel workbook (.xlsx). Save it from Excel as Excel "
            "Workbook (.xlsx) and upload it again."
        )
        % {"name": filename or "?"}
    )


def read_rows(file: IO[bytes], filename: str) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-blank rows of the first sheet with their Excel row numbers. Refuses non-xlsx, big files."""
    size = _file_size(file)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("The file is %(size).1f MB; files up to %(limit)s MB are accepted. Split it into smaller files.")
            % {"size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    file.seek(0)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    too_many = False
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if number > MAX_SCANNED_ROWS:
                    too_many = True
                    break
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                rows.append((number, tuple(row)))
                if len(rows) > MAX_ROWS + 1:  # the header and MAX_ROWS data rows
                    too_many = True
                    break
        finally:
            wb.close()
    except (
        InvalidFileException,
        BadZipFile,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        ParseError,
        OSError,
    ) as exc:
        # openpyxl raises these for a file that is not an xlsx workbook (zip missing, parts missing, bad XML).
        raise _not_xlsx(filename) from exc
    if too_many:
        raise ValidationFailed(
            _("The sheet has more than %(limit)s rows; split it into files of at most %(limit)s rows.")
            % {"limit": f"{MAX_ROWS:,}"}
        )
    return rows


def write_workbook(title: str, header: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """A one-sheet workbook, streamed (write-only mode keeps 5,000 rows fast and small in memory)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, text in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(text) * 2 + 4))
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([_cell(ws, text, font=bold) for text in header])
    n = 0
    for row in rows:
        ws.append([_cell(ws, value) for value in row])
        n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n


def _cell(ws: Any, value: Any, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text (no formula injection)
    return cell
