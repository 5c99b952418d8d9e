"""Online follow-up consultations (在线复诊) and e-prescriptions under the internet-diagnosis rules
(shared/regulation/README.md §2; 互联网诊疗管理办法（试行）2018 Arts. 16, 19, 25; 医师法 Art. 30;
互联网诊疗监管细则（试行）2022).

Every rule is refused here with its reason (``ValidationFailed``/``Conflict``/``Forbidden`` with a code):

- ``first_visit_online`` / ``no_offline_visit``: only a diagnosis already made face to face at a network institution
  (an active hypertension or type 2 diabetes enrolment with a face-to-face follow-up on record) is followed up online;
- ``doctor_not_eligible``: the doctor has ≥3 years of independent practice, the consent of their institution to
  online practice and malpractice cover valid on the day (checked at the request and again at every act);
- ``reauth_required`` / ``reauth_failed``: the doctor re-authenticates with their password before acting in each
  consultation, again on each new day;
- ``image_only``: a message's attachment is a photo, checked from its bytes like every clinical attachment;
- ``must_send_to_visit``: when what the patient reports meets a protocol's urgent criterion the consultation can
  only stop and send the patient to a visit in person (a referral up, through care's referral seam, or a visit at the
  GP center);
- ``controlled_drug_online``: no narcotic, psychotropic or other specially controlled drug (the formulary, data);
- the long-prescription rules of care (``care.services.check_prescription_line``);
- ``guardian_required``: a child under 6 only with a guardian present, recorded;
- ``prescription_unreviewed``: an e-prescription is used (dispensed) only after a pharmacist approved it; the doctor
  signs it (sha256 of its content, checked again at review: ``signature_mismatch``).

Each service is one transaction, audited; each state change is a ``Transition`` row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care import services as care
from tiercare.care.models import ContractMember, DrugClass, Enrollment, EnrollmentStatus, FollowUp, GpTeamMember
from tiercare.care.referral_maker import referral_maker
from tiercare.consults.models import (
    MIN_INDEPENDENT_PRACTICE_YEARS,
    OPEN_ONLINE,
    EPrescription,
    OnlineConsult,
    OnlineMessage,
    OnlineStatus,
    PrescriptionStatus,
    Transition,
    VisitKind,
)
from tiercare.consults.models.online import record_years, years_after
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_record, audit_write
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.files import check_upload
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.network.models import Department, InsurancePolicy, OnlinePracticeConsent, Organization, Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Person
from tiercare.people.selectors import person_scope_q

# The programs whose diagnoses are followed up online (common chronic diseases: 互联网诊疗管理办法 Art. 2).
ONLINE_PROGRAMS = ("hypertension", "diabetes_t2")
# 互联网诊疗管理办法（试行）Art. 19: for a child under 6, a guardian (and a relevant doctor) is present.
GUARDIAN_REQUIRED_UNDER_YEARS = 6
# Art. 19: no online prescription of narcotic, psychotropic or other specially controlled drugs (特殊管理药品: also
# toxic drugs for medical use, radioactive drugs and precursor chemicals).
ONLINE_BANNED_CLASSES = (
    DrugClass.NARCOTIC,
    DrugClass.PSYCHOTROPIC_I,
    DrugClass.PSYCHOTROPIC_II,
    DrugClass.TOXIC,
    DrugClass.RADIOACTIVE,
    DrugClass.PRECURSOR,
)
MAX_LINES = 5
# A visit in person the doctor sends the patient to: urgent within a day, else within two weeks (NBPHS 2017).
URGENT_VISIT_WITHIN_DAYS = 1
VISIT_WITHIN_DAYS = 14

MOVES: dict[str, tuple[str, ...]] = {
    # an open consultation may record an event without changing state (an urgent report while it waits)
    OnlineStatus.WAITING: (
        OnlineStatus.WAITING,
        OnlineStatus.IN_PROGRESS,
        OnlineStatus.SENT_TO_VISIT,
        OnlineStatus.CLOSED,
    ),
    OnlineStatus.IN_PROGRESS: (OnlineStatus.IN_PROGRESS, OnlineStatus.SENT_TO_VISIT, OnlineStatus.CLOSED),
    OnlineStatus.CLOSED: (),
    OnlineStatus.SENT_TO_VISIT: (),
}

register(
    "online_consult_new",
    "有一位患者申请在线复诊（{diagnosis}），请查看。",
    "A patient asks an online follow-up ({diagnosis}).",
)
register("online_consult_reply", "您的在线复诊有新消息。", "There is a new message in your online follow-up.")
register(
    "online_sent_to_visit",
    "医生已结束在线复诊，请到线下就诊：{reason}",
    "The doctor stopped the online follow-up and asks you to visit in person: {reason}",
)
register("eprescription_to_review", "有一张电子处方待审核。", "An e-prescription waits for your review.")
register("eprescription_reviewed", "您的电子处方审核结果：{status}。", "Your e-prescription was reviewed: {status}.")


# --- the formulary (data, illustrative) ----------------------------------------------------------------------------
@cache
def formulary() -> dict[str, dict[str, str]]:
    """The formulary by drug code (``consults/data/formulary.json``: illustrative, an operator replaces it)."""
    doc = json.loads((Path(__file__).resolve().parent.parent / "data" / "formulary.json").read_text("utf-8"))
    return {d["code"]: d for d in doc["drugs"]}


def online_formulary() -> list[dict[str, str]]:
    """The drugs an online prescription may name (the controlled classes left out)."""
    return [d for d in formulary().values() if d["drug_class"] not in ONLINE_BANNED_CLASSES]


# --- who and what qualifies ----------------------------------------------------------------------------------------
def online_diagnoses(person: Person) -> list[Enrollment]:
    """The person's diagnoses made in person that may be followed up online: active enrolments of ONLINE_PROGRAMS."""
    return list(
        Enrollment.objects.active().filter(person=person, protocol_code__in=ONLINE_PROGRAMS).order_by("protocol_code")
    )


