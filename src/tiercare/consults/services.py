"""Writes of the consults app: cases, attachments, tele-consultations, second opinions, MDT cases and meetings.

Each service is one transaction, audited, and moves a status only through the transition tables below, writing a
Transition row (who, when, from, to, why). An illegal move raises Conflict(code="illegal_transition",
details={"state": current}).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiercare.consults import availability, routing, slots
from tiercare.consults.models import (
    OPEN_CONSULT,
    Case,
    CaseAttachment,
    ConclusionAction,
    ConsultMessage,
    ConsultStatus,
    MdtCase,
    MdtMeeting,
    MdtParticipant,
    MdtStatus,
    OpinionAddendum,
    OpinionStatus,
    Outcome,
    Priority,
    SecondOpinion,
    Teleconsult,
    Transition,
    deadline_for,
)
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.crud import validation_failed
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.files import check_upload
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.network.models import Organization, Practitioner, Specialty
from tiercare.network.practice import allowed_at_q, practice_basis
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.people.selectors import person_scope_q

CASE_OPENERS = (Role.GP, Role.COORDINATOR, Role.PATIENT)
TELECONSULT_ASKERS = (Role.GP, Role.COORDINATOR)  # a grassroots doctor or GP asks; a patient asks for an opinion
MDT_OPENERS = (Role.OPS, Role.GP)

register("consult_assigned", "您有新的{kind}待回复，截止{deadline}。", "New {kind} for you, due {deadline}.")
register("consult_reminder", "{kind}将于{deadline}到期，请尽快回复。", "{kind} due {deadline}: please answer.")
register(
    "consult_escalated", "{kind}临近截止（{deadline}）仍未回复。", "{kind} near its deadline ({deadline}), unanswered."
)
register("consult_rerouted", "{kind}已转给其他专家：{reason}", "{kind} re-routed to another expert: {reason}")
register("consult_answered", "您的{kind}已有专家回复。", "An expert answered your {kind}.")
register("mdt_scheduled", "MDT会诊定于{starts_at}。", "MDT meeting booked for {starts_at}.")
register("mdt_care_plan", "MDT会诊结论及照护计划已返回。", "The MDT conclusion and care plan are back with you.")

# --- transitions --------------------------------------------------------------------------------------------------
TELECONSULT_MOVES: dict[str, set[str]] = {
    ConsultStatus.UNASSIGNED: {ConsultStatus.ASSIGNED, ConsultStatus.CANCELLED},
    ConsultStatus.ASSIGNED: {
        ConsultStatus.ASSIGNED,  # re-routed to another expert
        ConsultStatus.UNASSIGNED,
        ConsultStatus.ANSWERED,
        ConsultStatus.CLOSED,
        ConsultStatus.CANCELLED,
    },
    ConsultStatus.ANSWERED: {ConsultStatus.ANSWERED, ConsultStatus.CLOSED, ConsultStatus.CANCELLED},
    ConsultStatus.CLOSED: set(),
    ConsultStatus.CANCELLED: set(),
}
OPINION_MOVES: dict[str, set[str]] = {
    OpinionStatus.UNASSIGNED: {OpinionStatus.ASSIGNED, OpinionStatus.CANCELLED},
    OpinionStatus.ASSIGNED: {
        OpinionStatus.ASSIGNED,
        OpinionStatus.UNASSIGNED,
        OpinionStatus.SIGNED,
        OpinionStatus.CANCELLED,
    },
    OpinionStatus.SIGNED: set(),
    OpinionStatus.CANCELLED: set(),
}
MDT_MOVES: dict[str, set[str]] = {
    MdtStatus.REQUESTED: {MdtStatus.SCHEDULED, MdtStatus.CANCELLED},
    MdtStatus.SCHEDULED: {MdtStatus.CONCLUDED, MdtStatus.CANCELLED},
    MdtStatus.CONCLUDED: set(),
    MdtStatus.CANCELLED: set(),
}
MOVES = {Teleconsult: TELECONSULT_MOVES, SecondOpinion: OPINION_MOVES, MdtCase: MDT_MOVES}


def _state_label(state: str) -> str:
    """A status named in the user's language (the code stays in the error's details)."""
    for choices in (ConsultStatus, OpinionStatus, MdtStatus):
        if state in choices.values:
            return str(choices(state).label)
    return state


def illegal(state: str, wanted: str = "") -> Conflict:
    return Conflict(
        _("This cannot be done while the item is %(state)s.") % {"state": _state_label(state)},
        code="illegal_transition",
        details={"state": state, "wanted": wanted},
    )


def check_move(obj: Any, to: str) -> None:
    if to not in MOVES[type(obj)][obj.status]:
        raise illegal(obj.status, to)


def _move(obj: Any, to: str, *, by: User | None, reason: str = "", details: dict | None = None) -> None:
    """Move ``obj`` to ``to`` (checked against the table) and record the transition. Caller saves ``obj``."""
    check_move(obj, to)
    Transition.objects.create(
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        from_state=obj.status,
        to_state=to,
        by=by if by is not None and by.is_authenticated else None,
        reason=reason[:300],
        details=details or {},
    )
    obj.status = to


def _save(obj: models.Model, *, by: User | None, action: str = AuditAction.UPDATE, changes: dict | None = None) -> None:
    obj.save()
    audit_write(actor=by, action=action, obj=obj, changes=changes or {})


def _locked(obj: Any) -> Any:
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def _clean(obj: models.Model, exclude: list[str] | None = None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_failed(exc) from exc


def _kind(obj: Any) -> Any:  # lazy: the message is sent in Chinese whatever the page's language (core.notify)
    return gettext_lazy("tele-consultation") if isinstance(obj, Teleconsult) else gettext_lazy("second opinion")


def _aware(dt: datetime) -> datetime:
    """A time without a zone is read as Asia/Shanghai wall time (what a coordinator types)."""
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


# --- case file ----------------------------------------------------------------------------------------------------
def active_consent(person: Person, org: Organization) -> Consent | None:
    """The patient's active written consent to remote consultation recorded for the inviting institution."""
    return (
        Consent.objects.in_force()
        .filter(person=person, scope=ConsentScope.TELECONSULTATION)
        .filter(Q(granted_to=org) | Q(granted_to__isnull=True))
        .order_by("-granted_at")
        .first()
    )


