"""Patients booked into a session's places: booking under a row lock (two coordinators racing for the last place:
one wins, the other gets ``session_full``) and cancelling.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.crud import changed_fields
from tiercare.core.errors import Conflict, NotFound
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, Booking, BookingStatus, ExpertSession, SessionStatus
from tiercare.outreach.services.sessions import _label


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
