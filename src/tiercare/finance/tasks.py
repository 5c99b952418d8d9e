"""Background work of finance: charges from facts. ``manage.py tick`` (workspace.panels.run_ticks) calls ``tick``
every minute; it queues ``charge_sweep_task`` for the task worker (``manage.py db_worker``). The sweep is idempotent:
a fact is charged once (database constraint), so a rerun, or two workers at once, change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tasks import task

from tiercare.finance import services


@task()
def charge_sweep_task() -> dict[str, int]:
    """Charge every fact not yet looked at (``services.charges_sweep``)."""
    return services.charges_sweep()


def tick(now: datetime | None) -> dict[str, Any]:
    """The periodic job: queue the charge sweep (run at once where tasks run immediately, as in tests)."""
    result = charge_sweep_task.enqueue()
    value = result.return_value if result.is_finished else None
    return value if isinstance(value, dict) else {"queued": 1, "charged": 0}
