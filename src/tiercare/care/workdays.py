"""Working days in mainland China for care's deadlines (an urgent referral suggestion is acted on by the next working
day): Monday to Friday, less the public holidays, plus the weekend days made working days (调休上班) — from the State
Council's yearly notice, kept as data with its source in ``cn_workdays.json`` (no maintained library is named in
the project's conventions). A year whose notice is not entered has its statutory days only; a year not listed has
weekends only (hazard log H-10: enter each November's notice)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("cn_workdays.json")


@cache
def _calendar() -> tuple[frozenset[date], frozenset[date], dict[int, bool]]:
    doc: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    holidays: set[date] = set()
    working: set[date] = set()
    published: dict[int, bool] = {}
    for year, entry in doc["years"].items():
        published[int(year)] = bool(entry["published"])
        for first, last, _name in entry["holidays"]:
            d, end = date.fromisoformat(first), date.fromisoformat(last)
            while d <= end:
                holidays.add(d)
                d += timedelta(days=1)
        working.update(date.fromisoformat(d) for d in entry["working_weekend_days"])
    return frozenset(holidays), frozenset(working), published


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day: a make-up working day on a weekend is; a public holiday is not."""
    holidays, working, _published = _calendar()
    if d in working:
        return True
    return d.weekday() < 5 and d not in holidays


def next_working_day(d: date) -> date:
    """The first working day after ``d``."""
    d += timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def arrangement_published(year: int) -> bool:
    """Whether the State Council's holiday arrangement of ``year`` is entered (else statutory days or weekends only)."""
    return _calendar()[2].get(year, False)
