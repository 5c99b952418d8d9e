"""Writes of outreach: requests, availability, roster plans (plan, adjust, confirm, re-plan), sessions (cancel,
move, hold), bookings and reports. Each is one transaction, audited; session status changes are rows.

The legal rule (DESIGN.md §3) is asked of ``practice_basis`` whenever an expert is placed: at every adjustment of a
proposal, again for every session at confirmation (the basis is recorded on the session), and at every move.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Department, Organization, Partnership, Practitioner, Specialty
from tiercare.network.practice import practice_basis
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach import planning
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    SESSION_TRANSITIONS,
    Booking,
    BookingStatus,
    ExpertAvailability,
    ExpertLeave,
    ExpertResponse,
    ExpertSession,
    HalfDay,
    OutreachProfile,
    PlanAssignment,
    PlanRun,
    PlanRunStatus,
    PlanStatus,
    RequestStatus,
    RosterPlan,
    SessionKind,
    SessionReport,
    SessionRequest,
    SessionStatus,
    SessionTransition,
)
from tiercare.outreach.selectors import PLANNERS
from tiercare.outreach.session_flow import active_bookings, tell_cancelled, tell_moved

MAX_PLAN_WEEKS = 12
MAX_SOLVE_SECONDS = 120.0
PROGRESS_WRITE_SECONDS = 0.5
"""A running plan writes its progress at most this often (the page polls every 2 s)."""

logger = logging.getLogger(__name__)


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


# --- requests ----------------------------------------------------------------------------------------------------


def _require_department_writer(by: User, department: Department) -> None:
    require_role(by, Role.COORDINATOR, Role.OPS, Role.ADMIN)
    if by.role == Role.COORDINATOR and department.organization_id not in user_organization_ids(by):
        raise NotFound(_("No such department."))


def request_create(
    *, by: User, department: Department, data: dict[str, Any], preferred_experts: Iterable[Practitioner] = ()
) -> SessionRequest:
    """A partner department asks for sessions. Refuses (422) a department without an active partnership, a
    service the partnership does not cover, a specialty that cannot serve the department, a window in the past."""
    _require_department_writer(by, department)
    today = timezone.localdate()
    partnership = (
        Partnership.objects.filter(department=department, start__lte=max(today, data["window_start"]))
        .filter(Q(end__isnull=True) | Q(end__gte=data["window_start"]))
        .first()
    )
    if partnership is None:
        raise ValidationFailed(
            _("department: this department has no active partnership with the doctor group."),
            details={"field": "department"},
        )
    if partnership.services and data["kind"] not in partnership.services:
        raise ValidationFailed(
            _("kind: the partnership does not cover %(kind)s sessions.") % {"kind": _label(SessionKind, data["kind"])},
            details={"field": "kind"},
        )
    specialty = data.get("specialty") or department.specialty
    if specialty not in planning.serving_specialties(department.specialty):
        raise ValidationFailed(
            _("specialty: %(s)s experts do not serve a %(d)s department.")
            % {"s": _label(Specialty, specialty), "d": _label(Specialty, department.specialty)},
            details={"field": "specialty"},
        )
    if data["window_end"] < today:
        raise ValidationFailed(_("window_end: the window is in the past."), details={"field": "window_end"})
    preferred = list(preferred_experts)
    for p in preferred:
        if p.doctor_group_id is None or p.specialty != specialty:
            raise ValidationFailed(
                _("preferred_experts: %(name)s is not a %(s)s expert of the doctor group.")
                % {"name": p.name, "s": _label(Specialty, specialty)},
                details={"field": "preferred_experts"},
            )
    if data["kind"] != SessionKind.SURGERY and data.get("procedures"):
        raise ValidationFailed(_("procedures: only surgery sessions list procedures."), details={"field": "procedures"})
    req = SessionRequest(
        department=department,
        specialty=specialty,
        requested_by=by,
        **{k: v for k, v in data.items() if k != "specialty"},
    )
    with transaction.atomic():
        row_save(actor=by, obj=req, changes=dict(data))
        if preferred:
            req.preferred_experts.set(preferred)
    return req


def request_cancel(*, by: User, request: SessionRequest, reason: str = "") -> SessionRequest:
    """Cancel an open request (its confirmed sessions stay; cancel those one by one). 409 if not open."""
    _require_department_writer(by, request.department)
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            _("Only an open request can be cancelled."), code="illegal_transition", details={"state": request.status}
        )
    changes = changed_fields(request, {"status": RequestStatus.CANCELLED})
    return row_save(actor=by, obj=request, changes=changes, reason=reason)


# --- availability -----------------------------------------------------------------------------------------------


def _require_self_or_ops(by: User, practitioner: Practitioner) -> None:
    if by.role in PLANNERS and by.is_active:
        return
    if by.role == Role.EXPERT and practitioner.user_id == by.pk:
        return
    raise Forbidden(_("Only the expert or operations may change this expert's availability."))


@transaction.atomic
def availability_set(
    *,
    by: User,
    practitioner: Practitioner,
    half_days: Iterable[tuple[int, str]],
    weekly_limit: int | None = None,
    home_city: str | None = None,
) -> list[ExpertAvailability]:
    """Replace an expert's weekly half-days (weekday 0 = Monday, "am"/"pm"), optionally the weekly limit."""
    _require_self_or_ops(by, practitioner)
    wanted = sorted(set(half_days))
    for weekday, half in wanted:
        if not 0 <= weekday <= 6 or half not in HalfDay.values:
            raise ValidationFailed(
                _("half_days: %(w)s %(h)s is not a weekday 0–6 and am/pm.") % {"w": weekday, "h": half},
                details={"field": "half_days"},
            )
    ExpertAvailability.objects.filter(practitioner=practitioner).delete()
    rows = ExpertAvailability.objects.bulk_create(
        [ExpertAvailability(practitioner=practitioner, weekday=w, half_day=h) for w, h in wanted]
    )
    profile, _created = OutreachProfile.objects.get_or_create(practitioner=practitioner)
    data: dict[str, Any] = {}
    if weekly_limit is not None:
        data["weekly_limit"] = weekly_limit
    if home_city is not None:
        data["home_city"] = home_city
    changes = changed_fields(profile, data)
    row_save(actor=by, obj=profile, changes={**changes, "half_days": [f"{w}{h}" for w, h in wanted]})
    return rows