def diagnosis_label(code: str) -> str:
    return {"hypertension": _("Hypertension"), "diabetes_t2": _("Type 2 diabetes")}.get(code, code)


def family_doctor(person: Person) -> tuple[Practitioner, Organization] | None:
    """The GP of the person's contracted family-doctor team, and the team's center (where the record is kept)."""
    member = ContractMember.objects.filter(person=person, active=True).select_related("team__center").first()
    if member is None:
        return None
    gp = (
        GpTeamMember.objects.filter(team=member.team, active=True, role="gp", practitioner__user__isnull=False)
        .select_related("practitioner__user")
        .order_by("created_at")
        .first()
    )
    return (gp.practitioner, member.team.center) if gp else None


def doctor_refusals(practitioner: Practitioner, institution: Organization, on: date) -> list[str]:
    """Why ``practitioner`` may not consult online for ``institution`` on ``on`` (empty: they may)."""
    reasons = []
    since = practitioner.independent_practice_since
    if since is None or years_after(MIN_INDEPENDENT_PRACTICE_YEARS, since) > on:
        reasons.append(_("fewer than 3 years of independent practice"))
    consents = OnlinePracticeConsent.objects.filter(practitioner=practitioner, organization=institution)
    if not any(c.is_valid_on(on) for c in consents):
        reasons.append(_("no consent of %(org)s to online practice valid today") % {"org": institution.name})
    if not any(p.is_valid_on(on) for p in InsurancePolicy.objects.filter(practitioner=practitioner)):
        reasons.append(_("no malpractice cover valid today"))
    return reasons


def _require_doctor_eligible(practitioner: Practitioner, institution: Organization) -> None:
    reasons = doctor_refusals(practitioner, institution, timezone.localdate())
    if reasons:
        raise ValidationFailed(
            _("The doctor %(name)s may not consult online today: %(reasons)s.")
            % {"name": practitioner.name, "reasons": "；".join(reasons)},
            code="doctor_not_eligible",
            details={"reasons": reasons},
        )


def _move(
    consult: OnlineConsult, to: str, *, by: User, reason: str = "", details: dict[str, Any] | None = None
) -> None:
    if to not in MOVES[consult.status]:
        raise Conflict(
            _("This cannot be done while the consultation is %(state)s.")
            % {"state": OnlineStatus(consult.status).label},
            code="illegal_transition",
            details={"state": consult.status, "wanted": to},
        )
    Transition.objects.create(
        object_type="online_consult",
        object_id=consult.pk,
        from_state=consult.status,
        to_state=to,
        by=by,
        reason=reason[:300],
        details=details or {},
    )
    consult.status = to


