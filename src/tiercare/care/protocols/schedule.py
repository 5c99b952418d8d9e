"""Calendar arithmetic of protocol schedules: a date plus months or years, as the protocols count them.

Owns only the date rules (a day past a month's end falls on its last day; 29 February falls on 28 February in a
common year), so that the model's ``Protocol.next_due_days`` (routine-interval phases counted in years from the
schedule's start) and ``SurveillanceTest.due_dates`` (tests due at months from the start) agree. No import from the
rest of the package.
"""

from __future__ import annotations

from datetime import date


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months; a day past the month's end falls on its last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def add_years(d: date, years: int) -> date:
    """The ``years``-th anniversary of ``d``; 29 February falls on 28 February in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
