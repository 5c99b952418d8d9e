"""Worklist rows for the API, the pages and the xlsx download used for phone outreach."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from tiercare.care.models import ControlClass, Enrollment, OutreachOutcome


def worklist_rows(enrollments: Iterable[Enrollment], today: date) -> list[dict[str, Any]]:
    rows = []
    for e in enrollments:
        membership = getattr(e.person, "membership", None)
        rows.append(
            {
                "enrollment": e.pk,
                "person": e.person_id,
                "person_name": e.person.name,
                "household": membership.household_id if membership else None,
                "phone": e.person.phone,
                "protocol_code": e.protocol_code,
                "next_due_on": e.next_due_on,
                "days_overdue": (today - e.next_due_on).days if e.next_due_on and e.next_due_on < today else 0,
                "control_class": e.control_class,
                "risk_percent": round(e.risk_percent, 1) if e.risk_percent is not None else None,
                "risk_rose": e.risk_rose,
                # a stored risk that may no longer be used (issue 11: older than 12 months or the age now outside
                # the equation's range; selectors.with_usable_risk) — not used for ordering, and the page says so
                "risk_stale": bool(getattr(e, "risk_stale", False)),
                "outreach_removed_reason": e.outreach_removed_reason,
            }
        )
    return rows


def _choice_label(choices: type[ControlClass] | type[OutreachOutcome], code: str) -> str:
    """A class or outcome as the user reads it (the programme's words, never the code)."""
    return str(choices(code).label) if code in choices.values else code


def worklist_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    """An xlsx workbook of worklist rows, one sheet, headings and values (programme, control class, why removed) in
    the user's language."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    headings = [
        _("Name"), _("Phone"), _("Program"), _("Due on"), _("Days overdue"), _("Control"), _("10-year risk %"),
        _("Risk rose"), _("Removed because"),
    ]  # fmt: skip
    ws.append(headings)
    from tiercare.care.forms import program_name  # forms reads the protocols; imported here, not at start-up

    names = {code: program_name(code) for code in {r["protocol_code"] for r in rows}}  # one read per protocol
    for r in rows:
        ws.append(
            [
                r["person_name"],
                r["phone"],
                names[r["protocol_code"]],
                r["next_due_on"],
                r["days_overdue"],
                _choice_label(ControlClass, r["control_class"]),
                r["risk_percent"],
                "✓" if r["risk_rose"] else "",
                _choice_label(OutreachOutcome, r["outreach_removed_reason"]),
            ]  # fmt: skip
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
