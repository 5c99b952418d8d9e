"""Creating and sending a referral up: who may refer and from where, the patient's referral consent, the named
expert's legal basis, the governing alliance, idempotency keys, and the send that books or queues a green-channel
place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import Role, User
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
from tiercare.referrals import messages
from tiercare.referrals.messages import active_role_q as _active_role_q
from tiercare.referrals.models import CapacityKind, IdempotencyKey, Referral, Status, Urgency
from tiercare.referrals.rules import Side, Step
from tiercare.referrals.services.capacity import _book_or_queue, _lock_queue, green_status
from tiercare.referrals.services.deadlines import _due
from tiercare.referrals.services.moves import _record, _save, now

REFERRING_TIERS = (Tier.PRIMARY, Tier.SECONDARY, Tier.GP_CENTER)
REFERRER_ROLES = (Role.GP, Role.COORDINATOR, Role.HEALTH_MANAGER, Role.EXPERT)


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