def _requesting_org(by: User, person: Person) -> Organization:
    household = getattr(getattr(person, "membership", None), "household", None)
    if household is None:
        raise ValidationFailed(_("person: the patient is not registered in a household."), details={"field": "person"})
    if by.role != Role.PATIENT and household.registered_at_id not in user_organization_ids(by):
        raise Forbidden(_("You may open cases only for patients registered at your institution."))
    return household.registered_at


def case_create(
    *,
    by: User,
    person: Person,
    question: str,
    history: str = "",
    findings: str = "",
    current_treatment: str = "",
) -> Case:
    """Open a case for ``person``. Refused unless ``by`` may see the person (their care team, or the patient or
    proxy), and unless written consent to remote consultation is on file at the inviting institution (checked
    first: no case data is stored without it)."""
    require_role(by, *CASE_OPENERS)
    if not Person.objects.filter(person_scope_q(by), pk=person.pk).exists():
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="open case")
        raise NotFound(_("No such person."))
    org = _requesting_org(by, person)
    consent = active_consent(person, org)
    if consent is None:
        raise ValidationFailed(
            _("consent: %(person)s has no written consent to remote consultation on file at %(org)s; record it first.")
            % {"person": person.name, "org": org.name},
            code="consent_missing",
            details={"field": "consent", "scope": ConsentScope.TELECONSULTATION.value, "person": str(person.pk)},
        )
    case = Case(
        person=person,
        consent=consent,
        requested_by=by,
        requesting_practitioner=getattr(by, "practitioner", None) if by.role != Role.PATIENT else None,
        requesting_org=org,
        question=question.strip(),
        history=history,
        findings=findings,
        current_treatment=current_treatment,
    )
    _clean(case)
    with transaction.atomic():
        _save(case, by=by, action=AuditAction.CREATE)
    return case


def can_upload(by: User, case: Case) -> bool:
    """Whether ``by`` adds files to ``case``: its requester and the experts assigned to it."""
    return _can_upload(by, case)


def may_open_mdt(by: User, case: Case) -> bool:
    """mdt_create's rule, for pages to offer the form: the GP who requested the case, or the operations user
    coordinating it."""
    if by.role == Role.GP:
        return case.requested_by_id == by.pk
    return by.role == Role.OPS and case.coordinated_by_id == by.pk


def _can_upload(by: User, case: Case) -> bool:
    if case.requested_by_id == by.pk:
        return True
    practitioner = getattr(by, "practitioner", None)
    return practitioner is not None and (
        case.teleconsults.filter(expert=practitioner).exists() or case.opinions.filter(expert=practitioner).exists()
    )


