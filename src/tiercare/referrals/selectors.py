"""Reads of referrals, scoped to the asking user (DESIGN.md §3).

Who sees a referral, and as which side:
- referring side: at a GP center, the referring TEAM — the active members of the team whose active contract holds
  the patient's household (care's team scope) — and the doctor who wrote the referral; another team's GP, or a GP
  on no team, of the same center does not see it (issue 10; the models have no center lead, so no one sees all of a
  center's referrals). At any other referring organization (a grassroots hospital, which has no teams): users whose
  practitioner holds an active PractitionerRole there;
- receiving side: users with an active role at the receiving organization (in the receiving department, or in no
  particular department), and the named expert;
- the patient, and whoever holds an in-force proxy for them (``people.proxies``): their referrals, read only;
- operations and administrators: every referral, status and counts only (no clinical content).
Everyone else sees none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from tiercare.care.scope import team_household_ids
from tiercare.core.models import Role, User
from tiercare.network.models import OrgKind, PractitionerRole
from tiercare.people.proxies import patient_q as portal_patient_q
from tiercare.referrals.models import (
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    CapacityBooking,
    QueueEntry,
    QueueStatus,
    Referral,
    ReservedCapacity,
    Status,
)
from tiercare.referrals.rules import WAITING_ON, Side

OPS_ROLES = (Role.OPS, Role.ADMIN)
NO_ONE = Q(pk__in=[])


def today() -> date:
    return timezone.localdate()


def local_day_bounds(on: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(on, time.min))
    return start, start + timedelta(days=1)


def _active_roles(user: User, on: date | None = None) -> list[PractitionerRole]:
    practitioner = getattr(user, "practitioner", None) if user.is_authenticated else None
    if practitioner is None:
        return []
    on = on or today()
    return list(
        PractitionerRole.objects.filter(practitioner=practitioner, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("organization")
    )


def _is_clinical_staff(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role not in (*OPS_ROLES, Role.PATIENT, Role.AUDITOR)


def referring_q(user: User, roles: list[PractitionerRole] | None = None) -> Q:
    """A filter on Referral: the referrals ``user`` stands on the referring side of (see the module docstring)."""
    if not _is_clinical_staff(user):
        return NO_ONE
    roles = _active_roles(user) if roles is None else roles
    center_ids = {r.organization_id for r in roles if r.organization.kind == OrgKind.GP_CENTER}
    org_ids = {r.organization_id for r in roles} - center_ids
    q = Q(referring_organization_id__in=org_ids) if org_ids else NO_ONE
    if center_ids:
        team = Q(person__membership__household__in=team_household_ids(user))
        practitioner = getattr(user, "practitioner", None)
        if practitioner is not None:
            team |= Q(referring_practitioner=practitioner)
        q |= Q(referring_organization_id__in=center_ids) & team
    return q


def receiving_q(user: User, roles: list[PractitionerRole] | None = None) -> Q:
    if not _is_clinical_staff(user):
        return NO_ONE
    roles = _active_roles(user) if roles is None else roles
    q = NO_ONE
    for r in roles:
        if r.department_id is None:
            q |= Q(receiving_organization_id=r.organization_id)
        else:
            q |= Q(receiving_department_id=r.department_id)
    practitioner = getattr(user, "practitioner", None)
    if practitioner is not None:
        q |= Q(named_expert=practitioner)
    return q


def patient_q(user: User) -> Q:
    if not (user.is_authenticated and user.is_active and user.role == Role.PATIENT):
        return NO_ONE
    return portal_patient_q(user, "person")


def scope_q(user: User) -> Q:
    """A filter on Referral: the referrals ``user`` may see at all."""
    if not (user.is_authenticated and user.is_active):
        return NO_ONE
    if user.role in OPS_ROLES:
        return Q()
    if user.role == Role.PATIENT:
        return patient_q(user)
    roles = _active_roles(user)
    return referring_q(user, roles) | receiving_q(user, roles)


def sides_of(user: User, referral: Referral) -> set[str]:
    """The sides ``user`` stands on for ``referral`` (empty: may not see it)."""
    return sides_by_referral(user, [referral])[referral.pk]


def sides_by_referral(user: User, referrals: Iterable[Referral]) -> dict[Any, set[str]]:
    """``sides_of`` for many referrals at once (a worklist), by referral id: the same few queries for any number."""
    sides: dict[Any, set[str]] = {r.pk: set() for r in referrals}
    if not (user.is_authenticated and user.is_active) or not sides:
        return sides
    if user.role in OPS_ROLES:
        for found in sides.values():
            found.add(Side.OPS)
    qs = Referral.objects.filter(pk__in=list(sides))
    if user.role == Role.PATIENT:
        tests = [(Side.PATIENT, patient_q(user))]
    else:
        roles = _active_roles(user)
        tests = [(Side.REFERRING, referring_q(user, roles)), (Side.RECEIVING, receiving_q(user, roles))]
    for side, q in tests:
        for pk in qs.filter(q).values_list("pk", flat=True).distinct():
            sides[pk].add(side)
    return sides


def can_read_clinical(sides: set[str]) -> bool:
    return bool(sides & {Side.REFERRING, Side.RECEIVING, Side.PATIENT})


def referral_list(
    *,
    for_user: User,
    waiting_on: str | None = None,
    overdue: bool | None = None,
    arriving_today: bool | None = None,
    back_referrals: bool | None = None,
    side: str | None = None,
    status: str | None = None,
    urgency: str | None = None,
    department: Any = None,
    escalated: bool | None = None,
    open: bool | None = None,
) -> QuerySet[Referral]:
    """Referrals ``for_user`` may see, filtered for a worklist.

    ``waiting_on="me"``: open referrals whose next step is this user's side's (ops: the escalated ones);
    ``overdue``: those whose current step's deadline has passed (marked by the periodic job);
    ``arriving_today``: scheduled for today (local time); ``back_referrals``: back-referred, awaiting the referring
    side's confirmation.
    """
    qs = Referral.objects.filter(scope_q(for_user))
    roles = _active_roles(for_user) if _is_clinical_staff(for_user) else []
    if side == Side.REFERRING:
        qs = qs.filter(referring_q(for_user, roles))
    elif side == Side.RECEIVING:
        qs = qs.filter(receiving_q(for_user, roles))
    if waiting_on == "me":
        if for_user.role in OPS_ROLES:
            qs = qs.filter(escalated_at__isnull=False, status__in=OPEN_STATUSES)
        else:
            mine = NO_ONE
            for s, q in (
                (Side.REFERRING, referring_q(for_user, roles)),
                (Side.RECEIVING, receiving_q(for_user, roles)),
            ):
                states = [st for st, who in WAITING_ON.items() if who == s]
                mine |= q & Q(status__in=states)
            qs = qs.filter(mine)
    if overdue is not None:
        qs = qs.filter(overdue_since__isnull=not overdue)
        if overdue:
            qs = qs.filter(status__in=OPEN_STATUSES)
    if escalated is not None:
        qs = qs.filter(escalated_at__isnull=not escalated)
    if arriving_today:
        start, end = local_day_bounds(today())
        qs = qs.filter(status=Status.SCHEDULED, scheduled_for__gte=start, scheduled_for__lt=end)
    if back_referrals:
        qs = qs.filter(referring_q(for_user, roles), status=Status.BACK_REFERRED)
    if status:
        qs = qs.filter(status=status)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if department:
        qs = qs.filter(receiving_department_id=department)
    if open is not None:
        qs = qs.filter(status__in=OPEN_STATUSES) if open else qs.exclude(status__in=OPEN_STATUSES)
    return (
        qs.select_related(
            "person",
            "referring_organization",
            "referring_practitioner",
            "receiving_organization",
            "receiving_department__organization",
            "named_expert",
        )
        .distinct()
        .order_by("due_at", "-created_at")
    )


def active_booking(referral: Referral) -> CapacityBooking | None:
    return (
        CapacityBooking.objects.filter(referral=referral, released_at__isnull=True).select_related("capacity").first()
    )


def queue_position(entry: QueueEntry) -> int | None:
    if entry.status != QueueStatus.WAITING:
        return None
    return QueueEntry.objects.filter(queue_id=entry.queue_id, status=QueueStatus.WAITING, seq__lte=entry.seq).count()


def _eligible(alliance_id: Any) -> Q:
    return Q(alliance__isnull=True) | Q(alliance_id=alliance_id) if alliance_id else Q(alliance__isnull=True)


def free_capacity(department_id: Any, kind: str, *, start: date, alliance_id: Any = None) -> QuerySet[ReservedCapacity]:
    """Capacity days from ``start`` with a free place this referral may use, earliest first."""
    return (
        ReservedCapacity.objects.filter(_eligible(alliance_id), department_id=department_id, kind=kind, date__gte=start)
        .annotate(held=Count("bookings", filter=Q(bookings__released_at__isnull=True)))
        .filter(held__lt=F("places"))
        .order_by("date", "created_at")
    )


# Days of published capacity whose mean daily places project an expected date past the last published day.
PROJECTION_WINDOW_DAYS = 28


def expected_date(department_id: Any, kind: str, position: int, *, on: date | None = None) -> date | None:
    """When the ``position``-th in the queue can expect a place: the free places published from today are given
    to the queue in order; past the last published day, the department's mean daily places (over the last
    PROJECTION_WINDOW_DAYS published days) continue the count. None when the department publishes nothing."""
    on = on or today()
    remaining = position
    days = (
        ReservedCapacity.objects.filter(department_id=department_id, kind=kind, date__gte=on)
        .annotate(held=Count("bookings", filter=Q(bookings__released_at__isnull=True)))
        .order_by("date")
    )
    for cap in days:
        remaining -= max(cap.places - cap.held, 0)
        if remaining <= 0:
            return cap.date
    last = ReservedCapacity.objects.filter(department_id=department_id, kind=kind).order_by("-date").first()
    if last is None:
        return None
    window_start = last.date - timedelta(days=PROJECTION_WINDOW_DAYS - 1)
    published = ReservedCapacity.objects.filter(
        department_id=department_id, kind=kind, date__gte=window_start, date__lte=last.date
    )
    first = published.order_by("date").first()
    total = published.aggregate(n=Sum("places"))["n"] or 0
    if not total or first is None:
        return None
    rate = total / ((last.date - first.date).days + 1)
    return max(last.date, on) + timedelta(days=math.ceil(remaining / rate))


def capacity_list(
    *, for_user: User, department: Any = None, kind: str | None = None, date_from: date | None = None
) -> QuerySet[ReservedCapacity]:
    """Published capacity with booked counts. Staff of the network see it (it carries no patient data)."""
    if not (for_user.is_authenticated and for_user.is_active and for_user.role != Role.PATIENT):
        return ReservedCapacity.objects.none()
    qs = ReservedCapacity.objects.all()
    if department:
        qs = qs.filter(department_id=department)
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.filter(date__gte=date_from or today())
    return (
        qs.annotate(held=Count("bookings", filter=Q(bookings__released_at__isnull=True)))
        .select_related("department", "department__organization", "alliance")
        .order_by("date", "department__organization__name", "department__name", "kind")
    )


def _hours(qs: QuerySet[Referral], start: str, end: str) -> float | None:
    value = (
        qs.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
        .annotate(d=ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
        .aggregate(avg=Avg("d"))["avg"]
    )
    return round(value.total_seconds() / 3600, 1) if value is not None else None


def referral_metrics(*, for_user: User) -> dict[str, Any]:
    """The loop's figures over the referrals ``for_user`` may see (counts only, no patient data)."""
    qs = Referral.objects.filter(scope_q(for_user)).exclude(status=Status.DRAFT)
    sent = qs.count()
    finished = qs.filter(status__in=TERMINAL_STATUSES).count()
    closed = qs.filter(status=Status.CLOSED).count()
    reserved = qs.filter(bookings__isnull=False).distinct().count()
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    queues = (
        QueueEntry.objects.filter(status=QueueStatus.WAITING, referral__in=qs)
        .values("queue__department__organization__name", "queue__department__name", "queue__kind")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {
        "referrals_sent": sent,
        "by_status": {s: by_status.get(s, 0) for s in Status.values},
        "hours_sent_to_accepted": _hours(qs, "sent_at", "accepted_at"),
        "hours_sent_to_arrival": _hours(qs, "sent_at", "arrived_at"),
        "hours_sent_to_back_referral": _hours(qs, "sent_at", "back_referred_at"),
        "share_closed_with_confirmed_back_referral": round(closed / finished, 3) if finished else None,
        "share_using_reserved_capacity": round(reserved / sent, 3) if sent else None,
        "overdue_now": qs.filter(status__in=OPEN_STATUSES, overdue_since__isnull=False).count(),
        "queue_length": [
            {
                "department": f"{row['queue__department__organization__name']} · {row['queue__department__name']}",
                "kind": row["queue__kind"],
                "waiting": row["n"],
            }
            for row in queues
        ],
    }


def registration_referrals(*, since: date) -> QuerySet[Referral]:
    """Every referral sent from ``since`` (drafts never reached a department), for triage's registrations-per-episode
    collector (a system job: it stores counts and shows no patient). Each is one registration with the receiving
    department; ``treated_at`` set means that department treated the patient."""
    start, _end = local_day_bounds(since)
    return (
        Referral.objects.filter(sent_at__gte=start)
        .select_related("receiving_department", "referring_organization")
        .order_by("sent_at", "pk")
    )
