"""The evaluation report of a program for the hospital's director, at its end or at any month of its year:
baseline assessment vs re-assessment, KPIs vs targets, milestones, training completion, outreach sessions held and
cases treated locally instead of referred out. One read (``program_evaluation``) feeds the page, the PDF and the
xlsx, so the three say the same thing."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from tiercare.outreach.models import ExpertSession, SessionReport
from tiercare.programs.definitions import load_template, text
from tiercare.programs.models import Assessment, Program
from tiercare.programs.selectors import (
    department_staff,
    kpi_series,
    kpi_source,
    month_end,
    program_months,
    training_completion,
)

SOURCE_WORDS = {
    "entered": gettext_lazy("entered by the hospital"),
    "outreach": gettext_lazy("from outreach session reports"),
    "referrals": gettext_lazy("from referrals in tiercare"),
    "consults": gettext_lazy("from tele-consultations in tiercare"),
    "training": gettext_lazy("from the training records"),
}


@dataclass
class KpiRow:
    code: str
    label: str
    unit: str
    direction: str
    source: str
    target: Decimal | None
    actual: Decimal | None
    months: list[tuple[date, Decimal | None, Decimal | None]]

    @property
    def source_word(self) -> str:
        return str(SOURCE_WORDS[self.source])

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        return self.actual >= self.target if self.direction == "higher" else self.actual <= self.target


@dataclass
class Evaluation:
    program: Program
    until: date  # the last month evaluated (its first day)
    months: list[date]
    baseline: Assessment | None
    reassessment: Assessment | None
    items: list[dict[str, Any]]
    kpis: list[KpiRow]
    milestones: list[dict[str, Any]]
    completion: Decimal
    courses: int
    staff: int
    sessions_held: dict[str, int]
    cases_seen: int
    local_surgeries: int
    admitted: Decimal
    referred_out: Decimal | None
    referred_out_target: Decimal | None
    notes: list[str] = field(default_factory=list)

    @property
    def treated_locally(self) -> Decimal:
        """Patients the department treated at home instead of sending them on: cases seen and surgeries done with
        the visiting expert (session reports) and, where the program counts them, neonates admitted."""
        return self.cases_seen + self.local_surgeries + self.admitted

    @property
    def sessions_total(self) -> int:
        return sum(self.sessions_held.values())


def _sum_or_mean(values: list[Decimal], percent: bool) -> Decimal | None:
    if not values:
        return None
    total = sum(values, Decimal(0))
    return (total / len(values)).quantize(Decimal("0.1")) if percent else total


def _answer(item: dict[str, Any], value: Any) -> str:
    if value is None:
        return ""
    if item["kind"] == "choice":
        for code, label, *_rest in item["choices"]:
            if code == value:
                return text(label)
    if item["kind"] == "equipment":
        return str(len(value or []))
    return str(value)


def program_evaluation(program: Program, *, until: date | None = None) -> Evaluation:
    """The evaluation of ``program`` over its months up to ``until`` (a month of its year; by default the last
    month ended, or the program's twelfth month when the year is over)."""
    all_months = program_months(program)
    today = timezone.localdate()
    default = min(all_months[-1], max(all_months[0], today.replace(day=1)))
    last = (until or default).replace(day=1)
    if last not in all_months:
        last = default
    months = [m for m in all_months if m <= last]
    end = month_end(last)
    dept = program.department

    baseline = program.assessment or (
        Assessment.objects.filter(department=dept, assessed_on__lte=program.start).order_by("-assessed_on").first()
    )
    later = Assessment.objects.filter(department=dept, assessed_on__lte=end)
    if baseline is not None:
        later = later.filter(assessed_on__gt=baseline.assessed_on)
    reassessment = later.order_by("-assessed_on", "-created_at").first()
    template = load_template()
    items = []
    for item in template.items():
        items.append(
            {
                "label": text(item["label"]),
                "baseline": _answer(item, baseline.answers.get(item["code"])) if baseline else "",
                "now": _answer(item, reassessment.answers.get(item["code"])) if reassessment else "",
            }
        )

    rows = []
    for s in kpi_series(program, until=end):
        pts = [p for p in s.points if p.month <= last]
        percent = text(s.kpi.unit) == "%"
        targets = [p.target for p in pts if p.target is not None]
        actuals = [p.actual for p in pts if p.actual is not None]
        rows.append(
            KpiRow(
                code=s.kpi.code,
                label=text(s.kpi.label),
                unit=text(s.kpi.unit),
                direction=s.kpi.direction,
                source=kpi_source(s.kpi),
                target=_sum_or_mean(targets, percent),
                actual=_sum_or_mean(actuals, percent),
                months=[(p.month, p.target, p.actual) for p in pts],
            )
        )
    by_code = {r.code: r for r in rows}

    milestones = []
    for m in program.milestones.all():
        if m.done_on is not None and m.done_on <= end:
            status = "done_late" if m.done_on > m.due_on else "done"
        else:
            status = "late" if m.due_on < min(end, today) else "open"
        milestones.append({"m": m, "status": status, "word": milestone_word(status)})

    sessions = ExpertSession.objects.filter(
        department=dept, date__gte=months[0], date__lte=end, status="held"
    ).values_list("kind", flat=True)
    held: dict[str, int] = {}
    for kind in sessions:
        held[kind] = held.get(kind, 0) + 1
    cases = surgeries = 0
    for cases_seen, ops in SessionReport.objects.filter(
        session__department=dept, session__date__gte=months[0], session__date__lte=end
    ).values_list("cases_seen", "surgeries"):
        cases += cases_seen or 0
        surgeries += sum(int(s.get("count", 1) or 0) for s in ops or [])
    out_row = by_code.get("referrals_out")
    return Evaluation(
        program=program,
        until=last,
        months=months,
        baseline=baseline,
        reassessment=reassessment,
        items=items,
        kpis=rows,
        milestones=milestones,
        completion=training_completion(program, on=end),
        courses=program.courses.count(),
        staff=department_staff(dept).count(),
        sessions_held=held,
        cases_seen=cases,
        local_surgeries=surgeries,
        admitted=(by_code["neonates_admitted"].actual or Decimal(0)) if "neonates_admitted" in by_code else Decimal(0),
        referred_out=out_row.actual if out_row else None,
        referred_out_target=out_row.target if out_row else None,
    )


def milestone_word(status: str) -> str:
    return {
        "done": _("Done"),
        "done_late": _("Done late"),
        "late": _("Late"),
        "open": _("Not yet due"),
    }[status]


def evaluation_xlsx(ev: Evaluation) -> bytes:
    """The evaluation as a workbook: a summary sheet, the KPIs month by month, the assessment items, milestones."""
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    assert ws is not None
    ws.title = _("Summary")[:31]
    p = ev.program
    summary: list[tuple[str, Any]] = [
        (_("Hospital"), p.department.organization.name),
        (_("Department"), p.department.name),
        (_("Program"), p.title),
        (_("Months evaluated"), f"{ev.months[0]:%Y-%m} – {ev.until:%Y-%m}"),
        (_("Baseline need + feasibility"), ev.baseline.total if ev.baseline else ""),
        (_("Re-assessment need + feasibility"), ev.reassessment.total if ev.reassessment else ""),
        (_("Training completion (%)"), float(ev.completion)),
        (_("Outreach sessions held"), ev.sessions_total),
        (_("Cases treated locally"), float(ev.treated_locally)),
        (_("Patients referred out"), float(ev.referred_out) if ev.referred_out is not None else ""),
    ]
    for label, value in summary:
        ws.append([label, value])
        ws.cell(row=ws.max_row, column=1).font = bold
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 40

    k = wb.create_sheet(_("KPIs")[:31])
    k.append([_("KPI"), _("Unit"), _("Source"), _("Month"), _("Target"), _("Actual")])
    for r in ev.kpis:
        for month, target, actual in r.months:
            k.append(
                [
                    r.label,
                    r.unit,
                    r.source_word,
                    f"{month:%Y-%m}",
                    float(target) if target is not None else None,
                    float(actual) if actual is not None else None,
                ]
            )
        k.append(
            [
                r.label,
                r.unit,
                r.source_word,
                _("All months evaluated"),
                float(r.target) if r.target is not None else None,
                float(r.actual) if r.actual is not None else None,
            ]
        )
    a = wb.create_sheet(_("Assessment")[:31])
    a.append([_("Item"), _("Baseline"), _("Re-assessment")])
    for item in ev.items:
        a.append([item["label"], item["baseline"], item["now"]])
    ms = wb.create_sheet(_("Milestones")[:31])
    ms.append([_("Milestone"), _("Owner"), _("Due"), _("Done"), _("Status")])
    for row in ev.milestones:
        m = row["m"]
        ms.append([m.title, m.owner, m.due_on, m.done_on, milestone_word(row["status"])])
    for sheet in (k, a, ms):
        for cell in sheet[1]:
            cell.font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