def attachment_add(*, by: User, case: Case, upload: File) -> CaseAttachment:
    """Attach a file to ``case``. Its size is checked before it is read and its type sniffed from the bytes; a refused
    file raises ValidationFailed with the reason and leaves the case and its other attachments as they were."""
    if not _can_upload(by, case):
        raise Forbidden(_("Only the requester and the assigned experts add files to a case."))
    name = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(160)
    ctype = check_upload(name=name, size=size, head=head)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    row = CaseAttachment(
        case=case, filename=name, content_type=ctype, size=size, sha256=digest.hexdigest(), uploaded_by=by
    )
    stored = ""
    try:
        with transaction.atomic():
            row.file.save(name, upload, save=False)
            stored = row.file.name
            row.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"filename": name, "size": size})
    except Exception:
        if stored:  # the row was not written: leave no orphan file in storage
            default_storage.delete(stored)
        raise
    return row


# --- assignment shared by tele-consultations and second opinions --------------------------------------------------
def _assign(work: Any, routed: routing.Routed) -> None:
    work.expert = routed.expert
    work.basis = routed.decision.basis
    work.basis_reference = routed.decision.reference[:120]
    work.agreement = routed.agreement


def notify_expert(work: Any, code: str, **params: Any) -> None:
    user = work.expert.user if work.expert_id else None
    if user is not None:
        notify_on_commit(user.username, code, {"kind": _kind(work), "deadline": _local(work.deadline), **params})


def _check_specialty(specialty: str) -> None:
    if specialty not in Specialty.values:
        raise ValidationFailed(
            _("specialty: %(s)s is not a known specialty.") % {"s": specialty}, details={"field": "specialty"}
        )


def _request(model: type, *, by: User, case: Case, specialty: str, priority: str, expert: Practitioner | None) -> Any:
    if case.requested_by_id != by.pk:
        raise Forbidden(_("Only the requester of the case asks for consultations on it."))
    _check_specialty(specialty)
    if priority not in Priority.values:
        raise ValidationFailed(_("priority: must be routine or urgent."), details={"field": "priority"})
    now = timezone.now()
    deadline = deadline_for(priority, now)
    routed = routing.route(
        specialty=specialty, site=case.requesting_org, deadline=deadline, person_id=case.person_id, expert=expert
    )
    work = model(case=case, specialty=specialty, priority=priority, deadline=deadline, created_at=now)
    _assign(work, routed)
    _move(
        work,
        "assigned",
        by=by,
        reason="routed",
        details={
            "expert": str(routed.expert.pk),
            "basis": routed.decision.basis,
            "agreement": str(routed.agreement.pk),
        },
    )
    _save(work, by=by, action=AuditAction.CREATE)
    notify_expert(work, "consult_assigned")
    return work


@transaction.atomic
def teleconsult_request(
    *, by: User, case: Case, specialty: str, priority: str = Priority.ROUTINE, expert: Practitioner | None = None
) -> Teleconsult:
    """Ask an expert of ``specialty`` about ``case`` (远程会诊). Routed at once (routing.route: agreement on file,
    ≥3 years' practice, legal basis and cover at the inviting site through the deadline); ValidationFailed names the
    rule when no expert qualifies."""
    require_role(by, *TELECONSULT_ASKERS)
    return _request(Teleconsult, by=by, case=case, specialty=specialty, priority=priority, expert=expert)


@transaction.atomic
def opinion_request(
    *, by: User, case: Case, specialty: str, priority: str = Priority.ROUTINE, expert: Practitioner | None = None
) -> SecondOpinion:
    """Ask for an expert's written second opinion on ``case``; routed like a tele-consultation."""
    return _request(SecondOpinion, by=by, case=case, specialty=specialty, priority=priority, expert=expert)


def _is_expert_of(by: User, work: Any) -> bool:
    practitioner = getattr(by, "practitioner", None)
    return practitioner is not None and work.expert_id == practitioner.pk


