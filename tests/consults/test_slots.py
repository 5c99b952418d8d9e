"""The MDT slot finder against brute force on small random calendars (seeded, so a failure reproduces): experts
allowed on some days, busy with other meetings, outreach sessions with their travel, and leave, meeting in working
hours (Monday to Friday 08:00–18:00) unless they marked weekend or evening hours."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta

import pytest

from tiercare.consults.slots import SHANGHAI, WORKING_HOURS, Candidate, find_slots

START = datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)  # a Monday, midnight
DEADLINE = START + timedelta(days=7)  # through Sunday: a weekend inside the window
HOUR = timedelta(hours=1)
STEP = timedelta(minutes=30)
DAYS = [START.date() + timedelta(days=i) for i in range(8)]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def random_busy(rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Other MDT meetings, outreach sessions widened by their travel (a half-day ± 0.5–3 h), leave (whole days)."""
    busy = []
    for _ in range(rng.randint(0, 3)):  # meetings
        s = at(rng.choice(DAYS), rng.randint(7, 20), rng.choice([0, 15, 30, 45]))
        busy.append((s, s + timedelta(minutes=rng.choice([30, 60, 120]))))
    for _ in range(rng.randint(0, 2)):  # outreach sessions with travel
        day, travel = rng.choice(DAYS), timedelta(minutes=rng.choice([30, 90, 180]))
        half = rng.choice([((8, 30), (12, 0)), ((14, 0), (17, 30))])
        busy.append((at(day, *half[0]) - travel, at(day, *half[1]) + travel))
    if rng.random() < 0.3:  # leave
        first = rng.choice(DAYS)
        busy.append((at(first, 0), at(first, 0) + timedelta(days=rng.randint(1, 3))))
    return busy


def random_hours(rng: random.Random) -> tuple:
    """Working hours, plus (sometimes) a weekend window or an evening the expert marked."""
    extra = []
    if rng.random() < 0.4:
        extra.append((rng.choice([5, 6]), time(rng.choice([8, 9, 10])), time(rng.choice([12, 13, 17]))))
    if rng.random() < 0.4:
        extra.append((rng.randint(0, 6), time(rng.choice([18, 19]), rng.choice([0, 30])), time(rng.choice([21, 22]))))
    if rng.random() < 0.1:
        extra.append((rng.randint(0, 6), time(6, 0), time(8, 0)))  # early morning
    return WORKING_HOURS + tuple(extra)


def random_calendar(rng: random.Random) -> tuple[list[Candidate], list[str]]:
    specialties = rng.sample(["pediatrics", "cardiology", "oncology", "surgery"], rng.randint(1, 3))
    cands = []
    for i in range(rng.randint(1, 6)):
        spec = rng.choice(specialties)
        allowed = frozenset(d for d in DAYS if rng.random() < 0.7)
        first = cands[0] if cands else None
        if first is not None and first.specialty != spec and rng.random() < 0.2:
            # The same expert for a second specialty: same calendar, and never sitting for both at once.
            cands.append(
                Candidate(first.key, spec, first.allowed_days, first.busy, rng.randint(0, 3), hours=first.hours)
            )
        else:
            busy = tuple(random_busy(rng))
            cands.append(Candidate(f"e{i}", spec, allowed, busy, rng.randint(0, 3), hours=random_hours(rng)))
    return cands, specialties


def sits(c: Candidate, t: datetime, end: datetime) -> bool:
    """Written out again from the rules, not from the finder's helpers."""
    day = t.date()
    allowed = day in c.allowed_days and (end - timedelta(microseconds=1)).date() in c.allowed_days
    in_hours = any(
        wd == day.weekday() and at(day, ws.hour, ws.minute) <= t and end <= at(day, we.hour, we.minute)
        for wd, ws, we in c.hours
    )
    free = all(not (b0 < end and t < b1) for b0, b1 in c.busy)
    return allowed and in_hours and free