def _locked(consult: OnlineConsult) -> OnlineConsult:
    return (
        OnlineConsult.objects.select_for_update().select_related("doctor", "institution", "person").get(pk=consult.pk)
    )


# --- the patient asks ----------------------------------------------------------------------------------------------
def online_consult_request(
    *,
    by: User,
    person: Person,
    diagnosis: Enrollment | None,
    question: str,
    guardian_present: bool = False,
    guardian_name: str = "",
    guardian_relationship: str = "",
) -> OnlineConsult:
    """A patient (or their household proxy) asks their family doctor an online follow-up of ``diagnosis``.

    Refused with the reason: no diagnosis picked (a first visit online, ``first_visit_online``); a diagnosis not of
    an online program or with no face-to-face visit on record (``no_offline_visit``); no family doctor; the doctor
    not eligible today (``doctor_not_eligible``); a child under 6 without a guardian present (``guardian_required``);
    no question. A person or enrolment outside the user's scope is NotFound (audited)."""
    require_role(by, Role.PATIENT)
    if not Person.objects.filter(person_scope_q(by), pk=person.pk).exists():
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="online consult")
        raise NotFound(_("Not found."))
    if diagnosis is None:
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), person_id=person.pk,
                     reason="online consult refused: first visit")  # fmt: skip
        raise ValidationFailed(
            _(
                "diagnosis: an online consultation only follows up a diagnosis already made in person at a network "
                "institution. A first visit (首诊) cannot be made online: please see a doctor in person."
            ),
            code="first_visit_online",
            details={"field": "diagnosis"},
        )
    if diagnosis.person_id != person.pk:
        audit_denied(actor=by, object_type="care.enrollment", object_id=str(diagnosis.pk), reason="online consult")
        raise NotFound(_("Not found."))
    last = (
        FollowUp.objects.filter(enrollment=diagnosis, voided_at__isnull=True).order_by("-measured_at").first()
        if diagnosis.status == EnrollmentStatus.ACTIVE and diagnosis.protocol_code in ONLINE_PROGRAMS
        else None
    )
    if last is None:
        raise ValidationFailed(
            _(
                "diagnosis: no visit in person confirming this diagnosis is on record at a network institution; "
                "an online consultation cannot be the first visit. Please see your family doctor in person."
            ),
            code="no_offline_visit",
            details={"field": "diagnosis"},
        )
    found = family_doctor(person)
    if found is None:
        raise ValidationFailed(
            _("diagnosis: you have no contracted family doctor to consult online."),
            code="no_family_doctor",
            details={"field": "diagnosis"},
        )
    doctor, center = found
    today = timezone.localdate()
    age = care.age_on(person, today)
    guardian_name, guardian_relationship = guardian_name.strip(), guardian_relationship.strip()
    if age is not None and age < GUARDIAN_REQUIRED_UNDER_YEARS:
        if not guardian_present:
            raise ValidationFailed(
                _("guardian_present: %(name)s is under 6: an online consultation needs a guardian present.")
                % {"name": person.name},
                code="guardian_required",
                details={"field": "guardian_present"},
            )
        for field, value in (("guardian_name", guardian_name), ("guardian_relationship", guardian_relationship)):
            if not value:
                raise ValidationFailed(
                    _("%(field)s: name the guardian present and their relationship to the child.") % {"field": field},
                    code="guardian_required",
                    details={"field": field},
                )
    elif guardian_present and not (guardian_name and guardian_relationship):
        raise ValidationFailed(
            _("guardian_name: name the guardian present and their relationship."),
            code="guardian_required",
            details={"field": "guardian_name"},
        )
    if not question.strip():
        raise ValidationFailed(_("question: write your question."), details={"field": "question"})
    _require_doctor_eligible(doctor, center)
    with transaction.atomic():
        consult = OnlineConsult.objects.create(
            person=person,
            requested_by=by,
            doctor=doctor,
            institution=center,
            diagnosis_enrollment=diagnosis,
            diagnosis_label=diagnosis_label(diagnosis.protocol_code),
            diagnosed_at=center,
            last_visit_on=timezone.localdate(last.measured_at),
            question=question.strip()[:4000],
            guardian_present=bool(guardian_present and guardian_name and guardian_relationship),
            guardian_name=guardian_name[:60] if guardian_present else "",
            guardian_relationship=guardian_relationship[:30] if guardian_present else "",
        )
        Transition.objects.create(
            object_type="online_consult", object_id=consult.pk, to_state=OnlineStatus.WAITING, by=by,
            details={"diagnosis": str(diagnosis.pk), "last_visit_on": consult.last_visit_on.isoformat(),
                     "guardian_present": consult.guardian_present},
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=consult, changes={"diagnosis": diagnosis.protocol_code})
        if doctor.user is not None:
            notify_on_commit(doctor.user.username, "online_consult_new", {"diagnosis": consult.diagnosis_label})
    return consult