@transaction.atomic
def teleconsult_message(*, by: User, teleconsult: Teleconsult, body: str) -> ConsultMessage:
    """Add a message to the thread (requester or assigned expert). The expert's first message is the first answer."""
    tc = _locked(teleconsult)
    is_expert = _is_expert_of(by, tc)
    if not is_expert and tc.case.requested_by_id != by.pk:
        raise Forbidden(_("Only the requester and the assigned expert write in this thread."))
    if tc.status not in OPEN_CONSULT:
        raise illegal(tc.status, "message")
    if not body.strip():
        raise ValidationFailed(_("body: write a message."), details={"field": "body"})
    msg = ConsultMessage(teleconsult=tc, author=by, body=body.strip())
    _clean(msg, exclude=["teleconsult", "author"])
    msg.save()
    audit_write(actor=by, action=AuditAction.CREATE, obj=tc, changes={"message": str(msg.pk)})
    if is_expert and tc.first_answer_at is None:
        tc.first_answer_at = msg.created_at
        _move(tc, ConsultStatus.ANSWERED, by=by, reason="first answer")
        tc.save(update_fields=["first_answer_at", "status", "updated_at"])
        notify_on_commit(tc.case.requested_by.username, "consult_answered", {"kind": _kind(tc)})
    teleconsult.refresh_from_db()
    return msg


@transaction.atomic
def teleconsult_close(*, by: User, teleconsult: Teleconsult, outcome: str, note: str = "") -> Teleconsult:
    """The assigned expert closes with an outcome; the answer is filed into the inviting institution's record."""
    tc = _locked(teleconsult)
    if not _is_expert_of(by, tc):
        raise Forbidden(_("Only the assigned expert closes a tele-consultation."))
    if outcome not in Outcome.values:
        raise ValidationFailed(
            _("outcome: not a known outcome."), details={"field": "outcome", "allowed": Outcome.values}
        )
    check_move(tc, ConsultStatus.CLOSED)
    now = timezone.now()
    if note.strip():
        ConsultMessage.objects.create(teleconsult=tc, author=by, body=note.strip())
    tc.first_answer_at = tc.first_answer_at or now
    tc.outcome = outcome
    tc.closed_at = now
    tc.filed_to = tc.case.requesting_org
    _move(tc, ConsultStatus.CLOSED, by=by, reason=outcome)
    _save(tc, by=by, changes={"outcome": outcome})
    if tc.case.requested_by_id:
        notify_on_commit(tc.case.requested_by.username, "consult_answered", {"kind": _kind(tc)})
    return tc


@transaction.atomic
def teleconsult_ask_more(*, by: User, teleconsult: Teleconsult, body: str) -> ConsultMessage:
    """The assigned expert asks the requester for more information (outcome coding: more information needed). The
    question is a message of the thread (the expert's first answer, for the deadline) and the tele-consultation
    stays open for the requester's reply; the request is a Transition row with that outcome as its reason."""
    if not _is_expert_of(by, teleconsult):
        raise Forbidden(_("Only the assigned expert asks for more information."))
    if not body.strip():
        raise ValidationFailed(_("body: say what information you need."), details={"field": "body"})
    msg = teleconsult_message(by=by, teleconsult=teleconsult, body=body)
    tc = _locked(teleconsult)
    _move(tc, tc.status, by=by, reason=Outcome.MORE_INFORMATION, details={"message": str(msg.pk)})
    return msg


@transaction.atomic
def work_decline(*, by: User, work: Any, reason: str) -> Any:
    """The assigned expert declines an open tele-consultation or opinion they have not answered, with a reason: it
    goes to another allowed expert (work_reroute), or back to unassigned with operations told. Refused: anyone but
    the assigned expert (Forbidden), no reason (ValidationFailed), already answered (Conflict)."""
    row = _locked(work)
    if not _is_expert_of(by, row):
        raise Forbidden(_("Only the assigned expert declines it."))
    if not reason.strip():
        raise ValidationFailed(_("reason: say why you decline."), details={"field": "reason"})
    if row.first_answer_at is not None or row.status not in ("assigned",):
        raise illegal(row.status, "declined")
    if isinstance(row, SecondOpinion) and row.text:  # the next expert starts from a blank page, not this draft
        row.text = ""
        row.save(update_fields=["text", "updated_at"])
    return work_reroute(work=row, reason=_("Declined by the expert: %(reason)s") % {"reason": reason.strip()}, by=by)


@transaction.atomic
def work_cancel(*, by: User, work: Any, reason: str = "") -> Any:
    """The requester (or the coordinating ops user) withdraws an open tele-consultation or opinion."""
    row = _locked(work)
    if row.case.requested_by_id != by.pk and row.case.coordinated_by_id != by.pk:
        raise Forbidden(_("Only the requester or the coordinator cancels it."))
    _move(row, "cancelled", by=by, reason=reason)
    _save(row, by=by, changes={"status": "cancelled"})
    return row


