"""The referral loop's periodic job: mark overdue steps, escalate them to operations, expire the lapsed ones.

``tick(now)`` is idempotent: each referral is marked overdue once per step, escalated once per step, expired once;
running it again at the same ``now`` changes nothing. `manage.py tick` calls it (workspace/panels.run_ticks).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tiercare.referrals import services
from tiercare.referrals.models import OPEN_STATUSES, Referral, Status
from tiercare.referrals.rules import (
    DRAFT_EXPIRE_AFTER,
    ESCALATE_AFTER,
    EXPIRE_AFTER,
    TRANSITIONS,
    Side,
    Step,
    step_label,
)


def _reason(kind: str, step: str) -> str:
    """The job's reason as users read it in the timeline and the audit log (zh-Hans, the network's language)."""
    with translation.override("zh-hans"):
        if not step:
            return _("the draft was not sent within 30 days")
        if kind == "overdue":
            return _("the step “%(step)s” is overdue") % {"step": step_label(step)}
        return _("the step “%(step)s” lapsed") % {"step": step_label(step)}


def tick(now: datetime) -> dict[str, int]:
    overdue = escalated = expired = 0
    for ref in Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lte=now, overdue_since__isnull=True):
        overdue += services.referral_mark_overdue(referral=ref, at=now)
    for ref in Referral.objects.filter(
        status__in=OPEN_STATUSES, overdue_since__isnull=False, escalated_at__isnull=True
    ):
        if ref.due_at is not None and ref.due_at + ESCALATE_AFTER[ref.urgency] <= now:
            services.referral_escalate(
                referral=ref,
                by=None,
                sides={Side.SYSTEM},
                reason=_reason("overdue", ref.due_step),
                at=now,
            )
            escalated += 1
    lapsed = Q(status=Status.DRAFT, created_at__lte=now - DRAFT_EXPIRE_AFTER)
    for step, grace in EXPIRE_AFTER.items():
        lapsed |= Q(status__in=TRANSITIONS["expire"].sources, due_step=step, due_at__lte=now - grace)
    for ref in Referral.objects.filter(lapsed).select_related("person", "referring_practitioner"):
        services.referral_transition(
            referral=ref,
            by=None,
            sides={Side.SYSTEM},
            action="expire",
            reason=_reason("lapsed", ref.due_step),
            at=now,
        )
        expired += 1
    return {"overdue": overdue, "escalated": escalated, "expired": expired}


__all__ = ["tick", "Step"]
