"""What every move of a referral shares: the check against the table in ``rules.py`` (``check_action``), the
validated save, and the ReferralTransition row with its audit event (``_record``), all in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_write
from tiercare.core.crud import validation_failed
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.referrals import messages
from tiercare.referrals.models import Referral, ReferralTransition
from tiercare.referrals.rules import ESCALATE, TRANSITIONS, Side, action_label, offered_actions, side_label


def now() -> datetime:
    return timezone.now()


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