def leave_add(
    *, by: User, practitioner: Practitioner, kind: str, start: date, end: date, note: str = ""
) -> ExpertLeave:
    """Record leave, home-hospital duty or a withdrawal. Confirmed sessions on those days are not touched here:
    re-plan (``replan_create``) to move or cancel them."""
    _require_self_or_ops(by, practitioner)
    return row_save(
        actor=by,
        obj=ExpertLeave(practitioner=practitioner, kind=kind, start=start, end=end, note=note),
        changes={"kind": kind, "start": start, "end": end},
    )


# --- placement rule -------------------------------------------------------------------------------------------------


def placement_problems(
    *,
    expert: Practitioner,
    site: Organization,
    specialty: str,
    kind: str,
    on: date,
    half_day: str,
    ignore_sessions: Iterable[Any] = (),
    others: Iterable[tuple[Any, Any, date, str]] = (),
) -> list[dict[str, str]]:
    """Every rule an expert placement breaks, as [{"code", "message"}] (empty: legal).

    The practice rule that day (``practice_basis``: basis and cover), specialty, qualification (surgery →
    qualified to operate, teaching → senior title), availability (weekly half-day, leave, duty), the day-trip
    limit, and against the confirmed sessions (minus ``ignore_sessions``) and ``others`` (expert id, site id,
    date, half-day) of the same proposal: one session per half-day, one site per day, the weekly limit.
    """
    out: list[dict[str, str]] = []
    decision = practice_basis(expert, site, on)
    if not decision.allowed:
        out.append({"code": decision.refusals[0], "message": decision.reason})
    if expert.specialty != specialty:
        out.append({"code": "specialty", "message": _("The expert's specialty is not the one requested.")})
    if kind == SessionKind.SURGERY and not expert.can_operate:
        out.append({"code": "not_surgeon", "message": _("Surgery needs an expert qualified to operate.")})
    if kind == SessionKind.TEACHING and not expert.is_senior:
        out.append({"code": "not_senior", "message": _("Teaching needs a chief or associate chief physician.")})
    if on.weekday() >= planning.WORKDAYS:
        out.append({"code": "weekend", "message": _("Sessions are held on working days.")})
    if not ExpertAvailability.objects.filter(practitioner=expert, weekday=on.weekday(), half_day=half_day).exists():
        out.append({"code": "unavailable", "message": _("The expert is not available in that half-day.")})
    if ExpertLeave.objects.filter(practitioner=expert, start__lte=on, end__gte=on).exists():
        out.append({"code": "on_leave", "message": _("The expert is on leave or on duty that day.")})
    profiles = {p.practitioner_id: p for p in OutreachProfile.objects.filter(practitioner=expert)}
    trip = planning._trip_hours([expert], [site], profiles)[(str(expert.pk), str(site.pk))]
    if trip > planning.MAX_TRIP_HOURS:
        out.append(
            {"code": "too_far", "message": _("The round trip takes %(h)s h, above the day-trip limit.") % {"h": trip}}
        )
    ignore = {str(x) for x in ignore_sessions}
    monday = on - timedelta(days=on.weekday())
    busy = [
        (str(s.site_id), s.date, s.half_day)
        for s in ExpertSession.objects.filter(
            expert=expert, status__in=ACTIVE_SESSION_STATUSES, date__gte=monday, date__lt=monday + timedelta(days=7)
        )
        if str(s.pk) not in ignore
    ]
    busy += [
        (str(sid), d, h)
        for eid, sid, d, h in others
        if str(eid) == str(expert.pk) and monday <= d < monday + timedelta(days=7)
    ]
    if any(d == on and h == half_day for _s, d, h in busy):
        out.append({"code": "half_day_taken", "message": _("The expert already has a session in that half-day.")})
    if any(d == on and s != str(site.pk) for s, d, _h in busy):
        out.append({"code": "two_sites", "message": _("The expert works at another site that day.")})
    profile = profiles.get(expert.pk)
    limit = profile.weekly_limit if profile else planning.DEFAULT_WEEKLY_LIMIT
    if len(busy) + 1 > limit:
        out.append(
            {
                "code": "week_limit",
                "message": _("The expert would pass the weekly limit of %(n)s sessions.") % {"n": limit},
            }
        )
    return out


