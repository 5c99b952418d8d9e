"""Writes of the referral loop. Each service is one transaction, audited, with state moves recorded as
ReferralTransition rows and decided only by the table in ``rules.py``.

Green-channel places are booked under a row lock on the department's CapacityQueue (one per department and kind
of place), and the database refuses a second holder of the same place (conditional unique constraints on
CapacityBooking), so concurrent referrals never share a place; when none is free the referral joins the queue in
arrival order, and every released or newly published place goes to the head of the queue.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiercare.care.services import enrollments_after_back_referral, suggestions_after_referral_ended
from tiercare.core.audit import audit_write
from tiercare.core.crud import validation_failed
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.files import sniff_upload
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import (
    Alliance,
    AllianceMembership,
    Department,
    Organization,
    Practitioner,
    PractitionerRole,
    Tier,
)
from tiercare.network.practice import practice_basis
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.referrals import messages, selectors
from tiercare.referrals.messages import active_role_q as _active_role_q
from tiercare.referrals.models import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    OPEN_STATUSES,
    CapacityBooking,
    CapacityKind,
    CapacityQueue,
    IdempotencyKey,
    QueueEntry,
    QueueStatus,
    Referral,
    ReferralAttachment,
    ReferralTransition,
    ReservedCapacity,
    Status,
    Urgency,
)
from tiercare.referrals.rules import (
    BEFORE_ARRIVAL,
    DEADLINES,
    ESCALATE,
    STEP_OF,
    TRANSITIONS,
    Side,
    Step,
    action_label,
    offered_actions,
    side_label,
    step_label,
)

REFERRING_TIERS = (Tier.PRIMARY, Tier.SECONDARY, Tier.GP_CENTER)
REFERRER_ROLES = (Role.GP, Role.COORDINATOR, Role.HEALTH_MANAGER, Role.EXPERT)
CAPACITY_PUBLISHERS = (Role.COORDINATOR, Role.EXPERT, Role.GP, Role.OPS, Role.ADMIN)
# Places still held when a referral ends this way go back to the queue; a patient who arrived used theirs.
RELEASING_FROM = BEFORE_ARRIVAL

# When the page or the API gives no time for a visit booked on a reserved place: this time of the place's day.
DEFAULT_VISIT_TIME = time(8, 0)
# A visit time typed to the minute is "now" for this long (a page's datetime field has no seconds).
SCHEDULE_GRACE = timedelta(minutes=5)


def now() -> datetime:
    return timezone.now()


# --- helpers ---------------------------------------------------------------------------------------------------
def _active_consent(person: Person, orgs: list[Organization]) -> Consent:
    consent = (
        Consent.objects.in_force()
        .filter(person=person, scope=ConsentScope.REFERRAL)
        .filter(Q(granted_to__isnull=True) | Q(granted_to__in=orgs))
        .order_by("-granted_at")
        .first()
    )
    if consent is None:
        raise ValidationFailed(
            _(
                "consent: the patient has not consented to referral, or has withdrawn consent. "
                "Record the patient's referral consent first."
            ),
            code="consent_missing",
            details={"field": "consent", "person": str(person.pk), "scope": ConsentScope.REFERRAL.value},
        )
    return consent


def shared_alliance(a: Organization, b: Organization, on: date) -> Alliance | None:
    """An alliance both organizations belong to on ``on`` (the one whose agreement governs the referral)."""
    valid = _active_role_q(on)
    of_b = AllianceMembership.objects.filter(valid, organization=b).values("alliance_id")
    member = (
        AllianceMembership.objects.filter(valid, organization=a, alliance_id__in=of_b)
        .select_related("alliance")
        .order_by("alliance__name")
        .first()
    )
    return member.alliance if member else None


def _due(ref: Referral, step: str, start: datetime) -> datetime:
    return start + DEADLINES[ref.urgency][step]


def _record(
    ref: Referral,
    *,
    action: str,
    from_status: str,
    by: User | None,
    side: str,
    reason: str = "",
    at: datetime,
    details: dict[str, Any] | None = None,
) -> ReferralTransition:
    """The transition row and its audit event, in the caller's transaction. The audit reason names the move as the
    auditor reads it (zh-Hans, the network's language), never the action's code."""
    with translation.override("zh-hans"):
        label = action_label(action)
    row = ReferralTransition.objects.create(
        referral=ref,
        action=action,
        from_status=from_status,
        to_status=ref.status,
        by=by,
        side=side,
        at=at,
        reason=reason,
        details=details or {},
    )
    audit_write(
        actor=by,
        action=AuditAction.CREATE if action == "create" else AuditAction.UPDATE,
        obj=ref,
        changes={"status": [from_status, ref.status], "action": action, **(details or {})},
        reason=f"{label}：{reason}"[:300] if reason else label,
    )
    return row


def _save(ref: Referral) -> None:
    try:
        ref.full_clean(exclude=["consent", "person", "created_by"])
    except DjangoValidationError as exc:
        raise validation_failed(exc) from exc
    ref.save()


# --- capacity and queue ------------------------------------------------------------------------------------------
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


# --- create ------------------------------------------------------------------------------------------------------
@dataclass
class CreateResult:
    referral: Referral
    created: bool
    green: dict[str, Any]


def request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _claim_key(by: User, key: str, digest: str) -> tuple[IdempotencyKey, Referral | None]:
    """Claim the client's key, or find the referral an earlier call with it created. A concurrent call with the
    same key waits on the unique index until the first commits, then sees its referral."""
    existing = IdempotencyKey.objects.filter(user=by, key=key).select_related("referral").first()
    if existing is None:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=by, key=key, request_hash=digest), None
        except IntegrityError:
            existing = IdempotencyKey.objects.select_related("referral").get(user=by, key=key)
    if existing.request_hash != digest:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request."),
            code="idempotency_key_reused",
            details={"field": "Idempotency-Key"},
        )
    return existing, existing.referral


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


def referral_create(
    *,
    by: User,
    person: Person,
    receiving_department: Department,
    reason: str,
    diagnosis_text: str,
    diagnosis_code: str = "",
    diagnosis_system: str = "",
    diagnosis_version: str = "",
    summary: str = "",
    urgency: str = Urgency.ROUTINE,
    referring_organization: Organization | None = None,
    named_expert: Practitioner | None = None,
    green_channel: bool = False,
    capacity_kind: str = CapacityKind.CLINIC,
    wanted_from: date | None = None,
    send: bool = True,
    idempotency_key: str = "",
    payload_hash: str = "",
    at: datetime | None = None,
) -> CreateResult:
    """Create a referral up from the user's grassroots hospital or GP center, and send it unless ``send`` is False.

    Rules: the user works at the referring organization (a grassroots hospital or GP center) and the receiving
    department is at a tertiary hospital; the patient has an active referral consent (people.Consent scope
    "referral", to no one in particular or to either organization); a named expert must have a legal basis to
    practise at the receiving site on the wanted day (network.practice), and that basis is recorded. A green-channel
    referral books a reserved place when it is sent, or joins the queue. With ``idempotency_key`` a repeated call with
    the same body returns the first referral (``created`` False); a different body answers Conflict. Everything,
    booking included, is one transaction.
    """
    if by.role not in REFERRER_ROLES:
        raise Forbidden(_("Your role may not refer patients."), code="forbidden")
    practitioner = getattr(by, "practitioner", None)
    if practitioner is None:
        raise Forbidden(_("Your account is not linked to a practitioner record."), code="no_practitioner")
    on = timezone.localdate()
    my_orgs = Organization.objects.filter(
        pk__in=PractitionerRole.objects.filter(_active_role_q(on), practitioner=practitioner).values("organization_id")
    )
    if referring_organization is None:
        candidates = list(my_orgs.filter(tier__in=REFERRING_TIERS))
        if len(candidates) != 1:
            raise ValidationFailed(
                _("referring_organization: say from which of your organizations you refer."),
                details={"field": "referring_organization"},
            )
        referring_organization = candidates[0]
    elif not my_orgs.filter(pk=referring_organization.pk).exists():
        raise Forbidden(_("You may refer only from an organization where you work."), code="not_referring_staff")
    if referring_organization.tier not in REFERRING_TIERS:
        raise ValidationFailed(
            _("referring_organization: referrals up start at a grassroots hospital or GP center."),
            details={"field": "referring_organization"},
        )
    receiving = receiving_department.organization
    if receiving.tier != Tier.TERTIARY:
        raise ValidationFailed(
            _("receiving_department: referrals up go to a tertiary hospital's department."),
            details={"field": "receiving_department"},
        )
    if urgency not in Urgency.values:
        raise ValidationFailed(_("urgency: choose routine, priority or emergency."), details={"field": "urgency"})
    if capacity_kind not in CapacityKind.values:
        raise ValidationFailed(_("capacity_kind: choose clinic, bed or surgery."), details={"field": "capacity_kind"})
    if wanted_from is not None and wanted_from < on:
        raise ValidationFailed(_("wanted_from: the day is in the past."), details={"field": "wanted_from"})
    consent = _active_consent(person, [referring_organization, receiving])
    basis = None
    if named_expert is not None:
        basis = practice_basis(named_expert, receiving, wanted_from or on)
        if not basis.allowed:
            raise ValidationFailed(
                _("named_expert: %(reason)s") % {"reason": basis.reason},
                code="no_practice_basis",
                details={"field": "named_expert", "refusals": basis.refusals},
            )
    fixed = at is not None  # a given time (demo, import) is kept; otherwise sending is stamped under the lock
    at = at or now()
    with transaction.atomic():
        key_row = None
        if idempotency_key:
            key_row, earlier = _claim_key(by, idempotency_key, payload_hash)
            if earlier is not None:
                return CreateResult(earlier, False, green_status(earlier))
        ref = Referral(
            person=person,
            urgency=urgency,
            reason=reason,
            summary=summary,
            diagnosis_code=diagnosis_code,
            diagnosis_system=diagnosis_system,
            diagnosis_version=diagnosis_version,
            diagnosis_text=diagnosis_text,
            referring_organization=referring_organization,
            referring_practitioner=practitioner,
            receiving_organization=receiving,
            receiving_department=receiving_department,
            named_expert=named_expert,
            expert_practice_basis=basis.basis if basis else "",
            expert_practice_reference=(basis.reference or "")[:120] if basis else "",
            expert_practice_on=(wanted_from or on) if basis else None,
            consent=consent,
            alliance=shared_alliance(referring_organization, receiving, on),
            green_channel=green_channel,
            capacity_kind=capacity_kind,
            wanted_from=wanted_from,
            created_by=by,
        )
        _save(ref)
        _record(
            ref,
            action="create",
            from_status=Status.DRAFT,
            by=by,
            side=Side.REFERRING,
            at=at,
            details={"green_channel": green_channel},
        )
        green: dict[str, Any] = {}
        if send:
            green = _send(ref, by=by, at=at, fixed=fixed)
        if key_row is not None:
            key_row.referral = ref
            key_row.save(update_fields=["referral", "updated_at"])
    return CreateResult(ref, True, green)


def _send(ref: Referral, *, by: User | None, at: datetime, fixed: bool = False) -> dict[str, Any]:
    _active_consent(ref.person, [ref.referring_organization, ref.receiving_organization])
    if ref.green_channel and not fixed:
        _lock_queue(ref.receiving_department_id, ref.capacity_kind)
        at = now()  # sent when the queue lock is held: the queue's arrival order is the order of sending
    ref.status = Status.SENT
    ref.sent_at = at
    ref.due_step, ref.due_at = Step.ACCEPT, _due(ref, Step.ACCEPT, at)
    green = _book_or_queue(ref, at) if ref.green_channel else {}
    _save(ref)
    _record(ref, action="send", from_status=Status.DRAFT, by=by, side=Side.REFERRING, at=at, details=green)
    messages.notify_users(
        messages.receiving_users(ref),
        "referral_sent",
        {
            "patient": ref.person.name,
            "urgency": Urgency(ref.urgency).label,
            "department": ref.receiving_department,
            "due": timezone.localtime(ref.due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return green


# --- transitions -------------------------------------------------------------------------------------------------
def on_back_referral(referral: Referral) -> None:
    """Called in the back-referral's transaction: the patient's chronic-care enrolments get their next follow-up
    due no later than the back-referral day + 14 days (NBPHS 2017, 3rd ed., hypertension and type 2 diabetes: after
    a referral up, follow up actively within 2 weeks; shared/clinical/README.md §3–4). The rule and its audit live
    in care (``care.services.enrollments_after_back_referral``); referrals calls care, care never imports referrals.
    """
    on = timezone.localdate(referral.back_referred_at or now())
    enrollments_after_back_referral(person=referral.person, on=on, reference=f"back-referral of referral {referral.pk}")


ENDING_ACTIONS = ("decline", "cancel", "expire")


def on_referral_ended(referral: Referral, action: str, reason: str) -> None:
    """Called in the transaction of a decline, cancel or expiry: the referral comes back to the GP team's worklist
    with the reason (``care.services.suggestions_after_referral_ended``) — whether it was made from a chronic-care
    referral suggestion or directly — so a patient the receiving side did not take is not lost between the two
    hospitals. The outcome is named as the team reads it (zh-Hans), never by the action's code."""
    on = timezone.localdate(referral.ended_at or now())
    with translation.override("zh-hans"):
        outcome = action_label(action)
    suggestions_after_referral_ended(
        referral_id=referral.pk,
        outcome=outcome,
        reason=reason,
        on=on,
        person_id=referral.person_id,
        urgent=referral.urgency == Urgency.EMERGENCY,
        specialty=referral.receiving_department.specialty if referral.receiving_department_id else "",
    )


def referral_transition(
    *,
    referral: Referral,
    by: User | None,
    sides: set[str],
    action: str,
    reason: str = "",
    scheduled_for: datetime | None = None,
    discharge_summary: str = "",
    care_plan: str = "",
    at: datetime | None = None,
) -> Referral:
    """Move ``referral`` by ``action`` as the user standing on ``sides`` (from access_referral_by_id).

    Raises ValidationFailed for an unknown action or a missing reason/date/document (a visit time already past; a
    patient marked arrived before the scheduled day without the override reason), and the refusals of
    ``check_action``: Conflict ("illegal_transition", details: the state and the actions it allows) when the action
    is not allowed from the current state, Forbidden ("not_your_side") when the user's side may not do it. Each party
    is told in a message written for them (``_tell_parties``).
    """
    move = TRANSITIONS.get(action)
    if move is None:
        raise ValidationFailed(_("action: unknown action %(a)s") % {"a": action[:40]}, details={"field": "action"})
    at = at or now()
    with transaction.atomic():
        ref = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        ref.person, ref.referring_practitioner = referral.person, referral.referring_practitioner
        check_action(ref, sides, action)
        acting = [s for s in move.sides if s in sides]
        if move.needs_reason and not reason.strip():
            raise ValidationFailed(_("reason: say why."), details={"field": "reason"})
        side = acting[0]
        before = ref.status
        details: dict[str, Any] = {}
        ref.status = move.target
        if action == "send":
            ref.status = before
            _send(ref, by=by, at=at)  # records its own transition
            return ref
        if action == "accept":
            ref.accepted_at = at
        elif action == "decline":
            ref.decline_reason = reason
            ref.ended_at = at
        elif action == "schedule":
            ref.scheduled_for = _visit_time(ref, scheduled_for, at)
            details["scheduled_for"] = ref.scheduled_for.isoformat()
        elif action == "arrive":
            details |= _early_arrival(ref, reason, at)
            ref.arrived_at = at
        elif action == "treat":
            ref.treated_at = at
        elif action == "back_refer":
            if not discharge_summary.strip():
                raise ValidationFailed(
                    _("discharge_summary: a back-referral needs a discharge summary."),
                    details={"field": "discharge_summary"},
                )
            if not care_plan.strip():
                raise ValidationFailed(
                    _("care_plan: a back-referral needs a care plan."), details={"field": "care_plan"}
                )
            ref.discharge_summary, ref.care_plan = discharge_summary, care_plan
            ref.back_referral_to = ref.referring_practitioner
            ref.back_referred_at = at
        elif action == "confirm_receipt":
            ref.closed_at = at
        elif action == "cancel":
            ref.cancel_reason = reason
            ref.ended_at = at
        elif action == "expire":
            ref.ended_at = at
        step_due = ref.due_step
        _set_due(ref, before, at)
        if ref.status not in OPEN_STATUSES and before in RELEASING_FROM:
            _release(ref, at, action)
        _save(ref)
        _record(ref, action=action, from_status=before, by=by, side=side, reason=reason, at=at, details=details)
        if action == "back_refer":
            on_back_referral(ref)
        elif action in ENDING_ACTIONS:
            on_referral_ended(ref, action, reason)
        messages.tell_parties(ref, action=action, by=by, side=side, before=before, reason=reason, step=step_due)
    return ref


def check_action(ref: Referral, sides: set[str], action: str) -> None:
    """Refuse unless a user standing on ``sides`` may take ``action`` on ``ref`` as it stands (the table in rules.py;
    the page offers exactly the actions this lets through, ``rules.offered_actions``): Conflict
    ``illegal_transition`` when the state does not allow it (details: the state and the actions it does allow),
    Forbidden ``not_your_side`` when another side does it, Conflict ``already_escalated`` for a second escalation."""
    allowed = offered_actions(ref.status, sides, escalated=ref.escalated_at is not None)
    state = {"state": ref.status, "allowed_actions": allowed}
    if action == "escalate":
        if Side.OPS not in sides and Side.SYSTEM not in sides:
            raise Forbidden(_("Only operations may escalate a referral."), code="not_your_side", details=state)
        if ref.status not in ESCALATE.sources:
            raise Conflict(
                _("The referral is %(state)s: only an open referral can be escalated.")
                % {"state": ref.get_status_display()},
                code="illegal_transition",
                details=state,
            )
        if ref.escalated_at is not None and Side.SYSTEM not in sides:
            raise Conflict(
                _("The referral was already escalated to operations on %(when)s.")
                % {"when": messages.when(ref.escalated_at)},
                code="already_escalated",
                details=state,
            )
        return
    move = TRANSITIONS.get(action)
    if move is None:
        raise ValidationFailed(_("action: unknown action %(a)s") % {"a": action[:40]}, details={"field": "action"})
    if ref.status not in move.sources:
        raise Conflict(
            _("The referral is %(state)s: “%(action)s” is not possible at this stage.")
            % {"state": ref.get_status_display(), "action": action_label(action)},
            code="illegal_transition",
            details=state,
        )
    if not sides & set(move.sides):
        raise Forbidden(
            _("“%(action)s” is done by the %(sides)s, not by you.")
            % {"action": action_label(action), "sides": _sides_text(move.sides)},
            code="not_your_side",
            details=state,
        )


def _sides_text(sides: tuple[str, ...]) -> str:
    return " / ".join(side_label(s) for s in sides if s != Side.SYSTEM)


def _visit_time(ref: Referral, scheduled_for: datetime | None, at: datetime) -> datetime:
    """The visit time a schedule sets: the one given, or, when none is given and the referral holds a reserved place,
    that place's day at DEFAULT_VISIT_TIME. Never a time already past (ValidationFailed on ``scheduled_for``)."""
    if scheduled_for is None:
        booking = selectors.active_booking(ref)
        if booking is None:
            raise ValidationFailed(
                _("scheduled_for: give the day and time the patient should come."),
                code="visit_time_missing",
                details={"field": "scheduled_for"},
            )
        scheduled_for = timezone.make_aware(datetime.combine(booking.capacity.date, DEFAULT_VISIT_TIME))
    elif timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
    if scheduled_for < at - SCHEDULE_GRACE:
        raise ValidationFailed(
            _("scheduled_for: %(when)s has already passed; give a day and time from now on.")
            % {"when": timezone.localtime(scheduled_for).strftime("%Y-%m-%d %H:%M")},
            code="visit_time_past",
            details={"field": "scheduled_for"},
        )
    return scheduled_for


def _early_arrival(ref: Referral, reason: str, at: datetime) -> dict[str, Any]:
    """A patient marked arrived before their scheduled day needs the desk's reason (an override, kept in the
    transition and its audit event); on or after the day none is asked. Days are the network's local days."""
    if ref.scheduled_for is None:
        return {}
    day = timezone.localdate(ref.scheduled_for)
    if timezone.localdate(at) >= day:
        return {}
    if not reason.strip():
        raise ValidationFailed(
            _("reason: the patient is scheduled for %(day)s; say why they are marked arrived before that day.")
            % {"day": day.isoformat()},
            code="early_arrival_reason",
            details={"field": "reason", "scheduled_day": day.isoformat()},
        )
    return {"arrived_before_scheduled_day": day.isoformat(), "override_reason": reason[:300]}


def _set_due(ref: Referral, before: str, at: datetime) -> None:
    step = STEP_OF.get(ref.status, "")
    if ref.status == Status.SCHEDULED and ref.scheduled_for is not None:
        end_of_day = timezone.make_aware(
            datetime.combine(timezone.localdate(ref.scheduled_for) + timedelta(days=1), time.min)
        )
        ref.due_step, ref.due_at = step, end_of_day
        ref.overdue_since = ref.escalated_at = None
        return
    if step == STEP_OF.get(before, "") and ref.due_at is not None:
        return  # the same step continues (treated after arrival): same deadline
    ref.due_step = step
    ref.due_at = _due(ref, step, at) if step else None
    ref.overdue_since = ref.escalated_at = None


def referral_escalate(
    *, referral: Referral, by: User | None, sides: set[str], reason: str = "", at: datetime | None = None
) -> Referral:
    """Escalate an open referral to operations (ops by hand, or the periodic job for an overdue step)."""
    at = at or now()
    with transaction.atomic():
        ref = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("person", "receiving_department")
            .get(pk=referral.pk)
        )
        check_action(ref, sides, "escalate")
        if ref.escalated_at is None:
            ref.escalated_at = at
            ref.save(update_fields=["escalated_at", "updated_at"])
            _record(
                ref,
                action="escalate",
                from_status=ref.status,
                by=by,
                side=Side.OPS if by else Side.SYSTEM,
                reason=reason,
                at=at,
                details={"step": ref.due_step},
            )
            with translation.override("zh-hans"):
                step = step_label(ref.due_step)
            messages.notify_users(
                [u for u in messages.ops_users() if by is None or u != by.username],
                "referral_escalated",
                {"patient": ref.person.name, "department": ref.receiving_department, "step": step},
            )
    return ref


