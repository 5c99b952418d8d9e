"""Confirmed sessions: cancelling and moving one (each a SessionTransition row, the calendars' SEQUENCE bumped,
the people involved told once), and the next session a cancelled one's patients are offered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.practice import practice_basis
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    SESSION_TRANSITIONS,
    BookingStatus,
    ExpertSession,
    HalfDay,
    SessionKind,
    SessionStatus,
    SessionTransition,
)
from tiercare.outreach.selectors import PLANNERS
from tiercare.outreach.services.placement import placement_problems
from tiercare.outreach.session_flow import tell_cancelled, tell_moved


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


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
