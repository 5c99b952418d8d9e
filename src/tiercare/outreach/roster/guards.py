"""Where the roster solver may run: checks registered by the product, called before every solve, re-plan and
process pool (``add_guard``); the product's check refuses inside a web request (``planning.refuse_in_request``)."""

from __future__ import annotations

from collections.abc import Callable

_GUARDS: list[Callable[[], None]] = []


def add_guard(check: Callable[[], None]) -> None:
    """Register ``check``, called before every solve, re-plan and process pool; it raises to refuse running here.
    The product registers one that refuses inside a web request (``planning.refuse_in_request``): the solver's
    CP-SAT threads and forked processes belong in the task worker or the CLI, never in a web process."""
    if check not in _GUARDS:
        _GUARDS.append(check)


def _check_guards() -> None:
    for check in _GUARDS:
        check()
