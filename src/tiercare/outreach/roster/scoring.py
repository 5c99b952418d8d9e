"""The score of a roster (``score``, ``ScoreBreakdown``): the objective of ``bench/ROSTER.md`` ("Score") and its
parts, computed straight from the assignments (the solver's incremental score is ``_Roster.scaled_score``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tiercare.outreach.roster.model import AssignmentLike, Instance, _unscale, as_assignments


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """The ROSTER.md score and its parts.

    ``continuity`` is the share of assigned sessions whose expert is in the department's ``history``
    (served it last period); 0.0 for an empty roster.  ``pair_continuity`` is the share of sessions whose
    (expert, department) pair does not open a *new* pair: ``1 - new_pairs / sessions`` (the first session of
    each pair outside the history opens it; later sessions of that pair and history sessions continue a
    relationship).
    """

    objective: int | float
    covered: int
    requests: int
    covered_by_priority: dict[int, int]
    cover_points: int | float
    trips: int
    travel_hours: float
    travel_cost: int | float
    new_pairs: int
    new_pair_cost: int | float
    spread: dict[str, int]
    spread_cost: int | float
    preferred_sessions: int
    preferred_bonus: int | float
    continuity: float
    pair_continuity: float

    @property
    def load_spread(self) -> int:
        """Σ over specialties of (most − fewest sessions)."""
        return sum(self.spread.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "covered": self.covered,
            "requests": self.requests,
            "covered_by_priority": {str(k): v for k, v in sorted(self.covered_by_priority.items())},
            "cover_points": self.cover_points,
            "trips": self.trips,
            "travel_hours": self.travel_hours,
            "travel_cost": self.travel_cost,
            "new_pairs": self.new_pairs,
            "new_pair_cost": self.new_pair_cost,
            "spread": dict(self.spread),
            "load_spread": self.load_spread,
            "spread_cost": self.spread_cost,
            "preferred_sessions": self.preferred_sessions,
            "preferred_bonus": self.preferred_bonus,
            "continuity": self.continuity,
            "pair_continuity": self.pair_continuity,
        }


def score(instance: Instance, assignments: Iterable[AssignmentLike]) -> ScoreBreakdown:
    """The ROSTER.md score (maximise) with its breakdown.

    Σ cover weight of each covered request by priority − travel_per_hour × round-trip hours of each distinct
    (expert, site, day) trip − new_pair × distinct (expert, department) pairs not in the department's history
    − spread_per_specialty × Σ over specialties of (most − fewest sessions among all that specialty's experts,
    experts with no session counting as 0) + preferred × sessions served by one of the department's preferred
    experts.  The roster need not be legal (use ``validate``), but its ids must be known (else
    ``ValueError``).
    """
    ctx = instance.ctx()
    items = as_assignments(assignments)
    covered: set[str] = set()
    by_prio: Counter[int] = Counter()
    trips: set[tuple[int, str, int]] = set()
    pairs: set[tuple[int, str]] = set()
    load = [0] * ctx.n_e
    pref = hist = 0
    cover_scaled = 0
    for a in items:
        req = instance.request_by_id.get(a.request)
        ei = ctx.e_index.get(a.expert)
        if req is None or ei is None:
            raise ValueError(f"assignment {a} names an unknown request or expert")
        dept = instance.department_by_id[req.department]
        if a.request not in covered:
            covered.add(a.request)
            by_prio[req.priority] += 1
            cover_scaled += ctx.r_cover[ctx.r_index[a.request]]
        trips.add((ei, dept.site, a.day))
        if a.expert not in dept.history:
            pairs.add((ei, dept.id))
        load[ei] += 1
        pref += a.expert in dept.preferred
        hist += a.expert in dept.history
    travel_scaled = sum(ctx.travel(ei, ctx.site_index[site]) for ei, site, _ in trips)
    hours = sum(instance.trip_hours(instance.experts[ei], site) for ei, site, _ in trips)
    spread = {}
    for sp, name in enumerate(ctx.specs):
        loads = [load[ei] for ei in ctx.spec_experts[sp]]
        spread[name] = (max(loads) - min(loads)) if loads else 0
    total_spread = sum(spread.values())
    sessions = len(items)
    objective = (
        cover_scaled
        - travel_scaled
        - ctx.pair_cost * len(pairs)
        - ctx.spread_cost * total_spread
        + ctx.pref_bonus * pref
    )
    return ScoreBreakdown(
        objective=_unscale(objective),
        covered=len(covered),
        requests=len(instance.requests),
        covered_by_priority=dict(by_prio),
        cover_points=_unscale(cover_scaled),
        trips=len(trips),
        travel_hours=round(hours, 1),
        travel_cost=_unscale(travel_scaled),
        new_pairs=len(pairs),
        new_pair_cost=_unscale(ctx.pair_cost * len(pairs)),
        spread=spread,
        spread_cost=_unscale(ctx.spread_cost * total_spread),
        preferred_sessions=pref,
        preferred_bonus=_unscale(ctx.pref_bonus * pref),
        continuity=round(hist / sessions, 4) if sessions else 0.0,
        pair_continuity=round(1 - len(pairs) / sessions, 4) if sessions else 0.0,
    )
