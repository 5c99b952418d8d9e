"""``replan``: re-plan a confirmed roster after a change, keeping as many confirmed assignments as it can —
coverage by priority first, then the fewest changes, then the score, in lexicographic CP-SAT stages over the
whole roster or, on large instances, a window around the change."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from ortools.sat.python import cp_model

from tiercare.outreach.roster.construction import _improving_fill
from tiercare.outreach.roster.guards import _check_guards
from tiercare.outreach.roster.incremental import _Roster, _roster_from
from tiercare.outreach.roster.model import (
    DEFAULT_WORKERS,
    Assignment,
    AssignmentLike,
    Instance,
    _unscale,
    as_assignments,
)
from tiercare.outreach.roster.neighbourhoods import _Neighbourhoods
from tiercare.outreach.roster.reasons import _reason
from tiercare.outreach.roster.result import Progress, ProgressFn, SolveResult, _Clock
from tiercare.outreach.roster.scoring import score
from tiercare.outreach.roster.window import _Window, _window_solver

# Replan: lexicographic stages (coverage, then changes, then score) and their time shares.
REPLAN_STAGE_SHARES = (0.6, 0.4)
STAGE_SLACK_SECONDS = 0.05
"""CP-SAT may overrun its limit slightly under load; each replan stage keeps this much back."""
REPLAN_FULL_MAX_OPTIONS = 4_000
"""Up to this many legal options replan re-optimises the whole roster; above, a window around the change."""
REPLAN_WINDOW_OPTIONS = 4_000
"""Size of the replan window (in options) around the affected requests on large instances."""


def replan(
    instance: Instance,
    previous_assignments: Iterable[AssignmentLike],
    seconds: float = 10.0,
    workers: int = DEFAULT_WORKERS,
    fixed: Iterable[AssignmentLike] | None = None,
    progress: ProgressFn | None = None,
    seed: int = 0,
) -> SolveResult:
    """Re-plan a confirmed roster after a change (an expert dropped or on leave, a request's days moved, a
    request added or cancelled) on the *changed* ``instance``, changing as few confirmed assignments as
    possible.

    A *change* is a previous assignment whose request still exists and which the new roster does not keep
    exactly (same expert, same day); assignments the change made illegal are changes that cannot be avoided.
    The objective is lexicographic, solved in two CP-SAT stages over one model:

    1. maximise the cover weight (Σ cover_by_priority of covered requests) — coverage by priority first —
       and, at equal coverage, minimise the number of changes: each change costs a "heavy penalty" of one unit
       with cover weighted by (number of confirmed assignments + 1), so no number of changes is ever traded
       for score and any number is traded for coverage;
    2. with that coverage and that number of changes held, maximise the ROSTER.md score.

    Up to ``REPLAN_FULL_MAX_OPTIONS`` legal options the model is the whole roster; above, it is a window: the
    candidate experts of the affected requests (no longer legal, or open) and their competitors, all days, the
    rest staying fixed.  Every stage is hinted with the previous stage's roster, which starts as the previous
    roster minus its illegal assignments, so the answer is always legal.  ``stats`` reports ``changed``,
    ``kept`` and ``illegal`` (previous assignments no longer legal).
    """
    _check_guards()
    clock = _Clock(seconds, len(instance.requests))
    ctx = instance.ctx()
    prev = as_assignments(previous_assignments)
    stats: dict[str, Any] = {"workers": workers, "time_limit": seconds, "mode": "replan"}
    locked_ro, _ = _roster_from(ctx, as_assignments(fixed or ()), strict=True)
    locked = frozenset(r for r in range(ctx.n_r) if locked_ro.assign[r] >= 0)
    base = locked_ro.copy()
    prev_opt: dict[int, int | None] = {}
    illegal: list[Assignment] = []
    for a in prev:
        r = ctx.r_index.get(a.request)
        if r is None:
            continue  # request cancelled: nothing to keep
        if r in prev_opt:
            illegal.append(a)  # a request assigned twice: only the first assignment counts
            continue
        o = ctx.option_of(a)
        prev_opt[r] = o
        if r in locked:
            continue
        if o is not None and base.can_add(o):
            base.add(o)
        else:
            illegal.append(a)
            prev_opt[r] = None
    first_feasible = clock.elapsed()

    def report(ro: _Roster, phase: str) -> None:
        if progress is not None:
            progress(Progress(round(clock.elapsed(), 3), _unscale(ro.scaled_score()), None, phase))

    report(base, "previous")

    broken = [r for r, o in prev_opt.items() if o is None]
    open_reqs = [r for r in range(ctx.n_r) if base.assign[r] < 0 and ctx.r_opts[r] and r not in locked]
    if ctx.n_o <= REPLAN_FULL_MAX_OPTIONS:
        experts: list[int] | None = None
    else:
        # The candidates of the requests that lost their assignment (or, without any, of the open ones),
        # then their competitors, up to REPLAN_WINDOW_OPTIONS options.
        hoods = _Neighbourhoods(ctx, random.Random(seed), locked)
        seeds = sorted({e for r in (broken or open_reqs) for e in ctx.r_experts[r]})
        experts = hoods.grow(seeds, None, REPLAN_WINDOW_OPTIONS, cap=True)
    stats["window_experts"] = ctx.n_e if experts is None else len(experts)

    window = _Window(base, experts, None, locked)
    model = window.model
    cover = window.cover_expr()
    change_terms = []
    constant_changes = 0
    for r in window.free_requests:
        if r not in prev_opt:
            continue
        o = prev_opt[r]
        if o is not None and o in window.x:
            change_terms.append(1 - window.x[o])
        else:
            constant_changes += 1
    changes = cp_model.LinearExpr.sum(change_terms) if change_terms else 0
    # Stage 1, coverage then changes: cover is in multiples of 1 (scaled) and at most len(change_terms)
    # changes can differ, so weighting cover by len(change_terms) + 1 makes the order exact.
    weight = len(change_terms) + 1
    stages: list[tuple[str, Any, bool]] = [
        ("coverage", cover * weight - changes, True),
        ("score", window.objective_expr(), True),
    ]
    current = base
    budget = max(0.0, clock.left())
    stage_log: list[list[Any]] = []
    for (name, expr, _maximise), share in zip(stages, REPLAN_STAGE_SHARES, strict=True):
        left = clock.left()
        if left < 2 * STAGE_SLACK_SECONDS or not window.size:
            break
        window.add_hint(current)
        model.maximize(expr)
        limit = min(left, budget * share) if name != "score" else left
        solver = _window_solver(limit - STAGE_SLACK_SECONDS, workers, seed)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stage_log.append([name, solver.status_name(status), None])
            break
        chosen = window.chosen(solver.boolean_value)
        stage_log.append([name, solver.status_name(status), round(solver.objective_value)])
        current = window.apply(chosen)
        report(current, name)
        if name == "coverage":
            # Hold coverage and changes at this level for the score stage (``current`` satisfies both).
            n_changes = round(solver.value(changes)) if change_terms else 0
            model.add(cover >= round(solver.value(cover)))
            if change_terms:
                model.add(changes <= n_changes)
    stats["stages"] = stage_log
    # Coverage may still grow outside the window: cover open requests that have a free slot (no change).
    ro = current
    if _improving_fill(ro, require_gain=False):
        report(ro, "fill")
    value = ro.scaled_score()
    changed = [instance.requests[r].id for r, o in prev_opt.items() if o is None or ro.assign[r] != o]
    stats["changed"] = len(changed)
    stats["changed_requests"] = sorted(changed)
    stats["kept"] = sum(1 for r, o in prev_opt.items() if o is not None and ro.assign[r] == o)
    stats["illegal"] = [a.as_dict() for a in illegal]
    uncovered = [
        {"request": instance.requests[r].id, "reason": _reason(ro, r)} for r in range(ctx.n_r) if ro.assign[r] < 0
    ]
    assignments = ro.assignments()
    return SolveResult(
        assignments=assignments,
        uncovered=uncovered,
        objective=_unscale(value),
        bound=None,
        seconds=clock.elapsed(),
        first_feasible_seconds=first_feasible,
        breakdown=score(instance, assignments),
        stats=stats,
    )