def referral_mark_overdue(*, referral: Referral, at: datetime) -> bool:
    """Mark the current step overdue (the periodic job). Idempotent: False when already marked or no longer due."""
    with transaction.atomic():
        ref = (
            Referral.objects.select_for_update(of=("self",))
            .select_related(
                "person",
                "referring_practitioner__user",
                "receiving_organization",
                "receiving_department",
                "named_expert__user",
                "referring_organization",
            )
            .get(pk=referral.pk)
        )
        if ref.overdue_since is not None or ref.status not in OPEN_STATUSES or ref.due_at is None or ref.due_at > at:
            return False
        ref.overdue_since = at
        ref.save(update_fields=["overdue_since", "updated_at"])
        _record(
            ref,
            action="overdue",
            from_status=ref.status,
            by=None,
            side=Side.SYSTEM,
            at=at,
            details={"step": ref.due_step, "due_at": ref.due_at.isoformat()},
        )
        with translation.override("zh-hans"):
            step = step_label(ref.due_step)
        params = {"patient": ref.person.name, "step": step, "due": messages.when(ref.due_at)}
        messages.notify_users(
            sorted(set(messages.referring_users(ref)) | set(messages.receiving_users(ref))), "referral_overdue", params
        )
    return True


# --- attachments -------------------------------------------------------------------------------------------------
def attachment_add(*, by: User, referral: Referral, sides: set[str], upload: UploadedFile) -> ReferralAttachment:
    """Attach a case-file document (PDF, JPEG, PNG, DICOM; at most 20 MB) to an open referral, from either
    clinical side."""
    if not sides & {Side.REFERRING, Side.RECEIVING}:
        raise Forbidden(_("Only the referring or receiving side may attach documents."), code="not_your_side")
    if referral.status not in OPEN_STATUSES:
        raise Conflict(
            _("The referral is no longer open."), code="illegal_transition", details={"state": referral.status}
        )
    # The type is proven by the file's own bytes, never taken from the browser's Content-Type.
    content_type = sniff_upload(upload) or ""
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationFailed(
            _("file: only PDF, JPEG, PNG or DICOM files may be attached."),
            code="file_type",
            details={"field": "file", "allowed": list(ATTACHMENT_TYPES)},
        )
    if not upload.size or upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationFailed(
            _("file: the file is empty or larger than 20 MB."),
            code="file_size",
            details={"field": "file", "max_bytes": ATTACHMENT_MAX_BYTES},
        )
    name = (upload.name or "attachment")[-200:]
    with transaction.atomic():
        row = ReferralAttachment(
            referral=referral, name=name, content_type=content_type, size=upload.size, uploaded_by=by
        )
        row.file.save(f"{referral.pk}{ATTACHMENT_TYPES[content_type]}", upload, save=False)
        row.save()
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=row,
            changes={"name": name, "size": upload.size, "content_type": content_type},
        )
    return row
