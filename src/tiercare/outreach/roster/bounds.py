"""Proven upper bounds on the score: the min-cost-flow relaxation per specialty (``_flow_bounds``, within the
first second) and the time the search gives each specialty's full model to tighten it (``_bound_seconds``)."""

from __future__ import annotations

import math
from collections import Counter

from tiercare.outreach.roster.model import _Ctx

# Bound-phase tuning (seconds are wall-clock; measured on the 2-core benchmark machine).
FULL_PHASE_SHARE = 0.25
"""Share of the time limit for the bound phase (each specialty's full model), when it fits."""
FULL_PHASE_MIN_SECONDS = 1.0
FULL_SECONDS_PER_OPTION = 1.2e-3
"""Rough time for a specialty's full model to reach its LP bound, per legal option (measured, 1 core)."""

FLOW_COST_UNIT = 1
"""Resolution of the flow bound's weights per scaled score unit.  Weights are rounded up, so any unit keeps
the bound valid; 1 is the fastest (costs 0.01 % of the bound on the 5× benchmark)."""


def _flow_bounds(ctx: _Ctx) -> list[int]:
    """Per specialty, an upper bound on its part of the score from a min-cost-flow relaxation.

    Each trip's cost is shared by its at most max_sessions_per_day sessions and each new pair's cost by the
    at most n (coverable requests of the department) sessions of that pair, so a legal roster scores at most
    Σ_sessions w(o), w(o) = cover + preferred − trip/max_sessions_per_day − [new pair]·new_pair/n.  Maximising
    Σ w over request → (expert, day) [≤ max_sessions_per_day] → (expert, week) [≤ max_per_week] flows, which
    drops the one-site-per-day rule and the load spread (≥ 0), bounds every legal roster.  Weights are rounded
    up, so the bound stays valid.
    """
    from ortools.graph.python import min_cost_flow

    unit = FLOW_COST_UNIT
    n_dep = Counter(ctx.r_dep[r] for r in range(ctx.n_r) if ctx.r_opts[r])
    source, sink = 0, 1
    next_node = 2
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    request_arcs: list[tuple[int, int]] = []  # (arc index, specialty)

    def add_arc(tail: int, head: int, cap: int, cost: int) -> None:
        tails.append(tail)
        heads.append(head)
        caps.append(cap)
        costs.append(cost)

    day_node: dict[tuple[int, int], int] = {}
    week_node: dict[tuple[int, int], int] = {}
    supply = 0
    for r in range(ctx.n_r):
        opts = ctx.r_opts[r]
        if not opts:
            continue
        share = ctx.pair_cost / n_dep[ctx.r_dep[r]]
        r_node = next_node
        next_node += 1
        arcs_here = 0
        for o in opts:
            e, d = ctx.opt_e[o], ctx.opt_d[o]
            weight = ctx.opt_value[o] - ctx.travel(e, ctx.opt_s[o]) / ctx.max_spd - (0 if ctx.opt_hist[o] else share)
            if weight <= 0:
                continue
            node = day_node.get((e, d))
            if node is None:
                node = day_node[(e, d)] = next_node
                next_node += 1
                wk = (e, ctx.day_week[d])
                w_node = week_node.get(wk)
                if w_node is None:
                    w_node = week_node[wk] = next_node
                    next_node += 1
                    add_arc(w_node, sink, ctx.e_week_cap[e], 0)
                add_arc(node, w_node, ctx.max_spd, 0)
            request_arcs.append((len(tails), ctx.e_spec[e]))
            add_arc(r_node, node, 1, -math.ceil(weight * unit))
            arcs_here += 1
        if arcs_here:
            add_arc(source, r_node, 1, 0)
            supply += 1
    bounds = [0] * len(ctx.specs)
    if not supply:
        return bounds
    add_arc(source, sink, supply, 0)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover - a feasible flow always exists
        raise RuntimeError("flow bound: min-cost flow did not solve")
    profit = [0] * len(ctx.specs)
    for arc, sp in request_arcs:
        if flow.flow(arc):
            profit[sp] -= costs[arc]
    return [p // unit for p in profit]


def _bound_seconds(ctx: _Ctx, seconds: float, workers: int) -> float:
    """Time for the full-model bound phase: ``FULL_PHASE_SHARE`` of the limit when that lets every specialty's
    model reach its LP bound (about ``FULL_SECONDS_PER_OPTION`` per option, specialties run ``workers`` at a
    time), else nothing (the flow bound is then the only bound)."""
    sizes = sorted((sum(len(ctx.e_opts[e]) for e in experts) for experts in ctx.spec_experts), reverse=True)
    sizes = [n for n in sizes if n]
    if not sizes:
        return 0.0
    rounds = math.ceil(len(sizes) / max(1, workers))
    needed = rounds * (FULL_PHASE_MIN_SECONDS + sizes[0] * FULL_SECONDS_PER_OPTION)
    share = seconds * FULL_PHASE_SHARE
    return share if share >= needed else 0.0
