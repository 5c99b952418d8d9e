"""``solve``: the roster optimiser end to end — the start roster (greedy or insertion, or a repaired hint, with
``fixed`` assignments locked), the whole model first on small instances (``_exact_small``), then the search and
its bounds (``search``), a final fill pass and the reasons for what stays open."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import Any

from ortools.sat.python import cp_model

from tiercare.outreach.roster.bounds import _bound_seconds
from tiercare.outreach.roster.construction import _greedy_fill, _improving_fill, _insertion_fill
from tiercare.outreach.roster.guards import _check_guards
from tiercare.outreach.roster.incremental import _Roster, _roster_from
from tiercare.outreach.roster.model import DEFAULT_WORKERS, AssignmentLike, Instance, _Ctx, _unscale, as_assignments
from tiercare.outreach.roster.reasons import _reason
from tiercare.outreach.roster.result import ProgressFn, SolveResult, _Clock
from tiercare.outreach.roster.scoring import score
from tiercare.outreach.roster.search import _Incumbent, _Search
from tiercare.outreach.roster.window import _Window, _window_solver

SMALL_EXACT_MAX_OPTIONS = 2_500
"""Up to this many legal options ``solve`` first tries the whole model (often proven optimal at once)."""
SMALL_EXACT_SHARE = 0.5


def _exact_small(inc: _Incumbent, clock: _Clock, workers: int, locked: frozenset[int], stats: dict[str, Any]) -> None:
    """Small instances: the whole model first (up to ``SMALL_EXACT_SHARE`` of the time), hinted with the
    incumbent; an optimal answer ends the solve early, else its roster and bound carry on into the search."""
    window = _Window(inc.ro, None, None, locked)
    if not window.size:
        inc.set_bound(inc.value, "bound")
        return
    window.add_hint(inc.ro)
    const = inc.value - window.evaluate(window.hint_values(inc.ro))
    solver = _window_solver(max(0.05, clock.left() * SMALL_EXACT_SHARE), workers)
    status = solver.solve(window.model)
    stats["exact_status"] = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        inc.offer(window.apply(window.chosen(solver.boolean_value)), "exact")
        inc.set_bound(math.floor(solver.best_objective_bound + 1e-6) + const, "bound")


def _start_roster(
    ctx: _Ctx, fixed: Iterable[AssignmentLike] | None, hint: Iterable[AssignmentLike] | None
) -> tuple[_Roster, frozenset[int], int, dict[str, Any]]:
    """The locked part (``fixed``, must be legal), the start roster (the better of the greedy and the
    score-aware insertion, or a repaired hint when it is at least as good) and the greedy score."""
    locked_ro, _ = _roster_from(ctx, as_assignments(fixed or ()), strict=True)
    locked = frozenset(r for r in range(ctx.n_r) if locked_ro.assign[r] >= 0)
    start = _greedy_fill(locked_ro.copy())
    greedy_value = start.scaled_score()
    info: dict[str, Any] = {"greedy_objective": _unscale(greedy_value)}
    inserted = _insertion_fill(locked_ro.copy())
    inserted_value = inserted.scaled_score()
    info["insertion_objective"] = _unscale(inserted_value)
    if inserted_value > greedy_value:
        start = inserted
    if hint is not None:
        hinted = locked_ro.copy()
        rejected = 0
        for a in as_assignments(hint):
            if ctx.r_index.get(a.request) in locked:
                continue  # the fixed assignment wins
            o = ctx.option_of(a)
            if o is not None and hinted.can_add(o):
                hinted.add(o)
            else:
                rejected += 1
        _greedy_fill(hinted)
        hint_value = hinted.scaled_score()
        info["hint_objective"] = _unscale(hint_value)
        info["hint_rejected"] = rejected
        if hint_value >= start.scaled_score():
            start = hinted
    return start, locked, greedy_value, info


def solve(
    instance: Instance,
    seconds: float = 10.0,
    workers: int = DEFAULT_WORKERS,
    hint: Iterable[AssignmentLike] | None = None,
    fixed: Iterable[AssignmentLike] | None = None,
    progress: ProgressFn | None = None,
    seed: int = 0,
    bound: bool = True,
) -> SolveResult:
    """Maximise the ROSTER.md score within ``seconds`` (wall clock) on ``workers`` cores.

    ``hint``: a roster to start from (e.g. the previous plan); ``fixed``: assignments that must stay;
    ``progress``: called with a ``Progress`` for every improvement and every tighter bound; ``seed``: the
    neighbourhood search's random seed; ``bound=False`` skips the full-model bound phase (the flow bound
    is still computed).  Small instances (up to ``SMALL_EXACT_MAX_OPTIONS`` options) first get the whole
    model and return as soon as it is proven optimal.

    1. Start: ``fixed`` assignments are locked (``ValueError`` if illegal); the rest is the better of the
       greedy roster and a score-aware insertion (``_insertion_fill``), or ``hint`` (illegal entries dropped,
       gaps filled greedily) when that scores at least as well.  This first feasible roster takes
       milliseconds (0.3 s on the 5× benchmark).
    2. Search (``_Search``): LNS windows (``_Neighbourhoods``) re-solved exactly by CP-SAT from the incumbent,
       ``workers`` at a time in forked processes (one specialty each, so results merge exactly); a window is
       kept only when the complete roster scores at least as well, so the roster never gets worse than the
       start.  A min-cost-flow relaxation (``_flow_bounds``) gives a proven bound within the first second.
    3. Bound phase (last ``FULL_PHASE_SHARE`` of the time, only when ``_bound_seconds`` says every
       specialty's full model can reach its LP bound): each specialty's full model, hinted with the incumbent,
       tightens the bound and sometimes improves the roster.
    4. A fill pass adds any open request with a free slot that raises the score; the open requests get
       reasons (``explain_uncovered``).

    The result is always legal and scores at least the greedy start.
    """
    _check_guards()
    clock = _Clock(seconds, len(instance.requests))
    ctx = instance.ctx()
    stats: dict[str, Any] = {"workers": workers, "time_limit": seconds}
    start, locked, greedy_value, info = _start_roster(ctx, fixed, hint)
    stats.update(info)
    inc = _Incumbent(start, clock, progress, "greedy")
    first_feasible = clock.elapsed()
    if ctx.n_o <= SMALL_EXACT_MAX_OPTIONS:
        _exact_small(inc, clock, workers, locked, stats)
    if inc.bound is None or inc.value < inc.bound:
        bound_time = _bound_seconds(ctx, seconds, workers) if bound else 0.0
        stats["bound_phase_seconds"] = round(bound_time, 3)
        _Search(inc, clock, workers, locked, random.Random(seed), stats).run(bound_time)
    stats["search_end_seconds"] = round(clock.elapsed(), 3)
    filled = inc.ro.copy()
    if _improving_fill(filled):
        inc.offer(filled, "fill")
    ro = inc.ro
    assert ro.scaled_score() >= greedy_value
    uncovered = [
        {"request": instance.requests[r].id, "reason": _reason(ro, r)} for r in range(ctx.n_r) if ro.assign[r] < 0
    ]
    assignments = ro.assignments()
    stats["improvements"] = [[round(t, 3), v, phase] for t, v, phase in inc.history]
    stats["finish_seconds"] = round(clock.elapsed(), 3)
    return SolveResult(
        assignments=assignments,
        uncovered=uncovered,
        objective=_unscale(inc.value),
        bound=None if inc.bound is None else _unscale(inc.bound),
        seconds=clock.elapsed(),
        first_feasible_seconds=first_feasible,
        breakdown=score(instance, assignments),
        stats=stats,
    )
