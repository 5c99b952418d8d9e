"""The planning calendar: a horizon's working days (``first_workday``, ``horizon_dates``) and the sessions a
request asks for in it (``occurrences``, by its cadence)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from tiercare.outreach.models import Cadence, SessionRequest

WORKDAYS = 5  # Monday to Friday


def first_workday(start: date) -> date:
    """The first working day on or after ``start``: a plan asked from a Saturday starts the Monday after, so that
    its ``weeks`` are whole working weeks and its header (first and last day) says what its sessions cover."""
    while start.weekday() >= WORKDAYS:
        start += timedelta(days=1)
    return start


def horizon_dates(start: date, weeks: int) -> list[date]:
    """The working days (Mon–Fri) of ``weeks`` weeks from the Monday of ``start``'s week (day i's week is i // 5)."""
    monday = start - timedelta(days=start.weekday())
    return [monday + timedelta(days=7 * w + i) for w in range(weeks) for i in range(WORKDAYS)]


def occurrences(request: SessionRequest) -> list[tuple[int, list[date]]]:
    """The sessions a request asks for: (occurrence number, the calendar days it may be held on)."""
    start, end = request.window_start, request.window_end
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < WORKDAYS]
    if request.cadence == Cadence.ONCE:
        return [(0, days)] if days else []
    groups: dict[int, list[date]] = defaultdict(list)
    base = start - timedelta(days=start.weekday())
    for d in days:
        if request.cadence == Cadence.WEEKLY:
            k = (d - base).days // 7
        elif request.cadence == Cadence.BIWEEKLY:
            k = (d - base).days // 14
        else:  # monthly: every four weeks from the window's first week (a calendar month would start with stubs)
            k = (d - base).days // 28
        groups[k].append(d)
    return sorted(groups.items())