def expert_still_allowed(work: Any, today: Any = None) -> bool:
    """Whether the assigned expert is allowed at the inviting site on every day up to the deadline."""
    if work.expert_id is None:
        return False
    site = work.case.requesting_org
    day = today or timezone.localdate()
    last = timezone.localdate(work.deadline)
    qs = Practitioner.objects.filter(pk=work.expert_id)
    while day <= last:
        qs = qs.filter(allowed_at_q(site, day))
        day += timedelta(days=1)
    return qs.exists()


@transaction.atomic
def work_reroute(*, work: Any, reason: str, by: User | None = None) -> Any:
    """Hand an open consult or opinion to another allowed expert (for example when the assigned expert's cover or
    basis lapses before the deadline). With nobody else allowed it goes back to unassigned and operations are
    told."""
    row = _locked(work)
    if row.first_answer_at is not None and isinstance(row, SecondOpinion):
        raise illegal(row.status, "assigned")
    previous = row.expert
    exclude = (previous.pk,) if previous else ()
    try:
        routed = routing.route(
            specialty=row.specialty,
            site=row.case.requesting_org,
            deadline=row.deadline,
            person_id=row.case.person_id,
            exclude=exclude,
        )
    except ValidationFailed as exc:
        row.expert = None
        row.basis = row.basis_reference = ""
        _move(row, "unassigned", by=by, reason=f"{reason}; {exc.code}")
        _save(row, by=by, changes={"expert": [str(previous.pk) if previous else None, None]})
        notify_ops(row, "consult_escalated")
        return row
    _assign(row, routed)
    _move(
        row,
        row.status if row.status == ConsultStatus.ANSWERED else "assigned",
        by=by,
        reason=reason,
        details={"from_expert": str(previous.pk) if previous else "", "to_expert": str(routed.expert.pk)},
    )
    row.reminded_at = row.escalated_at = None
    _save(row, by=by, changes={"expert": [str(previous.pk) if previous else None, str(routed.expert.pk)]})
    if previous is not None and previous.user is not None:
        notify_on_commit(previous.user.username, "consult_rerouted", {"kind": _kind(row), "reason": reason})
    notify_expert(row, "consult_assigned")
    return row


def notify_ops(work: Any, code: str) -> None:
    for username in User.objects.filter(role=Role.OPS, is_active=True).values_list("username", flat=True)[:20]:
        notify_on_commit(username, code, {"kind": _kind(work), "deadline": _local(work.deadline)})


# --- second opinion -----------------------------------------------------------------------------------------------
def _signed_refusal(op: SecondOpinion) -> Conflict:
    return illegal(op.status, "edit")


@transaction.atomic
def opinion_draft(*, by: User, opinion: SecondOpinion, text: str) -> SecondOpinion:
    """The assigned expert saves a draft. A signed opinion is never changed: Conflict(illegal_transition)."""
    op = _locked(opinion)
    if not _is_expert_of(by, op):
        raise Forbidden(_("Only the assigned expert writes the opinion."))
    if op.status != OpinionStatus.ASSIGNED:
        raise _signed_refusal(op)
    old = op.text
    op.text = text
    _clean(op, exclude=["case", "expert", "agreement", "signed_by"])
    _save(op, by=by, changes={"text": [len(old), len(text)]})
    return op


@transaction.atomic
def opinion_sign(*, by: User, opinion: SecondOpinion, text: str | None = None) -> SecondOpinion:
    """Sign the opinion (who, when). From then on it is immutable; corrections are addenda."""
    op = _locked(opinion)
    if not _is_expert_of(by, op):
        raise Forbidden(_("Only the assigned expert signs the opinion."))
    check_move(op, OpinionStatus.SIGNED)
    if text is not None:
        op.text = text
    if not op.text.strip():
        raise ValidationFailed(_("text: write the opinion before signing it."), details={"field": "text"})
    now = timezone.now()
    op.signed_by, op.signed_at = by, now
    op.first_answer_at = op.first_answer_at or now
    _move(op, OpinionStatus.SIGNED, by=by, reason="signed")
    _save(op, by=by, changes={"signed_at": now})
    notify_on_commit(op.case.requested_by.username, "consult_answered", {"kind": _kind(op)})
    return op


