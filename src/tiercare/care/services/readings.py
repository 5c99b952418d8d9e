"""Patient-reported home readings (issue 16, item 5): a patient with hypertension or type 2 diabetes reports a home
blood pressure or glucose between visits.

Rules: the same plausibility checks as a follow-up (``plausibility.check_measurements``, the unit question above
33.3 mmol/L); marked self-reported (a check constraint on ``HomeReading``); when the protocol's urgent criterion is
met (its rules marked ``urgent`` whose condition the reading meets: NBPHS 2017, e.g. ≥180/110 mmHg, glucose ≥16.7 or
≤3.9 mmol/L) the reading is an urgent item on the contracted team's worklist until a team member marks it handled;
and it never counts as a face-to-face follow-up (it is not a ``FollowUp``: due dates, control and adherence are
untouched).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import ContractMember, Enrollment, EnrollmentStatus, GpTeamMember, HomeReading, OwedReason
from tiercare.care.plausibility import check_measurements
from tiercare.care.protocols.conditions import EvalContext, MissingItem, evaluate
from tiercare.care.services.enrollments import protocol_for_enrollment
from tiercare.care.services.followups import _raise_unless_units_confirmed
from tiercare.care.services.membership import _require_resident_team
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.context import zh_active
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.core.validation import check_measured_at
from tiercare.people.models import Person
from tiercare.people.selectors import person_scope_q

# The programs whose patients report home readings, and the readings each takes (a pair of pressures, or a glucose).
READING_ITEMS: dict[str, tuple[str, ...]] = {
    "hypertension": ("sbp_mmhg", "dbp_mmhg", "heart_rate_bpm"),
    "diabetes_t2": ("fasting_glucose_mmol_l", "random_glucose_mmol_l", "sbp_mmhg", "dbp_mmhg"),
}
GLUCOSE_KEYS = ("fasting_glucose_mmol_l", "random_glucose_mmol_l")

register(
    "home_reading_urgent",
    "一位签约居民在家自测的读数达到紧急标准（{reading}），请在工作清单“家庭自测待处理”中处理。",
    "A contracted resident reported a home reading at the urgent level ({reading}); see the worklist "
    '"Home readings to act on".',
)


def urgent_rules_met(protocol: Any, measurements: Mapping[str, Any]) -> list[dict[str, str]]:
    """The protocol's urgent rules (``Rule.urgent``) whose condition the measurements meet, as stored on a reading.

    A rule needing what a home reading does not carry (a symptom, a flag, an item not measured) does not fire: the
    flags are taken as not set and no symptoms as reported, so only the readings' thresholds can fire."""
    visit: dict[str, Any] = {k: v for k, v in measurements.items() if v is not None}
    visit.setdefault("symptoms", [])
    for code in protocol.flags:
        visit.setdefault(code, False)
    ctx = EvalContext(protocol, [], visit, None, None)
    fired: list[dict[str, str]] = []
    for rule in protocol.rules:
        if not rule.urgent:
            continue
        try:
            holds = evaluate(ctx, rule.when, visit, in_previous=False)
        except (MissingItem, KeyError, TypeError, ValueError):
            holds = False
        if holds:
            values = {k: str(v) for k, v in visit.items() if isinstance(v, int | float) and not isinstance(v, bool)}
            values |= {name: str(t.value) for name, t in protocol.thresholds.items()}
            fired.append(
                {
                    "id": rule.id,
                    "explanation_zh": _fill(rule.explain.zh, values),
                    "explanation_en": _fill(rule.explain.en, values),
                }
            )
    return fired


def _fill(template: str, values: Mapping[str, str]) -> str:
    out = template
    for k, v in values.items():
        out = out.replace("{" + k + "}", v)
    return out


