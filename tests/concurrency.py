"""Run one piece of work in many threads at once, for the PostgreSQL race tests (each thread its own connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(n: int, work: Callable[[int], object]) -> None:
    """Start ``work(0)`` … ``work(n - 1)`` together behind a barrier, wait for all, and fail on any exception."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