# --- the doctor ----------------------------------------------------------------------------------------------------
def _require_doctor(by: User, consult: OnlineConsult) -> None:
    if consult.doctor.user_id != by.pk:
        raise Forbidden(_("Only the consultation's doctor does this."), code="not_the_doctor")


def _require_ready(by: User, consult: OnlineConsult) -> None:
    """The consultation's own doctor, eligible today, re-authenticated in this consultation today."""
    _require_doctor(by, consult)
    if consult.status not in OPEN_ONLINE:
        raise Conflict(
            _("This cannot be done while the consultation is %(state)s.")
            % {"state": OnlineStatus(consult.status).label},
            code="illegal_transition",
            details={"state": consult.status},
        )
    _require_doctor_eligible(consult.doctor, consult.institution)
    at = consult.doctor_reauth_at
    if at is None or timezone.localdate(at) != timezone.localdate():
        raise Forbidden(
            _("Confirm your identity with your password before acting in this consultation."),
            code="reauth_required",
        )


def online_reauth(*, by: User, consult: OnlineConsult, password: str) -> OnlineConsult:
    """The doctor confirms their identity (password) before acting in this consultation (监管细则 2022: real-name
    authentication before each consultation; no one else may stand in). A wrong password is refused and audited."""
    _require_doctor(by, consult)
    if not password or not by.check_password(password):
        audit_denied(actor=by, object_type="consults.onlineconsult", object_id=str(consult.pk),
                     person_id=consult.person_id, reason="re-authentication failed")  # fmt: skip
        raise ValidationFailed(
            _("password: the password is wrong."), code="reauth_failed", details={"field": "password"}
        )
    with transaction.atomic():
        c = _locked(consult)
        if c.status not in OPEN_ONLINE:
            raise Conflict(
                _("This cannot be done while the consultation is %(state)s.") % {"state": OnlineStatus(c.status).label},
                code="illegal_transition",
                details={"state": c.status},
            )
        _require_doctor_eligible(c.doctor, c.institution)
        c.doctor_reauth_at = timezone.now()
        _move(c, OnlineStatus.IN_PROGRESS, by=by, reason="doctor re-authenticated")
        c.save(update_fields=["doctor_reauth_at", "status", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=c, changes={"reauthenticated": True})
    return c


def _is_patient_side(by: User, consult: OnlineConsult) -> bool:
    return by.role == Role.PATIENT and Person.objects.filter(person_scope_q(by), pk=consult.person_id).exists()


def online_message(
    *,
    by: User,
    consult: OnlineConsult,
    body: str = "",
    image: File | None = None,
    reading: Mapping[str, Any] | None = None,
    confirm_units: bool = False,
) -> OnlineMessage:
    """A text or image message from the patient's side or the (re-authenticated) doctor. A photo is checked from its
    bytes (``core.files.check_upload``) and must be an image. The patient may report a reading (blood pressure,
    glucose): it is filed as a self-reported home reading (care), and when it meets the protocol's urgent criterion
    the consultation is marked so: from then on it can only stop and send the patient to a visit in person."""
    from_doctor = consult.doctor.user_id == by.pk
    if from_doctor:
        _require_ready(by, consult)
    elif not _is_patient_side(by, consult):
        raise Forbidden(_("Only the patient and their doctor write in this consultation."))
    if consult.status not in OPEN_ONLINE:
        raise Conflict(
            _("This cannot be done while the consultation is %(state)s.")
            % {"state": OnlineStatus(consult.status).label},
            code="illegal_transition",
            details={"state": consult.status},
        )
    values = {k: v for k, v in (reading or {}).items() if v not in (None, "")}
    if values and from_doctor:
        raise ValidationFailed(_("reading: readings are reported by the patient."), details={"field": "reading"})
    body = body.strip()
    if not body and image is None and not values:
        raise ValidationFailed(_("body: write a message, or add a photo or a reading."), details={"field": "body"})
    meta: dict[str, Any] = {}
    if image is not None:
        name = (image.name or "photo").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
        image.seek(0)
        head = image.read(160)
        ctype = check_upload(name=name, size=image.size or 0, head=head)
        if not ctype.startswith("image/"):
            raise ValidationFailed(
                _("image: %(name)s is not a photo (PNG, JPEG, GIF, TIFF or WebP, checked from its content).")
                % {"name": name},
                code="image_only",
                details={"field": "image"},
            )
        digest = hashlib.sha256()
        image.seek(0)
        for chunk in image.chunks():
            digest.update(chunk)
        image.seek(0)
        meta = {
            "image_name": name,
            "image_type": ctype,
            "image_size": image.size or 0,
            "image_sha256": digest.hexdigest(),
        }
    stored = ""
    try:
        with transaction.atomic():
            c = _locked(consult)
            fired: list[dict[str, str]] = []
            if values:
                home = care.home_reading_report(
                    by=by, enrollment=c.diagnosis_enrollment, measured_at=timezone.now(), measurements=values,
                    confirm_units=confirm_units, source="online_consult",
                )  # fmt: skip
                fired = list(home.fired_rules)
            msg = OnlineMessage(consult=c, author=by, from_doctor=from_doctor, body=body[:4000], reading=values, **meta)
            if image is not None:
                msg.image.save(meta["image_name"], image, save=False)
                stored = msg.image.name
            msg.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=msg, changes={"image": bool(meta), "reading": values})
            if fired and not c.urgent_reported:
                c.urgent_reported = True
                c.urgent_rules = fired
                _move(c, c.status, by=by, reason="urgent criterion met", details={"rules": [r["id"] for r in fired]})
                c.save(update_fields=["urgent_reported", "urgent_rules", "updated_at"])
            recipient = c.requested_by.username if from_doctor else (c.doctor.user.username if c.doctor.user else "")
            if recipient:
                notify_on_commit(recipient, "online_consult_reply", {})
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    return msg


