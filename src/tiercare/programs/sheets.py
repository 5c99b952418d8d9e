"""Offline work in Excel: a blank needs-assessment sheet to fill on paper or a laptop without network, read back
with every bad row named (row number and reason, as in the directory's Excel import) and nothing written until the
whole sheet is good; and a program's monthly actuals as a sheet, filled and read back the same way. The rows
become the very calls the pages make (``services.assessment_record``, ``services.kpi_actuals_enter``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.network.excel.workbook import read_rows, write_workbook
from tiercare.programs.definitions import Template, kpis, text
from tiercare.programs.models import KpiActual, Program
from tiercare.programs.selectors import program_months

YES = {"有", "是", "yes", "y", "1", "true", "√", "✓"}
NO = {"无", "没有", "否", "no", "n", "0", "false", ""}


@dataclass
class RowError:
    row: int
    reason: str

    def __str__(self) -> str:
        if not self.row:
            return self.reason
        return _("Row %(row)s: %(reason)s") % {"row": self.row, "reason": self.reason}


# --- the needs assessment ---------------------------------------------------------------------------------------


def _assessment_rows(template: Template, specialty: str) -> list[tuple[str, str, str, str]]:
    """(code, section, question, what is allowed) per row of the blank sheet; equipment one row per item."""
    rows = []
    for section in template.doc["sections"]:
        title = text(section["title"])
        for item in section["items"]:
            if item["kind"] == "int":
                rows.append((item["code"], title, text(item["label"]), f"{item['min']}–{item['max']}"))
            elif item["kind"] == "choice":
                allowed = " / ".join(text(c[1]) for c in item["choices"])
                rows.append((item["code"], title, text(item["label"]), allowed))
            else:
                for e in template.minimum_set(specialty):
                    label = f"{text(item['label'])}：{template.equipment_label(e)}"
                    rows.append((f"equipment.{e}", title, label, _("yes / no")))
    return rows


def assessment_blank(template: Template, specialty: str) -> bytes:
    """A blank assessment sheet for a department of ``specialty``: one row per question, the answer column empty."""
    header = [_("Code (do not change)"), _("Section"), _("Question"), _("Allowed answers"), _("Answer")]
    content, _n = write_workbook(
        _("Needs assessment")[:31],
        header,
        ([code, section, q, allowed, None] for code, section, q, allowed in _assessment_rows(template, specialty)),
    )
    return content


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def assessment_read(
    template: Template, specialty: str, file: IO[bytes], filename: str
) -> tuple[dict[str, Any], list[RowError]]:
    """The answers of a filled assessment sheet and its bad rows (all of them at once). A file that is not an xlsx
    workbook is refused as a whole (ValidationFailed)."""
    rows = read_rows(file, filename)
    items = {i["code"]: i for i in template.items()}
    equipment_codes = set(template.minimum_set(specialty))
    answers: dict[str, Any] = {"equipment": []}
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, row in rows[1:]:  # the first row is the header
        code = _cell(row[0] if row else None)
        raw = _cell(row[4] if len(row) > 4 else None)
        if code.startswith("equipment."):
            e = code.split(".", 1)[1]
            if e not in equipment_codes:
                errors.append(RowError(number, _("unknown code “%(code)s”.") % {"code": code}))
            elif raw.lower() in YES:
                answers["equipment"].append(e)
            elif raw.lower() not in NO:
                errors.append(RowError(number, _("answer yes or no.")))
            continue
        item = items.get(code)
        if item is None:
            errors.append(RowError(number, _("unknown code “%(code)s”.") % {"code": code}))
            continue
        seen.add(code)
        if raw == "":
            errors.append(RowError(number, _("the answer is missing.")))
        elif item["kind"] == "int":
            try:
                value = int(Decimal(raw))
                if Decimal(raw) != value:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(RowError(number, _("enter a whole number.")))
                continue
            if not item["min"] <= value <= item["max"]:
                errors.append(
                    RowError(
                        number,
                        _("must be between %(min)s and %(max)s.") % {"min": item["min"], "max": item["max"]},
                    )
                )
            else:
                answers[code] = value
        elif item["kind"] == "choice":
            match = [c[0] for c in item["choices"] if raw in (c[0], c[1]["zh"], c[1]["en"])]
            if not match:
                errors.append(
                    RowError(
                        number,
                        _("choose one of: %(allowed)s.") % {"allowed": " / ".join(text(c[1]) for c in item["choices"])},
                    )
                )
            else:
                answers[code] = match[0]
    for code, item in items.items():
        if item["kind"] != "equipment" and code not in seen:
            errors.append(
                RowError(0, _("the question “%(q)s” is missing from the sheet.") % {"q": text(item["label"])})
            )
    return answers, errors


# --- monthly actuals --------------------------------------------------------------------------------------------


def actuals_blank(program: Program) -> bytes:
    """The program's entered KPIs for every month so far, one row each, with the values already entered."""
    defs = kpis()
    today = timezone.localdate()
    have = {(a.kpi, a.month): a.value for a in KpiActual.objects.filter(program=program)}
    header = [_("Month (YYYY-MM)"), _("KPI code (do not change)"), _("KPI"), _("Unit"), _("Value")]
    rows = []
    for m in program_months(program):
        if m > today:
            break
        for code in program.kpi_codes:
            kpi = defs.get(code)
            if kpi is None or kpi.derived:
                continue
            value = have.get((code, m))
            rows.append(
                [f"{m:%Y-%m}", code, text(kpi.label), text(kpi.unit), float(value) if value is not None else None]
            )
    content, _n = write_workbook(_("Monthly actuals")[:31], header, rows)
    return content


def _month(value: Any) -> date | None:
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    raw = _cell(value).replace("/", "-").replace(".", "-")
    try:
        year, month = raw.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None


def actuals_read(program: Program, file: IO[bytes], filename: str) -> tuple[dict[date, dict[str, Any]], list[RowError]]:
    """A filled actuals sheet as {month: {kpi: value}} and its bad rows (all at once): a month not of the program
    so far, a KPI not entered by the hospital for this program, a value that is not a number from 0."""
    rows = read_rows(file, filename)
    defs = kpis()
    entered = {c for c in program.kpi_codes if c in defs and not defs[c].derived}
    months = {m for m in program_months(program) if m <= timezone.localdate()}
    out: dict[date, dict[str, Any]] = {}
    errors: list[RowError] = []
    for number, row in rows[1:]:
        cells = list(row) + [None] * 5
        month = _month(cells[0])
        code = _cell(cells[1])
        raw = _cell(cells[4])
        if month is None or month not in months:
            errors.append(RowError(number, _("the month is not a month of this program so far.")))
            continue
        if code not in entered:
            errors.append(
                RowError(number, _("“%(code)s” is not a KPI the hospital enters for this program.") % {"code": code})
            )
            continue
        if raw == "":
            continue  # left empty: the month's value stays as it is
        try:
            value = Decimal(raw)
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(number, _("enter a number from 0.")))
            continue
        out.setdefault(month, {})[code] = value
    return out, errors