def brute_force(cands: list[Candidate], specialties: list[str], earliest: datetime) -> list[datetime]:
    """Every half-hour from midnight at which some assignment of distinct experts who can sit covers every
    specialty."""
    feasible = []
    t = START
    while t + HOUR <= DEADLINE:
        if t >= earliest:
            per_spec = [[c for c in cands if c.specialty == s and sits(c, t, t + HOUR)] for s in specialties]
            if any(len({c.key for c in combo}) == len(combo) for combo in itertools.product(*per_spec)):
                feasible.append(t)
        t += STEP
    return feasible


@pytest.mark.parametrize("seed", range(200))
def test_slot_finder_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    cands, specialties = random_calendar(rng)
    earliest = START + timedelta(minutes=rng.choice([0, 7 * 60 + 10, 30 * 60, 3 * 24 * 60 + 5]))
    proposals = find_slots(cands, specialties, earliest=earliest, deadline=DEADLINE, limit=8)
    expected = brute_force(cands, specialties, earliest)

    # The earliest feasible time is found whenever one exists, and the next ones in order.
    assert [p.starts_at for p in proposals] == expected[:8]
    by_key = {}
    for c in cands:
        by_key.setdefault((c.key, c.specialty), c)
    for p in proposals:
        assert set(p.experts) == set(specialties)
        assert len(set(p.experts.values())) == len(specialties)  # one expert sits for one specialty
        for spec, key in p.experts.items():
            c = by_key[(key, spec)]
            local = p.starts_at.astimezone(SHANGHAI)
            assert local.date() in c.allowed_days  # never where not allowed
            assert all(not (b0 < p.ends_at and p.starts_at < b1) for b0, b1 in c.busy)  # never when busy
            if c.hours == WORKING_HOURS:  # never a weekend or night time unless the expert marked one
                assert local.weekday() < 5 and time(8) <= local.time() and local.time() <= time(17)
        assert p.ends_at <= DEADLINE


def test_no_weekend_or_night_unless_marked() -> None:
    saturday = date(2026, 3, 7)
    every_day = frozenset(DAYS)
    busy_all_week = tuple((at(d, 0), at(d, 0) + timedelta(days=1)) for d in DAYS if d.weekday() < 5)
    plain = Candidate("plain", "pediatrics", every_day, busy_all_week)
    assert find_slots([plain], ["pediatrics"], earliest=START, deadline=DEADLINE) == []
    marked = Candidate(
        "marked", "pediatrics", every_day, busy_all_week, hours=WORKING_HOURS + ((5, time(9), time(11)),)
    )
    found = find_slots([marked], ["pediatrics"], earliest=START, deadline=DEADLINE)
    assert [p.starts_at for p in found] == [at(saturday, 9), at(saturday, 9, 30), at(saturday, 10)]
    evening = Candidate("evening", "pediatrics", every_day, hours=WORKING_HOURS + ((0, time(19), time(21)),))
    monday = START.date()
    night = find_slots([evening], ["pediatrics"], earliest=at(monday, 17, 30), deadline=at(monday, 23, 59))
    assert [p.starts_at for p in night] == [at(monday, 19), at(monday, 19, 30), at(monday, 20)]


def test_prefers_continuity_at_the_same_time() -> None:
    day = frozenset({date(2026, 3, 2)})
    cands = [Candidate("new", "pediatrics", day), Candidate("seen-before", "pediatrics", day, continuity=2)]
    [first] = find_slots(cands, ["pediatrics"], earliest=START, deadline=DEADLINE, limit=1)
    assert first.experts == {"pediatrics": "seen-before"}
    assert first.starts_at == datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


def test_no_slot_when_a_specialty_has_nobody_allowed_before_the_deadline() -> None:
    cands = [
        Candidate("a", "pediatrics", frozenset({date(2026, 3, 2)})),
        Candidate("b", "cardiology", frozenset({date(2026, 3, 9)})),  # allowed only after the deadline
    ]
    assert find_slots(cands, ["pediatrics", "cardiology"], earliest=START, deadline=DEADLINE) == []
