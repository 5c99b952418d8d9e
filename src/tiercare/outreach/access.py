"""Fetch one outreach object for one user, or raise NotFound without telling whether it exists (``core.access``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiercare.core.access import access_one, as_uuid
from tiercare.core.errors import NotFound
from tiercare.core.models import User
from tiercare.network.models import Practitioner
from tiercare.outreach.models import Booking, ExpertSession, PlanAssignment, PlanRun, RosterPlan, SessionRequest
from tiercare.outreach.selectors import ALL_SEEING, booking_scope_q, expert_choices, request_scope_q, session_scope_q


def access_session_by_id(user: User, session_id: object, *, for_update: bool = False) -> ExpertSession:
    """The session if ``user`` may see it (own sessions for experts, their sites' for coordinators), else 404."""
    qs = ExpertSession.objects.filter(session_scope_q(user))
    qs = qs.select_for_update() if for_update else qs.select_related("expert", "site", "department")
    return access_one(
        user,
        qs,
        session_id,
        object_type="outreach.expertsession",
        refusal="not in the user's sessions",
        not_found=_("No such session."),
    )


def access_request_by_id(user: User, request_id: object) -> SessionRequest:
    return access_one(
        user,
        SessionRequest.objects.filter(request_scope_q(user)).select_related("department"),
        request_id,
        object_type="outreach.sessionrequest",
        refusal="not in the user's requests",
        not_found=_("No such session request."),
    )


def access_booking_by_id(user: User, booking_id: object) -> Booking:
    """A booking names a patient: only those who may see its patients get it (the caller audits the read)."""
    return access_one(
        user,
        Booking.objects.filter(booking_scope_q(user)).select_related("session", "person"),
        booking_id,
        object_type="outreach.booking",
        refusal="not in the user's bookings",
        not_found=_("No such booking."),
    )


def access_plan_by_id(user: User, plan_id: object) -> RosterPlan:
    pid = as_uuid(plan_id)
    plan = (
        RosterPlan.objects.filter(pk=pid).first() if pid and user.is_authenticated and user.role in ALL_SEEING else None
    )
    if plan is None:
        raise NotFound(_("No such roster plan."))
    return plan


def access_plan_run_by_id(user: User, run_id: object) -> PlanRun:
    """A planning run, for those who see plans (operations, administrators, auditors), else 404."""
    planner = user.is_authenticated and user.is_active and user.role in ALL_SEEING
    return access_one(
        user,
        PlanRun.objects.select_related("plan") if planner else PlanRun.objects.none(),
        run_id,
        object_type="outreach.planrun",
        refusal="not a planner",
        not_found=_("No such planning run."),
    )


def access_assignment_by_id(user: User, plan: RosterPlan, assignment_id: object) -> PlanAssignment:
    aid = as_uuid(assignment_id)
    row = plan.assignments.filter(pk=aid).first() if aid else None
    if row is None:
        raise NotFound(_("No such assignment in this plan."))
    return row


def access_expert_by_id(user: User, practitioner_id: object) -> Practitioner:
    """An expert whose outreach calendar, availability and leave ``user`` may see (``selectors.expert_choices``:
    operations any, an expert themself), else 404."""
    return access_one(
        user,
        expert_choices(for_user=user),
        practitioner_id,
        object_type="network.practitioner",
        refusal="not an expert this user may see",
        not_found=gettext("No such expert."),
    )
