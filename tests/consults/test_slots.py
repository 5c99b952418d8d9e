"""The MDT slot finder against brute force on small random calendars (seeded, so a failure reproduces)."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta

import pytest

from tiercare.consults.slots import SHANGHAI, Candidate, find_slots, grid

START = datetime(2026, 3, 2, 7, 0, tzinfo=SHANGHAI)  # a Monday, before working hours
DEADLINE = START + timedelta(days=3)
HOUR = timedelta(hours=1)


def random_calendar(rng: random.Random) -> tuple[list[Candidate], list[str]]:
    specialties = rng.sample(["pediatrics", "cardiology", "oncology", "surgery"], rng.randint(1, 3))
    days = [START.date() + timedelta(days=i) for i in range(4)]
    cands = []
    for i in range(rng.randint(1, 6)):
        spec = rng.choice(specialties)
        allowed = frozenset(d for d in days if rng.random() < 0.6)
        busy = []
        for _ in range(rng.randint(0, 6)):
            day = rng.choice(days)
            s = datetime(day.year, day.month, day.day, rng.randint(7, 17), rng.choice([0, 15, 30, 45]), tzinfo=SHANGHAI)
            busy.append((s, s + timedelta(minutes=rng.choice([30, 45, 60, 120, 240]))))
        first = cands[0] if cands else None
        if first is not None and first.specialty != spec and rng.random() < 0.2:
            # The same expert for a second specialty: same calendar, and never sitting for both at once.
            cands.append(Candidate(first.key, spec, first.allowed_days, first.busy, rng.randint(0, 3)))
        else:
            cands.append(Candidate(f"e{i}", spec, allowed, tuple(busy), rng.randint(0, 3)))
    return cands, specialties


def brute_force(cands: list[Candidate], specialties: list[str]) -> list[datetime]:
    """Every grid time at which some assignment of distinct, allowed, free experts covers every specialty."""
    feasible = []
    for t in grid(START, DEADLINE):
        end = t + HOUR
        per_spec = [
            [
                c
                for c in cands
                if c.specialty == s
                and t.date() in c.allowed_days
                and (end - timedelta(microseconds=1)).date() in c.allowed_days
                and all(not (b0 < end and t < b1) for b0, b1 in c.busy)
            ]
            for s in specialties
        ]
        if any(len({c.key for c in combo}) == len(combo) for combo in itertools.product(*per_spec)):
            feasible.append(t)
    return feasible


@pytest.mark.parametrize("seed", range(150))
def test_slot_finder_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    cands, specialties = random_calendar(rng)
    proposals = find_slots(cands, specialties, earliest=START, deadline=DEADLINE, limit=5)
    expected = brute_force(cands, specialties)

    # The earliest feasible time is found whenever one exists, and the next ones in order.
    assert [p.starts_at for p in proposals] == expected[:5]
    by_key = {}
    for c in cands:
        by_key.setdefault((c.key, c.specialty), c)
    for p in proposals:
        assert set(p.experts) == set(specialties)
        assert len(set(p.experts.values())) == len(specialties)  # one expert sits for one specialty
        for spec, key in p.experts.items():
            c = by_key[(key, spec)]
            assert p.starts_at.astimezone(SHANGHAI).date() in c.allowed_days  # never where not allowed
            assert all(not (b0 < p.ends_at and p.starts_at < b1) for b0, b1 in c.busy)  # never when busy
        assert p.ends_at <= DEADLINE


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