@transaction.atomic
def opinion_addendum(*, by: User, opinion: SecondOpinion, text: str) -> OpinionAddendum:
    """A signed correction to a signed opinion, by its signer (the opinion row never changes)."""
    op = _locked(opinion)
    if op.status != OpinionStatus.SIGNED:
        raise illegal(op.status, "addendum")
    if op.signed_by_id != by.pk:
        raise Forbidden(_("Only the expert who signed the opinion adds addenda."))
    if not text.strip():
        raise ValidationFailed(_("text: write the addendum."), details={"field": "text"})
    row = OpinionAddendum.objects.create(opinion=op, text=text.strip(), signed_by=by)
    audit_write(actor=by, action=AuditAction.CREATE, obj=op, changes={"addendum": str(row.pk)})
    return row


# --- MDT ----------------------------------------------------------------------------------------------------------
@transaction.atomic
def mdt_create(
    *, by: User, case: Case, specialties: list[str], deadline: datetime, coordinator: User | None = None
) -> MdtCase:
    """Make ``case`` an MDT case. Who may: the GP who requested the case (a GP-organised MDT), or the operations
    user already coordinating it. Operations never make themselves coordinator of a case they are not on (issue 10:
    an ops user naming any case id became its coordinator and then read it); the requesting GP may hand the MDT to an
    operations coordinator by naming one (``coordinator``, an active ops user). Refused with NotFound (the case is
    not the user's, without telling whether it exists), ValidationFailed (fewer than two specialties, unknown
    specialty, past deadline, a coordinator who is not an active operations user, a case already coordinated by
    someone else)."""
    require_role(by, *MDT_OPENERS)
    own = case.requested_by_id == by.pk if by.role == Role.GP else case.coordinated_by_id == by.pk
    if not own:
        audit_denied(actor=by, object_type="consults.case", object_id=str(case.pk), reason="open MDT")
        raise NotFound(_("Not found."))
    if coordinator is not None:
        if by.role != Role.GP:
            raise ValidationFailed(
                _("coordinator: only the requesting GP names the MDT's coordinator."), details={"field": "coordinator"}
            )
        if coordinator.role != Role.OPS or not coordinator.is_active:
            raise ValidationFailed(
                _("coordinator: must be an active operations user."), details={"field": "coordinator"}
            )
        if case.coordinated_by_id not in (None, coordinator.pk):
            raise ValidationFailed(
                _("coordinator: the case already has another coordinator."), details={"field": "coordinator"}
            )
    specs = list(dict.fromkeys(specialties))
    deadline = _aware(deadline)
    if len(specs) < 2:
        raise ValidationFailed(
            _("specialties: an MDT needs at least two specialties."), details={"field": "specialties"}
        )
    for s in specs:
        _check_specialty(s)
    if deadline <= timezone.now():
        raise ValidationFailed(_("deadline: must be in the future."), details={"field": "deadline"})
    if coordinator is not None and case.coordinated_by_id is None:
        case.coordinated_by = coordinator
        case.save(update_fields=["coordinated_by", "updated_at"])
    mdt = MdtCase(case=case, specialties=specs, requested_by=by, site=case.requesting_org, deadline=deadline)
    mdt.save()
    Transition.objects.create(object_type="mdtcase", object_id=mdt.pk, to_state=mdt.status, by=by, reason="created")
    audit_write(actor=by, action=AuditAction.CREATE, obj=mdt, changes={"specialties": specs})
    return mdt


def can_organise(by: User, mdt: MdtCase) -> bool:
    """Who books an MDT's meeting: the user who opened the MDT, or the operations user coordinating its case."""
    return mdt.requested_by_id == by.pk or (by.role == Role.OPS and mdt.case.coordinated_by_id == by.pk)


