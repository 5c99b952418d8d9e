"""The CP-SAT model of a window of a roster (``_Window``: some experts × some days re-decided exactly, the rest
held fixed) and the CP-SAT parameters the window solves use (``_new_solver``, ``_window_solver``).  The search,
the small-instance exact solve and the re-plan all solve windows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import cast

from ortools.sat.python import cp_model

from tiercare.outreach.roster.incremental import _Roster


class _Window:
    """Exact CP-SAT model of the part of a roster inside a window, the rest being held fixed.

    The window is a set of experts × a set of days (``None`` = all).  Free requests are the open ones and
    those assigned inside the window (minus ``locked`` requests); their free options are the legal options
    inside the window that fit the fixed part (site already chosen that day, day and week room left).  Model:

    * ``x[o]`` option chosen; ``Σ_o x ≤ 1`` per request (a request at most once);
    * ``y[e,d,s]`` expert ``e`` travels to site ``s`` on day ``d``: ``x ≤ y``, ``Σ_s y ≤ 1`` (one site per
      expert-day), ``Σ x(e,d,s) ≤ room·y`` (redundant, tightens the LP), ``Σ x(e,d) ≤ room`` (day limit);
      when a site has a single option that day the trip *is* the session, so ``y`` is folded into ``x``
      (its cost moves to ``x``'s coefficient), and likewise a new pair with a single option;
    * ``Σ x(e,week) ≤ max_per_week − fixed`` (week limit);
    * ``p[e,dep] ≥ x`` for pairs outside the history and not yet used by the fixed part (new pair);
    * per specialty ``hi ≥ load_e ≥ lo`` for every expert (fixed loads as constants) (load spread).

    Objective (maximise, scaled): Σ (cover + preferred) x − Σ trip cost · y − new_pair · Σ p
    − spread · Σ (hi − lo).  It equals the roster score minus a constant fixed part.
    """

    def __init__(
        self,
        ro: _Roster,
        experts: Iterable[int] | None,
        days: Iterable[int] | None,
        locked: frozenset[int] = frozenset(),
    ) -> None:
        ctx = ro.ctx
        self.ctx = ctx
        self.ro = ro
        model = cp_model.CpModel()
        self.model = model
        n_days = ctx.inst.days
        in_day = [False] * n_days
        for d in range(n_days) if days is None else days:
            in_day[d] = True
        expert_list = list(range(ctx.n_e)) if experts is None else sorted(set(experts))
        in_expert = [False] * ctx.n_e
        for e in expert_list:
            in_expert[e] = True
        opt_r, opt_e, opt_d, opt_s = ctx.opt_r, ctx.opt_e, ctx.opt_d, ctx.opt_s

        free_r = [False] * ctx.n_r
        removed_day: Counter[tuple[int, int]] = Counter()
        removed_week: Counter[tuple[int, int]] = Counter()
        removed_pair: Counter[tuple[int, int]] = Counter()
        removed_load: Counter[int] = Counter()
        for r, o in enumerate(ro.assign):
            if r in locked:
                continue
            if o < 0:
                free_r[r] = True
            elif in_expert[opt_e[o]] and in_day[opt_d[o]]:
                free_r[r] = True
                e, d = opt_e[o], opt_d[o]
                removed_day[(e, d)] += 1
                removed_week[(e, ctx.day_week[d])] += 1
                removed_pair[(e, ctx.r_dep[r])] += 1
                removed_load[e] += 1
        self.free_requests = [r for r in range(ctx.n_r) if free_r[r]]

        # Free options grouped by expert-day.
        by_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for e in expert_list:
            for o in ctx.e_opts[e]:
                if free_r[opt_r[o]] and in_day[opt_d[o]]:
                    by_day[(e, opt_d[o])].append(o)

        new_bool = model.new_bool_var
        add_implication = model.add_implication
        lin_sum = cp_model.LinearExpr.sum
        x: dict[int, cp_model.IntVar] = {}
        obj_vars: list[cp_model.IntVar] = []
        obj_coefs: list[int] = []
        by_week: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        by_req: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
        pos: dict[int, int] = {}
        by_expert: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        self.y: dict[tuple[int, int, int], cp_model.IntVar] = {}
        for (e, d), opts in by_day.items():
            fixed_cnt = ro.day_cnt.get((e, d), 0) - removed_day[(e, d)]
            wk = (e, ctx.day_week[d])
            week_room = ctx.e_week_cap[e] - (ro.week_cnt.get(wk, 0) - removed_week[wk])
            room = min(ctx.max_spd - fixed_cnt, week_room)
            if room <= 0:
                continue
            fixed_site = ro.day_site.get((e, d)) if fixed_cnt > 0 else None
            if fixed_site is not None:
                opts = [o for o in opts if opt_s[o] == fixed_site]
                if not opts:
                    continue
            by_site: dict[int, list[int]] = defaultdict(list)
            day_vars = []
            for o in opts:
                var = new_bool("")
                x[o] = var
                day_vars.append(var)
                pos[o] = len(obj_coefs)
                obj_vars.append(var)
                obj_coefs.append(ctx.opt_value[o])
                by_site[opt_s[o]].append(o)
                by_week[wk].append(var)
                r = opt_r[o]
                by_req[r].append(var)
                by_pair[(e, ctx.r_dep[r])].append(o)
                by_expert[e].append(var)
            if len(opts) > room:
                model.add(lin_sum(day_vars) <= room)
            if fixed_site is not None:
                continue  # trip already paid by the fixed part
            site_lits = []
            for s, sopts in by_site.items():
                if len(sopts) == 1:  # the trip is the session itself: fold its cost into x
                    obj_coefs[pos[sopts[0]]] -= ctx.travel(e, s)
                    site_lits.append(x[sopts[0]])
                    continue
                yv = new_bool("")
                self.y[(e, d, s)] = yv
                site_lits.append(yv)
                obj_vars.append(yv)
                obj_coefs.append(-ctx.travel(e, s))
                svars = [x[o] for o in sopts]
                for var in svars:
                    add_implication(var, yv)
                model.add(lin_sum(svars) <= min(room, len(svars)) * yv)
            if len(site_lits) > 1:
                model.add_at_most_one(site_lits)
        self.x = x
        for wk, wvars in by_week.items():
            room = ctx.e_week_cap[wk[0]] - (ro.week_cnt.get(wk, 0) - removed_week[wk])
            if len(wvars) > room:
                model.add(lin_sum(wvars) <= room)
        for rvars in by_req.values():
            if len(rvars) > 1:
                model.add_at_most_one(rvars)
        self.p: dict[tuple[int, int], cp_model.IntVar] = {}
        if ctx.pair_cost:
            for (e, dep), popts in by_pair.items():
                if e in ctx.dept_hist[dep] or ro.pair_cnt.get((e, dep), 0) - removed_pair[(e, dep)] > 0:
                    continue
                if len(popts) == 1:  # the pair is the session itself: fold its cost into x
                    obj_coefs[pos[popts[0]]] -= ctx.pair_cost
                    continue
                pv = new_bool("")
                self.p[(e, dep)] = pv
                obj_vars.append(pv)
                obj_coefs.append(-ctx.pair_cost)
                for o in popts:
                    add_implication(x[o], pv)
        # Load spread per specialty touched by the window.
        self.spread_vars: list[tuple[cp_model.IntVar, cp_model.IntVar, int]] = []
        if ctx.spread_cost:
            for sp in sorted({ctx.e_spec[e] for e in by_expert}):
                const_loads = []
                var_loads: list[tuple[int, int]] = []  # (expert, fixed load)
                for e in ctx.spec_experts[sp]:
                    fixed_load = ro.load[e] - removed_load[e]
                    if e in by_expert:
                        var_loads.append((e, fixed_load))
                    else:
                        const_loads.append(fixed_load)
                ub = max([fl + len(by_expert[e]) for e, fl in var_loads] + const_loads)
                hi = model.new_int_var(max(const_loads, default=0), ub, "")
                lo = model.new_int_var(0, min(const_loads, default=ub), "")
                for e, fl in var_loads:
                    load = lin_sum(by_expert[e])
                    model.add(load - hi <= -fl)
                    model.add(load - lo >= -fl)
                obj_vars.extend((hi, lo))
                obj_coefs.extend((-ctx.spread_cost, ctx.spread_cost))
                self.spread_vars.append((hi, lo, sp))
        self.obj_vars = obj_vars
        self.obj_coefs = obj_coefs
        objective = model.proto.objective
        objective.vars.extend([v.index for v in obj_vars])
        objective.coeffs.extend([-c for c in obj_coefs])
        objective.scaling_factor = -1.0  # maximise (CP-SAT minimises the negation)

    def objective_expr(self) -> cp_model.LinearExpr:
        """The window objective as an expression (the model's objective is set directly in the proto)."""
        return cast(cp_model.LinearExpr, cp_model.LinearExpr.weighted_sum(self.obj_vars, self.obj_coefs))

    def cover_expr(self) -> cp_model.LinearExpr:
        """Σ scaled cover weight of the free requests the window covers."""
        ctx = self.ctx
        cover = [ctx.r_cover[ctx.opt_r[o]] for o in self.x]
        return cast(cp_model.LinearExpr, cp_model.LinearExpr.weighted_sum(list(self.x.values()), cover))

    @property
    def size(self) -> int:
        return len(self.x)

    def hint_values(self, ro: _Roster) -> dict[cp_model.IntVar, int]:
        """Variable values reproducing roster ``ro`` (which must agree with the fixed part)."""
        ctx = self.ctx
        values: dict[cp_model.IntVar, int] = {}
        for o, var in self.x.items():
            values[var] = int(ro.assign[ctx.opt_r[o]] == o)
        for (e, d, s), var in self.y.items():
            values[var] = int(ro.day_site.get((e, d)) == s and ro.day_cnt.get((e, d), 0) > 0)
        for (e, dep), var in self.p.items():
            values[var] = int(ro.pair_cnt.get((e, dep), 0) > 0)
        for hi, lo, sp in self.spread_vars:
            loads = [ro.load[e] for e in ctx.spec_experts[sp]]
            values[hi] = max(loads)
            values[lo] = min(loads)
        return values

    def add_hint(self, ro: _Roster) -> None:
        """Warm start (CP-SAT solution hint) from roster ``ro``."""
        self.model.clear_hints()
        values = self.hint_values(ro)
        hint = self.model.proto.solution_hint
        hint.vars.extend([var.index for var in values])
        hint.values.extend(list(values.values()))

    def evaluate(self, values: Mapping[cp_model.IntVar, int]) -> int:
        """The window objective at given variable values."""
        return sum(c * values[v] for v, c in zip(self.obj_vars, self.obj_coefs, strict=True))

    def chosen(self, value: Callable[[cp_model.IntVar], int]) -> list[int]:
        return [o for o, var in self.x.items() if value(var)]

    def apply(self, chosen: Iterable[int]) -> _Roster:
        """A copy of the base roster with the window's free requests reassigned to ``chosen`` options."""
        new = self.ro.copy()
        for r in self.free_requests:
            new.remove(r)
        for o in chosen:
            new.add(o)
        return new


def _new_solver(seconds: float, workers: int, seed: int = 0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    return solver


def _window_solver(seconds: float, workers: int, seed: int = 0) -> cp_model.CpSolver:
    """CP-SAT for one window model, tuned on the benchmark windows: the whole model in the LP
    (``linearization_level=2`` / ``max_lp``) proves windows optimal many times faster than the default
    portfolio, and skipping presolve halves the time on these already-tight models (and keeps the hinted
    incumbent as the first solution).  With two workers the second runs core-based search."""
    solver = _new_solver(seconds, workers, seed)
    solver.parameters.cp_model_presolve = False
    if workers >= 2:
        solver.parameters.subsolvers.extend(["max_lp", "core"][:workers])
    else:
        solver.parameters.linearization_level = 2
    return solver
