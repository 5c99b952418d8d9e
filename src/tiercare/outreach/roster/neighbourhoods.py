"""The neighbourhoods of the large-neighbourhood search (``_Neighbourhoods``): which experts and days a window
re-decides, always inside one specialty; re-planning grows its window around a change the same way."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from tiercare.outreach.roster.incremental import _Roster
from tiercare.outreach.roster.model import _Ctx


class _Neighbourhoods:
    """Windows for the LNS, always inside one specialty (experts only compete within their specialty, so
    windows of different specialties are independent and can be solved in parallel and merged exactly):

    * ``cluster`` — a random expert and the experts sharing most requests with it, all days (trips, pairs,
      load balance);
    * ``week`` — the same growth restricted to one week (requests never span weeks in the benchmark data);
    * ``open`` — the candidate experts of a still-open request and their competitors, in its weeks (coverage);
    * ``department`` — the experts able to serve one department's requests, all days (new pairs).
    """

    KINDS = ("cluster", "week", "open", "department")

    def __init__(self, ctx: _Ctx, rng: random.Random, locked: frozenset[int]) -> None:
        self.ctx = ctx
        self.rng = rng
        n_w = ctx.n_weeks
        self.e_week_n = [[0] * n_w for _ in range(ctx.n_e)]
        for o in range(ctx.n_o):
            self.e_week_n[ctx.opt_e[o]][ctx.day_week[ctx.opt_d[o]]] += 1
        self.e_n = [sum(row) for row in self.e_week_n]
        self.partners: list[Counter[int]] = [Counter() for _ in range(ctx.n_e)]
        for r, experts in enumerate(ctx.r_experts):
            if r in locked:
                continue
            for a in experts:
                for b in experts:
                    if a != b:
                        self.partners[a][b] += 1
        n_s = len(ctx.specs)
        self.spec_active = [[e for e in ctx.spec_experts[sp] if self.e_n[e]] for sp in range(n_s)]
        self.spec_weight = [sum(self.e_n[e] for e in experts) for experts in self.spec_active]
        self.specs = [sp for sp in range(n_s) if self.spec_weight[sp]]
        self.week_days = [[d for d in range(ctx.inst.days) if ctx.day_week[d] == w] for w in range(n_w)]
        dept_reqs: dict[int, list[int]] = defaultdict(list)
        for r in range(ctx.n_r):
            if ctx.r_opts[r] and r not in locked:
                dept_reqs[ctx.r_dep[r]].append(r)
        self.spec_depts: list[list[list[int]]] = [[] for _ in range(n_s)]
        for reqs in dept_reqs.values():
            if len(reqs) > 1:
                self.spec_depts[ctx.r_spec[reqs[0]]].append(reqs)
        self.r_weeks = [sorted({ctx.day_week[ctx.opt_d[o]] for o in ctx.r_opts[r]}) for r in range(ctx.n_r)]
        self.locked = locked

    def grow(self, seeds: list[int], weeks: list[int] | None, target: float, cap: bool = False) -> list[int]:
        """Seeds plus competitors (most shared requests first, randomised) until ``target`` options; with
        ``cap`` the seeds themselves stop at the target too."""
        rng = self.rng

        def size(e: int) -> int:
            return self.e_n[e] if weeks is None else sum(self.e_week_n[e][w] for w in weeks)

        chosen: list[int] = []
        in_set: set[int] = set()
        total = 0
        frontier: Counter[int] = Counter()
        for e in seeds:
            if cap and chosen and total >= target:
                break
            if e not in in_set and size(e):
                chosen.append(e)
                in_set.add(e)
                total += size(e)
                frontier.update(self.partners[e])
        while total < target:
            cands = [(c * rng.random(), e) for e, c in frontier.items() if e not in in_set and size(e)]
            if not cands:
                break
            _, e = max(cands)
            chosen.append(e)
            in_set.add(e)
            total += size(e)
            frontier.update(self.partners[e])
        return chosen

    def pick_specialty(self, busy: set[int]) -> int | None:
        """A random specialty not in ``busy``, weighted by its number of options."""
        free = [sp for sp in self.specs if sp not in busy]
        if not free:
            return None
        return self.rng.choices(free, weights=[self.spec_weight[sp] for sp in free])[0]

    def pick(self, kind: str, sp: int, ro: _Roster, target: float) -> tuple[list[int], list[int] | None]:
        """Experts and days (None = all) of a window of the given kind in specialty ``sp``."""
        ctx, rng = self.ctx, self.rng
        if kind == "open":
            open_reqs = [
                r
                for r in range(ctx.n_r)
                if ro.assign[r] < 0 and ctx.r_spec[r] == sp and ctx.r_opts[r] and r not in self.locked
            ]
            if open_reqs:
                r = rng.choice(open_reqs)
                weeks = self.r_weeks[r]
                seeds = list(ctx.r_experts[r])
                rng.shuffle(seeds)
                return self.grow(seeds, weeks, target), [d for w in weeks for d in self.week_days[w]]
            kind = "week"
        if kind == "department" and self.spec_depts[sp]:
            reqs = rng.choice(self.spec_depts[sp])
            seeds = sorted({e for r in reqs for e in ctx.r_experts[r]})
            rng.shuffle(seeds)
            return self.grow(seeds, None, target, cap=True), None
        active = self.spec_active[sp]
        seed = rng.choices(active, weights=[self.e_n[e] for e in active])[0]
        if kind == "week":
            week = rng.choice([w for w in range(ctx.n_weeks) if self.e_week_n[seed][w]])
            return self.grow([seed], [week], target), self.week_days[week]
        return self.grow([seed], None, target), None