def mdt_candidates(
    mdt: MdtCase, *, earliest: datetime, only: dict[str, Practitioner] | None = None
) -> list[slots.Candidate]:
    """The slot finder's input: for each specialty, the qualified experts (only the one the organiser picked, for a
    specialty in ``only``), the days the practice rule allows them at the site, when they are busy (MDT meetings,
    outreach sessions with their travel, leave) and the hours they meet in (consults.availability), and their
    continuity with this patient."""
    site = mdt.site
    first = timezone.localdate(earliest)
    last = timezone.localdate(mdt.deadline)
    out: list[slots.Candidate] = []
    per_spec: list[tuple[str, list[Practitioner]]] = []
    for spec in mdt.specialties:
        # deadline_day before today: no per-day filter here; allowed days are computed per day below, so an expert
        # covered for only part of the window still counts on the days they are covered.
        picked = (only or {}).get(spec)
        qs, code = routing.candidates(
            specialty=spec,
            site=site,
            today=first,
            deadline_day=first - timedelta(days=1),
            person_id=mdt.case.person_id,
            only=picked.pk if picked is not None else None,
        )
        per_spec.append((spec, list(qs) if not code else []))
    everyone = list({p.pk: p for _spec, experts in per_spec for p in experts}.values())
    days: dict[Any, set] = {p.pk: set() for p in everyone}
    day = first
    while day <= last and days:
        for pk in Practitioner.objects.filter(allowed_at_q(site, day), pk__in=list(days)).values_list("pk", flat=True):
            days[pk].add(day)
        day += timedelta(days=1)
    calendar = availability.calendars(everyone, earliest=earliest, last_day=last)
    for spec, experts in per_spec:
        for p in experts:
            busy, hours = calendar[p.pk]
            out.append(
                slots.Candidate(
                    key=p.pk,
                    specialty=spec,
                    allowed_days=frozenset(days[p.pk]),
                    busy=busy,
                    continuity=getattr(p, "same_patient", 0),
                    hours=hours,
                )
            )
    return out


def mdt_propose(
    *, mdt: MdtCase, now: datetime | None = None, limit: int = 5, only: dict[str, Practitioner] | None = None
) -> list[slots.Proposal]:
    """Meeting times before the deadline at which one allowed, free expert of every specialty can meet, in their
    meeting hours (``only``: the experts the organiser picked for some specialties)."""
    now = now or timezone.now()
    cands = mdt_candidates(mdt, earliest=now, only=only)
    return slots.find_slots(cands, mdt.specialties, earliest=now, deadline=mdt.deadline, limit=limit)


def open_referral_hook(*, meeting: MdtMeeting, by: User) -> Any:
    """Open a referral from a signed MDT conclusion. The referrals app provides the function; it is looked up by
    dotted path (setting CONSULTS_REFERRAL_HOOK) so consults never imports referrals. Returns what it returns."""
    path = getattr(settings, "CONSULTS_REFERRAL_HOOK", "")
    if not path:
        return None
    hook: Callable[..., Any] = import_string(path)
    return hook(mdt_meeting=meeting, case=meeting.mdt_case.case, by=by)


@transaction.atomic
def mdt_book(
    *,
    by: User,
    mdt: MdtCase,
    starts_at: datetime,
    experts: dict[str, Practitioner],
    chair: Practitioner | None = None,
    video_link: str = "",
    duration: timedelta = slots.DEFAULT_DURATION,
) -> MdtMeeting:
    """Book the meeting: one expert per specialty, each allowed at the site that day (basis recorded) and free.
    Booked once even when two requests race (row lock on the MDT case, unique meeting per case, unique expert per
    start time)."""
    row = _locked(mdt)
    starts_at = _aware(starts_at)
    if not can_organise(by, row):
        raise Forbidden(_("Only the organiser of the MDT books its meeting."))
    check_move(row, MdtStatus.SCHEDULED)
    if set(experts) != set(row.specialties):
        raise ValidationFailed(
            _("experts: name one expert for each specialty of the MDT."), details={"field": "experts"}
        )
    if len({p.pk for p in experts.values()}) != len(experts):
        raise ValidationFailed(_("experts: one expert cannot sit for two specialties."), details={"field": "experts"})
    ends_at = starts_at + duration
    if starts_at <= timezone.now() or ends_at > row.deadline:
        raise ValidationFailed(
            _("starts_at: the meeting must be in the future and end before the deadline."),
            details={"field": "starts_at"},
        )
    cands = {(c.specialty, c.key): c for c in mdt_candidates(row, earliest=timezone.now())}
    decisions = {}
    for spec, p in experts.items():
        c = cands.get((spec, p.pk))
        if c is None or not slots.is_allowed(c, starts_at, ends_at):
            raise ValidationFailed(
                _("experts: %(name)s is not allowed at %(site)s for %(spec)s that day.")
                % {"name": p.name, "site": row.site.name, "spec": spec},
                code="expert_not_allowed",
                details={"field": "experts", "specialty": spec},
            )
        if not slots.in_hours(c, starts_at, ends_at):
            raise ValidationFailed(
                _("starts_at: %(name)s does not meet at that time (working hours, or the hours they marked).")
                % {"name": p.name},
                code="expert_outside_hours",
                details={"field": "starts_at", "specialty": spec},
            )
        if not slots.is_free(c, starts_at, ends_at):
            raise Conflict(
                _("%(name)s is already in another meeting then.") % {"name": p.name},
                code="expert_busy",
                details={"specialty": spec},
            )
        decisions[spec] = practice_basis(p, row.site, timezone.localdate(starts_at))
    chair = chair or experts[row.specialties[0]]  # default: the expert of the first specialty chosen
    if chair.pk not in {p.pk for p in experts.values()}:
        raise ValidationFailed(_("chair: the chair must be one of the participants."), details={"field": "chair"})
    meeting = MdtMeeting(mdt_case=row, starts_at=starts_at, ends_at=ends_at, chair=chair, video_link=video_link)
    _clean(meeting, exclude=["mdt_case", "chair"])
    try:
        with transaction.atomic():
            meeting.save()
            for spec, p in experts.items():
                MdtParticipant.objects.create(
                    meeting=meeting,
                    practitioner=p,
                    specialty=spec,
                    starts_at=starts_at,
                    basis=decisions[spec].basis,
                    basis_reference=decisions[spec].reference[:120],
                )
    except IntegrityError as exc:
        raise Conflict(_("This MDT time was just booked by someone else; pick another."), code="slot_taken") from exc
    _move(row, MdtStatus.SCHEDULED, by=by, reason="booked", details={"starts_at": starts_at.isoformat()})
    _save(row, by=by, changes={"meeting": str(meeting.pk)})
    for p in experts.values():
        if p.user_id:
            notify_on_commit(p.user.username, "mdt_scheduled", {"starts_at": _local(starts_at)})
    return meeting


