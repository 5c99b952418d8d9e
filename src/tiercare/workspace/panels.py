"""Workspace panels and periodic ticks contributed by the workflow apps.

Each workflow app may have a ``workspace`` module with ``panels(request) -> list[dict]`` (each dict names a
``template`` and carries its context) and a ``tasks`` module with ``tick(now) -> dict[str, int]`` (the periodic job:
deadlines, reminders, escalations). The workspace sits above the workflow apps, so it may import them; they never
import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from importlib import import_module
from typing import Any

from django.http import HttpRequest

WORKFLOW_APPS = ("outreach", "consults", "referrals", "care", "programs", "triage", "portal", "finance")


def _hooks(module: str, name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    for app in WORKFLOW_APPS:
        try:
            mod = import_module(f"tiercare.{app}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tiercare.{app}.{module}":
                raise
            continue
        hook = getattr(mod, name, None)
        if hook is not None:
            yield app, hook


def workspace_panels(request: HttpRequest) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for _app, hook in _hooks("workspace", "panels"):
        panels.extend(hook(request))
    return panels


def run_ticks(now: datetime) -> dict[str, Any]:
    """Run every app's periodic job once; returns what each did."""
    return {app: hook(now) for app, hook in _hooks("tasks", "tick")}
