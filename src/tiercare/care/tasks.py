"""Periodic work of the care app: expire contracts past their term, and once a local day recompute every
enrolment in bulk (a background task, so the tick stays quick)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from tiercare.care import services
from tiercare.care.models import RecomputeRun


@task()
def recompute_all(run_id: str) -> int:
    """Recompute every active enrolment (``services.enrollments_recompute``) and record the run."""
    n = services.enrollments_recompute(workers=settings.CARE_RECOMPUTE_WORKERS)
    RecomputeRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), enrollments=n)
    return n


def tick(now: datetime) -> dict[str, Any]:
    """Idempotent: contracts past their end expire; the day's recompute is enqueued once per local day."""
    today = timezone.localdate(now)
    expired = services.contracts_expire(today=today)
    started = 0
    try:
        with transaction.atomic():
            run = RecomputeRun.objects.create(day=today)
    except IntegrityError:
        run = None
    if run is not None:
        recompute_all.enqueue(str(run.pk))
        started = 1
    return {"contracts_expired": expired, "recompute_started": started}
