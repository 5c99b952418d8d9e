"""What a solve or re-plan returns and reports as it goes: ``SolveResult`` (the ROSTER.md solution object,
``solution_dict``), ``Progress`` events, and the wall clock that keeps a call within its time limit (``_Clock``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tiercare.outreach.roster.model import Assignment
from tiercare.outreach.roster.scoring import ScoreBreakdown

SAFETY_SECONDS = 0.2
SAFETY_SECONDS_PER_REQUEST = 60e-6
"""Time kept back (fixed + per request) for building the answer so a solve returns within its limit."""

ProgressFn = Callable[["Progress"], None]


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress event of a solve: an improved roster or a new proven bound."""

    seconds: float
    objective: int | float
    bound: int | float | None
    phase: str


@dataclass
class SolveResult:
    """A legal roster with its score, proven bound and timings.

    ``seconds`` is the wall time of the whole call; ``first_feasible_seconds`` the time at which the first
    legal roster existed; ``bound`` a proven upper bound on the score (flow relaxation, tightened by the full
    models when they ran), or None when none was computed within the time limit.
    """

    assignments: list[Assignment]
    uncovered: list[dict[str, str]]
    objective: int | float
    bound: int | float | None
    seconds: float
    first_feasible_seconds: float
    breakdown: ScoreBreakdown
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Relative gap (bound − objective) / bound, or None without a bound."""
        if self.bound is None or not self.bound:
            return None
        return max(0.0, (self.bound - self.objective) / abs(self.bound))

    def to_dict(self) -> dict[str, Any]:
        """The ROSTER.md solution object (``assignments``, ``uncovered``, ``objective``, ``bound``,
        ``seconds``) plus ``stats`` with the breakdown and timings."""
        return {
            "assignments": [a.as_dict() for a in self.assignments],
            "uncovered": list(self.uncovered),
            "objective": self.objective,
            "bound": self.bound,
            "seconds": round(self.seconds, 3),
            "stats": {
                **self.breakdown.as_dict(),
                "gap": None if self.gap is None else round(self.gap, 4),
                "first_feasible_seconds": round(self.first_feasible_seconds, 3),
                **self.stats,
            },
        }


def solution_dict(result: SolveResult) -> dict[str, Any]:
    """The JSON-ready solution object of ROSTER.md ("Solution")."""
    return result.to_dict()


class _Clock:
    """Wall clock of one call; ``deadline`` keeps back time to assemble the answer."""

    def __init__(self, seconds: float, n_requests: int = 0) -> None:
        self.t0 = time.perf_counter()
        self.limit = seconds
        margin = min(seconds / 4, SAFETY_SECONDS + SAFETY_SECONDS_PER_REQUEST * n_requests)
        self.deadline = self.t0 + max(0.0, seconds - margin)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.deadline - time.perf_counter()
