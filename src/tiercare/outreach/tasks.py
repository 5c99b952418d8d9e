"""Background work of outreach: roster planning runs in the task worker (``manage.py db_worker``), never in a web
process — the solver forks processes and runs CP-SAT threads for seconds (``planning.refuse_in_request``)."""

from __future__ import annotations

from django_tasks import task

from tiercare.outreach import services


@task()
def plan_run_task(run_id: str) -> str:
    """Solve one queued PlanRun (``services.plan_run_execute``); returns its final status."""
    return str(services.plan_run_execute(run_id=run_id).status)
