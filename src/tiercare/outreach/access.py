"""Fetch one outreach object for one user, or raise NotFound without telling whether it exists."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_denied
from tiercare.core.errors import NotFound
from tiercare.core.models import User
from tiercare.network.models import Practitioner
from tiercare.outreach.models import Booking, ExpertSession, PlanAssignment, PlanRun, RosterPlan, SessionRequest
from tiercare.outreach.selectors import ALL_SEEING, booking_scope_q, expert_choices, request_scope_q, session_scope_q


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def access_session_by_id(user: User, session_id: object, *, for_update: bool = False) -> ExpertSession:
    """The session if ``user`` may see it (own sessions for experts, their sites' for coordinators), else 404."""
    sid = _uuid(session_id)
    qs = ExpertSession.objects.filter(session_scope_q(user), pk=sid) if sid else ExpertSession.objects.none()
    if for_update:
        qs = qs.select_for_update()
    session = qs.select_related("expert", "site", "department").first() if not for_update else qs.first()
    if session is None:
        audit_denied(
            actor=user,
            object_type="outreach.expertsession",
            object_id=str(session_id)[:64],
            reason="not in the user's sessions",
        )
        raise NotFound(_("No such session."))
    return session


def access_request_by_id(user: User, request_id: object) -> SessionRequest:
    rid = _uuid(request_id)
    req = (
        SessionRequest.objects.filter(request_scope_q(user), pk=rid).select_related("department").first()
        if rid
        else None
    )
    if req is None:
        audit_denied(
            actor=user,
            object_type="outreach.sessionrequest",
            object_id=str(request_id)[:64],
            reason="not in the user's requests",
        )
        raise NotFound(_("No such session request."))
    return req


def access_booking_by_id(user: User, booking_id: object) -> Booking:
    """A booking names a patient: only those who may see its patients get it (the caller audits the read)."""
    bid = _uuid(booking_id)
    booking = (
        Booking.objects.filter(booking_scope_q(user), pk=bid).select_related("session", "person").first()
        if bid
        else None
    )
    if booking is None:
        audit_denied(
            actor=user,
            object_type="outreach.booking",
            object_id=str(booking_id)[:64],
            reason="not in the user's bookings",
        )
        raise NotFound(_("No such booking."))
    return booking


def access_plan_by_id(user: User, plan_id: object) -> RosterPlan:
    pid = _uuid(plan_id)
    plan = (
        RosterPlan.objects.filter(pk=pid).first() if pid and user.is_authenticated and user.role in ALL_SEEING else None
    )
    if plan is None:
        raise NotFound(_("No such roster plan."))
    return plan


def access_plan_run_by_id(user: User, run_id: object) -> PlanRun:
    """A planning run, for those who see plans (operations, administrators, auditors), else 404."""
    rid = _uuid(run_id)
    run = (
        PlanRun.objects.filter(pk=rid).select_related("plan").first()
        if rid and user.is_authenticated and user.is_active and user.role in ALL_SEEING
        else None
    )
    if run is None:
        audit_denied(
            actor=user if user.is_authenticated else None,
            object_type="outreach.planrun",
            object_id=str(run_id)[:64],
            reason="not a planner",
        )
        raise NotFound(_("No such planning run."))
    return run


def access_assignment_by_id(user: User, plan: RosterPlan, assignment_id: object) -> PlanAssignment:
    aid = _uuid(assignment_id)
    row = plan.assignments.filter(pk=aid).first() if aid else None
    if row is None:
        raise NotFound(_("No such assignment in this plan."))
    return row


def access_expert_by_id(user: User, practitioner_id: object) -> Practitioner:
    """An expert whose outreach calendar, availability and leave ``user`` may see (``selectors.expert_choices``:
    operations any, an expert themself), else 404."""
    pid = _uuid(practitioner_id)
    expert = expert_choices(for_user=user).filter(pk=pid).first() if pid else None
    if expert is None:
        audit_denied(
            actor=user if user.is_authenticated else None,
            object_type="network.practitioner",
            object_id=str(practitioner_id)[:64],
            reason="not an expert this user may see",
        )
        raise NotFound(gettext("No such expert."))
    return expert
