"""Patients booked into a session's places: booking under a row lock (two coordinators racing for the last place:
one wins, the other gets ``session_full``) and cancelling.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.crud import changed_fields
from tiercare.core.errors import Conflict, NotFound
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Booking,
    BookingStatus,
    ExpertResponse,
    ExpertSession,
    SessionKind,
    SessionStatus,
)
from tiercare.outreach.services.sessions import _label
from tiercare.people.proxies import portal_person_ids


def booking_create(*, by: User, session: ExpertSession, person: Any, note: str = "") -> Booking:
    """Book a patient into the first free place of a session. The session row is locked (select_for_update) and
    the database refuses a place or a patient twice, so two coordinators racing for the last place: one wins,
    the other gets 409 ``session_full``. Only coordinators of the session's site (and administrators) book."""
    require_role(by, *(Role.COORDINATOR, Role.ADMIN))
    if by.role == Role.COORDINATOR and session.site_id not in user_organization_ids(by):
        raise NotFound(_("No such session."))
    return _book(by=by, session=session, person=person, note=note)


def _book(*, by: User, session: ExpertSession, person: Any, note: str = "", public_only: bool = False) -> Booking:
    """The first free place of ``session`` for ``person``, under a row lock on the session (the database refuses a
    place or a patient twice besides). ``public_only``: the session must be a public specialist clinic (a patient
    books only those)."""
    try:
        with transaction.atomic():
            locked = ExpertSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
            if locked.status not in ACTIVE_SESSION_STATUSES:
                raise Conflict(
                    _("This session is %(s)s; it takes no bookings.") % {"s": _label(SessionStatus, locked.status)},
                    code="session_not_bookable",
                    details={"state": locked.status},
                )
            if public_only and not is_public_clinic(locked):
                raise Conflict(_("Patients book only public specialist clinics."), code="session_not_public")
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


# A patient or proxy books a place in a public specialist clinic (专家门诊, kind ``clinic``) and may cancel it up to
# this many hours before it starts; later, the site's coordinator cancels (the place may be given to someone waiting).
SELF_CANCEL_HOURS = 24


def is_public_clinic(session: ExpertSession) -> bool:
    """A session a patient may book for themselves: a clinic, scheduled or moved, that the expert has not declined."""
    return (
        session.kind == SessionKind.CLINIC
        and session.status in ACTIVE_SESSION_STATUSES
        and session.response != ExpertResponse.DECLINED
    )


def _check_patient_for(by: User, person: Any) -> None:
    """``by`` is a patient login who is ``person`` or holds an in-force proxy for them (the caller resolved the
    person through an access function; checked again here so that no other caller books for someone else)."""
    require_role(by, Role.PATIENT)
    if person.pk not in portal_person_ids(by):
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="self-booking")
        raise NotFound(_("No such person."))


def booking_self_create(*, by: User, session: ExpertSession, person: Any) -> Booking:
    """A patient (or their proxy) books ``person`` into the first free place of a public specialist clinic: the
    same lock and database rules as a coordinator's booking (a place once, a patient once per session)."""
    _check_patient_for(by, person)
    return _book(
        by=by, session=session, person=person, note=_("booked by the patient or their proxy"), public_only=True
    )


def booking_self_cancel(*, by: User, booking: Booking, now: Any = None) -> Booking:
    """A patient (or proxy) cancels a place up to SELF_CANCEL_HOURS before the session starts; later, refused with
    the reason (the site's coordinator can still cancel it)."""
    from tiercare.outreach.ics import session_times

    _check_patient_for(by, booking.person)
    start, _end = session_times(booking.session)
    if (now or timezone.now()) > start - timedelta(hours=SELF_CANCEL_HOURS):
        raise Conflict(
            _("A place can be cancelled here until %(hours)s hours before the clinic; call the hospital instead.")
            % {"hours": SELF_CANCEL_HOURS},
            code="too_late_to_cancel",
        )
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status != BookingStatus.ACTIVE:
            raise Conflict(
                _("This booking is already cancelled."), code="illegal_transition", details={"state": locked.status}
            )
        changes = changed_fields(locked, {"status": BookingStatus.CANCELLED, "cancelled_at": timezone.now()})
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes=changes, reason="cancelled by the patient")
    return locked
