"""Green-channel capacity: tertiary departments publish reserved places (``capacity_publish``), a sent referral books
one or joins the queue, and an ended one gives its place back (``_release``).

Places are booked under a row lock on the department's CapacityQueue (one per department and kind of place), and the
database refuses a second holder of the same place (conditional unique constraints on CapacityBooking), so concurrent
referrals never share a place; when none is free the referral joins the queue in arrival order, and every released or
newly published place goes to the head of the queue.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_write
from tiercare.core.crud import validation_failed
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Alliance, AllianceMembership, Department, PractitionerRole, Tier
from tiercare.referrals import messages, selectors
from tiercare.referrals.messages import active_role_q as _active_role_q
from tiercare.referrals.models import (
    CapacityBooking,
    CapacityKind,
    CapacityQueue,
    QueueEntry,
    QueueStatus,
    Referral,
    ReservedCapacity,
)
from tiercare.referrals.rules import BEFORE_ARRIVAL, Side
from tiercare.referrals.services.moves import _record, now

CAPACITY_PUBLISHERS = (Role.COORDINATOR, Role.EXPERT, Role.GP, Role.OPS, Role.ADMIN)
# Places still held when a referral ends this way go back to the queue; a patient who arrived used theirs.
RELEASING_FROM = BEFORE_ARRIVAL


def _lock_queue(department_id: Any, kind: str) -> CapacityQueue:
    queue, _created = CapacityQueue.objects.get_or_create(department_id=department_id, kind=kind)
    return CapacityQueue.objects.select_for_update().get(pk=queue.pk)


def _try_book(ref: Referral, on: date) -> CapacityBooking | None:
    """Book the earliest free place this referral may use (the caller holds the queue lock)."""
    start = max(ref.wanted_from or on, on)
    cap = selectors.free_capacity(
        ref.receiving_department_id, ref.capacity_kind, start=start, alliance_id=ref.alliance_id
    ).first()
    if cap is None:
        return None
    taken = set(
        CapacityBooking.objects.filter(capacity=cap, released_at__isnull=True).values_list("place_no", flat=True)
    )
    place_no = min(set(range(1, cap.places + 1)) - taken)
    return CapacityBooking.objects.create(capacity=cap, referral=ref, place_no=place_no)


def _reservation(booking: CapacityBooking) -> dict[str, Any]:
    return {"date": booking.capacity.date.isoformat(), "place": booking.place_no, "kind": booking.capacity.kind}


def _book_or_queue(ref: Referral, at: datetime) -> dict[str, Any]:
    queue = _lock_queue(ref.receiving_department_id, ref.capacity_kind)
    on = timezone.localdate(at)
    booking = _try_book(ref, on)
    if booking is not None:
        return {"reserved": _reservation(booking)}
    seq = queue.next_seq
    queue.next_seq = seq + 1
    queue.save(update_fields=["next_seq", "updated_at"])
    entry = QueueEntry.objects.create(queue=queue, referral=ref, seq=seq)
    position = selectors.queue_position(entry) or 0
    entry.expected_date = selectors.expected_date(ref.receiving_department_id, ref.capacity_kind, position, on=on)
    entry.save(update_fields=["expected_date", "updated_at"])
    return {
        "queued": {
            "position": position,
            "expected_date": entry.expected_date.isoformat() if entry.expected_date else None,
        }
    }


def _serve_queue(department_id: Any, kind: str, at: datetime) -> int:
    """Give free places to the waiting referrals in queue order. Returns how many were served."""
    _lock_queue(department_id, kind)
    on = timezone.localdate(at)
    served = 0
    waiting = QueueEntry.objects.filter(
        queue__department_id=department_id, queue__kind=kind, status=QueueStatus.WAITING
    )
    for entry in waiting.select_related(
        "referral", "referral__person", "referral__referring_practitioner__user"
    ).order_by("seq"):
        booking = _try_book(entry.referral, on)
        if booking is None:
            if not ReservedCapacity.objects.filter(
                department_id=department_id, kind=kind, date__gte=on, places__gt=0
            ).exists() or not _any_free(department_id, kind, on):
                break
            continue
        entry.status = QueueStatus.SERVED
        entry.left_at = at
        entry.save(update_fields=["status", "left_at", "updated_at"])
        ref = entry.referral
        details = {"reserved": _reservation(booking)}
        _record(ref, action="place_assigned", from_status=ref.status, by=None, side=Side.SYSTEM, at=at, details=details)
        messages.notify_users(
            messages.referring_users(ref), "referral_place", {"patient": ref.person.name, "date": booking.capacity.date}
        )
        served += 1
    return served


def _any_free(department_id: Any, kind: str, on: date) -> bool:
    return (
        ReservedCapacity.objects.filter(department_id=department_id, kind=kind, date__gte=on)
        .annotate(held=Count("bookings", filter=Q(bookings__released_at__isnull=True)))
        .filter(held__lt=F("places"))
        .exists()
    )


def _release(ref: Referral, at: datetime, reason: str) -> None:
    """Give back a held place (and serve the queue) or leave the queue."""
    held = CapacityBooking.objects.filter(referral=ref, released_at__isnull=True).select_related("capacity")
    released = list(held)
    for b in released:
        b.released_at = at
        b.release_reason = reason[:60]
        b.save(update_fields=["released_at", "release_reason", "updated_at"])
    QueueEntry.objects.filter(referral=ref, status=QueueStatus.WAITING).update(
        status=QueueStatus.LEFT, left_at=at, updated_at=at
    )
    for b in released:
        _serve_queue(b.capacity.department_id, b.capacity.kind, at)


def capacity_publish(
    *,
    by: User,
    department: Department,
    on: date,
    kind: str,
    places: int | None = None,
    total_places: int | None = None,
    alliance: Alliance | None = None,
) -> ReservedCapacity:
    """Publish (or change) a tertiary department's reserved green-channel places for one day.

    With an ``alliance`` the places are that agreement's quota: ``alliance.referral_quota_percent`` of the
    department's ``total_places`` (rounded up) unless more are given; only referrals between the alliance's members
    may book them. Newly free places go to the head of the queue at once. Raises Forbidden for anyone but the
    department's staff and operations, ValidationFailed for a bad day, kind or count, Conflict when fewer places
    than already booked are asked for.
    """
    if by.role not in (Role.OPS, Role.ADMIN) and not (by.role in CAPACITY_PUBLISHERS and _works_in(by, department)):
        raise Forbidden(
            _("Only the department's staff or operations may publish its reserved capacity."),
            code="not_department_staff",
        )
    if department.organization.tier != Tier.TERTIARY:
        raise ValidationFailed(
            _("department: reserved capacity is published by tertiary departments."), details={"field": "department"}
        )
    if kind not in CapacityKind.values:
        raise ValidationFailed(_("kind: choose clinic, bed or surgery."), details={"field": "kind"})
    if on < timezone.localdate():
        raise ValidationFailed(_("date: capacity cannot be published for a past day."), details={"field": "date"})
    quota: Decimal | None = None
    if alliance is not None:
        if not AllianceMembership.objects.filter(
            _active_role_q(on), alliance=alliance, organization=department.organization
        ).exists():
            raise ValidationFailed(
                _("alliance: the department's hospital is not a member of this alliance."),
                details={"field": "alliance"},
            )
        quota = alliance.referral_quota_percent
        if quota is None:
            raise ValidationFailed(
                _("alliance: the alliance agreement sets no referral quota."), details={"field": "alliance"}
            )
        if total_places is None:
            raise ValidationFailed(
                _("total_places: give the department's places that day, to apply the alliance quota."),
                details={"field": "total_places"},
            )
        required = math.ceil(total_places * quota / 100)
        if places is None:
            places = required
        elif places < required:
            raise ValidationFailed(
                _("places: the alliance agreement reserves at least %(n)d of %(total)d places (%(q)s%%).")
                % {"n": required, "total": total_places, "q": quota},
                details={"field": "places", "required": required},
            )
    if places is None or places < 1:
        raise ValidationFailed(_("places: give at least one reserved place."), details={"field": "places"})
    if total_places is not None and places > total_places:
        raise ValidationFailed(_("places: more places reserved than the department has."), details={"field": "places"})
    at = now()
    with transaction.atomic():
        _lock_queue(department.pk, kind)
        cap = ReservedCapacity.objects.select_for_update().filter(department=department, date=on, kind=kind).first()
        adding = cap is None
        if cap is None:
            cap = ReservedCapacity(department=department, date=on, kind=kind, places=places)
        held = cap.bookings.filter(released_at__isnull=True).count() if not adding else 0
        if places < held:
            raise Conflict(
                _("%(held)d places are already booked that day; keep at least that many.") % {"held": held},
                code="places_booked",
                details={"held": held},
            )
        old = cap.places
        cap.places, cap.total_places, cap.alliance, cap.quota_percent, cap.published_by = (
            places,
            total_places,
            alliance,
            quota,
            by,
        )
        try:
            cap.full_clean(exclude=["published_by"])
        except DjangoValidationError as exc:
            raise validation_failed(exc) from exc
        cap.save()
        audit_write(
            actor=by,
            action=AuditAction.CREATE if adding else AuditAction.UPDATE,
            obj=cap,
            changes={"places": [None if adding else old, places], "date": on, "kind": kind, "alliance": alliance},
        )
        _serve_queue(department.pk, kind, at)
    return cap


def _works_in(user: User, department: Department) -> bool:
    practitioner = getattr(user, "practitioner", None)
    if practitioner is None:
        return False
    return (
        PractitionerRole.objects.filter(
            _active_role_q(timezone.localdate()), practitioner=practitioner, organization=department.organization_id
        )
        .filter(Q(department__isnull=True) | Q(department=department))
        .exists()
    )


def green_status(ref: Referral) -> dict[str, Any]:
    """The referral's hold on reserved capacity: its place, or its queue position and expected date."""
    if not ref.green_channel:
        return {}
    booking = selectors.active_booking(ref)
    if booking is not None:
        return {"reserved": _reservation(booking)}
    entry = QueueEntry.objects.filter(referral=ref, status=QueueStatus.WAITING).first()
    if entry is not None:
        position = selectors.queue_position(entry) or 0
        expected = selectors.expected_date(ref.receiving_department_id, ref.capacity_kind, position)
        return {"queued": {"position": position, "expected_date": expected.isoformat() if expected else None}}
    return {}
