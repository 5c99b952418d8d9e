"""Reads of department-building programs, scoped to the asking user, and the numbers a program page shows.

- Operations, administrators and auditors: every program and campaign.
- Coordinators and hospital directors: the programs of departments at their hospitals.
- Experts: the programs they lead and those of departments where they hold outreach sessions.

Derived KPIs are read from outreach's session reports (read only): the sum over the held sessions of the program's
department in the month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tiercare.consults.models import Teleconsult
from tiercare.core.models import Role, User
from tiercare.network.models import Department, Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import ExpertSession, SessionReport
from tiercare.programs.definitions import Kpi, curriculum, kpis, text
from tiercare.programs.models import (
    Assessment,
    Attendance,
    Course,
    CourseSession,
    KpiActual,
    KpiTarget,
    Program,
    TrainingScore,
)
from tiercare.referrals.models import Referral

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


def month_end(m: date) -> date:
    return m.replace(day=calendar.monthrange(m.year, m.month)[1])


def _count_by_month(values: Any, months: list[date]) -> dict[date, Decimal]:
    out = {m: Decimal(0) for m in months}
    for moment in values:
        day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
        key = day.replace(day=1)
        if key in out:
            out[key] += 1
    return out


def _window(months: list[date]) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    end = add_months(months[-1], 1)
    return (
        datetime(months[0].year, months[0].month, 1, tzinfo=tz),
        datetime(end.year, end.month, 1, tzinfo=tz),
    )


def fed_values(program: Program, kpi: Kpi, months: list[date]) -> dict[date, Decimal]:
    """A KPI tiercare knows from another app, per month (read only):

    - ``referrals.sent``: referrals up sent from the program's hospital to a department of its specialty;
    - ``referrals.back``: of those, the patients referred back down to the hospital;
    - ``consults.teleconsults``: tele-consultations the hospital asked of its specialty;
    - ``programs.training_completion``: the department's training completion at each month's end (%)."""
    dept = program.department
    start, end = _window(months)
    if kpi.formula == "referrals.sent":
        sent = Referral.objects.filter(
            referring_organization_id=dept.organization_id,
            receiving_department__specialty=dept.specialty,
            sent_at__gte=start,
            sent_at__lt=end,
        ).values_list("sent_at", flat=True)
        return _count_by_month(sent, months)
    if kpi.formula == "referrals.back":
        back = Referral.objects.filter(
            referring_organization_id=dept.organization_id,
            receiving_department__specialty=dept.specialty,
            back_referred_at__gte=start,
            back_referred_at__lt=end,
        ).values_list("back_referred_at", flat=True)
        return _count_by_month(back, months)
    if kpi.formula == "consults.teleconsults":
        asked = Teleconsult.objects.filter(
            case__requesting_org_id=dept.organization_id,
            specialty=dept.specialty,
            created_at__gte=start,
            created_at__lt=end,
        ).values_list("created_at", flat=True)
        return _count_by_month(asked, months)
    if kpi.formula == "programs.training_completion":
        return {m: training_completion(program, on=month_end(m)) for m in months}
    return derived_values(program, kpi, months)


SOURCES = {
    "outreach": "outreach",
    "referrals": "referrals",
    "consults": "consults",
    "programs": "training",
}


def kpi_source(kpi: Kpi) -> str:
    """Where a KPI's actuals come from: ``entered`` by the hospital, or the app that knows them."""
    if not kpi.derived:
        return "entered"
    return SOURCES.get(kpi.formula.split(".")[0], "outreach")


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
        session__date__lte=month_end(months[-1]),
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
    source: str  # "entered", or the app that knows it: "outreach", "referrals", "consults", "training"; "" if none


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
        derived = fed_values(program, kpi, months) if kpi.derived else {}
        points = []
        for m in months:
            target = targets.get((code, m))
            actual: Decimal | None = None
            source = ""
            if m <= until:
                if kpi.derived:
                    actual, source = derived[m], kpi_source(kpi)
                elif (code, m) in actuals:
                    actual, source = actuals[(code, m)], "entered"
            points.append(Point(month=m, target=target, actual=actual, source=source))
        out.append(Series(kpi=kpi, points=points))
    return out


# --- training -----------------------------------------------------------------------------------------------------


def may_record_training(user: User, program: Program) -> bool:
    """A coordinator of the program's hospital, operations and the lead expert record sessions, attendance and
    scores; courses are part of the plan (``may_edit_plan``)."""
    return may_enter_actuals(user, program) or may_edit_plan(user, program)


