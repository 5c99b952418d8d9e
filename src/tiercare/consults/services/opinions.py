"""Second opinions: asked for like a tele-consultation; the expert drafts and signs, and a signed opinion never
changes (corrections are signed addenda).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults.models import Case, OpinionAddendum, OpinionStatus, Priority, SecondOpinion
from tiercare.consults.services.assignment import _is_expert_of, _request
from tiercare.consults.services.moves import _clean, _kind, _locked, _move, _save, check_move, illegal
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Practitioner


@transaction.atomic
def opinion_request(
    *, by: User, case: Case, specialty: str, priority: str = Priority.ROUTINE, expert: Practitioner | None = None
) -> SecondOpinion:
    """Ask for an expert's written second opinion on ``case``; routed like a tele-consultation."""
    return _request(SecondOpinion, by=by, case=case, specialty=specialty, priority=priority, expert=expert)


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