# --- roster plans ---------------------------------------------------------------------------------------------------


def _store_plan(*, by: User, problem: planning.Problem, outcome: planning.Outcome, replan: bool) -> RosterPlan:
    occ = problem.occurrences
    plan = RosterPlan(
        start=problem.start,
        end=problem.dates[-1],
        is_replan=replan,
        objective=outcome.objective,
        bound=outcome.bound,
        seconds=outcome.seconds,
        stats=outcome.stats,
        uncovered=outcome.uncovered,
        instance=problem.instance,
        created_by=by,
    )
    with transaction.atomic():
        row_save(actor=by, obj=plan, changes={"start": plan.start, "end": plan.end, "replan": replan})
        rows = []
        for p in outcome.placed:
            o = occ[p.key]
            rows.append(
                PlanAssignment(
                    plan=plan,
                    request=o.request,
                    occurrence=o.number,
                    session=o.session,
                    expert_id=p.expert,
                    department_id=o.department_id,
                    site_id=o.site_id,
                    date=p.day,
                    half_day=p.half_day,
                    kind=o.kind,
                    places=o.places,
                    priority=o.priority,
                )
            )
        PlanAssignment.objects.bulk_create(rows)
    return plan


def _plan_check(*, by: User, weeks: int, seconds: float) -> None:
    require_role(by, *PLANNERS)
    if not 1 <= weeks <= MAX_PLAN_WEEKS:
        raise ValidationFailed(_("weeks: plan 1 to %(n)s weeks.") % {"n": MAX_PLAN_WEEKS}, details={"field": "weeks"})
    if not 0 < seconds <= MAX_SOLVE_SECONDS:
        raise ValidationFailed(
            _("seconds: give 0–%(n)s seconds.") % {"n": int(MAX_SOLVE_SECONDS)}, details={"field": "seconds"}
        )


def plan_run_start(*, by: User, start: date, weeks: int, seconds: float = 5.0, replan: bool = False) -> PlanRun:
    """Queue a plan (or re-plan) of ``weeks`` weeks from ``start`` for the task worker and return its PlanRun at
    once (status ``queued``). The web process never solves (``planning.refuse_in_request``): the worker runs
    ``tasks.plan_run_task`` → ``plan_run_execute``. Operations only (Forbidden); weeks and seconds as
    ``plan_create`` (ValidationFailed). The run row and the task are committed together."""
    from tiercare.outreach.tasks import plan_run_task

    _plan_check(by=by, weeks=weeks, seconds=seconds)
    start = planning.first_workday(start)
    run = PlanRun(start=start, weeks=weeks, seconds=seconds, is_replan=replan, created_by=by)
    with transaction.atomic():
        row_save(actor=by, obj=run, changes={"start": start, "weeks": weeks, "seconds": seconds, "replan": replan})
        result = plan_run_task.enqueue(str(run.pk))
        PlanRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])
    run.refresh_from_db()
    return run


