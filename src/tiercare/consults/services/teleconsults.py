"""Tele-consultations (远程会诊): asking an expert about a case, the message thread, asking for more information,
and closing with an outcome filed into the inviting institution's record.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults.models import OPEN_CONSULT, Case, ConsultMessage, ConsultStatus, Outcome, Priority, Teleconsult
from tiercare.consults.services.assignment import _is_expert_of, _request
from tiercare.consults.services.moves import _clean, _kind, _locked, _move, _save, check_move, illegal
from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Practitioner

TELECONSULT_ASKERS = (Role.GP, Role.COORDINATOR)  # a grassroots doctor or GP asks; a patient asks for an opinion


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