def department_staff(department: Department, *, on: date | None = None) -> QuerySet[Practitioner]:
    """The department's staff: active practitioners of the directory whose home department it is, or who hold a
    role in it valid on ``on`` (today by default)."""
    day = on or timezone.localdate()
    in_role = Q(
        roles__department=department,
        roles__valid_from__lte=day,
    ) & (Q(roles__valid_to__isnull=True) | Q(roles__valid_to__gte=day))
    return (
        Practitioner.objects.filter(is_active=True)
        .filter(Q(home_department=department) | in_role)
        .distinct()
        .order_by("name_pinyin", "name", "id")
    )


def curriculum_labels(program: Program) -> dict[str, str]:
    return {i.code: text(i.label) for i in curriculum(program.department.specialty)}


@dataclass
class CourseRecord:
    """One course on a trainee's record: sessions attended of those held, the best score, passed or owed."""

    course: Course
    held: int
    attended: int
    best: TrainingScore | None

    @property
    def passed(self) -> bool:
        return self.best is not None and self.best.passed

    @property
    def owed(self) -> bool:
        return not self.passed


def trainee_record(program: Program, trainee: Practitioner) -> list[CourseRecord]:
    """A trainee's record in the program's training: per course, what was attended and passed, what is owed."""
    courses = list(program.courses.prefetch_related("sessions"))
    attended = set(
        Attendance.objects.filter(session__course__program=program, trainee=trainee).values_list(
            "session_id", flat=True
        )
    )
    best: dict[Any, TrainingScore] = {}
    for sc in TrainingScore.objects.filter(course__program=program, trainee=trainee).order_by("score", "taken_on"):
        best[sc.course_id] = sc  # the highest score last
    passed_first = {
        sc.course_id: sc
        for sc in TrainingScore.objects.filter(course__program=program, trainee=trainee, passed=True).order_by(
            "-taken_on"
        )
    }
    out = []
    for c in courses:
        sessions = list(c.sessions.all())
        out.append(
            CourseRecord(
                course=c,
                held=len(sessions),
                attended=sum(1 for s in sessions if s.pk in attended),
                best=passed_first.get(c.pk) or best.get(c.pk),
            )
        )
    return out


def training_completion(program: Program, *, on: date | None = None) -> Decimal:
    """The department's training completion rate (%) on a day: of every (staff member, course) pair, the share
    passed by that day; 0 when there are no courses or no staff. Courses and staff are today's (``department_staff``),
    so a past month reads "of today's courses and staff, the share passed by then"."""
    day = on or timezone.localdate()
    courses = list(Course.objects.filter(program=program).values_list("pk", flat=True))
    staff = list(department_staff(program.department).values_list("pk", flat=True))
    if not courses or not staff:
        return Decimal(0)
    passed = (
        TrainingScore.objects.filter(course_id__in=courses, trainee_id__in=staff, passed=True, taken_on__lte=day)
        .values("course_id", "trainee_id")
        .distinct()
        .count()
    )
    return (Decimal(100) * passed / (len(courses) * len(staff))).quantize(Decimal("0.1"))


def training_overview(program: Program) -> list[dict[str, Any]]:
    """Per staff member: sessions attended, courses passed and owed (the training page's table)."""
    staff = list(department_staff(program.department))
    courses = list(program.courses.all())
    attended: dict[Any, int] = {}
    for trainee_id in Attendance.objects.filter(session__course__program=program).values_list("trainee_id", flat=True):
        attended[trainee_id] = attended.get(trainee_id, 0) + 1
    passed: dict[Any, set[Any]] = {}
    for trainee_id, course_id in TrainingScore.objects.filter(course__program=program, passed=True).values_list(
        "trainee_id", "course_id"
    ):
        passed.setdefault(trainee_id, set()).add(course_id)
    return [
        {
            "trainee": p,
            "attended": attended.get(p.pk, 0),
            "passed": len(passed.get(p.pk, set())),
            "owed": len(courses) - len(passed.get(p.pk, set())),
        }
        for p in staff
    ]


def course_sessions(program: Program) -> QuerySet[CourseSession]:
    return (
        CourseSession.objects.filter(course__program=program)
        .select_related("course", "outreach_session__expert")
        .order_by("-held_on", "course__title")
    )


def teaching_sessions(program: Program) -> QuerySet[ExpertSession]:
    """The outreach teaching sessions at the program's department, which a course session may be linked to."""
    return (
        ExpertSession.objects.filter(department_id=program.department_id, kind="teaching")
        .select_related("expert")
        .order_by("-date")
    )
