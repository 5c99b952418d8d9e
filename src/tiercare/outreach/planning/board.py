"""The board: a roster in calendar terms (``Board``, ``Placed``) — who is where on which half-day, whether an
(expert, day) can take one more session under the product's own rules (practice rule per day, half-days, weekly
limit), the fill pass that places every open request a free legal expert can take, and the reason an
occurrence stays open (``Board.reason_for``, with the roster's codes)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from tiercare.outreach import roster
from tiercare.outreach.models import HalfDay, SessionKind
from tiercare.outreach.planning.problem import DEFAULT_WEEKLY_LIMIT, Occurrence, Problem
from tiercare.outreach.planning.travel import MAX_TRIP_HOURS


@dataclass
class Placed:
    key: str
    expert: str
    day: date
    half_day: str


class Board:
    """Occupancy of a roster in calendar terms; decides whether an (expert, day) can take one more session."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.site_of: dict[tuple[str, date], str] = {}
        self.taken: dict[tuple[str, date], set[str]] = defaultdict(set)
        self.week: dict[tuple[str, date], int] = defaultdict(int)
        self.placed: dict[str, Placed] = {}

    @staticmethod
    def monday(d: date) -> date:
        return d - timedelta(days=d.weekday())

    def occupy(self, expert: str, site: str, day: date, half_day: str) -> None:
        self.site_of[(expert, day)] = site
        self.taken[(expert, day)].add(half_day)
        self.week[(expert, self.monday(day))] += 1

    def release(self, expert: str, day: date, half_day: str) -> None:
        self.taken[(expert, day)].discard(half_day)
        self.week[(expert, self.monday(day))] -= 1
        if not self.taken[(expert, day)]:
            self.site_of.pop((expert, day), None)

    def free_half_day(self, expert: str, day: date) -> str | None:
        avail = self.p.halfdays.get(expert, {}).get(day.weekday(), set())
        free = [h for h in HalfDay.values if h in avail and h not in self.taken[(expert, day)]]
        return free[0] if free else None

    def legal(self, expert: str, o: Occurrence, day: date) -> bool:
        """Legal on its own: specialty, practice rule that day (basis + cover), trip, qualification, availability."""
        e = self.p.experts.get(expert)
        if e is None or e.specialty != o.specialty or day not in o.days:
            return False
        sid = str(o.site_id)
        if day not in self.p.allowed.get((expert, sid), ()) or day in self.p.unavailable.get(expert, ()):
            return False
        if self.p.trip.get((expert, sid), math.inf) > MAX_TRIP_HOURS:
            return False
        if o.kind == SessionKind.SURGERY and not e.can_operate:
            return False
        return not (o.kind == SessionKind.TEACHING and not e.is_senior)

    def free(self, expert: str, o: Occurrence, day: date) -> str | None:
        """The half-day the expert could take ``o`` on ``day`` in this roster, or None."""
        if self.site_of.get((expert, day), str(o.site_id)) != str(o.site_id):
            return None
        if self.week[(expert, self.monday(day))] >= self.p.weekly_limit.get(expert, DEFAULT_WEEKLY_LIMIT):
            return None
        return self.free_half_day(expert, day)

    def place(self, key: str, expert: str, day: date, half_day: str) -> None:
        o = self.p.occurrences[key]
        self.occupy(expert, str(o.site_id), day, half_day)
        self.placed[key] = Placed(key, expert, day, half_day)

    def candidates(self, o: Occurrence) -> list[tuple[str, date, str]]:
        out = []
        for eid in self.p.experts:
            for day in o.days:
                if self.legal(eid, o, day):
                    half = self.free(eid, o, day)
                    if half:
                        out.append((eid, day, half))
        return out

    def reason_for(self, o: Occurrence) -> str:
        """Why ``o`` is open in this roster: the first rule, in the roster's order, that no expert passes."""
        cands = [eid for eid, e in self.p.experts.items() if e.specialty == o.specialty]
        if not cands:
            return roster.REASON_NO_SPECIALTY
        sid = str(o.site_id)
        cands = [eid for eid in cands if self.p.allowed.get((eid, sid), set()) & set(o.days)]
        if not cands:
            return roster.REASON_NOT_LICENSED
        cands = [eid for eid in cands if self.p.trip.get((eid, sid), math.inf) <= MAX_TRIP_HOURS]
        if not cands:
            return roster.REASON_TOO_FAR
        if o.kind == SessionKind.SURGERY:
            cands = [eid for eid in cands if self.p.experts[eid].can_operate]
        elif o.kind == SessionKind.TEACHING:
            cands = [eid for eid in cands if self.p.experts[eid].is_senior]
        if not cands:
            return roster.REASON_NOT_QUALIFIED
        legal = [(eid, d) for eid in cands for d in o.days if self.legal(eid, o, d)]
        if not legal:
            return roster.REASON_NO_DAY
        if not any(self.free(eid, o, d) for eid, d in legal):
            return roster.REASON_CAPACITY
        return roster.REASON_NOT_SELECTED

    def fill(self) -> int:
        """Place every open occurrence some free legal expert can take (most important first, least-loaded expert,
        shortest trip). Coverage first: a request a free legal expert could take is never left open."""
        added = 0
        load: dict[str, int] = defaultdict(int)
        for pl in self.placed.values():
            load[pl.expert] += 1
        open_ = sorted(
            (o for k, o in self.p.occurrences.items() if k not in self.placed),
            key=lambda o: (-o.priority, len(o.days), o.key),
        )
        for o in open_:
            cands = self.candidates(o)
            if not cands:
                continue
            eid, day, half = min(cands, key=lambda c: (load[c[0]], self.p.trip[(c[0], str(o.site_id))], c[1]))
            self.place(o.key, eid, day, half)
            load[eid] += 1
            added += 1
        return added