@transaction.atomic
def mdt_minutes(*, by: User, meeting: MdtMeeting, minutes: str = "", video_link: str | None = None) -> MdtMeeting:
    """The chair (or organiser) keeps the minutes; closed once the conclusion is signed."""
    m = _locked(meeting)
    practitioner = getattr(by, "practitioner", None)
    if not (practitioner is not None and m.chair_id == practitioner.pk) and not can_organise(by, m.mdt_case):
        raise Forbidden(_("Only the chair or the organiser edits the minutes."))
    if m.signed_at is not None:
        raise illegal(m.mdt_case.status, "minutes")
    m.minutes = minutes
    if video_link is not None:
        m.video_link = video_link
    _clean(m, exclude=["mdt_case", "chair", "signed_by"])
    _save(m, by=by, changes={"minutes": len(minutes)})
    return m


@transaction.atomic
def mdt_conclude(
    *, by: User, meeting: MdtMeeting, conclusion: str, action: str = "", care_plan: str = ""
) -> MdtMeeting:
    """The chair signs the conclusion; it may open a referral (hook) or send a care plan back to the requester.

    Rule: a conclusion is signed at or after the meeting's start, never before (Conflict ``meeting_not_started``).
    Forbidden for anyone but the chair; Conflict(illegal_transition) once concluded or cancelled."""
    m = _locked(meeting)
    mdt = _locked(m.mdt_case)
    practitioner = getattr(by, "practitioner", None)
    if practitioner is None or m.chair_id != practitioner.pk:
        raise Forbidden(_("Only the chair signs the conclusion."))
    check_move(mdt, MdtStatus.CONCLUDED)
    now = timezone.now()
    if now < m.starts_at:
        raise Conflict(
            _("The conclusion can be signed once the meeting has started (%(start)s).")
            % {"start": _local(m.starts_at)},
            code="meeting_not_started",
            details={"starts_at": m.starts_at.isoformat()},
        )
    if not conclusion.strip():
        raise ValidationFailed(_("conclusion: write the conclusion."), details={"field": "conclusion"})
    if action not in ConclusionAction.values:
        raise ValidationFailed(_("action: not a known next step."), details={"field": "action"})
    if action == ConclusionAction.CARE_PLAN and not care_plan.strip():
        raise ValidationFailed(_("care_plan: write the care plan for the GP."), details={"field": "care_plan"})
    m.conclusion, m.action, m.care_plan = conclusion.strip(), action, care_plan.strip()
    m.signed_by, m.signed_at = by, now
    _save(m, by=by, changes={"signed_at": m.signed_at, "action": action})
    _move(mdt, MdtStatus.CONCLUDED, by=by, reason=action or "concluded")
    mdt.save(update_fields=["status", "updated_at"])
    if action == ConclusionAction.REFERRAL:
        open_referral_hook(meeting=m, by=by)
    if action == ConclusionAction.CARE_PLAN:
        notify_on_commit(mdt.case.requested_by.username, "mdt_care_plan", {})
    return m
