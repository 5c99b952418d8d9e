"""A session after confirmation: the expert's answer (accept, or decline with a reason, which asks operations to
re-plan), and who is told what when a session is cancelled or moved.

Each party gets one message written for them: every booked patient their own (to their phone), the expert one,
each coordinator involved (who booked a patient, who asked for the session) one that counts the patients told.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Booking,
    BookingStatus,
    ExpertResponse,
    ExpertSession,
    HalfDay,
    SessionKind,
)

# To a booked patient (worded to the patient).
register(
    "outreach_session_cancelled",
    "【天府医生集团】您{date}{half_day}在{site}的{kind}（{expert}）已取消。{offer}",
    "Your {kind} with {expert} at {site} on {date} {half_day} is cancelled. {offer}",
)
register(
    "outreach_session_moved",
    "【天府医生集团】您在{site}的{kind}已改至{date}{half_day}（{expert}），原定{old_date}{old_half_day}。",
    "Your {kind} at {site} moved to {date} {half_day} with {expert} (was {old_date} {old_half_day}).",
)
# To the expert.
register(
    "outreach_session_confirmed",
    "【天府医生集团】新排班：{date}{half_day}赴{site}{kind}。",
    "New session: {kind} at {site} on {date} {half_day}.",
)
register(
    "outreach_expert_session_cancelled",
    "【天府医生集团】{expert}医生：您{date}{half_day}赴{site}的{kind}已取消。原因：{reason}",
    "Dr {expert}: your {kind} at {site} on {date} {half_day} is cancelled. Reason: {reason}",
)
register(
    "outreach_expert_session_moved",
    "【天府医生集团】{expert}医生：您赴{site}的{kind}已由{old_date}{old_half_day}改至{date}{half_day}。原因：{reason}",
    "Dr {expert}: your {kind} at {site} moved from {old_date} {old_half_day} to {date} {half_day}. Reason: {reason}",
)
# To a coordinator of the host hospital (one message, however many patients were booked).
register(
    "outreach_coordinator_session_cancelled",
    "【天府医生集团】贵院{date}{half_day}{expert}的{kind}已取消（原因：{reason}）。已预约的{booked}位患者已分别收到通知。{offer}",
    "The {kind} with {expert} at your hospital on {date} {half_day} is cancelled (reason: {reason}). The {booked} "
    "booked patient(s) have each been told. {offer}",
)
register(
    "outreach_coordinator_session_moved",
    "【天府医生集团】贵院{old_date}{old_half_day}的{kind}已改至{date}{half_day}（{expert}，原因：{reason}）。"
    "已预约的{booked}位患者保留名额并已分别收到通知。",
    "The {kind} at your hospital on {old_date} {old_half_day} moved to {date} {half_day} with {expert} (reason: "
    "{reason}). The {booked} booked patient(s) keep their places and have each been told.",
)
# To operations: an expert declined a session; re-plan.
register(
    "outreach_session_declined",
    "【天府医生集团】{expert}婉拒了{date}{half_day}在{site}的{kind}，原因：{reason}。请在排班页面重新排班。",
    "{expert} declined the {kind} at {site} on {date} {half_day} (reason: {reason}). Please re-plan on the roster "
    "page.",
)


def label(choices: Any, value: str) -> Any:
    """The choice's label, lazy: ``notify`` renders it in the message's language (Chinese), not the page's."""
    return dict(choices.choices).get(value, value)


def session_params(session: ExpertSession) -> dict[str, Any]:
    return {
        "date": session.date.isoformat(),
        "half_day": label(HalfDay, session.half_day),
        "site": session.site.name,
        "kind": label(SessionKind, session.kind),
        "expert": session.expert.name,
    }


def _expert_recipient(session: ExpertSession) -> str | None:
    expert = session.expert
    if expert.phone:
        return str(expert.phone)
    return f"user:{expert.user.username}" if expert.user is not None else None


def _patient_recipient(booking: Booking) -> str:
    return booking.person.phone or f"person:{booking.person_id}"


def _coordinator_recipients(session: ExpertSession, bookings: list[Booking]) -> list[str]:
    """The coordinators involved, once each: who booked a patient, and who asked for the session."""
    users = {b.booked_by.username: b.booked_by for b in bookings}
    if session.request_id and session.request is not None:
        users.setdefault(session.request.requested_by.username, session.request.requested_by)
    return [f"user:{name}" for name, u in sorted(users.items()) if u.role in (Role.COORDINATOR, Role.ADMIN)]


