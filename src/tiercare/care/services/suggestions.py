"""Referral suggestions and the referral loop: acting on a suggestion, its deadline, and referrals that come back.

A follow-up whose rules call for a referral leaves an open ``ReferralSuggestion`` (``followups.followup_record``).
The team takes it (``suggestion_refer``: the referral is made by the referrals app, the next follow-up comes due
within 14 days) or dismisses it with a reason. An open suggestion past its deadline (``suggestion_due_on``: urgent,
the next working day; routine, 14 days) is escalated to the center's lead. The referrals app calls back when a
referral comes back down (``enrollments_after_back_referral``) or ends without care
(``suggestions_after_referral_ended``). Sources: NBPHS 2017 (3rd ed.), quoted beside each constant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import (
    ContractMember,
    Enrollment,
    EnrollmentStatus,
    GpTeamMember,
    OwedReason,
    ReferralSuggestion,
    SuggestionStatus,
)
from tiercare.care.protocols import load_protocol
from tiercare.care.referral_maker import referral_maker
from tiercare.care.services.membership import _require_resident_team
from tiercare.care.workdays import next_working_day as next_cn_working_day
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.network.models import Department
from tiercare.people.models import Person

# NBPHS 2017 (3rd ed.), hypertension and type 2 diabetes patient health management (shared/clinical/README.md §3–4,
# secondary; quoted in protocols/hypertension.json rule HTN-UNSAT-2X): "建议其转诊到上级医院，2周内主动随访转诊情况"
# (refer up, follow up the referral actively within 2 weeks); an urgent referral is followed up within 2 weeks too.
REFERRAL_FOLLOWUP_WITHIN_DAYS = 14
# The referral loop's urgencies (referrals.models.Urgency, named here by value: care does not import referrals).
# An urgent suggestion (NBPHS 紧急转诊: e.g. systolic ≥180 or diastolic ≥110 mmHg) becomes an emergency referral.
REFERRAL_URGENCY_URGENT = "emergency"
REFERRAL_URGENCY_ROUTINE = "routine"


def _lock_open_suggestion(suggestion: ReferralSuggestion) -> ReferralSuggestion:
    """The suggestion under a row lock, or Conflict naming its current state when it is no longer open."""
    s = (
        ReferralSuggestion.objects.select_for_update(of=("self",))
        .select_related("person", "followup__enrollment")
        .get(pk=suggestion.pk)
    )
    if s.status != SuggestionStatus.OPEN:
        raise Conflict(
            _("This referral suggestion is already %(s)s; only an open suggestion can be acted on.")
            % {"s": SuggestionStatus(s.status).label},
            code="illegal_transition",
            details={"state": s.status},
        )
    return s


REFERRAL_ACTIONS = frozenset({"refer_up", "urgent_referral"})


def _referral_reason(s: ReferralSuggestion) -> str:
    """The reason for referral from the follow-up that called for it: the day, the rules whose action is a referral
    (not, say, the health-education rule that fires at every visit) and their explanations, in the protocol's
    Chinese text as the receiving hospital reads it."""
    fu = s.followup
    if fu is None:  # a direct referral that came back: say why, as the receiving hospital reads it (Chinese)
        return f"前次转诊未完成（{s.return_reason}），再次转诊。"
    referring = {r.id for r in load_protocol(fu.enrollment.protocol_code).rules if REFERRAL_ACTIONS & set(r.actions)}
    fired = [r for r in fu.fired_rules if r["id"] in referring] or fu.fired_rules
    text = "；".join(r["explanation_zh"] for r in fired if r.get("explanation_zh")) or s.reason
    return f"[{', '.join(r['id'] for r in fired)}] {timezone.localdate(fu.measured_at).isoformat()}: {text}"


def _due_no_later_than(
    *, by: User | None, enrollments: QuerySet[Enrollment], latest: date, reason: str
) -> list[Enrollment]:
    """Bring each active enrolment's next follow-up forward to ``latest`` when it is later (or unset); a due date
    already earlier is kept. Each change is audited. Returns the enrolments changed. Caller holds the transaction."""
    changed: list[Enrollment] = []
    today = timezone.localdate()
    for e in enrollments.filter(status=EnrollmentStatus.ACTIVE).select_for_update().order_by("pk"):
        # Recorded even when the due date is already earlier, so that the recompute keeps to it (see
        # Enrollment.followup_owed_by) until a follow-up is filed.
        if e.followup_owed_by is None or latest < e.followup_owed_by:
            e.followup_owed_reason = OwedReason.REFERRAL
        e.followup_owed_by = min(latest, e.followup_owed_by or latest)
        e.followup_owed_since = e.followup_owed_since or today
        owed_fields = ["followup_owed_by", "followup_owed_since", "followup_owed_reason", "updated_at"]
        if e.next_due_on is not None and e.next_due_on <= latest:
            e.save(update_fields=owed_fields)
            continue
        before = e.next_due_on
        e.next_due_on = latest
        e.save(update_fields=["next_due_on", *owed_fields])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=e, changes={"next_due_on": [before, latest]}, reason=reason
        )
        changed.append(e)
    return changed


def suggestion_refer(
    *,
    by: User,
    suggestion: ReferralSuggestion,
    receiving_department: Department,
    diagnosis_text: str,
    diagnosis_code: str = "",
    urgency: str | None = None,
    green_channel: bool = False,
    summary: str = "",
) -> ReferralSuggestion:
    """Take an open referral suggestion: make the referral up, mark the suggestion taken and link it, and bring the
    enrolment's next follow-up to no later than the referral day + 14 days — NBPHS 2017 (3rd ed.), hypertension and
    type 2 diabetes: refer up, follow up the referral actively within 2 weeks (shared/clinical/README.md §3–4).

    The referral is made by the referrals app's ``referral_create``, reached through care's seam
    (:func:`tiercare.care.referral_maker.referral_maker`, ADR 0005), with the rules of its docstring (the user's
    organization, a tertiary receiving department, the patient's referral consent);
    urgency is ``emergency`` for an urgent suggestion and ``routine`` otherwise, unless given. One transaction: when
    the referral is refused nothing changes and the suggestion stays open.
    Raises Forbidden (not the resident's contracted team), Conflict ``illegal_transition`` with the current state
    (the suggestion is no longer open), and the referral service's own errors unchanged (e.g. ValidationFailed
    ``consent_missing``).
    """
    _require_resident_team(
        by, suggestion.person_id, _("Only the resident's contracted team acts on referral suggestions.")
    )
    with transaction.atomic():
        s = _lock_open_suggestion(suggestion)
        chosen = urgency or (REFERRAL_URGENCY_URGENT if s.urgent else REFERRAL_URGENCY_ROUTINE)
        made = referral_maker()(
            by=by,
            person=s.person,
            receiving_department=receiving_department,
            reason=_referral_reason(s),
            diagnosis_text=diagnosis_text,
            diagnosis_code=diagnosis_code,
            summary=summary,
            urgency=chosen,
            green_channel=green_channel,
        )
        acted_at = timezone.now()
        s.status, s.referral_id, s.acted_by, s.acted_at = SuggestionStatus.TAKEN, made.referral_id, by, acted_at
        s.save(update_fields=["status", "referral", "acted_by", "acted_at", "updated_at"])
        audit_write(
            actor=by,
            action=AuditAction.UPDATE,
            obj=s,
            changes={"status": ["open", "taken"], "referral": str(made.referral_id), "urgency": chosen},
        )
        day = timezone.localdate(made.sent_at or acted_at)
        _due_no_later_than(
            by=by,
            enrollments=(
                Enrollment.objects.filter(pk=s.followup.enrollment_id)
                if s.followup is not None
                else Enrollment.objects.filter(person_id=s.person_id)
            ),
            latest=day + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS),
            reason=f"referral {made.referral_id}: follow up within {REFERRAL_FOLLOWUP_WITHIN_DAYS} days (NBPHS 2017)",
        )
    return s


def suggestion_dismiss(*, by: User, suggestion: ReferralSuggestion, reason: str) -> ReferralSuggestion:
    """Dismiss an open referral suggestion (the team decides not to refer); the reason is required and kept.

    Raises ValidationFailed naming ``reason`` when it is blank, Forbidden (not the resident's contracted team),
    Conflict ``illegal_transition`` with the current state when the suggestion is no longer open.
    """
    _require_resident_team(
        by, suggestion.person_id, _("Only the resident's contracted team acts on referral suggestions.")
    )
    if not reason.strip():
        raise ValidationFailed(
            _("reason: say why no referral is made."), code="reason_required", details={"field": "reason"}
        )
    with transaction.atomic():
        s = _lock_open_suggestion(suggestion)
        s.status, s.dismiss_reason, s.acted_by, s.acted_at = (
            SuggestionStatus.DISMISSED,
            reason.strip()[:300],
            by,
            timezone.now(),
        )
        s.save(update_fields=["status", "dismiss_reason", "acted_by", "acted_at", "updated_at"])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=s, changes={"status": ["open", "dismissed"]}, reason=reason
        )
    return s


def enrollments_after_back_referral(
    *, person: Person, on: date, by: User | None = None, reference: str = ""
) -> list[Enrollment]:
    """After a back-referral (下转) on ``on``, bring the next follow-up of each of ``person``'s active enrolments to
    no later than ``on`` + 14 days (an earlier due date is kept); each change is audited. Called by the referrals
    app (``referrals.services.on_back_referral``) in the back-referral's transaction. Returns the changed ones.

    Source: NBPHS 2017 (3rd ed.), hypertension and type 2 diabetes: after a referral up, follow up actively within
    2 weeks (shared/clinical/README.md §3–4, secondary). The standard counts the 2 weeks from the referral; counting
    them again from the day the patient comes back is this project's reading (the patient returns with a new care
    plan), not the standard's text.
    """
    return _due_no_later_than(
        by=by,
        enrollments=Enrollment.objects.filter(person=person),
        latest=on + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS),
        reason=(reference or "back-referral") + f": follow up within {REFERRAL_FOLLOWUP_WITHIN_DAYS} days",
    )


# A suggestion's deadline (issue 11, clinical-safety review): NBPHS 2017 says an urgent referral is made "after first
# handling" (初步处理后紧急转诊) — the same day; tiercare gives the team until the end of the next working day
# before escalating to the center's lead. A routine refer-up is acted on within the 2 weeks the standard gives to
# follow up the referral. Working days are China's: weekends and public holidays are not, make-up working days on a
# weekend (调休) are (``care/workdays.py``, data with its source; hazard log H-10).
SUGGESTION_ROUTINE_DAYS = 14


# The department a suggestion proposes, by the program whose rule fired (data, corrected here without a code
# change); an urgent suggestion proposes the emergency department. Values are network Department.specialty codes.
SUGGESTED_SPECIALTY: dict[str, str] = {
    "hypertension": "cardiology",
    "diabetes_t2": "endocrinology",
    "cardiovascular_risk": "cardiology",
    "cancer_survivorship": "gastroenterology",
}


SUGGESTED_SPECIALTY_URGENT = "emergency"


def next_working_day(d: date) -> date:
    """The first working day after ``d`` (China's calendar: ``workdays.next_working_day``)."""
    return next_cn_working_day(d)


def suggestion_due_on(made_on: date, *, urgent: bool) -> date:
    """The last day to act on a suggestion made on ``made_on``: urgent, the next working day; routine, 14 days."""
    return next_working_day(made_on) if urgent else made_on + timedelta(days=SUGGESTION_ROUTINE_DAYS)


def suggested_specialty(protocol_code: str, rule_ids: list[str], *, urgent: bool) -> str:
    """The receiving department's specialty for a suggestion (``SUGGESTED_SPECIALTY``)."""
    if urgent:
        return SUGGESTED_SPECIALTY_URGENT
    return SUGGESTED_SPECIALTY.get(protocol_code, "")


def _center_lead_recipients(center_id: Any) -> list[str]:
    return [
        str(u)
        for u in GpTeamMember.objects.filter(
            center_lead=True, active=True, team__active=True, team__center_id=center_id
        ).values_list("practitioner__user__username", flat=True)
        if u
    ]


register(
    "care_suggestion_escalated",
    "转诊建议逾期未处理：{patient}（应于 {due} 前处理），已上报中心负责人。",
    "Referral suggestion not acted on: {patient} (due by {due}); escalated to the center's lead.",
)


def suggestions_escalate(*, today: date) -> int:
    """Escalate every open suggestion past its deadline (``due_on`` before ``today``) to its center's lead: marked
    ``escalated_at`` (it shows on the center's "escalated" worklist until acted on), audited, and the lead is told
    (core/notify). Idempotent: an escalated suggestion is not escalated again. Returns how many."""
    n = 0
    overdue = ReferralSuggestion.objects.filter(
        status=SuggestionStatus.OPEN, escalated_at__isnull=True, due_on__lt=today
    )
    for s in overdue.select_related("person"):
        with transaction.atomic():
            changed = ReferralSuggestion.objects.filter(pk=s.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            )
            if not changed:
                continue
            audit_write(actor=None, action=AuditAction.UPDATE, obj=s, changes={"escalated": [False, True]},
                        reason=f"not acted on by {s.due_on}")  # fmt: skip
            last = (
                ContractMember.objects.filter(person_id=s.person_id).select_related("team")
                .order_by("-active", "-created_at").first()
            )  # fmt: skip
            for recipient in _center_lead_recipients(last.team.center_id) if last else []:
                notify_on_commit(
                    recipient, "care_suggestion_escalated", {"patient": s.person.name, "due": str(s.due_on)}
                )
        n += 1
    return n


def suggestions_after_referral_ended(
    *,
    referral_id: Any,
    outcome: str,
    reason: str,
    on: date,
    by: User | None = None,
    person_id: Any = None,
    urgent: bool = False,
    specialty: str = "",
) -> list[ReferralSuggestion]:
    """A referral was declined, cancelled or expired: it comes back to the team, with the outcome and reason shown,
    a fresh deadline, on the team's "Referral suggested" worklist and the person page, so the patient is not lost
    between the two hospitals. A referral made from a suggestion opens that suggestion again; one made directly on
    the referrals pages (``person_id`` given) becomes an open suggestion without a follow-up, when the person is a
    resident of a team (under contract, or lapsed and owned by the center). Called by the referrals app
    (``referrals.services.on_referral_ended``) in the transition's transaction. Returns the suggestions opened."""
    reopened = []
    qs = ReferralSuggestion.objects.select_for_update().filter(referral_id=referral_id, status=SuggestionStatus.TAKEN)
    if person_id is not None and not qs.exists():
        return _direct_referral_returned(
            referral_id=referral_id, outcome=outcome, reason=reason, on=on, by=by, person_id=person_id,
            urgent=urgent, specialty=specialty,
        )  # fmt: skip
    for s in qs:
        s.status = SuggestionStatus.OPEN
        s.returned_at = timezone.now()
        s.return_reason = f"{outcome}: {reason}".strip()[:300]
        s.due_on = suggestion_due_on(on, urgent=s.urgent)
        s.escalated_at = None
        s.save(update_fields=["status", "returned_at", "return_reason", "due_on", "escalated_at", "updated_at"])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=s, changes={"status": ["taken", "open"]}, reason=s.return_reason
        )
        reopened.append(s)
    return reopened


def _direct_referral_returned(
    *,
    referral_id: Any,
    outcome: str,
    reason: str,
    on: date,
    by: User | None,
    person_id: Any,
    urgent: bool,
    specialty: str,
) -> list[ReferralSuggestion]:
    """A direct referral that ended comes back as an open suggestion (no follow-up), once per referral, for a
    person some team answers for (an active or lapsed contract membership); none otherwise (the referrals
    worklists still show it)."""
    if not ContractMember.objects.filter(person_id=person_id).exists():
        return []
    if ReferralSuggestion.objects.filter(referral_id=referral_id).exists():
        return []  # already came back (or was made from a suggestion that is no longer "taken")
    return_reason = f"{outcome}: {reason}".strip()[:300]
    s = ReferralSuggestion.objects.create(
        person_id=person_id, followup=None, urgent=urgent, rule_ids=[], status=SuggestionStatus.OPEN,
        reason="", referral_id=referral_id,
        due_on=suggestion_due_on(on, urgent=urgent), specialty=specialty[:40], returned_at=timezone.now(),
        return_reason=return_reason,
    )  # fmt: skip
    audit_write(actor=by, action=AuditAction.CREATE, obj=s, changes={"status": "open", "referral": str(referral_id)},
                reason=return_reason)  # fmt: skip
    return [s]