def _clean_measurements(code: str, measurements: Mapping[str, Any]) -> dict[str, float]:
    allowed = READING_ITEMS[code]
    out: dict[str, float] = {}
    for key, value in measurements.items():
        if value in (None, ""):
            continue
        if key not in allowed:
            raise ValidationFailed(
                _("%(field)s: this program does not take this reading from home.") % {"field": key},
                code="reading_not_taken",
                details={"field": key},
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(_("%(field)s: enter a number.") % {"field": key}, details={"field": key})
        out[key] = float(value) if isinstance(value, float) else value
    has_bp = "sbp_mmhg" in out or "dbp_mmhg" in out
    if has_bp and not ("sbp_mmhg" in out and "dbp_mmhg" in out):
        field = "dbp_mmhg" if "sbp_mmhg" in out else "sbp_mmhg"
        raise ValidationFailed(
            _("%(field)s: enter both pressures, the systolic and the diastolic.") % {"field": field},
            code="bp_pair",
            details={"field": field},
        )
    if "sbp_mmhg" in out and out["sbp_mmhg"] <= out["dbp_mmhg"]:
        raise ValidationFailed(
            _("dbp_mmhg: the diastolic pressure must be lower than the systolic."),
            code="implausible",
            details={"field": "dbp_mmhg"},
        )
    if not has_bp and not any(k in out for k in GLUCOSE_KEYS):
        first = "sbp_mmhg" if "sbp_mmhg" in allowed else allowed[0]
        raise ValidationFailed(
            _("%(field)s: enter a blood pressure or a glucose reading.") % {"field": first},
            code="reading_empty",
            details={"field": first},
        )
    return out


def reading_enrollments(person: Person) -> list[Enrollment]:
    """The person's active enrolments under which they may report home readings (hypertension, type 2 diabetes)."""
    return list(
        Enrollment.objects.active().filter(person=person, protocol_code__in=READING_ITEMS).order_by("protocol_code")
    )


def home_reading_report(
    *,
    by: User,
    enrollment: Enrollment,
    measured_at: datetime,
    measurements: Mapping[str, Any],
    confirm_units: bool = False,
    source: str = "home",
) -> HomeReading:
    """File a home reading for ``enrollment``'s person, reported by the patient (or their household proxy).

    Refused: anyone but the patient or their proxy (NotFound, audited); an enrolment not active or not in a program
    that takes home readings (Conflict / ValidationFailed); a reading the program does not take, a lone pressure, an
    implausible value or an unconfirmed ambiguous unit, a time in the future (ValidationFailed naming the field).
    Urgent when the protocol's urgent criterion is met: the team's GPs are told and it is on their worklist."""
    if by.role != Role.PATIENT or not Person.objects.filter(person_scope_q(by), pk=enrollment.person_id).exists():
        audit_denied(actor=by, object_type="care.enrollment", object_id=str(enrollment.pk), reason="home reading")
        raise NotFound(_("Not found."))
    if enrollment.protocol_code not in READING_ITEMS:
        raise ValidationFailed(
            _("enrollment: home readings are taken for hypertension and type 2 diabetes only."),
            code="reading_program",
            details={"field": "enrollment"},
        )
    values = _clean_measurements(enrollment.protocol_code, measurements)
    born = Person.objects.filter(pk=enrollment.person_id).values_list("birth_date", flat=True).first()
    try:
        check_measured_at(measured_at, born)
    except ValueError as exc:
        raise ValidationFailed(f"measured_at: {exc}", details={"field": "measured_at"}) from None
    problems = check_measurements(values)
    if problems:
        p = problems[0]
        raise ValidationFailed(
            f"{p.field}: {p.message_zh if zh_active() else p.message_en}",
            code="implausible",
            details={"field": p.field},
        )
    _raise_unless_units_confirmed(values, confirm_units)
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        fired = urgent_rules_met(protocol_for_enrollment(e), values)
        reading = HomeReading.objects.create(
            person_id=e.person_id,
            enrollment=e,
            measured_at=measured_at,
            measurements=values,
            reported_by=by,
            source=source,
            urgent=bool(fired),
            fired_rules=fired,
        )
        audit_write(actor=by, action=AuditAction.CREATE, obj=reading, changes={"urgent": reading.urgent})
        if fired:
            for username in _team_usernames(e.person_id):
                notify_on_commit(username, "home_reading_urgent", {"reading": _summary(values)})
    return reading


def _summary(values: Mapping[str, Any]) -> str:
    parts = []
    if "sbp_mmhg" in values:
        parts.append(f"{values['sbp_mmhg']}/{values['dbp_mmhg']} mmHg")
    parts += [f"{values[k]} mmol/L" for k in GLUCOSE_KEYS if k in values]
    return ", ".join(parts)


def _team_usernames(person_id: Any) -> list[str]:
    team_ids = ContractMember.objects.filter(person_id=person_id, active=True).values("team_id")
    return list(
        GpTeamMember.objects.filter(team_id__in=team_ids, active=True, practitioner__user__isnull=False)
        .values_list("practitioner__user__username", flat=True)
        .distinct()
    )


def home_reading_handle(*, by: User, reading: HomeReading, note: str) -> HomeReading:
    """A member of the resident's contracted team marks an urgent home reading handled (called, seen, referred),
    with a note; it leaves the worklist. Refused: not the team (Forbidden), no note (ValidationFailed), handled
    already (Conflict)."""
    _require_resident_team(by, reading.person_id, _("Only the resident's contracted team handles their readings."))
    if not note.strip():
        raise ValidationFailed(_("note: say what was done."), details={"field": "note"})
    with transaction.atomic():
        r = HomeReading.objects.select_for_update().get(pk=reading.pk)
        if r.handled_at is not None:
            raise Conflict(_("This reading was handled already."), code="illegal_transition")
        if not r.urgent:
            raise Forbidden(_("Only urgent readings are handled from the worklist."))
        r.handled_by, r.handled_at, r.handled_note = by, timezone.now(), note.strip()[:300]
        r.save(update_fields=["handled_by", "handled_at", "handled_note", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=r, changes={"handled": r.handled_note})
    return r


def enrollment_visit_owed(*, by: User, enrollment: Enrollment, on: date, reason: str) -> Enrollment:
    """A face-to-face follow-up is owed by ``on`` (a doctor stopped an online consultation and sent the patient to a
    visit in person): the enrolment's due date is brought forward to it and it stays owed, against the nightly
    recompute, until a follow-up on or after today is filed (the screening worklist lists it once past). Only the
    resident's contracted team. Never pushes an earlier owed date later."""
    _require_resident_team(by, enrollment.person_id, _("Only the resident's contracted team asks for a visit."))
    today = timezone.localdate()
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        owed = min(on, e.followup_owed_by) if e.followup_owed_by else on
        e.followup_owed_by = owed
        e.followup_owed_since = today
        e.followup_owed_reason = OwedReason.URGENT_RECHECK
        e.next_due_on = min(e.next_due_on, owed) if e.next_due_on else owed
        e.save(update_fields=["followup_owed_by", "followup_owed_since", "followup_owed_reason", "next_due_on",
                              "updated_at"])  # fmt: skip
        audit_write(actor=by, action=AuditAction.UPDATE, obj=e, changes={"visit_owed_by": owed, "reason": reason})
    return e