def online_mark_read(*, by: User, consult: OnlineConsult) -> int:
    """Read receipts: the messages of the other side that ``by`` (the doctor, or the patient's side) now sees."""
    if consult.doctor.user_id == by.pk:
        qs = consult.messages.filter(from_doctor=False, read_at__isnull=True)
    elif _is_patient_side(by, consult):
        qs = consult.messages.filter(from_doctor=True, read_at__isnull=True)
    else:
        return 0
    return qs.update(read_at=timezone.now())


def _push_retention(c: OnlineConsult) -> None:
    """Records are kept ≥15 years from the last visit: from the day the consultation ends."""
    until = years_after(record_years(), timezone.localdate())
    c.retain_until = until
    c.prescriptions.filter(retain_until__lt=until).update(retain_until=until)


def online_send_to_visit(
    *,
    by: User,
    consult: OnlineConsult,
    kind: str,
    reason: str,
    visit_by: date | None = None,
    department: Department | None = None,
) -> OnlineConsult:
    """The doctor stops the consultation and sends the patient to a visit in person (Art. 16: when the condition
    changes; required when an urgent criterion was reported): ``gp_visit`` owes a face-to-face follow-up at the GP
    center by ``visit_by`` (within a day when urgent, two weeks otherwise), ``referral`` makes a referral up to
    ``department`` through care's referral seam (the referrals app's rules apply: consent, a tertiary department)."""
    _require_ready(by, consult)
    if kind not in VisitKind.values:
        raise ValidationFailed(_("kind: choose where to send the patient."), details={"field": "kind"})
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the patient must be seen in person."), details={"field": "reason"})
    today = timezone.localdate()
    with transaction.atomic():
        c = _locked(consult)
        referral_id = None
        if kind == VisitKind.GP_VISIT:
            within = URGENT_VISIT_WITHIN_DAYS if c.urgent_reported else VISIT_WITHIN_DAYS
            if visit_by is None or visit_by < today or visit_by > today + timedelta(days=within):
                raise ValidationFailed(
                    _("visit_by: choose a day from today to %(last)s.")
                    % {"last": (today + timedelta(days=within)).isoformat()},
                    code="visit_by",
                    details={"field": "visit_by"},
                )
            care.enrollment_visit_owed(by=by, enrollment=c.diagnosis_enrollment, on=visit_by, reason=reason)
        else:
            if department is None:
                raise ValidationFailed(
                    _("department: choose the department to refer to."), details={"field": "department"}
                )
            made = referral_maker()(
                by=by, person=c.person, receiving_department=department, reason=reason.strip()[:300],
                diagnosis_text=c.diagnosis_label, diagnosis_code="", summary=c.question[:2000],
                urgency="emergency" if c.urgent_reported else "routine", green_channel=c.urgent_reported,
            )  # fmt: skip
            referral_id = made.referral_id
        c.visit_kind, c.visit_by, c.referral_id = kind, visit_by, referral_id
        c.stop_reason = reason.strip()[:300]
        c.closed_at = timezone.now()
        _move(c, OnlineStatus.SENT_TO_VISIT, by=by, reason=c.stop_reason, details={"kind": kind})
        _push_retention(c)
        c.save()
        audit_write(actor=by, action=AuditAction.UPDATE, obj=c, changes={"sent_to_visit": kind})
        notify_on_commit(c.requested_by.username, "online_sent_to_visit", {"reason": c.stop_reason})
    return c


