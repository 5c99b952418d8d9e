"""The MDT slot finder: meeting times at which one allowed, free expert of every specialty can meet.

Exact search, no heuristics: every start time on the grid (``step`` apart, inside the daily working hours, before
the deadline) is tried in order, and at each one a distinct expert per specialty is found by backtracking (a small
bipartite matching: specialties × candidate experts), preferring the assignment with the most continuity. So the
first proposal is always the earliest feasible time on the grid, and a time is proposed only when every chosen
expert is allowed on that day and free for the whole meeting.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DURATION = timedelta(minutes=60)
DEFAULT_STEP = timedelta(minutes=30)
WORKDAY_START = time(8, 0)  # local (Asia/Shanghai) working hours for an MDT meeting
WORKDAY_END = time(18, 0)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Candidate:
    """An expert who could sit for ``specialty``: the days the practice rule allows, when they are busy, and how
    often they already saw this patient or department (continuity)."""

    key: Hashable
    specialty: str
    allowed_days: frozenset[date]
    busy: tuple[Interval, ...] = ()
    continuity: int = 0


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


def grid(
    earliest: datetime,
    deadline: datetime,
    *,
    duration: timedelta = DEFAULT_DURATION,
    step: timedelta = DEFAULT_STEP,
    day_start: time = WORKDAY_START,
    day_end: time = WORKDAY_END,
    tz: ZoneInfo = SHANGHAI,
) -> Iterable[datetime]:
    """Start times on the local grid (aligned to ``step`` from midnight), inside working hours, ending by the
    deadline, not before ``earliest``."""
    local = earliest.astimezone(tz)
    day = local.date()
    while True:
        start = datetime.combine(day, day_start, tz)
        stop = datetime.combine(day, day_end, tz)
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
    day_start: time = WORKDAY_START,
    day_end: time = WORKDAY_END,
    tz: ZoneInfo = SHANGHAI,
) -> list[Proposal]:
    """Up to ``limit`` proposals, earliest first (ties cannot occur: one proposal per start time, carrying the
    assignment with the most continuity). Empty when no time before the deadline fits everyone."""
    specs = list(dict.fromkeys(specialties))
    pool = [c for c in candidates if c.specialty in specs]
    out: list[Proposal] = []
    if not specs:
        return out
    for start in grid(earliest, deadline, duration=duration, step=step, day_start=day_start, day_end=day_end, tz=tz):
        end = start + duration
        available: dict[str, list[Candidate]] = {}
        for c in pool:
            if is_allowed(c, start, end, tz) and is_free(c, start, end):
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
