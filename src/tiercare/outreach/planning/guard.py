"""The roster solver runs in the task worker, never in a web request: Django's request signals mark the thread
(``request_started``, ``request_finished``, connected in apps.py) and ``refuse_in_request``, registered with
``roster.add_guard`` on import, raises ``SolverInWebRequest`` when a solve starts inside a request."""

from __future__ import annotations

import threading
from typing import Any

from tiercare.outreach import roster

_request_state = threading.local()


class SolverInWebRequest(RuntimeError):
    """The roster solver was called while this thread serves a web request (it forks processes and runs CP-SAT
    threads for seconds: on a threaded server that hung requests and orphaned children). Enqueue a PlanRun
    (``services.plan_run_start``) instead; the task worker solves it."""


def request_started(**kwargs: Any) -> None:
    """Receiver of Django's ``request_started``: this thread now serves a request (connected in apps.py)."""
    _request_state.active = True


def request_finished(**kwargs: Any) -> None:
    _request_state.active = False


def in_web_request() -> bool:
    return bool(getattr(_request_state, "active", False))


def refuse_in_request() -> None:
    """The guard registered with ``roster.add_guard``: raise SolverInWebRequest inside a web request."""
    if in_web_request():
        raise SolverInWebRequest(
            "The roster solver runs in the task worker (manage.py db_worker) or the CLI, never in a web request."
        )


roster.add_guard(refuse_in_request)
