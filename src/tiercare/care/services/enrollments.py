"""Chronic-care enrolments and the protocol each is judged under.

Owns enrolling a contracted resident in a program (``enrollment_create``: the protocol's eligibility, including a
ten-year risk still usable, ``_usable_risk``), ending an enrolment (``enrollment_end``), a person's age on a day
(``age_on``), and a center's recorded decisions on protocol variants (``protocol_variant_decide``) that
``protocol_for_enrollment`` applies.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import (
    ContractMember,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    GpTeamMember,
    ProtocolVariantDecision,
    TeamRole,
)
from tiercare.care.protocols import ProtocolError, is_eligible, load_protocol, protocol_version
from tiercare.care.risk import risk_staleness
from tiercare.care.services.membership import (
    _require_resident_team,
    _require_team_member,
    is_center_lead,
    lapsed_membership,
)
from tiercare.core.audit import audit_write
from tiercare.core.context import zh_active
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Organization
from tiercare.people.models import Person


def age_on(person: Person, on: date) -> int | None:
    b = person.birth_date
    if b is None:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def enrollment_create(
    *,
    by: User,
    person: Person,
    protocol_code: str,
    diagnosis_code: str,
    enrolled_on: date,
    schedule_from: date | None = None,
) -> Enrollment:
    """Enrol a contracted resident in a chronic-care program under a shipped protocol, recording its version.

    The resident must be contracted with a team of ``by``; the protocol's eligibility (age, ICD-10 diagnosis,
    or for a protocol with a risk criterion the ten-year risk of the person's latest follow-up that computed
    one) holds. The first follow-up falls due within the protocol's recheck interval. ``schedule_from`` is the
    day a phased interval counts from (e.g. the end of cancer treatment; on or before the enrolment), the
    enrolment itself when None. Raises ValidationFailed (unknown protocol, not eligible, a bad ``schedule_from``),
    Conflict (already enrolled), Forbidden (not the resident's team).
    """
    membership = ContractMember.objects.filter(person=person, active=True).select_related("team").first()
    if membership is None:
        raise ValidationFailed(_("person: the resident has no family-doctor contract."), details={"field": "person"})
    _require_team_member(by, membership.team)
    try:
        protocol = load_protocol(protocol_code)
        version = protocol_version(protocol_code)
    except ProtocolError as exc:
        raise ValidationFailed(f"protocol_code: {exc.message}", details={"field": "protocol_code"}) from None
    if schedule_from is not None and not (enrolled_on - timedelta(days=366 * 50) <= schedule_from <= enrolled_on):
        raise ValidationFailed(
            _("schedule_from: the day intervals count from (e.g. the end of treatment) must be on or before the "
              "enrolment, and within 50 years of it."),
            details={"field": "schedule_from"},
        )  # fmt: skip
    age = age_on(person, enrolled_on)
    risk_percent = None
    if protocol.eligibility_risk is not None:  # follow-ups compute China-PAR only (try_risk)
        risk_percent = _usable_risk(person, enrolled_on)
    if age is None or not is_eligible(
        protocol,
        age_years=age,
        diagnosis_codes=[diagnosis_code],
        risk_percent=risk_percent,
        risk_equation="china_par" if risk_percent is not None else None,
    ):
        zh = zh_active()
        name, diagnosis = (protocol.name.zh, protocol.diagnosis.zh) if zh else (protocol.name.en, protocol.diagnosis.en)
        if protocol.eligibility_risk is not None:
            risk = protocol.eligibility_risk.label
            diagnosis = _("%(d)s, or %(r)s (from the latest follow-up that computed it)") % {
                "d": diagnosis,
                "r": risk.zh if zh else risk.en,
            }
        raise ValidationFailed(
            _("diagnosis_code: %(p)s needs age %(a)s or more and a diagnosis of %(d)s.")
            % {"p": name, "a": int(protocol.min_age_years), "d": diagnosis},
            code="not_eligible",
            details={"field": "diagnosis_code"},
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                e = Enrollment.objects.create(
                    person=person, protocol_code=protocol_code, protocol_version=version.version,
                    protocol_sha256=version.sha256, enrolled_on=enrolled_on, schedule_from=schedule_from,
                    next_due_on=enrolled_on + timedelta(days=protocol.recheck_days),
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(
                _("protocol_code: the person is already enrolled in this program."), code="already_enrolled"
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=e)
    return e


def _usable_risk(person: Person, on: date) -> float | None:
    """The latest follow-up's China-PAR risk when it may still be used on ``on``: not older than 12 months and the
    person's age within the equation's range (``risk.risk_staleness``); None otherwise (issue 11)."""
    latest = (
        FollowUp.objects.filter(person=person, voided_at__isnull=True, risk_percent__isnull=False)
        .order_by("-measured_at")
        .values_list("risk_percent", "measured_at")
        .first()
    )
    if latest is None:
        return None
    stale = risk_staleness(
        equation="china_par", computed_on=timezone.localdate(latest[1]), age_now=age_on(person, on), today=on
    )
    return None if stale else latest[0]


def enrollment_end(*, by: User, enrollment: Enrollment, reason: str, on: date | None = None) -> Enrollment:
    """End an active enrolment with a reason (kept, audited): by the resident's contracted team, or — for a resident
    whose contract lapsed — by the lead of the center that held the contract. Takes the person off the center's
    "contract lapsed" worklist when it was their last active program.

    Raises ValidationFailed naming ``reason`` (blank), Forbidden (neither the team nor the center's lead),
    Conflict ``illegal_transition`` (already ended).
    """
    if not reason.strip():
        raise ValidationFailed(
            _("reason: say why the enrolment ends."), code="reason_required", details={"field": "reason"}
        )
    lapsed = lapsed_membership(enrollment.person_id)
    if lapsed is None or not is_center_lead(by, lapsed.team.center_id):
        _require_resident_team(by, enrollment.person_id, _("Only the resident's team or the center's lead may end it."))
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        e.status, e.ended_on, e.end_reason = EnrollmentStatus.ENDED, on or timezone.localdate(), reason.strip()[:200]
        e.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=e, changes={"status": ["active", "ended"]}, reason=reason)
    return e


def center_variant_choices(center_id: Any, protocol_code: str) -> tuple[list[str], list[str]]:
    """The variants a center turned on and off by its latest recorded decision for each (none: the protocol's
    defaults apply)."""
    latest: dict[str, bool] = {}
    for variant, enabled in ProtocolVariantDecision.objects.filter(
        center_id=center_id, protocol_code=protocol_code
    ).values_list("variant", "enabled"):  # newest first (Meta.ordering)
        latest.setdefault(variant, enabled)
    return [v for v, on in latest.items() if on], [v for v, on in latest.items() if not on]


def protocol_for_enrollment(e: Enrollment) -> Any:
    """The enrolment's protocol with the variants its contracted team's center decided on (defaults otherwise)."""
    membership = ContractMember.objects.filter(person_id=e.person_id, active=True).select_related("team").first()
    if membership is None:
        return load_protocol(e.protocol_code)
    on, off = center_variant_choices(membership.team.center_id, e.protocol_code)
    return load_protocol(e.protocol_code, variants=on, disabled=off)


def protocol_variant_decide(
    *, by: User, center: Organization, protocol_code: str, variant: str, enabled: bool, reason: str
) -> Any:
    """Record a center's clinical decision to turn a protocol variant on or off (e.g. HTN-TARGET-65-150, the
    NBPHS 2017 3rd edition's <150/90 mmHg for age 65 or more, on by default). Who, when and why are kept and audited;
    later follow-ups at the center are classified under it (their protocol identity names the variants).

    Only a family doctor of a team at the center, or an administrator. Raises Forbidden, ValidationFailed naming
    ``variant`` (no such variant) or ``reason`` (blank)."""
    from tiercare.care.protocols import ProtocolError

    if not (
        by.role == Role.ADMIN
        or GpTeamMember.objects.filter(
            team__center=center, practitioner__user=by, active=True, role=TeamRole.GP
        ).exists()
    ):
        raise Forbidden(_("Only a family doctor of this center decides its protocol targets."), code="not_team_member")
    try:
        protocol = load_protocol(protocol_code)
    except ProtocolError as exc:
        raise ValidationFailed(f"protocol_code: {exc.message}", details={"field": "protocol_code"}) from None
    if variant not in protocol.variants:
        raise ValidationFailed(
            _("variant: %(p)s has no variant %(v)s.") % {"p": protocol_code, "v": variant},
            details={"field": "variant"},
        )
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the center decides this."), details={"field": "reason"})
    with transaction.atomic():
        d = ProtocolVariantDecision.objects.create(
            center=center, protocol_code=protocol_code, variant=variant, enabled=enabled, reason=reason.strip()[:500],
            decided_by=by, decided_at=timezone.now(),
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=d, changes={variant: enabled}, reason=reason)
    return d
