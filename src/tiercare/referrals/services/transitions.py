"""``referral_transition``: moving a referral by one action of the state machine (``rules.TRANSITIONS``) as the user
standing on a side, with what each action sets, its deadline, its place released, its transition row and the
parties told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiercare.core.errors import ValidationFailed
from tiercare.core.models import User
from tiercare.referrals import messages
from tiercare.referrals.models import OPEN_STATUSES, Referral
from tiercare.referrals.rules import TRANSITIONS
from tiercare.referrals.services.back_referral import ENDING_ACTIONS, on_back_referral, on_referral_ended
from tiercare.referrals.services.capacity import RELEASING_FROM, _release
from tiercare.referrals.services.create import _send
from tiercare.referrals.services.deadlines import _set_due
from tiercare.referrals.services.moves import _record, _save, check_action, now
from tiercare.referrals.services.scheduling import _early_arrival, _visit_time


def referral_transition(
    *,
    referral: Referral,
    by: User | None,
    sides: set[str],
    action: str,
    reason: str = "",
    scheduled_for: datetime | None = None,
    discharge_summary: str = "",
    care_plan: str = "",
    at: datetime | None = None,
) -> Referral:
    """Move ``referral`` by ``action`` as the user standing on ``sides`` (from access_referral_by_id).

    Raises ValidationFailed for an unknown action or a missing reason/date/document (a visit time already past; a
    patient marked arrived before the scheduled day without the override reason), and the refusals of
    ``check_action``: Conflict ("illegal_transition", details: the state and the actions it allows) when the action
    is not allowed from the current state, Forbidden ("not_your_side") when the user's side may not do it. Each party
    is told in a message written for them (``_tell_parties``).
    """
    move = TRANSITIONS.get(action)
    if move is None:
        raise ValidationFailed(_("action: unknown action %(a)s") % {"a": action[:40]}, details={"field": "action"})
    at = at or now()
    with transaction.atomic():
        ref = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        ref.person, ref.referring_practitioner = referral.person, referral.referring_practitioner
        check_action(ref, sides, action)
        acting = [s for s in move.sides if s in sides]
        if move.needs_reason and not reason.strip():
            raise ValidationFailed(_("reason: say why."), details={"field": "reason"})
        side = acting[0]
        before = ref.status
        details: dict[str, Any] = {}
        ref.status = move.target
        if action == "send":
            ref.status = before
            _send(ref, by=by, at=at)  # records its own transition
            return ref
        if action == "accept":
            ref.accepted_at = at
        elif action == "decline":
            ref.decline_reason = reason
            ref.ended_at = at
        elif action == "schedule":
            ref.scheduled_for = _visit_time(ref, scheduled_for, at)
            details["scheduled_for"] = ref.scheduled_for.isoformat()
        elif action == "arrive":
            details |= _early_arrival(ref, reason, at)
            ref.arrived_at = at
        elif action == "treat":
            ref.treated_at = at
        elif action == "back_refer":
            if not discharge_summary.strip():
                raise ValidationFailed(
                    _("discharge_summary: a back-referral needs a discharge summary."),
                    details={"field": "discharge_summary"},
                )
            if not care_plan.strip():
                raise ValidationFailed(
                    _("care_plan: a back-referral needs a care plan."), details={"field": "care_plan"}
                )
            ref.discharge_summary, ref.care_plan = discharge_summary, care_plan
            ref.back_referral_to = ref.referring_practitioner
            ref.back_referred_at = at
        elif action == "confirm_receipt":
            ref.closed_at = at
        elif action == "cancel":
            ref.cancel_reason = reason
            ref.ended_at = at
        elif action == "expire":
            ref.ended_at = at
        step_due = ref.due_step
        _set_due(ref, before, at)
        if ref.status not in OPEN_STATUSES and before in RELEASING_FROM:
            _release(ref, at, action)
        _save(ref)
        _record(ref, action=action, from_status=before, by=by, side=side, reason=reason, at=at, details=details)
        if action == "back_refer":
            on_back_referral(ref)
        elif action in ENDING_ACTIONS:
            on_referral_ended(ref, action, reason)
        messages.tell_parties(ref, action=action, by=by, side=side, before=before, reason=reason, step=step_due)
    return ref
