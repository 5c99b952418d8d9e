"""The portal's periodic job (`manage.py tick`, workspace.panels.run_ticks): the SMS reminders due now."""

from __future__ import annotations

from datetime import datetime

from tiercare.portal.reminders import send_due


def tick(now: datetime) -> dict[str, int]:
    return send_due(now)
