"""Reads of department-building programs, scoped to the asking user, and the numbers a program page shows.

- Operations, administrators and auditors: every program and campaign.
- Coordinators and hospital directors: the programs of departments at their hospitals.
- Experts: the programs they lead and those of departments where they hold outreach sessions.

Derived KPIs are read from outreach's session reports (read only): the sum over the held sessions of the program's
department in the month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from tiercare.core.models import Role, User
from tiercare.network.models import Department
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import ExpertSession, SessionReport
from tiercare.programs.definitions import Kpi, kpis
from tiercare.programs.models import Assessment, KpiActual, KpiTarget, Program

ALL_SEEING = (Role.OPS, Role.ADMIN, Role.AUDITOR)
PLAN_EDITORS = (Role.OPS, Role.ADMIN)
HOSPITAL_ROLES = (Role.COORDINATOR, Role.DIRECTOR)
ASSESSORS = (Role.OPS, Role.ADMIN, Role.EXPERT, Role.COORDINATOR)


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def program_scope_q(user: User) -> Q:
    if not _active(user):
        return Q(pk__in=[])
    if user.role in ALL_SEEING:
        return Q()
    if user.role in HOSPITAL_ROLES:
        return Q(department__organization_id__in=user_organization_ids(user))
    if user.role == Role.EXPERT:
        served = ExpertSession.objects.filter(expert__user=user)
        return Q(lead_expert__user=user) | Q(department_id__in=served.values("department_id"))
    return Q(pk__in=[])


def program_list(*, for_user: User) -> QuerySet[Program]:
    return Program.objects.filter(program_scope_q(for_user)).select_related("department__organization", "lead_expert")


def may_edit_plan(user: User, program: Program) -> bool:
    """Operations, administrators and the program's lead expert edit the plan."""
    if not _active(user):
        return False
    if user.role in PLAN_EDITORS:
        return True
    return user.role == Role.EXPERT and program.lead_expert is not None and program.lead_expert.user_id == user.pk


def may_enter_actuals(user: User, program: Program) -> bool:
    """A coordinator of the program's hospital enters its actuals."""
    return (
        _active(user)
        and user.role == Role.COORDINATOR
        and program.department.organization_id in user_organization_ids(user)
    )


def department_assessable(user: User, department_organization_id: Any) -> bool:
    """Operations, administrators and visiting experts assess any department; a coordinator their hospital's."""
    if not _active(user) or user.role not in ASSESSORS:
        return False
    return user.role != Role.COORDINATOR or department_organization_id in user_organization_ids(user)


def departments_to_assess(user: User) -> QuerySet[Department]:
    """The departments of a coordinator's hospitals, which they may assess (others reach a department through a
    survey's ranking)."""
    if not _active(user) or user.role != Role.COORDINATOR:
        return Department.objects.none()
    return Department.objects.filter(organization_id__in=user_organization_ids(user)).select_related("organization")


# --- the survey ranking ------------------------------------------------------------------------------------------


def campaign_ranking(campaign: Any) -> list[Assessment]:
    """The campaign's latest assessment per department, highest total first; ties by need, then the department's
    hospital and name, then its id, so the same data always gives the same order."""
    latest: dict[Any, Assessment] = {}
    for a in campaign.assessments.select_related("department__organization").order_by("assessed_on", "created_at"):
        latest[a.department_id] = a
    return sorted(
        latest.values(),
        key=lambda a: (
            -a.total,
            -a.need,
            a.department.organization.name,
            a.department.name,
            str(a.department_id),
        ),
    )


# --- months and KPI series ---------------------------------------------------------------------------------------


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def program_months(program: Program) -> list[date]:
    return [add_months(program.start, i) for i in range(12)]


def _month_end(m: date) -> date:
    return m.replace(day=calendar.monthrange(m.year, m.month)[1])


def _report_value(kpi: Kpi, cases_seen: int, attendees: int, surgeries: list[dict[str, Any]]) -> int:
    if kpi.formula == "outreach.cases_seen":
        return cases_seen
    if kpi.formula == "outreach.attendees":
        return attendees
    if kpi.formula == "outreach.surgeries":
        return sum(int(s.get("count", 1) or 0) for s in surgeries or [])
    return 0


def derived_values(program: Program, kpi: Kpi, months: list[date]) -> dict[date, Decimal]:
    """A derived KPI per month: the sum over the session reports of the program's department held in that month
    (outreach's rows, read only)."""
    reports = SessionReport.objects.filter(
        session__department_id=program.department_id,
        session__date__gte=months[0],
        session__date__lte=_month_end(months[-1]),
    ).values_list("session__date", "cases_seen", "attendees", "surgeries")
    out = {m: Decimal(0) for m in months}
    for day, cases_seen, attendees, surgeries in reports:
        out[day.replace(day=1)] += _report_value(kpi, cases_seen, attendees, surgeries)
    return out


@dataclass
class Point:
    month: date
    target: Decimal | None
    actual: Decimal | None
    source: str  # "entered", "outreach" (with ``reports``), or "" when there is no value


@dataclass
class Series:
    kpi: Kpi
    points: list[Point]

    def light(self, today: date) -> str:
        """green: the latest month with both a target and an actual meets the target (in the KPI's direction);
        amber: within 10%; red: further off; grey: nothing to compare yet. The month under way counts only when
        its actual was entered."""
        this_month = today.replace(day=1)
        # the month under way counts once the hospital entered it; a derived sum of a part month would look behind
        done = [
            p
            for p in self.points
            if p.target is not None and p.actual is not None and (p.month < this_month or p.source == "entered")
        ]
        if not done:
            return "grey"
        p = done[-1]
        assert p.target is not None and p.actual is not None
        gap = (p.actual - p.target) if self.kpi.direction == "higher" else (p.target - p.actual)
        if gap >= 0:
            return "green"
        return "amber" if abs(gap) <= abs(p.target) * Decimal("0.1") else "red"


def kpi_series(program: Program, *, until: date) -> list[Series]:
    """Per KPI of the program, its 12 months: target, actual and where the actual came from (entered by the
    hospital, or summed from outreach session reports); months after ``until`` have no actual."""
    months = program_months(program)
    targets = {(t.kpi, t.month): t.value for t in KpiTarget.objects.filter(program=program)}
    actuals = {(a.kpi, a.month): a.value for a in KpiActual.objects.filter(program=program)}
    defs = kpis()
    out = []
    for code in program.kpi_codes:
        kpi = defs.get(code)
        if kpi is None:
            continue
        derived = derived_values(program, kpi, months) if kpi.derived else {}
        points = []
        for m in months:
            target = targets.get((code, m))
            actual: Decimal | None = None
            source = ""
            if m <= until:
                if kpi.derived:
                    actual, source = derived[m], "outreach"
                elif (code, m) in actuals:
                    actual, source = actuals[(code, m)], "entered"
            points.append(Point(month=m, target=target, actual=actual, source=source))
        out.append(Series(kpi=kpi, points=points))
    return out
