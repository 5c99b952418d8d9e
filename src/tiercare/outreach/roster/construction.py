"""Constructive rosters: the greedy baseline (``greedy``, ``_greedy_fill``), the score-aware insertion that
starts the solver (``_insertion_fill``) and the fill pass run after every solve (``_improving_fill``)."""

from __future__ import annotations

from tiercare.outreach.roster.incremental import _Roster
from tiercare.outreach.roster.model import Assignment, Instance


def _greedy_fill(ro: _Roster) -> _Roster:
    """The greedy rule on the requests ``ro`` leaves open: in priority order (most important first, then the
    fewest legal options, then id), give each request to its least-loaded legal expert; ties go to an expert
    already at that site that day (shared trip), then one from the department's history, then the shorter
    trip, the earlier day and the lower expert index."""
    ctx = ro.ctx
    order = sorted(range(ctx.n_r), key=lambda r: (-ctx.r_prio[r], len(ctx.r_opts[r]), r))
    for r in order:
        if ro.assign[r] >= 0:
            continue
        best = -1
        best_key: tuple[int, ...] | None = None
        dep = ctx.r_dep[r]
        for o in ctx.r_opts[r]:
            if not ro.slot_free(o):
                continue
            e, d = ctx.opt_e[o], ctx.opt_d[o]
            key = (
                ro.load[e],
                0 if ro.day_cnt.get((e, d)) else 1,
                0 if e in ctx.dept_hist[dep] else 1,
                ctx.travel(e, ctx.opt_s[o]),
                d,
                e,
            )
            if best_key is None or key < best_key:
                best, best_key = o, key
        if best >= 0:
            ro.add(best)
    return ro


def _insertion_fill(ro: _Roster) -> _Roster:
    """Score-aware construction (the solver's start, not the baseline): requests in the greedy's order, each
    placed at the legal (expert, day) with the best marginal score — cover and preferred bonus, minus the trip
    unless the expert already travels there that day, minus new_pair unless the pair exists or is in the
    history — ties to the least-loaded expert.  Open requests with no positive slot stay open."""
    ctx = ro.ctx
    order = sorted(range(ctx.n_r), key=lambda r: (-ctx.r_prio[r], len(ctx.r_opts[r]), r))
    for r in order:
        if ro.assign[r] >= 0:
            continue
        dep = ctx.r_dep[r]
        best = -1
        best_key: tuple[int, int] | None = None
        for o in ctx.r_opts[r]:
            if not ro.slot_free(o):
                continue
            e, d = ctx.opt_e[o], ctx.opt_d[o]
            delta = ctx.opt_value[o]
            if not ro.day_cnt.get((e, d)):
                delta -= ctx.travel(e, ctx.opt_s[o])
            if not ro.pair_cnt.get((e, dep)) and e not in ctx.dept_hist[dep]:
                delta -= ctx.pair_cost
            key = (delta, -ro.load[e])
            if best_key is None or key > best_key:
                best, best_key = o, key
        if best >= 0 and best_key is not None and best_key[0] > 0:
            ro.add(best)
    return ro


def _improving_fill(ro: _Roster, require_gain: bool = True, skip: frozenset[int] = frozenset()) -> int:
    """Add every still-open request that has a free legal slot raising the score (best slot first); with
    ``require_gain=False`` any free slot will do (coverage first).  Requests in ``skip`` stay as they are.

    Returns the number of requests added.  Used after every solve so an open request with a free slot is
    always one that would lower the score (``not_worthwhile``).
    """
    ctx = ro.ctx
    added = 0
    for r in sorted(range(ctx.n_r), key=lambda r: (-ctx.r_prio[r], r)):
        if ro.assign[r] >= 0 or r in skip:
            continue
        best, best_delta = -1, 0 if require_gain else -(1 << 62)
        for o in ctx.r_opts[r]:
            if ro.slot_free(o):
                delta = ro.add_delta(o)
                if delta > best_delta:
                    best, best_delta = o, delta
        if best >= 0:
            ro.add(best)
            added += 1
    return added


def greedy(instance: Instance) -> list[Assignment]:
    """The baseline roster (ROSTER.md, "greedy"): priority order, least-loaded legal expert.

    Requests are taken most important first (then the most constrained, then by id); each goes to the legal
    (expert, day) whose expert has the fewest sessions so far, keeping every coupling rule.  Ties: shared
    trip, history expert, shorter trip, earlier day.
    """
    return _greedy_fill(_Roster(instance.ctx())).assignments()
