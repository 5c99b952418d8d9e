"""Periodic work of the care app: expire contracts past their term, and once a local day recompute every
enrolment in bulk (a background task, so the tick stays quick)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from tiercare.care import services
from tiercare.care.models import RecomputeRun
from tiercare.core.models import Role, User
from tiercare.core.notify import notify, register

log = logging.getLogger(__name__)

register(
    "care_recompute_failed",
    "【运维告警】{day} 慢病随访夜间重算失败：{error}。工作清单和看板可能已过期，请立即处理。",
    "[Operations alert] The chronic-care nightly recompute of {day} failed: {error}. Worklists and dashboards may be "
    "stale; act now.",
)


def alert_recipients() -> list[str]:
    """Who hears an operations alert: every active operations user and CARE_ALERT_RECIPIENTS."""
    ops = User.objects.filter(role=Role.OPS, is_active=True).values_list("username", flat=True)
    return sorted({*ops, *getattr(settings, "CARE_ALERT_RECIPIENTS", [])})


def recompute_failed(run_id: str, error: BaseException) -> None:
    """Record a failed run and alert operations loudly (core/notify; the care dashboard shows a red line)."""
    text = f"{type(error).__name__}: {error}"[:300]
    RecomputeRun.objects.filter(pk=run_id).update(failed_at=timezone.now(), error=text)
    log.error("care nightly recompute %s failed: %s", run_id, text)
    day = RecomputeRun.objects.filter(pk=run_id).values_list("day", flat=True).first()
    for recipient in alert_recipients():
        try:
            notify(recipient, "care_recompute_failed", {"day": day, "error": text})
        except Exception:  # the alert must not hide the failure it reports
            log.exception("alerting %s about the failed recompute", recipient)


@task()
def recompute_all(run_id: str) -> int:
    """Recompute every active enrolment (``services.enrollments_recompute``) and record the run; a failure is
    recorded on the run, alerted to operations, and raised again (the task backend marks the task failed)."""
    try:
        n = services.enrollments_recompute(workers=settings.CARE_RECOMPUTE_WORKERS)
    except Exception as exc:
        recompute_failed(run_id, exc)
        raise
    RecomputeRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), enrollments=n)
    return n


def tick(now: datetime) -> dict[str, Any]:
    """Idempotent: contracts past their end expire; the day's recompute is enqueued once per local day."""
    today = timezone.localdate(now)
    expired = services.contracts_expire(today=today)
    escalated = services.suggestions_escalate(today=today)
    started = 0
    try:
        with transaction.atomic():
            run = RecomputeRun.objects.create(day=today)
    except IntegrityError:
        run = None
    if run is not None:
        recompute_all.enqueue(str(run.pk))
        started = 1
    return {"contracts_expired": expired, "suggestions_escalated": escalated, "recompute_started": started}
