"""The MDT slot finder: meeting times at which one allowed, free expert of every specialty can meet.

Exact search, no heuristics: every start time on the grid (``step`` apart from local midnight, before the deadline)
is tried in order, and at each one a distinct expert per specialty is found by backtracking (a small bipartite
matching: specialties × candidate experts), preferring the assignment with the most continuity. So the first proposal
is always the earliest feasible time on the grid, and a time is proposed only when every chosen expert is

- allowed at the site that day (the practice rule: ``allowed_days``),
- inside their meeting hours for the whole meeting (``hours``: working hours, Monday to Friday 08:00–18:00, plus the
  weekend or evening hours the expert marked; never a weekend or night time otherwise), and
- free for the whole meeting (``busy``: other MDT meetings, outreach sessions with the travel to and from them,
  leave; built by ``consults.availability``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DURATION = timedelta(minutes=60)
DEFAULT_STEP = timedelta(minutes=30)
ONE_DAY = timedelta(days=1)
WORKDAY_START = time(8, 0)  # local (Asia/Shanghai) working hours for an MDT meeting
WORKDAY_END = time(18, 0)

Interval = tuple[datetime, datetime]
Window = tuple[int, time, time]
"""Weekly meeting hours: weekday (0 = Monday), local start, local end (same day; a window ends by 23:59)."""
WORKING_HOURS: tuple[Window, ...] = tuple((day, WORKDAY_START, WORKDAY_END) for day in range(5))


@dataclass(frozen=True)
class Candidate:
    """An expert who could sit for ``specialty``: the days the practice rule allows, when they are busy, and how
    often they already saw this patient or department (continuity)."""

    key: Hashable
    specialty: str
    allowed_days: frozenset[date]
    busy: tuple[Interval, ...] = ()
    continuity: int = 0
    hours: tuple[Window, ...] = WORKING_HOURS


@dataclass(frozen=True)
class Proposal:
    starts_at: datetime
    ends_at: datetime
    experts: dict[str, Hashable] = field(hash=False)
    continuity: int = 0


def is_free(c: Candidate, start: datetime, end: datetime) -> bool:
    return all(not (b_start < end and start < b_end) for b_start, b_end in c.busy)


def is_allowed(c: Candidate, start: datetime, end: datetime, tz: ZoneInfo = SHANGHAI) -> bool:
    return (
        start.astimezone(tz).date() in c.allowed_days
        and (end - timedelta(microseconds=1)).astimezone(tz).date() in c.allowed_days
    )


def in_hours(c: Candidate, start: datetime, end: datetime, tz: ZoneInfo = SHANGHAI) -> bool:
    """Whether the meeting lies inside one of the expert's weekly windows, wholly (start and end the same day)."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    if (local_end - timedelta(microseconds=1)).date() != day:
        return False
    return any(
        weekday == day.weekday()
        and datetime.combine(day, w_start, tz) <= local_start
        and local_end <= datetime.combine(day, w_end, tz)
        for weekday, w_start, w_end in c.hours
    )


def can_sit(c: Candidate, start: datetime, end: datetime, tz: ZoneInfo = SHANGHAI) -> bool:
    return is_allowed(c, start, end, tz) and in_hours(c, start, end, tz) and is_free(c, start, end)


def grid(
    earliest: datetime,
    deadline: datetime,
    *,
    duration: timedelta = DEFAULT_DURATION,
    step: timedelta = DEFAULT_STEP,
    day_start: time = WORKDAY_START,
    day_end: time | None = WORKDAY_END,
    tz: ZoneInfo = SHANGHAI,
) -> Iterable[datetime]:
    """Start times on the local grid (aligned to ``step`` from ``day_start``), ending by ``day_end`` (None: by
    midnight) and by the deadline, not before ``earliest``."""
    local = earliest.astimezone(tz)
    day = local.date()
    while True:
        start = datetime.combine(day, day_start, tz)
        stop = (
            datetime.combine(day, day_end, tz) if day_end is not None else datetime.combine(day, time(0), tz) + ONE_DAY
        )
        if start >= deadline:
            return
        t = start
        while t + duration <= stop:
            if t >= earliest and t + duration <= deadline:
                yield t
            t += step
        day += timedelta(days=1)


def best_assignment(
    specialties: list[str], available: Mapping[str, list[Candidate]]
) -> tuple[dict[str, Hashable], int] | None:
    """A distinct expert per specialty maximising total continuity, or None (exhaustive backtracking)."""
    best: tuple[dict[str, Hashable], int] | None = None
    order = sorted(specialties, key=lambda s: len(available.get(s, [])))

    def walk(i: int, used: set[Hashable], chosen: dict[str, Hashable], score: int) -> None:
        nonlocal best
        if i == len(order):
            if best is None or score > best[1]:
                best = (dict(chosen), score)
            return
        spec = order[i]
        for c in sorted(available.get(spec, []), key=lambda c: -c.continuity):
            if c.key in used:
                continue
            used.add(c.key)
            chosen[spec] = c.key
            walk(i + 1, used, chosen, score + c.continuity)
            used.discard(c.key)
            del chosen[spec]

    walk(0, set(), {}, 0)
    return best


def find_slots(
    candidates: Iterable[Candidate],
    specialties: Iterable[str],
    *,
    earliest: datetime,
    deadline: datetime,
    duration: timedelta = DEFAULT_DURATION,
    step: timedelta = DEFAULT_STEP,
    limit: int = 5,
    tz: ZoneInfo = SHANGHAI,
) -> list[Proposal]:
    """Up to ``limit`` proposals, earliest first (ties cannot occur: one proposal per start time, carrying the
    assignment with the most continuity). Empty when no time before the deadline fits everyone. Start times are
    tried round the clock; each expert's ``hours`` decide which of them they can sit at."""
    specs = list(dict.fromkeys(specialties))
    pool = [c for c in candidates if c.specialty in specs]
    out: list[Proposal] = []
    if not specs:
        return out
    for start in grid(earliest, deadline, duration=duration, step=step, day_start=time(0), day_end=None, tz=tz):
        end = start + duration
        available: dict[str, list[Candidate]] = {}
        for c in pool:
            if can_sit(c, start, end, tz):
                available.setdefault(c.specialty, []).append(c)
        if any(s not in available for s in specs):
            continue
        found = best_assignment(specs, available)
        if found is None:
            continue
        out.append(Proposal(start, end, found[0], found[1]))
        if len(out) >= limit:
            break
    return out
