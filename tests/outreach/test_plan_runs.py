"""Planning runs in the task worker, never in a web process (issue 10, item 12).

Starting a plan from the page or the API answers at once with a queued PlanRun (the task is enqueued, not run);
the worker (django-tasks' ``db_worker`` in batch mode) solves it and the page shows the result; a failing solve
marks the run failed with its message; the solver refuses to run inside a web request; an outsider gets 404.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tests.outreach.factories import ALL_HALF_DAYS, locate, make_request, next_monday, set_availability
from tiercare.outreach import planning, roster, services
from tiercare.outreach.models import PlanRun, RosterPlan
from tiercare.outreach.roster.search import _process_pool
from tiercare.outreach.tasks import plan_run_task

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks(settings):
    """The production task backend: enqueue stores a task row; only the worker runs it."""
    settings.TASKS = DB_TASKS
    return settings


@pytest.fixture
def horizon(cast):
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    monday = next_monday()
    make_request(cast.dept_a, cast.coordinator, start=monday, priority=3)
    return monday


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _work() -> None:
    """What ``manage.py db_worker --batch`` does: claim each ready task and run it (outside any request). The
    worker's own exclusive transaction is left out: on SQLite it cannot open inside the test's transaction."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
        worker_id="test-worker",
    )  # fmt: skip
    for task in DBTaskResult.objects.ready().order_by("enqueued_at"):
        task.claim(worker.worker_id)
        worker.run_task(task)
    assert not DBTaskResult.objects.ready().exists()