def active_bookings(session: ExpertSession) -> list[Booking]:
    return list(session.bookings.filter(status=BookingStatus.ACTIVE).select_related("person", "booked_by", "booked_by"))


def tell_cancelled(
    session: ExpertSession,
    *,
    reason: str,
    offer_text: str,
    next_id: str = "",
    bookings: list[Booking] | None = None,
    patients: bool = True,
) -> None:
    """Tell each booked patient, the expert and each coordinator involved, once each. ``patients=False`` (a
    re-plan gave the session to another expert): only the expert is told here; the replacement tells the patients
    and coordinators (``tell_moved``)."""
    bookings = active_bookings(session) if bookings is None else bookings
    params = session_params(session)
    if patients:
        for b in bookings:
            notify_on_commit(
                _patient_recipient(b),
                "outreach_session_cancelled",
                {**params, "offer": offer_text, "next_session": next_id},
            )
    expert = _expert_recipient(session)
    if expert:
        notify_on_commit(expert, "outreach_expert_session_cancelled", {**params, "reason": reason})
    for r in _coordinator_recipients(session, bookings) if patients else []:
        notify_on_commit(
            r,
            "outreach_coordinator_session_cancelled",
            {**params, "reason": reason, "booked": len(bookings), "offer": offer_text if bookings else ""},
        )


def tell_moved(
    session: ExpertSession,
    *,
    old_date: str,
    old_half_day: str,
    reason: str,
    bookings: list[Booking] | None = None,
    expert: bool = True,
) -> None:
    """A session moved (or was given to another expert, ``session`` being the new one): each booked patient, the
    expert (``expert``) and each coordinator involved are told, once each."""
    bookings = active_bookings(session) if bookings is None else bookings
    params = {**session_params(session), "old_date": old_date, "old_half_day": label(HalfDay, old_half_day)}
    for b in bookings:
        notify_on_commit(_patient_recipient(b), "outreach_session_moved", params)
    recipient = _expert_recipient(session) if expert else None
    if recipient:
        notify_on_commit(recipient, "outreach_expert_session_moved", {**params, "reason": reason})
    for r in _coordinator_recipients(session, bookings):
        notify_on_commit(r, "outreach_coordinator_session_moved", {**params, "reason": reason, "booked": len(bookings)})


# --- the expert's answer ------------------------------------------------------------------------------------------


@transaction.atomic
def session_answer(*, by: User, session: ExpertSession, accept: bool, reason: str = "") -> ExpertSession:
    """The session's expert accepts it, or declines it with a reason. A decline leaves the session scheduled (its
    patients keep their places) and puts it on operations' re-plan list, each planner told; the next re-plan
    treats the expert as unavailable that day. Only the session's own expert (404 for anyone else's); 409 for a
    session no longer active, already started, or already declined."""
    from tiercare.outreach.ics import session_times

    require_role(by, Role.EXPERT)
    session = (
        ExpertSession.objects.select_for_update(of=("self",))
        .select_related("expert", "expert__user", "site")
        .get(pk=session.pk)
    )
    if session.expert.user_id != by.pk:
        raise NotFound(_("No such session."))
    if session.status not in ACTIVE_SESSION_STATUSES:
        raise Conflict(_("This session is no longer scheduled."), code="illegal_transition")
    if session_times(session)[0] <= timezone.now():
        raise Conflict(_("This session has already started."), code="too_late")
    if session.response == ExpertResponse.DECLINED:
        raise Conflict(_("You have already declined this session."), code="already_declined")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationFailed(_("reason: say why you decline the session."), details={"field": "reason"})
    new = ExpertResponse.ACCEPTED if accept else ExpertResponse.DECLINED
    old = session.response
    session.response, session.response_reason, session.responded_at = new, reason[:300], timezone.now()
    session.save(update_fields=["response", "response_reason", "responded_at", "updated_at"])
    audit_write(actor=by, action=AuditAction.UPDATE, obj=session, changes={"response": [old, new]}, reason=reason)
    if not accept:
        params = {**session_params(session), "reason": reason}
        for username in User.objects.filter(role=Role.OPS, is_active=True).values_list("username", flat=True):
            notify_on_commit(f"user:{username}", "outreach_session_declined", params)
    return session
