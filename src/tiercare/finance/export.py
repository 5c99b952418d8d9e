"""A statement as the pages, the PDF and the xlsx show it: each line's date, hospital, service and the work it traces
to in the reader's language (never a code), gross and share, then gross, tax withheld and net."""

from __future__ import annotations

import io
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from tiercare.finance.models import FactKind, LineKind, Service, Statement, StatementLine

FACT_URLS = {
    FactKind.SESSION: ("outreach:session", "session_id"),
    FactKind.TELECONSULT: ("consults:teleconsult", "tc_id"),
    FactKind.OPINION: ("consults:opinion", "opinion_id"),
    FactKind.MDT: ("consults:mdt", "mdt_id"),
    FactKind.ONLINE: ("consults:online_consult", "consult_id"),
}


def service_label(code: str) -> str:
    return str(Service(code).label) if code in Service.values else ""


def fact_label(line: StatementLine) -> str:
    """The work a line traces to: its kind and the first characters of its id (the full id is in the link)."""
    if line.kind == LineKind.ADJUSTMENT:
        return str(LineKind.ADJUSTMENT.label)
    kind = str(FactKind(line.fact_kind).label) if line.fact_kind in FactKind.values else ""
    return f"{kind} {str(line.fact_id)[:8].upper()}" if line.fact_id else kind


def fact_url(fact_kind: str, fact_id: Any) -> str:
    name = FACT_URLS.get(fact_kind)  # type: ignore[call-overload]
    if name is None or fact_id is None:
        return ""
    try:
        return reverse(name[0], kwargs={name[1]: fact_id})
    except NoReverseMatch:
        return ""


def statement_context(st: Statement, lines: list[StatementLine]) -> dict[str, Any]:
    rows = [
        {
            "line": ln,
            "service": service_label(ln.service) if ln.kind == LineKind.EARNING else ln.description,
            "fact": fact_label(ln),
            "url": fact_url(ln.fact_kind, ln.fact_id),
        }
        for ln in lines
    ]
    return {"statement": st, "rows": rows, "expert": st.expert}


def statement_xlsx(st: Statement, lines: list[StatementLine]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = st.number[:31]
    ws.append([_("Expert statement"), st.expert.name, f"{st.month:%Y-%m}", st.number])
    ws.append([_("Date"), _("Hospital"), _("Service"), _("Work"), _("Charge"), _("Your share")])
    for row in statement_context(st, lines)["rows"]:
        ln = row["line"]
        ws.append([ln.occurred_on, ln.hospital_name, row["service"], row["fact"], ln.gross, ln.share])
    ws.append([])
    ws.append([_("Gross"), "", "", "", "", st.gross])
    ws.append([_("Taxable income"), "", "", "", "", st.taxable])
    ws.append([_("Tax withheld"), "", "", "", "", st.tax])
    ws.append([_("Net"), "", "", "", "", st.net])
    for cells in ws.iter_rows(min_row=3, min_col=5, max_col=6):
        for cell in cells:
            cell.number_format = "#,##0.00"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
