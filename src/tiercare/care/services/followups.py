"""Follow-ups: filing one (checked, classified under its protocol, risk computed) and voiding one.

``followup_record`` is the clinical core of care: it refuses the wrong person, implausible or unit-ambiguous values
and out-of-order dates, classifies the visit (:func:`tiercare.care.protocols.classify`), stores the fired rules with
the protocol's version and sha256, creates a ``ReferralSuggestion`` when a rule calls for a referral, and records
the follow-up the enrolment now owes (``OWED_FOLLOWUP_INTERVALS``; hazard log H-16). ``risk_inputs`` builds the
risk equation's input from a follow-up's measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import ControlClass, Enrollment, EnrollmentStatus, FollowUp, OwedReason, ReferralSuggestion
from tiercare.care.plausibility import check_measurements, unit_questions
from tiercare.care.protocols import FollowupInputError, classify
from tiercare.care.risk import RiskInputError, RiskResult, compute_risk
from tiercare.care.services.control import is_controlled, is_hypoglycaemic
from tiercare.care.services.enrollments import age_on, protocol_for_enrollment
from tiercare.care.services.membership import _require_resident_team, _resident_team_or_grace
from tiercare.care.services.recompute import enrollments_recompute
from tiercare.care.services.suggestions import REFERRAL_FOLLOWUP_WITHIN_DAYS, suggested_specialty, suggestion_due_on
from tiercare.core.audit import audit_write
from tiercare.core.context import zh_active
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.core.validation import check_measured_at
from tiercare.people.models import Person


def followup_record(
    *,
    by: User,
    enrollment: Enrollment,
    person_id: Any,
    measured_at: datetime,
    measurements: Mapping[str, Any],
    confirm_units: bool = False,
) -> FollowUp:
    """File a follow-up, classify it under the protocol, set the next due date and actions.

    A value possible in two units (glucose above 33.3 mmol/L, a weight that may be in 斤, ...: see
    ``plausibility.unit_questions``) is refused with ``unit_confirmation_required`` naming the field and the likely
    unit until ``confirm_units`` is given; it is never refused outright (a real extreme is an emergency).

    - ``person_id`` must name the enrolment's person (a reading is never filed against the wrong person);
    - impossible values are refused (plausibility), naming the field; a missing required item too;
    - ``measured_at`` (clinical time) not in the future and not before the latest follow-up;
    - the protocol's version and sha256 are stored with the follow-up;
    - refer-up or urgent actions create a ReferralSuggestion (second consecutive unsatisfactory, complication,
      urgent thresholds), and the protocol's recheck sets the 2-week re-follow.
    Raises ValidationFailed (422, field named), Conflict (enrolment ended), Forbidden (not the team).
    """
    if str(person_id) != str(enrollment.person_id):
        raise ValidationFailed(
            _("person_id: this enrolment belongs to another person; check the patient before filing."),
            code="wrong_person",
            details={"field": "person_id"},
        )
    in_grace = _resident_team_or_grace(
        by, enrollment.person_id, _("Only the resident's contracted team files follow-ups.")
    )
    born = Person.objects.filter(pk=enrollment.person_id).values_list("birth_date", flat=True).first()
    try:
        check_measured_at(measured_at, born)
    except ValueError as exc:
        raise ValidationFailed(f"measured_at: {exc}", details={"field": "measured_at"}) from None
    problems = check_measurements(measurements)
    if problems:
        raise ValidationFailed(
            f"{problems[0].field}: {problems[0].message_en}",
            code="implausible",
            details={"field": problems[0].field, "problems": [
                {"field": p.field, "code": p.code, "message": p.message_en, "message_zh": p.message_zh}
                for p in problems
            ]},
        )  # fmt: skip
    _raise_unless_units_confirmed(measurements, confirm_units)
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().select_related("person").get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        latest = e.followups.filter(voided_at__isnull=True).order_by("-measured_at").first()
        if latest is not None and measured_at <= latest.measured_at:
            raise ValidationFailed(
                _("measured_at: a later follow-up (%(d)s) is already filed; enter follow-ups in order.")
                % {"d": timezone.localtime(latest.measured_at).strftime("%Y-%m-%d %H:%M")},
                details={"field": "measured_at"},
            )
        day = timezone.localdate(measured_at)
        if latest is not None and timezone.localdate(latest.measured_at) == day:
            # one follow-up a day per program: readings on the same day count once (NBPHS screening: three readings
            # on different days), so a second one is refused naming the field, never classified as another visit
            raise ValidationFailed(
                _("measured_at: a follow-up of this program is already filed on %(d)s; one a day — void it to file "
                  "it again.") % {"d": day.isoformat()},
                code="same_day",
                details={"field": "measured_at"},
            )  # fmt: skip
        protocol = protocol_for_enrollment(e)
        visit = {**measurements, "age_years": age_on(e.person, day), "date": day.isoformat()}
        if visit["age_years"] is None:
            visit.pop("age_years")
        try:
            c = classify(
                protocol,
                visit,
                _previous_visits(e),
                schedule_start=e.schedule_from or e.enrolled_on,
            )
        except FollowupInputError as exc:  # the engine words its refusals in both languages
            message = exc.message_zh if zh_active() else exc.message
            raise ValidationFailed(
                f"{exc.field}: {message}", code=exc.code, details={"field": exc.field, "message_en": exc.message}
            ) from None
        if in_grace and not c.urgent:
            raise Forbidden(
                _("The family-doctor contract has lapsed: in the grace period only an urgent follow-up may be "
                  "filed. Renew the contract to file this one."),
                code="contract_lapsed",
            )  # fmt: skip
        diabetic = Enrollment.objects.active().filter(person_id=e.person_id, protocol_code="diabetes_t2").exists()
        risk = try_risk(risk_inputs(e.person, measurements, day, diabetes=diabetic))
        fu = FollowUp.objects.create(
            enrollment=e,
            person_id=e.person_id,
            measured_at=measured_at,
            recorded_by=by,
            measurements=dict(measurements),
            control_class=ControlClass.HYPOGLYCAEMIA if is_hypoglycaemic(protocol, measurements) else c.control_class,
            urgent=c.urgent,
            fired_rules=[
                {
                    "id": r.id,
                    "explanation_en": r.explanation.en,
                    "explanation_zh": r.explanation.zh,
                    "source_en": r.source_text.en,
                    "source_zh": r.source_text.zh,
                }
                for r in c.fired_rules
            ],
            actions=list(c.actions.codes()),
            next_due_on=day + timedelta(days=c.next_due_in_days),
            was_due_on=e.next_due_on,
            on_time=e.next_due_on is None or day <= e.next_due_on,
            controlled=is_controlled(protocol, measurements, visit.get("age_years")),
            protocol_version=str(protocol.version.version),
            protocol_sha256=protocol.version.sha256,
            risk_percent=risk.risk_percent if risk else None,
            risk_band=risk.band.code if risk else "",
            risk_equation=risk.equation if risk else "",
            risk_inputs=risk_inputs(e.person, measurements, day, diabetes=diabetic) if risk else {},
        )
        audit_write(actor=by, action=AuditAction.CREATE, obj=fu, changes={"fired_rules": list(c.fired_rule_ids)})
        suggested = c.actions.refer_up or c.actions.urgent_referral
        if suggested:
            ReferralSuggestion.objects.create(
                person_id=e.person_id,
                followup=fu,
                urgent=c.actions.urgent_referral,
                rule_ids=list(c.fired_rule_ids),
                reason=c.explanation_en,
                due_on=suggestion_due_on(day, urgent=c.actions.urgent_referral),
                specialty=suggested_specialty(
                    e.protocol_code, list(c.fired_rule_ids), urgent=c.actions.urgent_referral
                ),
            )
        changes: dict[str, Any] = {
            "next_due_on": fu.next_due_on,
            "control_class": fu.control_class,
            "controlled": fu.controlled,
            "last_followup_on": day,
            "outreach_removed_reason": "",
            "remind_after": None,
        }
        if e.followup_owed_since is not None and day >= e.followup_owed_since:
            # the owed follow-up is done
            changes |= {"followup_owed_by": None, "followup_owed_since": None, "followup_owed_reason": ""}
        owing: list[tuple[date, str]] = []
        if suggested:
            # NBPHS 2017: after a call to refer, follow up within 2 weeks — owed from the day the suggestion is made,
            # not only once a referral is taken; kept against the nightly recompute until a later follow-up.
            owing.append((day + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS), OwedReason.REFERRAL))
        owing += _owed_by_rules(protocol, c.fired_rule_ids, day)
        if owing:
            prior = changes.get("followup_owed_by", e.followup_owed_by)
            reason = changes.get("followup_owed_reason", e.followup_owed_reason) if prior else ""
            for owed, why in owing:  # the earliest date owes it; at the same date the more specific reason names it
                if prior is None or owed <= prior:
                    prior, reason = owed, why
            assert prior is not None  # owing is not empty
            changes |= {
                "followup_owed_by": prior,
                "followup_owed_since": day + timedelta(days=1),
                "followup_owed_reason": reason,
                "next_due_on": min(fu.next_due_on, prior),
            }
        if risk is not None:
            changes |= {
                "previous_risk_percent": e.risk_percent,
                "risk_percent": risk.risk_percent,
                "risk_rose": e.risk_percent is not None and risk.risk_percent > e.risk_percent,
            }
        for k, v in changes.items():
            setattr(e, k, v)
        e.save(update_fields=[*changes, "updated_at"])
    return fu


# A fired rule whose next follow-up is one of these named intervals of its protocol owes that follow-up (issue 11,
# hazard log H-16): the NBPHS 2017 hypertension screening path (cardiovascular_risk.json ``bp_remeasure``: re-measure
# within 2 weeks; three readings on different days) and an alarm sign's re-check (cancer_survivorship.json
# ``urgent_recheck``: 14 days). The interval's length is the protocol's data; the reason names the worklist.
OWED_FOLLOWUP_INTERVALS: dict[str, str] = {
    "bp_remeasure": OwedReason.SCREENING,
    "urgent_recheck": OwedReason.URGENT_RECHECK,
}


def _owed_by_rules(protocol: Any, fired_rule_ids: Iterable[str], day: date) -> list[tuple[date, str]]:
    """The follow-ups the fired rules owe (``OWED_FOLLOWUP_INTERVALS``): (by when, why) for each."""
    out = []
    for rule_id in fired_rule_ids:
        interval = protocol.rule(rule_id).next_due
        if interval in OWED_FOLLOWUP_INTERVALS and interval in protocol.named_intervals:
            out.append((day + timedelta(days=protocol.named_intervals[interval]), OWED_FOLLOWUP_INTERVALS[interval]))
    return out


def _previous_visits(e: Enrollment, n: int = 6) -> list[dict[str, Any]]:
    """The enrolment's latest ``n`` non-void follow-ups as the engine takes them, each with its local date and the
    person's age on that day (a target that depends on age, e.g. <150/90 at 65 or more, must judge the earlier
    visit under the same rule, so that "unsatisfactory twice in a row" still fires)."""
    out = []
    for fu in e.followups.filter(voided_at__isnull=True).order_by("-measured_at")[:n]:
        day = timezone.localdate(fu.measured_at)
        visit = {**fu.measurements, "date": day.isoformat()}
        age = age_on(e.person, day)
        if age is not None:
            visit["age_years"] = age
        out.append(visit)
    return out


def _raise_unless_units_confirmed(measurements: Mapping[str, Any], confirmed: bool) -> None:
    """ValidationFailed ``unit_confirmation_required`` (422) naming each value that may be in another unit, unless
    the user confirmed the units (issue 11: refuse typing errors, never a real emergency)."""
    questions = [] if confirmed else unit_questions(measurements)
    if questions:
        q = questions[0]
        raise ValidationFailed(
            f"{q.field}: {q.message_zh if zh_active() else q.message_en}",
            code="unit_confirmation_required",
            details={"field": q.field, "confirm_units": True, "problems": [
                {"field": x.field, "code": "unit_confirmation_required", "likely_unit": x.likely_unit,
                 "converted": x.converted, "message": x.message_en, "message_zh": x.message_zh}
                for x in questions
            ]},
        )  # fmt: skip


def followup_void(*, by: User, followup: FollowUp, reason: str) -> FollowUp:
    """Void a follow-up filed in error (e.g. against the wrong person); kept, never deleted. The enrolment's
    due date, control and risk are recomputed from the remaining follow-ups."""
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the follow-up is void."), details={"field": "reason"})
    _require_resident_team(by, followup.person_id, _("Only the resident's contracted team voids follow-ups."))
    with transaction.atomic():
        fu = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if fu.voided_at is not None:
            raise Conflict(_("This follow-up is already void."), code="illegal_transition")
        fu.voided_at, fu.void_reason = timezone.now(), reason[:200]
        fu.save(update_fields=["voided_at", "void_reason", "updated_at"])
        ReferralSuggestion.objects.filter(followup=fu, status="open").update(status="dismissed")
        audit_write(actor=by, action=AuditAction.UPDATE, obj=fu, changes={"voided": [False, True]}, reason=reason)
        enrollments_recompute(queryset=Enrollment.objects.filter(pk=fu.enrollment_id))
    return fu


def risk_inputs(person: Person, measurements: Mapping[str, Any], on: date, *, diabetes: bool) -> dict[str, Any]:
    """The risk-equation JSON for a person from a follow-up's measurements (see ``risk.compute_risk``).

    Sex and age come from the person; the rest from what the follow-up recorded. Missing inputs stay missing,
    so that the equation names them rather than guessing.
    """
    data: dict[str, Any] = {k: measurements[k] for k in (
        "total_chol_mmol_l", "hdl_mmol_l", "sbp_mmhg", "waist_cm", "north", "urban", "family_history_ascvd",
        "race", "bp_treated",
    ) if measurements.get(k) is not None}  # fmt: skip
    if person.sex in ("1", "2"):
        data["sex"] = "male" if person.sex == "1" else "female"
    age = age_on(person, on)
    if age is not None:
        data["age_years"] = age
    if measurements.get("smoker") is not None:
        data["current_smoker"] = measurements["smoker"]
    # An enrolled diabetic is diabetic whatever a follow-up's own flag says (omitted, null or false).
    data["diabetes"] = diabetes or measurements.get("diabetes") is True
    return data


def try_risk(data: dict[str, Any]) -> RiskResult | None:
    try:
        return compute_risk({"equation": "china_par", **data})
    except RiskInputError:
        return None
