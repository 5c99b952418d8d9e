"""Reads of outreach, scoped to the asking user (DESIGN.md §3).

- Operations, administrators and auditors: every request, plan and session (schedules and counts).
- Experts: their own sessions, availability and leave.
- Coordinators: the requests and sessions of the departments at their organizations.
- Bookings name patients: the coordinators of the session's site, the session's expert and administrators read
  them, each read audited; operations see booked counts only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import Role, User
from tiercare.network.models import Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Booking,
    BookingStatus,
    ExpertAvailability,
    ExpertLeave,
    ExpertResponse,
    ExpertSession,
    PlanRun,
    PlanRunStatus,
    RequestStatus,
    RosterPlan,
    SessionReport,
    SessionRequest,
    SessionStatus,
)

ALL_SEEING = (Role.OPS, Role.ADMIN, Role.AUDITOR)
PLANNERS = (Role.OPS, Role.ADMIN)
REQUESTERS = (Role.COORDINATOR, Role.OPS, Role.ADMIN)
BOOKING_WRITERS = (Role.COORDINATOR, Role.ADMIN)


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def session_scope_q(user: User) -> Q:
    if not _active(user):
        return Q(pk__in=[])
    if user.role in ALL_SEEING:
        return Q()
    if user.role == Role.EXPERT:
        return Q(expert__user=user)
    if user.role == Role.COORDINATOR:
        return Q(site_id__in=user_organization_ids(user))
    return Q(pk__in=[])


def request_scope_q(user: User) -> Q:
    if not _active(user):
        return Q(pk__in=[])
    if user.role in ALL_SEEING:
        return Q()
    if user.role == Role.COORDINATOR:
        return Q(department__organization_id__in=user_organization_ids(user))
    return Q(pk__in=[])


def booking_scope_q(user: User) -> Q:
    """Bookings whose patients ``user`` may see (coordinator of the site, the session's expert, administrator)."""
    if not _active(user):
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role == Role.EXPERT:
        return Q(session__expert__user=user)
    if user.role == Role.COORDINATOR:
        return Q(session__site_id__in=user_organization_ids(user))
    return Q(pk__in=[])


def request_list(
    *, for_user: User, status: str | None = None, department: uuid.UUID | None = None, kind: str | None = None
) -> QuerySet[SessionRequest]:
    qs = SessionRequest.objects.filter(request_scope_q(for_user))
    if status:
        qs = qs.filter(status=status)
    if department:
        qs = qs.filter(department_id=department)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("department", "department__organization", "requested_by").prefetch_related(
        "preferred_experts"
    )


def session_list(
    *,
    for_user: User,
    expert: uuid.UUID | None = None,
    site: uuid.UUID | None = None,
    department: uuid.UUID | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    active: bool | None = None,
) -> QuerySet[ExpertSession]:
    qs = ExpertSession.objects.filter(session_scope_q(for_user))
    if expert:
        qs = qs.filter(expert_id=expert)
    if site:
        qs = qs.filter(site_id=site)
    if department:
        qs = qs.filter(department_id=department)
    if status:
        qs = qs.filter(status=status)
    if active is not None:
        qs = qs.filter(status__in=ACTIVE_SESSION_STATUSES) if active else qs.exclude(status__in=ACTIVE_SESSION_STATUSES)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return (
        qs.select_related("expert", "department", "site")
        .annotate(booked=Count("bookings", filter=Q(bookings__status=BookingStatus.ACTIVE)))
        .order_by("date", "half_day", "site__name")
    )


def booking_list(
    *, for_user: User, session: ExpertSession | None = None, active: bool | None = True
) -> QuerySet[Booking]:
    """Bookings (patient names). The caller audits the patients it shows (``audit_patient_read``)."""
    qs = Booking.objects.filter(booking_scope_q(for_user))
    if session is not None:
        qs = qs.filter(session=session)
    if active:
        qs = qs.filter(status=BookingStatus.ACTIVE)
    return qs.select_related("person", "session", "session__site", "booked_by").order_by(
        "session__date", "place_number"
    )


def plan_list(*, for_user: User, status: str | None = None) -> QuerySet[RosterPlan]:
    qs = RosterPlan.objects.all() if _active(for_user) and for_user.role in ALL_SEEING else RosterPlan.objects.none()
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(n_assignments=Count("assignments"))


def plan_run_list(*, for_user: User, active: bool = False) -> QuerySet[PlanRun]:
    """Planning runs (newest first) for those who see plans; ``active``: queued or running only."""
    qs = PlanRun.objects.all() if _active(for_user) and for_user.role in ALL_SEEING else PlanRun.objects.none()
    if active:
        qs = qs.filter(status__in=[PlanRunStatus.QUEUED, PlanRunStatus.RUNNING])
    return qs.select_related("plan").order_by("-created_at")


def availability_list(*, for_user: User, practitioner: uuid.UUID | None = None) -> QuerySet[ExpertAvailability]:
    qs = ExpertAvailability.objects.all()
    if not _active(for_user):
        return qs.none()
    if for_user.role not in ALL_SEEING:
        qs = qs.filter(practitioner__user=for_user)
    if practitioner:
        qs = qs.filter(practitioner_id=practitioner)
    return qs.select_related("practitioner")


def leave_list(*, for_user: User, practitioner: uuid.UUID | None = None) -> QuerySet[ExpertLeave]:
    qs = ExpertLeave.objects.all()
    if not _active(for_user):
        return qs.none()
    if for_user.role not in ALL_SEEING:
        qs = qs.filter(practitioner__user=for_user)
    if practitioner:
        qs = qs.filter(practitioner_id=practitioner)
    return qs.select_related("practitioner")


def report_list(*, for_user: User, session: uuid.UUID | None = None) -> QuerySet[SessionReport]:
    qs = SessionReport.objects.filter(session__in=ExpertSession.objects.filter(session_scope_q(for_user)).values("pk"))
    if session:
        qs = qs.filter(session_id=session)
    return qs.select_related("session", "session__site", "session__expert")


def plan_grid(plan: RosterPlan, *, by: str) -> dict[str, object]:
    """A plan's assignments as week grids: rows per expert (``by="expert"``) or per site, a column per day."""
    from datetime import timedelta

    rows_qs = plan.assignments.select_related("expert", "site", "department").order_by("date", "half_day")
    days = [plan.start + timedelta(days=i) for i in range((plan.end - plan.start).days + 1)]
    days = [d for d in days if d.weekday() < 5]
    weeks: list[list[date]] = []
    for d in days:
        if not weeks or d.weekday() == 0 or (weeks[-1] and d - weeks[-1][0] >= timedelta(days=7)):
            weeks.append([])
        weeks[-1].append(d)
    rows: dict[object, dict[str, Any]] = {}
    for a in rows_qs:
        key, label = (a.expert_id, a.expert.name) if by == "expert" else (a.site_id, a.site.name)
        row = rows.setdefault(key, {"key": key, "label": label, "cells": {}})
        row["cells"].setdefault(a.date, []).append(a)
    grid = []
    for week in weeks:
        grid.append(
            {
                "days": week,
                "rows": [
                    {
                        "key": r["key"],
                        "label": r["label"],
                        "cells": [r["cells"].get(d, []) for d in week],
                    }
                    for r in sorted(rows.values(), key=lambda r: str(r["label"]))
                    if any(d in r["cells"] for d in week)
                ],
            }
        )
    return {"weeks": grid}


# --- what the pages add: a request's progress, a re-plan's changes, declined sessions ---------------------------

REQUEST_PROGRESS = {
    "open": _("Awaiting scheduling"),
    "partly": _("Partly scheduled"),
    "scheduled": _("Scheduled"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
    "closed": _("Closed"),
}


def with_progress(requests: Iterable[SessionRequest]) -> list[SessionRequest]:
    """Each request with ``progress`` (open → partly → scheduled → done, or cancelled/closed) and its label in the
    page's language, following its sessions: scheduled when every occurrence has an active or held session, done
    when every occurrence was held (its report filed). ``scheduled_count``/``occurrence_count`` say how far."""
    from tiercare.outreach.planning import occurrences

    rows = list(requests)
    taken: dict[object, dict[int, str]] = {}
    for rid, number, status in ExpertSession.objects.filter(
        request__in=[r.pk for r in rows], status__in=[*ACTIVE_SESSION_STATUSES, "held"]
    ).values_list("request_id", "occurrence", "status"):
        per = taken.setdefault(rid, {})
        if per.get(number or 0) != "held":
            per[number or 0] = status
    for r in rows:
        n = len(occurrences(r))
        per = taken.get(r.pk, {})
        held = sum(1 for s in per.values() if s == "held")
        if r.status != RequestStatus.OPEN:
            code = r.status
        elif n and held >= n:
            code = "done"
        elif n and len(per) >= n:
            code = "scheduled"
        elif per:
            code = "partly"
        else:
            code = "open"
        r.progress, r.progress_label = code, REQUEST_PROGRESS.get(code, code)  # type: ignore[attr-defined]
        r.scheduled_count, r.occurrence_count = len(per), n  # type: ignore[attr-defined]
    return rows


def replan_diff(plan: RosterPlan) -> dict[str, list[dict[str, Any]]]:
    """What confirming ``plan`` would do to the confirmed sessions of its horizon, as operations see it before
    confirming: ``kept`` (same expert, day and half-day), ``moved`` (another day, half-day or expert: from → to),
    ``added`` (a new session), ``dropped`` (a session the plan does not keep: it would be cancelled). A first plan
    keeps every confirmed session (it only adds)."""
    assignments = list(plan.assignments.select_related("expert", "site", "department").order_by("date", "half_day"))
    sessions = {
        s.pk: s
        for s in ExpertSession.objects.filter(
            status__in=ACTIVE_SESSION_STATUSES, date__gte=plan.start, date__lte=plan.end
        ).select_related("expert", "site", "department")
    }
    out: dict[str, list[dict[str, Any]]] = {"kept": [], "moved": [], "added": [], "dropped": []}
    used = set()
    for a in assignments:
        s = sessions.get(a.session_id) if a.session_id else None
        if s is None:
            out["added"].append({"to": a})
            continue
        used.add(s.pk)
        same = (a.expert_id, a.date, a.half_day) == (s.expert_id, s.date, s.half_day)
        out["kept" if same else "moved"].append({"from": s, "to": a})
    if plan.is_replan:
        out["dropped"] = [{"from": s} for pk, s in sessions.items() if pk not in used]
    else:
        out["kept"] += [{"from": s, "to": s} for pk, s in sessions.items() if pk not in used]
    return out


def declined_sessions(*, for_user: User) -> QuerySet[ExpertSession]:
    """Operations' re-plan worklist: active sessions their expert declined."""
    if not (_active(for_user) and for_user.role in PLANNERS):
        return ExpertSession.objects.none()
    return (
        ExpertSession.objects.filter(status__in=ACTIVE_SESSION_STATUSES, response=ExpertResponse.DECLINED)
        .select_related("expert", "site", "department")
        .order_by("date", "half_day")
    )


def expert_choices(*, for_user: User) -> QuerySet[Practitioner]:
    """The experts ``for_user`` may pick on an outreach page (availability, leave, calendar): every active
    doctor-group expert for operations, administrators and auditors; an expert only themself; nobody else."""
    qs = Practitioner.objects.filter(doctor_group__isnull=False, is_active=True)
    if not _active(for_user):
        return qs.none()
    if for_user.role in ALL_SEEING:
        return qs.order_by("name_pinyin", "name")
    if for_user.role == Role.EXPERT:
        return qs.filter(user=for_user)
    return qs.none()


def public_session_list(*, specialties: list[str], on: date, limit: int = 6) -> QuerySet[ExpertSession]:
    """The next clinic sessions (坐诊) from ``on`` of departments in ``specialties``, still scheduled, for anonymous
    readers (triage): callers show the public facts only (expert, title, site, department, date, half-day), never a
    booking. Soonest first."""
    return (
        ExpertSession.objects.filter(
            status__in=ACTIVE_SESSION_STATUSES,
            kind="clinic",
            date__gte=on,
            department__specialty__in=specialties,
        )
        .exclude(response=ExpertResponse.DECLINED)
        .select_related("expert", "site", "department")
        .order_by("date", "half_day")[:limit]
    )


def registration_bookings(*, since: date) -> QuerySet[Booking]:
    """Every place booked (not cancelled) in a session from ``since``, for triage's registrations-per-episode
    collector (a system job, not a user's read: it stores counts, and shows no patient): each is one registration
    with the session's department. Includes the session, its department and site."""
    return (
        Booking.objects.filter(status=BookingStatus.ACTIVE, session__date__gte=since)
        .exclude(session__status=SessionStatus.CANCELLED)
        .select_related("session", "session__department", "session__site")
        .order_by("session__date", "pk")
    )


def public_clinics_bookable(
    *, on: date, divisions: list[str] | None = None, limit: int = 30
) -> QuerySet[ExpertSession]:
    """Public specialist clinics from ``on`` that patients may book themselves (clinic, scheduled or moved, not
    declined by the expert), with their free places (``booked`` counted), at sites in ``divisions`` (the family's
    counties) when given. Public facts only; never a booking's patient."""
    qs = ExpertSession.objects.filter(status__in=ACTIVE_SESSION_STATUSES, kind="clinic", date__gte=on).exclude(
        response=ExpertResponse.DECLINED
    )
    if divisions:
        qs = qs.filter(site__division_id__in=divisions)
    return (
        qs.select_related("expert", "site", "department")
        .annotate(booked=Count("bookings", filter=Q(bookings__status=BookingStatus.ACTIVE)))
        .order_by("date", "half_day", "site__name")[:limit]
    )
