"""Roster plans before confirmation: queued planning runs and the worker that solves them (``plan_run_start``,
``plan_run_execute``), the optimiser's proposal and re-plan (``plan_create``, ``replan_create``), and operations'
adjustments of a proposal (move or remove an assignment, discard the plan).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import Conflict, DomainError, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.network.models import Practitioner
from tiercare.outreach import planning
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    ExpertResponse,
    ExpertSession,
    PlanAssignment,
    PlanRun,
    PlanRunStatus,
    PlanStatus,
    RosterPlan,
)
from tiercare.outreach.selectors import PLANNERS
from tiercare.outreach.services.placement import placement_problems
from tiercare.outreach.services.sessions import _label

MAX_PLAN_WEEKS = 12
MAX_SOLVE_SECONDS = 120.0
PROGRESS_WRITE_SECONDS = 0.5
"""A running plan writes its progress at most this often (the page polls every 2 s)."""

logger = logging.getLogger(__name__)


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


def plan_discard(*, by: User, plan: RosterPlan) -> RosterPlan:
    require_role(by, *PLANNERS)
    _proposed(plan)
    return row_save(actor=by, obj=plan, changes=changed_fields(plan, {"status": PlanStatus.DISCARDED}))


def weeks_between(start: date, end: date) -> int:
    return max(1, math.ceil(((end - start).days + 1) / 7))
