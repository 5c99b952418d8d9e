"""Excel export and import of the directory's personnel sheets: experts, site registrations, insurance.

``engine`` holds the two-step import (preview, then confirm once) and the export, the same for every kind of
sheet; ``sheets`` declares each kind (its columns, rules and references) on ``sheet``'s building blocks, with
``cells`` reading and writing each kind of cell and ``workbook`` the .xlsx files. Files over 5 MB or 5,000 rows
are refused: split them.

Callers use this package's names: ``from tiercare.network import excel`` then ``excel.import_preview(...)``.
"""

from tiercare.network.excel.engine import (
    REASON_HEADER,
    SOURCE_ROW_HEADER,
    access_import_batch,
    column_header,
    error_table,
    export_filename,
    export_workbook,
    import_confirm,
    import_discard,
    import_preview,
    preview_table,
    read_sheet,
    rejected_workbook,
    row_message,
)
from tiercare.network.excel.sheet import Column, Sheet
from tiercare.network.excel.sheets import REGISTRATION_KIND_LABELS_ZH, sheet_for
from tiercare.network.excel.workbook import MAX_ROWS, MAX_UPLOAD_BYTES, XLSX_CONTENT_TYPE

__all__ = [
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "REASON_HEADER",
    "REGISTRATION_KIND_LABELS_ZH",
    "SOURCE_ROW_HEADER",
    "XLSX_CONTENT_TYPE",
    "Column",
    "Sheet",
    "access_import_batch",
    "column_header",
    "error_table",
    "export_filename",
    "export_workbook",
    "import_confirm",
    "import_discard",
    "import_preview",
    "preview_table",
    "read_sheet",
    "rejected_workbook",
    "row_message",
    "sheet_for",
]
