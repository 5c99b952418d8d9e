"""The referral's deadlines: the due time of each step (``rules.DEADLINES``) set on every move, and the periodic
job's services that mark a step overdue and escalate a referral to operations.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone, translation

from tiercare.core.models import User
from tiercare.referrals import messages
from tiercare.referrals.models import OPEN_STATUSES, Referral, Status
from tiercare.referrals.rules import DEADLINES, STEP_OF, Side, step_label
from tiercare.referrals.services.moves import _record, check_action, now


def _due(ref: Referral, step: str, start: datetime) -> datetime:
    return start + DEADLINES[ref.urgency][step]


def _set_due(ref: Referral, before: str, at: datetime) -> None:
    step = STEP_OF.get(ref.status, "")
    if ref.status == Status.SCHEDULED and ref.scheduled_for is not None:
        end_of_day = timezone.make_aware(
            datetime.combine(timezone.localdate(ref.scheduled_for) + timedelta(days=1), time.min)
        )
        ref.due_step, ref.due_at = step, end_of_day
        ref.overdue_since = ref.escalated_at = None
        return
    if step == STEP_OF.get(before, "") and ref.due_at is not None:
        return  # the same step continues (treated after arrival): same deadline
    ref.due_step = step
    ref.due_at = _due(ref, step, at) if step else None
    ref.overdue_since = ref.escalated_at = None


def referral_escalate(
    *, referral: Referral, by: User | None, sides: set[str], reason: str = "", at: datetime | None = None
) -> Referral:
    """Escalate an open referral to operations (ops by hand, or the periodic job for an overdue step)."""
    at = at or now()
    with transaction.atomic():
        ref = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("person", "receiving_department")
            .get(pk=referral.pk)
        )
        check_action(ref, sides, "escalate")
        if ref.escalated_at is None:
            ref.escalated_at = at
            ref.save(update_fields=["escalated_at", "updated_at"])
            _record(
                ref,
                action="escalate",
                from_status=ref.status,
                by=by,
                side=Side.OPS if by else Side.SYSTEM,
                reason=reason,
                at=at,
                details={"step": ref.due_step},
            )
            with translation.override("zh-hans"):
                step = step_label(ref.due_step)
            messages.notify_users(
                [u for u in messages.ops_users() if by is None or u != by.username],
                "referral_escalated",
                {"patient": ref.person.name, "department": ref.receiving_department, "step": step},
            )
    return ref


def referral_mark_overdue(*, referral: Referral, at: datetime) -> bool:
    """Mark the current step overdue (the periodic job). Idempotent: False when already marked or no longer due."""
    with transaction.atomic():
        ref = (
            Referral.objects.select_for_update(of=("self",))
            .select_related(
                "person",
                "referring_practitioner__user",
                "receiving_organization",
                "receiving_department",
                "named_expert__user",
                "referring_organization",
            )
            .get(pk=referral.pk)
        )
        if ref.overdue_since is not None or ref.status not in OPEN_STATUSES or ref.due_at is None or ref.due_at > at:
            return False
        ref.overdue_since = at
        ref.save(update_fields=["overdue_since", "updated_at"])
        _record(
            ref,
            action="overdue",
            from_status=ref.status,
            by=None,
            side=Side.SYSTEM,
            at=at,
            details={"step": ref.due_step, "due_at": ref.due_at.isoformat()},
        )
        with translation.override("zh-hans"):
            step = step_label(ref.due_step)
        params = {"patient": ref.person.name, "step": step, "due": messages.when(ref.due_at)}
        messages.notify_users(
            sorted(set(messages.referring_users(ref)) | set(messages.receiving_users(ref))), "referral_overdue", params
        )
    return True