def online_close(*, by: User, consult: OnlineConsult, summary: str) -> OnlineConsult:
    """The doctor closes the consultation with a summary. Refused when an urgent criterion was reported: then it must
    stop and send the patient to a visit in person (``must_send_to_visit``)."""
    _require_ready(by, consult)
    if consult.urgent_reported:
        raise Conflict(_must_visit_message(consult), code="must_send_to_visit")
    if not summary.strip():
        raise ValidationFailed(_("summary: write the consultation's summary."), details={"field": "summary"})
    with transaction.atomic():
        c = _locked(consult)
        c.summary = summary.strip()[:4000]
        c.closed_at = timezone.now()
        _move(c, OnlineStatus.CLOSED, by=by, reason="closed")
        _push_retention(c)
        c.save()
        audit_write(actor=by, action=AuditAction.UPDATE, obj=c, changes={"closed": True})
    return c


def _must_visit_message(consult: OnlineConsult) -> str:
    said = "；".join(r.get("explanation_zh", "") for r in consult.urgent_rules) if consult.urgent_rules else ""
    return _(
        "What the patient reported meets an urgent criterion of the protocol (%(rules)s): the consultation must stop "
        "and send the patient to a visit in person."
    ) % {"rules": said or "—"}


# --- e-prescriptions -----------------------------------------------------------------------------------------------
def content_digest(content: Mapping[str, Any]) -> str:
    """The sha256 the doctor signs: of the canonical JSON of the prescription's content."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _clean_line(person: Person, i: int, line: Mapping[str, Any]) -> dict[str, Any]:
    code = str(line.get("drug", ""))
    drug = formulary().get(code)
    if drug is None:
        raise ValidationFailed(
            _("drug: not a drug of the formulary."), code="unknown_drug", details={"field": "drug", "line": i}
        )
    if drug["drug_class"] in ONLINE_BANNED_CLASSES:
        raise ValidationFailed(
            _("drug: %(drug)s is a %(cls)s: narcotic, psychotropic and other specially controlled drugs are never "
              "prescribed online.") % {"drug": drug["zh"], "cls": DrugClass(drug["drug_class"]).label},
            code="controlled_drug_online",
            details={"field": "drug", "line": i},
        )  # fmt: skip
    try:
        days = int(line.get("supply_days") or 0)
    except (TypeError, ValueError):
        raise ValidationFailed(_("supply_days: enter a number of days."), details={"field": "supply_days"}) from None
    dose = str(line.get("dose", "")).strip()
    if not dose:
        raise ValidationFailed(_("dose: write the dose and how to take it."), details={"field": "dose", "line": i})
    assessment = str(line.get("assessment", "")).strip()
    confirmed = bool(line.get("patient_confirmed"))
    try:
        care.check_prescription_line(
            person=person, drug_class=drug["drug_class"], supply_days=days, assessment=assessment,
            patient_confirmed=confirmed,
        )  # fmt: skip
    except ValidationFailed as exc:
        details = dict(exc.details) if isinstance(exc.details, dict) else {}
        if details.get("field") == "drug_class":  # the form names the drug, not its class
            raise ValidationFailed(
                str(exc.message).replace("drug_class:", "drug:", 1), code=exc.code, details={**details, "field": "drug"}
            ) from None
        raise
    return {
        "drug": code,
        "name": drug["zh"],
        "drug_class": drug["drug_class"],
        "dose": dose[:120],
        "supply_days": days,
        "assessment": assessment[:1000],
        "patient_confirmed": confirmed,
    }


def eprescription_sign(*, by: User, consult: OnlineConsult, lines: Sequence[Mapping[str, Any]]) -> EPrescription:
    """The consultation's doctor writes and signs an e-prescription (personally: never generated; 监管细则 2022). It
    waits for a pharmacist's review and cannot be used before. Refused: not re-authenticated, an urgent criterion
    reported (``must_send_to_visit``), a controlled drug (``controlled_drug_online``), the long-prescription rules."""
    _require_ready(by, consult)
    if consult.urgent_reported:
        raise Conflict(_must_visit_message(consult), code="must_send_to_visit")
    if not lines:
        raise ValidationFailed(_("drug: prescribe at least one drug."), details={"field": "drug"})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(_("drug: at most 5 drugs on one prescription."), details={"field": "drug"})
    clean = [_clean_line(consult.person, i, line) for i, line in enumerate(lines)]
    with transaction.atomic():
        c = _locked(consult)
        now = timezone.now()
        content = {
            "consult": str(c.pk),
            "person": str(c.person_id),
            "person_name": c.person.name,
            "doctor": str(c.doctor_id),
            "doctor_name": c.doctor.name,
            "institution": str(c.institution_id),
            "institution_name": c.institution.name,
            "diagnosis": c.diagnosis_label,
            "lines": clean,
            "signed_at": now.isoformat(),
        }
        rx = EPrescription.objects.create(
            consult=c, person_id=c.person_id, doctor=c.doctor, institution=c.institution, content=content,
            content_sha256=content_digest(content), signed_by=by, signed_at=now, retain_until=c.retain_until,
        )  # fmt: skip
        Transition.objects.create(
            object_type="eprescription", object_id=rx.pk, to_state=rx.status, by=by,
            details={"sha256": rx.content_sha256},
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=rx, changes={"sha256": rx.content_sha256})
        for username in _pharmacists(c.institution_id):
            notify_on_commit(username, "eprescription_to_review", {})
    return rx


def _pharmacists(institution_id: Any) -> list[str]:
    return list(
        User.objects.filter(role=Role.PHARMACIST, is_active=True, practitioner__roles__organization_id=institution_id)
        .values_list("username", flat=True)
        .distinct()[:20]
    )


def is_pharmacist_of(by: User, institution_id: Any) -> bool:
    return by.is_authenticated and by.role == Role.PHARMACIST and institution_id in user_organization_ids(by)


def _rx_move(rx: EPrescription, to: str, *, by: User, reason: str = "") -> None:
    Transition.objects.create(
        object_type="eprescription", object_id=rx.pk, from_state=rx.status, to_state=to, by=by, reason=reason[:300]
    )
    rx.status = to


def eprescription_review(*, by: User, prescription: EPrescription, approve: bool, reason: str = "") -> EPrescription:
    """A pharmacist of the prescribing institution approves the e-prescription (it becomes valid) or returns it with
    a reason. Refused: not a pharmacist there (Forbidden), reviewed already (Conflict), content not matching the
    doctor's signature (``signature_mismatch``), returning without a reason."""
    if not is_pharmacist_of(by, prescription.institution_id):
        raise Forbidden(_("Only a pharmacist of the prescribing institution reviews its prescriptions."))
    if not approve and not reason.strip():
        raise ValidationFailed(_("reason: say why the prescription is returned."), details={"field": "reason"})
    with transaction.atomic():
        rx = EPrescription.objects.select_for_update().get(pk=prescription.pk)
        if rx.status != PrescriptionStatus.PENDING_REVIEW:
            raise Conflict(
                _("This prescription was reviewed already (%(state)s).")
                % {"state": PrescriptionStatus(rx.status).label},
                code="illegal_transition",
                details={"state": rx.status},
            )
        if content_digest(rx.content) != rx.content_sha256:
            raise Conflict(
                _("The prescription's content does not match the doctor's signature: it cannot be approved."),
                code="signature_mismatch",
            )
        rx.reviewed_by, rx.reviewed_at = by, timezone.now()
        if approve:
            _rx_move(rx, PrescriptionStatus.APPROVED, by=by)
        else:
            rx.return_reason = reason.strip()[:300]
            _rx_move(rx, PrescriptionStatus.RETURNED, by=by, reason=rx.return_reason)
        rx.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_reason", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=rx, changes={"review": rx.status})
        label = PrescriptionStatus(rx.status).label
        notify_on_commit(rx.consult.requested_by.username, "eprescription_reviewed", {"status": label})
        if rx.doctor.user is not None:
            notify_on_commit(rx.doctor.user.username, "eprescription_reviewed", {"status": label})
    return rx