def plan_run_execute(*, run_id: str) -> PlanRun:
    """Worker side of a PlanRun: claim it (queued → running; a run already claimed is left alone, so a task
    delivered twice solves once), solve with progress 0–100 written from the solver's callback, and finish
    ``done`` with the plan or ``failed`` with a message the planner can read. Never raises for a failed solve:
    the failure is the run's state."""
    now = timezone.now()
    if not PlanRun.objects.filter(pk=run_id, status=PlanRunStatus.QUEUED).update(
        status=PlanRunStatus.RUNNING, started_at=now, progress=5, updated_at=now
    ):
        return PlanRun.objects.get(pk=run_id)
    run = PlanRun.objects.select_related("created_by").get(pk=run_id)
    last = {"pct": 5, "at": 0.0}

    def progress(event: Any) -> None:
        # Build 0–5, solve 5–95 by elapsed share of the time limit, storing 95–100.
        pct = min(95, 5 + int(90 * float(getattr(event, "seconds", 0.0)) / max(run.seconds, 0.01)))
        if pct > last["pct"] and time.monotonic() - last["at"] >= PROGRESS_WRITE_SECONDS:
            PlanRun.objects.filter(pk=run.pk, status=PlanRunStatus.RUNNING).update(progress=pct)
            last.update(pct=pct, at=time.monotonic())

    create = replan_create if run.is_replan else plan_create
    try:
        plan = create(by=run.created_by, start=run.start, weeks=run.weeks, seconds=run.seconds, progress=progress)
    except Exception as exc:  # the run records every failure; the worker goes on with the next task
        logger.exception("plan run %s failed", run.pk)
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        PlanRun.objects.filter(pk=run.pk).update(
            status=PlanRunStatus.FAILED,
            error=message[:2000],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    else:
        PlanRun.objects.filter(pk=run.pk).update(
            status=PlanRunStatus.DONE, progress=100, plan=plan, finished_at=timezone.now(), updated_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def plan_create(
    *, by: User, start: date, weeks: int, seconds: float = 5.0, progress: Callable[[Any], None] | None = None
) -> RosterPlan:
    """Plan ``weeks`` weeks from ``start``: the optimiser's proposal for every open request, stored as a proposed
    RosterPlan with its assignments and the uncovered requests with their reasons. Operations only."""
    _plan_check(by=by, weeks=weeks, seconds=seconds)
    problem = planning.build_problem(start, weeks)
    outcome = planning.solve_problem(problem, seconds=seconds, progress=progress)
    return _store_plan(by=by, problem=problem, outcome=outcome, replan=False)


def replan_create(
    *, by: User, start: date, weeks: int, seconds: float = 5.0, progress: Callable[[Any], None] | None = None
) -> RosterPlan:
    """Re-plan a horizon after a change (an expert dropped out, a request moved): confirmed sessions are requests
    the optimiser may keep, move or drop, changing as few as it can (``roster.replan``). Confirming the re-plan
    moves, reassigns or cancels the sessions it changed."""
    _plan_check(by=by, weeks=weeks, seconds=seconds)
    problem = planning.build_problem(start, weeks)
    previous = [
        planning.Placed(k, str(o.session.expert_id), o.session.date, o.session.half_day)
        for k, o in problem.occurrences.items()
        if o.session is not None and o.session.response != ExpertResponse.DECLINED
    ]
    outcome = planning.solve_problem(problem, seconds=seconds, previous=previous, replan=True, progress=progress)
    return _store_plan(by=by, problem=problem, outcome=outcome, replan=True)


def _proposed(plan: RosterPlan) -> None:
    if plan.status != PlanStatus.PROPOSED:
        raise Conflict(
            _("This plan is %(s)s; only a proposed plan can change.") % {"s": _label(PlanStatus, plan.status)},
            code="illegal_transition",
            details={"state": plan.status},
        )


def _others(plan: RosterPlan, exclude: PlanAssignment | None) -> list[tuple[Any, Any, date, str]]:
    qs = plan.assignments.all()
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return [(a.expert_id, a.site_id, a.date, a.half_day) for a in qs]


def _ignored_sessions(plan: RosterPlan) -> list[Any]:
    """In a re-plan, the sessions the plan re-decides do not count against themselves."""
    if not plan.is_replan:
        return []
    return list(
        ExpertSession.objects.filter(
            status__in=ACTIVE_SESSION_STATUSES, date__gte=plan.start, date__lte=plan.end
        ).values_list("pk", flat=True)
    )


def _assignment_specialty(a: PlanAssignment) -> str:
    if a.request is not None:
        return a.request.specialty
    if a.session is not None:
        return a.session.expert.specialty
    return a.department.specialty


@transaction.atomic
def plan_assignment_move(
    *,
    by: User,
    assignment: PlanAssignment,
    expert: Practitioner | None = None,
    on: date | None = None,
    half_day: str | None = None,
) -> PlanAssignment:
    """Operations change a proposed assignment (expert, day, half-day); re-validated against every rule
    (``placement_problems``): 422 with the broken rules in ``details.problems``."""
    require_role(by, *PLANNERS)
    plan = RosterPlan.objects.select_for_update().get(pk=assignment.plan_id)
    _proposed(plan)
    new_expert = expert or assignment.expert
    new_day = on or assignment.date
    new_half = half_day or assignment.half_day
    if not plan.start <= new_day <= plan.end:
        raise ValidationFailed(_("date: the day is outside the plan's horizon."), details={"field": "date"})
    if assignment.request is not None:
        days = dict(planning.occurrences(assignment.request)).get(assignment.occurrence, [])
        if new_day not in days:
            raise ValidationFailed(_("date: the request does not allow that day."), details={"field": "date"})
    problems = placement_problems(
        expert=new_expert,
        site=assignment.site,
        specialty=_assignment_specialty(assignment),
        kind=assignment.kind,
        on=new_day,
        half_day=new_half,
        ignore_sessions=_ignored_sessions(plan),
        others=_others(plan, assignment),
    )
    if problems:
        raise ValidationFailed(problems[0]["message"], code="illegal_assignment", details={"problems": problems})
    changes = changed_fields(assignment, {"expert": new_expert, "date": new_day, "half_day": new_half})
    assignment.save()
    audit_write(actor=by, action=AuditAction.UPDATE, obj=assignment, changes=changes, reason="adjust proposal")
    return assignment


@transaction.atomic
def plan_assignment_remove(*, by: User, assignment: PlanAssignment) -> RosterPlan:
    """Operations take an assignment out of a proposal; it joins the uncovered list with reason ``removed``."""
    require_role(by, *PLANNERS)
    plan = RosterPlan.objects.select_for_update().get(pk=assignment.plan_id)
    _proposed(plan)
    plan.uncovered = [
        *plan.uncovered,
        {
            "key": f"R{assignment.request_id}#{assignment.occurrence}"
            if assignment.request_id
            else f"S{assignment.session_id}",
            "request": str(assignment.request_id) if assignment.request_id else None,
            "occurrence": assignment.occurrence,
            "session": str(assignment.session_id) if assignment.session_id else None,
            "department": str(assignment.department_id),
            "site": str(assignment.site_id),
            "kind": assignment.kind,
            "priority": assignment.priority,
            "days": [assignment.date.isoformat()],
            "reason": "removed",
            "message": str(planning.REASON_MESSAGES["removed"]),
        },
    ]
    # The cards read covered = requests − unmet: keep the stored count agreeing with the list.
    plan.stats = {**plan.stats, "covered": max(0, int(plan.stats.get("requests", 0)) - len(plan.uncovered))}
    plan.save(update_fields=["uncovered", "stats", "updated_at"])
    audit_write(actor=by, action=AuditAction.DELETE, obj=assignment, reason="adjust proposal")
    assignment.delete()
    return plan


def _transition(
    session: ExpertSession, *, to: str, by: User | None, reason: str = "", details: dict[str, Any] | None = None
) -> None:
    frm = session.status if not session._state.adding else ""
    if frm and to not in SESSION_TRANSITIONS[frm]:
        raise Conflict(
            _("A %(frm)s session cannot become %(to)s.")
            % {"frm": _label(SessionStatus, frm), "to": _label(SessionStatus, to)},
            code="illegal_transition",
            details={"state": frm, "to": to},
        )
    SessionTransition.objects.create(
        session=session, from_status=frm, to_status=to, by=by, reason=reason[:300], details=details or {}
    )


def _create_session(
    *, by: User, plan: RosterPlan, a: PlanAssignment, replaces: ExpertSession | None = None
) -> ExpertSession:
    decision = practice_basis(a.expert, a.site, a.date)
    if not decision.allowed:
        raise Conflict(
            _("%(expert)s may not practise at %(site)s on %(date)s: %(reason)s")
            % {"expert": a.expert.name, "site": a.site.name, "date": a.date, "reason": decision.reason},
            code="no_legal_basis",
            details={"assignment": str(a.pk), **decision.as_dict()},
        )
    procedures = a.request.procedures if a.request is not None else (replaces.procedures if replaces else [])
    session = ExpertSession(
        expert=a.expert,
        department=a.department,
        site=a.site,
        date=a.date,
        half_day=a.half_day,
        kind=a.kind,
        places=a.places,
        procedures=procedures,
        basis=decision.basis,
        basis_reference=decision.reference[:120],
        request=a.request,
        occurrence=a.occurrence if a.request_id else None,
        plan=plan,
        replaces=replaces,
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        raise Conflict(
            _("%(expert)s already has a session on %(date)s %(half)s, or this request is already scheduled.")
            % {"expert": a.expert.name, "date": a.date, "half": _label(HalfDay, a.half_day)},
            code="double_booked",
            details={"assignment": str(a.pk)},
        ) from exc
    SessionTransition.objects.create(
        session=session,
        from_status="",
        to_status=SessionStatus.SCHEDULED,
        by=by,
        reason="confirmed",
        details={"plan": str(plan.pk), "basis": decision.basis},
    )
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=session,
        changes={"basis": decision.basis, "reference": decision.reference, "plan": plan},
    )
    if a.expert.phone:
        notify_on_commit(
            a.expert.phone,
            "outreach_session_confirmed",
            {
                "date": a.date,
                "half_day": HalfDay(a.half_day).label,
                "site": a.site.name,
                "kind": SessionKind(a.kind).label,
            },
        )
    return session


@transaction.atomic
def plan_confirm(*, by: User, plan: RosterPlan) -> list[ExpertSession]:
    """Confirm a proposal: every assignment becomes an ExpertSession in one transaction, each checked again with
    ``practice_basis`` (basis recorded) and against the other rules; one failure refuses the whole plan (409/422).
    An expert is never in two sessions in one half-day (database constraint). For a re-plan, confirmed sessions the
    plan moved are moved, those given to another expert are replaced, those it dropped are cancelled; every booked
    patient is told."""
    require_role(by, *PLANNERS)
    plan = RosterPlan.objects.select_for_update().get(pk=plan.pk)
    _proposed(plan)
    assignments = list(
        plan.assignments.select_related(
            "expert", "site", "department", "request", "session", "session__expert"
        ).order_by("date", "half_day")
    )
    # Lock the experts involved so that two confirmations cannot both take an expert's last weekly slot.
    list(Practitioner.objects.select_for_update().filter(pk__in={a.expert_id for a in assignments}).order_by("pk"))
    created: list[ExpertSession] = []
    if plan.is_replan:
        kept = {a.session_id: a for a in assignments if a.session_id}
        for s in (
            ExpertSession.objects.select_for_update(of=("self",))
            .filter(status__in=ACTIVE_SESSION_STATUSES, date__gte=plan.start, date__lte=plan.end)
            .select_related("expert", "site", "department")
        ):
            a = kept.get(s.pk)
            if a is None:
                session_cancel(by=by, session=s, reason=_("Re-planned: no legal expert could keep this session."))
            elif a.expert_id != s.expert_id:
                session_cancel(by=by, session=s, reason=_("Re-planned to another expert."), offer=False, quiet=True)
        for s_id, a in kept.items():
            s = ExpertSession.objects.get(pk=s_id)
            if a.expert_id == s.expert_id and (a.date, a.half_day) != (s.date, s.half_day):
                session_move(by=by, session=s, on=a.date, half_day=a.half_day, reason=_("Re-planned."))
    for a in assignments:
        if a.session_id and a.expert_id == a.session.expert_id:
            continue
        problems = placement_problems(
            expert=a.expert,
            site=a.site,
            specialty=_assignment_specialty(a),
            kind=a.kind,
            on=a.date,
            half_day=a.half_day,
        )
        if problems:
            raise ValidationFailed(
                _("%(expert)s on %(date)s: %(message)s")
                % {"expert": a.expert.name, "date": a.date, "message": problems[0]["message"]},
                code="illegal_assignment",
                details={"assignment": str(a.pk), "problems": problems},
            )
        session = _create_session(by=by, plan=plan, a=a, replaces=a.session)
        if a.session is not None:
            _transfer_bookings(by=by, old=a.session, new=session)
        created.append(session)
    plan.status = PlanStatus.CONFIRMED
    plan.confirmed_by = by
    plan.confirmed_at = timezone.now()
    plan.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    audit_write(
        actor=by,
        action=AuditAction.UPDATE,
        obj=plan,
        changes={"status": ["proposed", "confirmed"], "sessions": len(created)},
    )
    return created


def plan_discard(*, by: User, plan: RosterPlan) -> RosterPlan:
    require_role(by, *PLANNERS)
    _proposed(plan)
    return row_save(actor=by, obj=plan, changes=changed_fields(plan, {"status": PlanStatus.DISCARDED}))


# --- sessions --------------------------------------------------------------------------------------------------


def _require_session_writer(by: User, session: ExpertSession) -> None:
    require_role(by, *PLANNERS, Role.COORDINATOR)
    if by.role == Role.COORDINATOR and session.site_id not in user_organization_ids(by):
        raise NotFound(_("No such session."))


def next_session(session: ExpertSession) -> ExpertSession | None:
    """The next active session of the same department and kind after this one, with a free place."""
    from django.db.models import Count

    return (
        ExpertSession.objects.filter(
            department_id=session.department_id,
            kind=session.kind,
            status__in=ACTIVE_SESSION_STATUSES,
            date__gt=session.date,
        )
        .exclude(pk=session.pk)
        .annotate(booked=Count("bookings", filter=Q(bookings__status=BookingStatus.ACTIVE)))
        .order_by("date", "half_day")
        .select_related("expert")
        .first()
    )


@transaction.atomic
def session_cancel(
    *, by: User, session: ExpertSession, reason: str, offer: bool = True, quiet: bool = False
) -> ExpertSession:
    """Cancel a session: a transition row, SEQUENCE bumped for calendars; each booked patient, the expert and each
    coordinator involved told once (``session_flow.tell_cancelled``), the next session of the same department and
    kind offered. ``quiet``: the patients are not told (a re-plan gives them a place elsewhere and says so). 409 if
    not active."""
    _require_session_writer(by, session)
    session = (
        ExpertSession.objects.select_for_update(of=("self",))
        .select_related("site", "expert", "expert__user", "request", "request__requested_by")
        .get(pk=session.pk)
    )
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the session is cancelled."), details={"field": "reason"})
    _transition(session, to=SessionStatus.CANCELLED, by=by, reason=reason)
    session.status = SessionStatus.CANCELLED
    session.sequence += 1
    session.save(update_fields=["status", "sequence", "updated_at"])
    audit_write(
        actor=by, action=AuditAction.UPDATE, obj=session, changes={"status": ["scheduled", "cancelled"]}, reason=reason
    )
    nxt = next_session(session) if offer and not quiet else None
    offer_text = (
        (
            _("Next %(kind)s: %(date)s %(half)s with %(expert)s; your coordinator can book it.")
            % {
                "kind": _label(SessionKind, nxt.kind),
                "date": nxt.date,
                "half": _label(HalfDay, nxt.half_day),
                "expert": nxt.expert.name,
            }
        )
        if nxt
        else _("Your coordinator will offer another date.")
    )
    tell_cancelled(
        session, reason=reason, offer_text=offer_text, next_id=str(nxt.pk) if nxt else "", patients=not quiet
    )
    return session


@transaction.atomic
def session_move(*, by: User, session: ExpertSession, on: date, half_day: str, reason: str) -> ExpertSession:
    """Move a session to another day or half-day (same expert and site): the practice rule is asked again for the
    new day and the basis re-recorded; SEQUENCE bumped; booked patients keep their places; each patient, the
    expert and each coordinator involved is told once (``session_flow.tell_moved``)."""
    _require_session_writer(by, session)
    session = (
        ExpertSession.objects.select_for_update(of=("self",))
        .select_related("site", "expert", "expert__user", "department", "request", "request__requested_by")
        .get(pk=session.pk)
    )
    if session.status not in ACTIVE_SESSION_STATUSES:
        raise Conflict(
            _("Only a scheduled session can move."), code="illegal_transition", details={"state": session.status}
        )
    if on < timezone.localdate():
        raise ValidationFailed(_("date: the new day is in the past."), details={"field": "date"})
    specialty = session.request.specialty if session.request else session.expert.specialty
    problems = placement_problems(
        expert=session.expert,
        site=session.site,
        specialty=specialty,
        kind=session.kind,
        on=on,
        half_day=half_day,
        ignore_sessions=[session.pk],
    )
    if problems:
        raise ValidationFailed(problems[0]["message"], code="illegal_assignment", details={"problems": problems})
    decision = practice_basis(session.expert, session.site, on)
    old = {"date": session.date.isoformat(), "half_day": session.half_day}
    _transition(
        session,
        to=SessionStatus.MOVED,
        by=by,
        reason=reason,
        details={"from": old, "to": {"date": on.isoformat(), "half_day": half_day}},
    )
    session.date, session.half_day, session.status = on, half_day, SessionStatus.MOVED
    session.basis, session.basis_reference = decision.basis, decision.reference[:120]
    session.sequence += 1
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        raise Conflict(_("The expert already has a session in that half-day."), code="double_booked") from exc
    audit_write(
        actor=by, action=AuditAction.UPDATE, obj=session, changes={"from": old, "to": [on, half_day]}, reason=reason
    )
    tell_moved(session, old_date=old["date"], old_half_day=old["half_day"], reason=reason)
    return session


def _transfer_bookings(*, by: User, old: ExpertSession, new: ExpertSession) -> None:
    """A session re-planned to another expert: its patients keep their places in the replacing session; each
    patient and each coordinator involved is told once (the new expert got the new session's notice)."""
    bookings = active_bookings(old)
    for b in bookings:
        b.status, b.cancelled_at = BookingStatus.CANCELLED, timezone.now()
        b.save(update_fields=["status", "cancelled_at", "updated_at"])
        moved = Booking.objects.create(
            session=new, place_number=b.place_number, person=b.person, booked_by=b.booked_by, note=b.note
        )
        audit_write(actor=by, action=AuditAction.CREATE, obj=moved, changes={"from_session": old.pk})
    tell_moved(
        new,
        old_date=old.date.isoformat(),
        old_half_day=old.half_day,
        reason=_("Re-planned to another expert."),
        bookings=bookings,
        expert=False,
    )


# --- bookings ---------------------------------------------------------------------------------------------------


def booking_create(*, by: User, session: ExpertSession, person: Any, note: str = "") -> Booking:
    """Book a patient into the first free place of a session. The session row is locked (select_for_update) and
    the database refuses a place or a patient twice, so two coordinators racing for the last place: one wins,
    the other gets 409 ``session_full``. Only coordinators of the session's site (and administrators) book."""
    require_role(by, *(Role.COORDINATOR, Role.ADMIN))
    if by.role == Role.COORDINATOR and session.site_id not in user_organization_ids(by):
        raise NotFound(_("No such session."))
    try:
        with transaction.atomic():
            locked = ExpertSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
            if locked.status not in ACTIVE_SESSION_STATUSES:
                raise Conflict(
                    _("This session is %(s)s; it takes no bookings.") % {"s": _label(SessionStatus, locked.status)},
                    code="session_not_bookable",
                    details={"state": locked.status},
                )
            if locked.date < timezone.localdate():
                raise Conflict(_("This session is in the past."), code="session_not_bookable")
            taken = set(locked.bookings.filter(status=BookingStatus.ACTIVE).values_list("place_number", flat=True))
            if Booking.objects.filter(session=locked, person=person, status=BookingStatus.ACTIVE).exists():
                raise Conflict(_("This patient already has a place in this session."), code="already_booked")
            free = [n for n in range(1, locked.places + 1) if n not in taken]
            if not free:
                raise Conflict(
                    _("No place is left in this session."), code="session_full", details={"places": locked.places}
                )
            booking = Booking.objects.create(
                session=locked, place_number=free[0], person=person, booked_by=by, note=note
            )
            audit_write(
                actor=by,
                action=AuditAction.CREATE,
                obj=booking,
                changes={"session": locked.pk, "place_number": free[0]},
            )
    except IntegrityError as exc:
        raise Conflict(_("No place is left in this session."), code="session_full") from exc
    return booking


@transaction.atomic
def booking_cancel(*, by: User, booking: Booking, reason: str = "") -> Booking:
    require_role(by, Role.COORDINATOR, Role.ADMIN)
    if booking.status != BookingStatus.ACTIVE:
        raise Conflict(
            _("This booking is already cancelled."), code="illegal_transition", details={"state": booking.status}
        )
    changes = changed_fields(booking, {"status": BookingStatus.CANCELLED, "cancelled_at": timezone.now()})
    booking.save(update_fields=["status", "cancelled_at", "updated_at"])
    audit_write(actor=by, action=AuditAction.UPDATE, obj=booking, changes=changes, reason=reason)
    return booking


# --- reports ----------------------------------------------------------------------------------------------------


@transaction.atomic
def report_file(*, by: User, session: ExpertSession, data: dict[str, Any]) -> SessionReport:
    """The session's expert or a coordinator of the host hospital files what happened; the session becomes held.
    404 for anyone else; 409 before the session has started (its half-day's first hour, Beijing time), for a
    cancelled session, or when a report exists; 422 for a surgery grade outside 1–4 (手术分级), surgeries in a
    session that is not surgery, or per-procedure cases or referrals beyond the cases seen."""
    from tiercare.outreach.ics import session_times

    require_role(by, Role.EXPERT, Role.COORDINATOR)
    session = ExpertSession.objects.select_for_update(of=("self",)).select_related("expert").get(pk=session.pk)
    if by.role == Role.EXPERT and session.expert.user_id != by.pk:
        raise NotFound(_("No such session."))
    if by.role == Role.COORDINATOR and session.site_id not in user_organization_ids(by):
        raise NotFound(_("No such session."))
    if session_times(session)[0] > timezone.now():
        raise Conflict(_("A report can be filed once the session has started."), code="too_early")
    if SessionReport.objects.filter(session=session).exists():
        raise Conflict(_("This session already has a report."), code="already_reported")
    if session.status not in (*ACTIVE_SESSION_STATUSES,):
        raise Conflict(_("This session is no longer scheduled."), code="illegal_transition")
    data = dict(data)
    _check_report(session, data)
    _transition(session, to=SessionStatus.HELD, by=by, reason="report filed")
    report = row_save(actor=by, obj=SessionReport(session=session, filed_by=by, **data), changes=data)
    session.status = SessionStatus.HELD
    session.save(update_fields=["status", "updated_at"])
    return report


def _check_report(session: ExpertSession, data: dict[str, Any]) -> None:
    """The report's rules (ValidationFailed naming the field); ``attendees`` becomes the list's length when a list
    of attendees is given."""
    if session.kind == SessionKind.TEACHING and not data.get("teaching_topic"):
        raise ValidationFailed(
            _("teaching_topic: a teaching session names its topic."), details={"field": "teaching_topic"}
        )
    surgeries = data.get("surgeries") or []
    if surgeries and session.kind != SessionKind.SURGERY:
        raise ValidationFailed(
            _("surgeries: only a surgery session reports surgeries."), details={"field": "surgeries"}
        )
    for s in surgeries:
        if not isinstance(s.get("grade"), int) or not 1 <= s["grade"] <= 4:
            raise ValidationFailed(_("surgeries: a surgery's grade is 1, 2, 3 or 4."), details={"field": "surgeries"})
    seen = int(data.get("cases_seen") or 0)
    if sum(int(p.get("cases") or 0) for p in data.get("procedure_cases") or []) > seen:
        raise ValidationFailed(
            _("procedure_cases: the cases by procedure add up to more than the cases seen."),
            details={"field": "procedure_cases"},
        )
    if int(data.get("referred") or 0) > seen:
        raise ValidationFailed(_("referred: more patients referred than cases seen."), details={"field": "referred"})
    if data.get("attendee_list"):
        data["attendees"] = len(data["attendee_list"])


def weeks_between(start: date, end: date) -> int:
    return max(1, math.ceil(((end - start).days + 1) / 7))
