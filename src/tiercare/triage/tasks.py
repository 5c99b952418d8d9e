"""Triage's periodic job (``manage.py tick``): count the registrations of each episode of care."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from tiercare.triage.services import episodes_collect


def tick(now: datetime) -> dict[str, int]:
    return episodes_collect(today=timezone.localdate(now))
