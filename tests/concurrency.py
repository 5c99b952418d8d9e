"""Run pieces of work in threads at once, for the PostgreSQL race tests (each thread its own connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(calls: list[Callable[[], object]], *, timeout: float = 30) -> list[BaseException | None]:
    """Start every call together behind a barrier, wait for all, and return each call's exception (None if it
    returned). Each thread closes its own database connection."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            calls[i]()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def race_errors(n: int, work: Callable[[int], object]) -> list[BaseException]:
    """``work(0)`` … ``work(n - 1)`` at once; the exceptions they raised."""
    return [e for e in run_together([lambda i=i: work(i) for i in range(n)]) if e is not None]


def race(n: int, work: Callable[[int], object]) -> None:
    """``work(0)`` … ``work(n - 1)`` at once, failing on any exception."""
    errors = race_errors(n, work)
    assert not errors, errors[:3]


def race_outcomes(*calls: Callable[[], object], refused: tuple[type[BaseException], ...]) -> list[str]:
    """The calls at once: sorted "ok" / "refused" (an exception of ``refused``); any other exception fails."""
    outcomes = run_together(list(calls))
    unexpected = [e for e in outcomes if e is not None and not isinstance(e, refused)]
    assert not unexpected, unexpected[:3]
    return sorted("ok" if e is None else "refused" for e in outcomes)