def eprescription_dispense(*, by: User, prescription: EPrescription) -> EPrescription:
    """A pharmacist of the institution dispenses an approved e-prescription. An unreviewed (or returned, or already
    dispensed) prescription cannot be used: ``prescription_unreviewed`` / Conflict (also a check constraint)."""
    if not is_pharmacist_of(by, prescription.institution_id):
        raise Forbidden(_("Only a pharmacist of the prescribing institution dispenses its prescriptions."))
    with transaction.atomic():
        rx = EPrescription.objects.select_for_update().get(pk=prescription.pk)
        if rx.status == PrescriptionStatus.PENDING_REVIEW:
            raise Conflict(
                _("This prescription has not been reviewed by a pharmacist: it is not valid and cannot be used."),
                code="prescription_unreviewed",
            )
        if rx.status != PrescriptionStatus.APPROVED:
            raise Conflict(
                _("This prescription is %(state)s: it cannot be used.")
                % {"state": PrescriptionStatus(rx.status).label},
                code="illegal_transition",
                details={"state": rx.status},
            )
        rx.dispensed_by, rx.dispensed_at = by, timezone.now()
        _rx_move(rx, PrescriptionStatus.DISPENSED, by=by)
        rx.save(update_fields=["status", "dispensed_by", "dispensed_at", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=rx, changes={"dispensed": True})
    return rx


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# --- retention -----------------------------------------------------------------------------------------------------
def online_records_purge(*, today: date | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete what the law no longer keeps: messages (and their photos) past their ≥3-year ``retain_until``; then
    prescriptions and consultations past their ≥15-year ``retain_until`` (a consultation only when none of its
    messages or prescriptions is still kept). Everything still within its period stays. One audit row says what went.
    """
    today = today or timezone.localdate()
    messages = OnlineMessage.objects.filter(retain_until__lt=today)
    prescriptions = EPrescription.objects.filter(retain_until__lt=today)
    kept_messages = OnlineMessage.objects.filter(retain_until__gte=today).values("consult_id")
    kept_rx = EPrescription.objects.filter(retain_until__gte=today).values("consult_id")
    consults = OnlineConsult.objects.filter(retain_until__lt=today).exclude(Q(pk__in=kept_messages) | Q(pk__in=kept_rx))
    counts = {"messages": messages.count(), "prescriptions": prescriptions.count(), "consultations": consults.count()}
    if dry_run or not any(counts.values()):
        return counts
    with transaction.atomic():
        files = [n for n in messages.exclude(image="").values_list("image", flat=True) if n]
        consult_ids = list(consults.values_list("pk", flat=True))
        messages.delete()
        prescriptions.delete()
        OnlineConsult.objects.filter(pk__in=consult_ids).delete()
        audit_record(actor=None, action=AuditAction.DELETE, object_type="consults.onlineconsult",
                     reason="retention purge", details={**counts, "before": today.isoformat()})  # fmt: skip
        transaction.on_commit(lambda: _delete_files(files))
    return counts