def test_page_queues_the_plan_and_shows_progress_then_the_result(cast, horizon, db_tasks):
    ops = _client(cast.ops)
    response = ops.post("/outreach/plan/new/", {"start": str(horizon), "weeks": 1, "seconds": 0.5})
    assert response.status_code == 302
    run = PlanRun.objects.get()
    assert response["Location"] == f"/outreach/plan/?run={run.pk}"
    # Enqueued, not run: no plan yet, the task row waits for the worker.
    assert run.status == "queued" and run.progress == 0 and run.plan_id is None
    assert not RosterPlan.objects.exists()
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and str(task.id) == run.task_id
    page = ops.get(response["Location"]).content.decode()
    assert f'hx-get="/outreach/plan/runs/{run.pk}/"' in page and 'hx-trigger="every 2s"' in page
    assert "<progress" in page and 'id="open-requests"' in page  # the rest of the board stays usable

    _work()

    run.refresh_from_db()
    plan = RosterPlan.objects.get()
    assert run.status == "done" and run.progress == 100 and run.plan_id == plan.pk and run.finished_at
    fragment = ops.get(f"/outreach/plan/runs/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment  # polling stops
    assert f"/outreach/plan/?plan={plan.pk}" in fragment and "1 / 1" in fragment
    board = ops.get(f"/outreach/plan/?plan={plan.pk}").content.decode()
    assert "plan-grids" in board and plan.assignments.count() == 1


def test_api_answers_202_and_the_run_is_polled_to_done(cast, horizon, db_tasks, api):
    status, body = api(cast.ops).post("outreach/plans", {"start": str(horizon), "weeks": 1, "seconds": 0.5})
    assert status == 202, body
    assert body["status"] == "queued" and body["progress"] == 0 and body["plan"] is None
    status, polled = api(cast.ops).get(f"outreach/plan-runs/{body['id']}")
    assert status == 200 and polled["status"] == "queued"
    _work()
    status, polled = api(cast.ops).get(f"outreach/plan-runs/{body['id']}")
    assert status == 200 and polled["status"] == "done" and polled["progress"] == 100
    assert polled["plan_url"] == f"/api/v1/outreach/plans/{polled['plan']}"
    status, plan = api(cast.ops).get(polled["plan_url"])
    assert status == 200 and len(plan["assignments"]) == 1 and plan["uncovered"] == []


def test_replan_is_queued_too(cast, horizon, db_tasks, api):
    status, body = api(cast.ops).post("outreach/replans", {"start": str(horizon), "weeks": 1, "seconds": 0.5})
    assert status == 202 and body["is_replan"] and body["status"] == "queued"
    assert plan_run_task.call(body["id"]) == "done"
    run = PlanRun.objects.get(pk=body["id"])
    assert run.status == "done" and run.plan.is_replan


def test_bad_input_is_refused_before_anything_is_queued(cast, db_tasks, api):
    monday = next_monday()
    status, body = api(cast.ops).post("outreach/plans", {"start": str(monday), "weeks": 13, "seconds": 1})
    assert status == 422
    status, body = api(cast.ops).post("outreach/plans", {"start": str(monday), "weeks": 1, "seconds": 121})
    assert status == 422
    assert api(cast.coordinator).post("outreach/plans", {"start": str(monday), "weeks": 1, "seconds": 1})[0] == 403
    assert not PlanRun.objects.exists() and not DBTaskResult.objects.exists()


def test_outsiders_get_404_for_a_run(cast, horizon, db_tasks, api):
    run = services.plan_run_start(by=cast.ops, start=horizon, weeks=1, seconds=0.5)
    for user in (cast.coordinator, cast.gp, cast.expert):
        assert api(user).get(f"outreach/plan-runs/{run.pk}")[0] == 404
        assert _client(user).get(f"/outreach/plan/runs/{run.pk}/").status_code == 404
    assert api(cast.auditor).get(f"outreach/plan-runs/{run.pk}")[0] == 200
    assert api(cast.ops).get("outreach/plan-runs/not-a-uuid")[0] in (404, 422)


def test_a_failing_solve_marks_the_run_failed_with_its_message(cast, horizon, db_tasks, monkeypatch):
    run = services.plan_run_start(by=cast.ops, start=horizon, weeks=1, seconds=0.5)

    def broken(*args, **kwargs):
        raise ValueError("request R1#0: day 9 is outside the horizon")

    monkeypatch.setattr(planning, "solve_problem", broken)
    assert plan_run_task.call(str(run.pk)) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and run.plan_id is None and run.finished_at
    assert "day 9 is outside the horizon" in run.error
    fragment = _client(cast.ops).get(f"/outreach/plan/runs/{run.pk}/").content.decode()
    assert "day 9 is outside the horizon" in fragment and "hx-trigger" not in fragment


def test_a_run_delivered_twice_solves_once(cast, horizon, db_tasks):
    run = services.plan_run_start(by=cast.ops, start=horizon, weeks=1, seconds=0.5)
    assert plan_run_task.call(str(run.pk)) == "done"
    assert plan_run_task.call(str(run.pk)) == "done"
    assert RosterPlan.objects.count() == 1


def test_the_solver_refuses_to_run_in_a_web_request(cast, horizon, api):
    """With tasks run immediately (the test settings' backend), enqueueing runs the task inside the request: the
    guard refuses, so the run fails and no solver process or thread is started in the web process."""
    status, body = api(cast.ops).post("outreach/plans", {"start": str(horizon), "weeks": 1, "seconds": 0.5})
    assert status == 202
    run = PlanRun.objects.get(pk=body["id"])
    assert run.status == "failed" and "never in a web request" in run.error
    assert not RosterPlan.objects.exists()
    # Outside a request the same service solves (the worker, the CLI).
    assert services.plan_create(by=cast.ops, start=horizon, weeks=1, seconds=0.5).assignments.count() == 1


def test_the_guard_covers_every_way_into_the_solver():
    inst = roster.load_instance(
        {
            "format": roster.FORMAT,
            "days": 5,
            "days_per_week": 5,
            "max_trip_hours": 8,
            "max_sessions_per_day": 2,
            "weights": planning.WEIGHTS,
            "sites": ["s"],
            "travel_hours": {"e": {"s": 1}},
            "experts": [
                {
                    "id": "e",
                    "specialty": "pediatrics",
                    "home": "e",
                    "surgeon": False,
                    "senior": True,
                    "max_per_week": 3,
                    "unavailable_days": [],
                    "licensed_sites": ["s"],
                }
            ],
            "departments": [{"id": "d", "site": "s", "specialty": "pediatrics", "history": [], "preferred": []}],
            "requests": [{"id": "r", "department": "d", "kind": "clinic", "priority": 2, "days": [0, 1]}],
        }
    )
    planning.request_started()
    try:
        for call in (
            lambda: roster.solve(inst, seconds=0.5),
            lambda: roster.replan(inst, [], seconds=0.5),
            lambda: _process_pool(inst.ctx(), 2),
        ):
            with pytest.raises(planning.SolverInWebRequest):
                call()
    finally:
        planning.request_finished()
    assert roster.solve(inst, seconds=0.5, workers=1).assignments  # outside a request it solves


def test_the_page_refuses_a_bad_horizon_without_queueing(cast, horizon, db_tasks):
    ops = _client(cast.ops)
    assert ops.post("/outreach/plan/new/", {"start": str(horizon), "weeks": 0, "seconds": 1}).status_code == 422
    assert ops.post("/outreach/plan/new/", {"start": str(horizon), "weeks": 13, "seconds": 1}).status_code == 422
    assert not PlanRun.objects.exists()
    assert ops.post("/outreach/plan/new/", {"start": str(horizon), "weeks": 12, "seconds": 1}).status_code == 302
