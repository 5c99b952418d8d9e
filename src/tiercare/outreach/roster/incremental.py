"""The incremental roster (``_Roster``): assignments as option indices with the counters of the coupling rules
(one site per expert-day, day and week limits, each request once) and the scaled score, kept up to date on every
add and remove.  Greedy, insertion, reasons, windows and the search all work on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tiercare.outreach.roster.model import Assignment, _Ctx


class _Roster:
    """A roster over option indices with the coupling counters needed to keep it legal.

    ``can_add`` enforces the coupling rules: request not yet assigned, the expert works at one site per day,
    at most max_sessions_per_day per expert-day and max_per_week per expert-week.
    """

    __slots__ = ("ctx", "assign", "day_cnt", "day_site", "week_cnt", "load", "pair_cnt", "n_assigned")

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.assign: list[int] = [-1] * ctx.n_r
        self.day_cnt: Counter[tuple[int, int]] = Counter()
        self.day_site: dict[tuple[int, int], int] = {}
        self.week_cnt: Counter[tuple[int, int]] = Counter()
        self.load: list[int] = [0] * ctx.n_e
        self.pair_cnt: Counter[tuple[int, int]] = Counter()
        self.n_assigned = 0

    def copy(self) -> _Roster:
        new = _Roster.__new__(_Roster)
        new.ctx = self.ctx
        new.assign = self.assign[:]
        new.day_cnt = self.day_cnt.copy()
        new.day_site = self.day_site.copy()
        new.week_cnt = self.week_cnt.copy()
        new.load = self.load[:]
        new.pair_cnt = self.pair_cnt.copy()
        new.n_assigned = self.n_assigned
        return new

    def slot_free(self, o: int) -> bool:
        """Whether the option's expert-day and expert-week still have room for it (ignores the request)."""
        ctx = self.ctx
        e, d = ctx.opt_e[o], ctx.opt_d[o]
        key = (e, d)
        cnt = self.day_cnt.get(key, 0)
        if cnt >= ctx.max_spd:
            return False
        if cnt and self.day_site[key] != ctx.opt_s[o]:
            return False
        return self.week_cnt.get((e, ctx.day_week[d]), 0) < ctx.e_week_cap[e]

    def can_add(self, o: int) -> bool:
        return self.assign[self.ctx.opt_r[o]] < 0 and self.slot_free(o)

    def add(self, o: int) -> None:
        ctx = self.ctx
        r, e, d = ctx.opt_r[o], ctx.opt_e[o], ctx.opt_d[o]
        self.assign[r] = o
        key = (e, d)
        self.day_cnt[key] += 1
        self.day_site[key] = ctx.opt_s[o]
        self.week_cnt[(e, ctx.day_week[d])] += 1
        self.load[e] += 1
        self.pair_cnt[(e, ctx.r_dep[r])] += 1
        self.n_assigned += 1

    def remove(self, r: int) -> None:
        ctx = self.ctx
        o = self.assign[r]
        if o < 0:
            return
        e, d = ctx.opt_e[o], ctx.opt_d[o]
        self.assign[r] = -1
        key = (e, d)
        self.day_cnt[key] -= 1
        if not self.day_cnt[key]:
            del self.day_cnt[key]
            del self.day_site[key]
        wkey = (e, ctx.day_week[d])
        self.week_cnt[wkey] -= 1
        if not self.week_cnt[wkey]:
            del self.week_cnt[wkey]
        self.load[e] -= 1
        pkey = (e, ctx.r_dep[r])
        self.pair_cnt[pkey] -= 1
        if not self.pair_cnt[pkey]:
            del self.pair_cnt[pkey]
        self.n_assigned -= 1

    def options(self) -> list[int]:
        return [o for o in self.assign if o >= 0]

    def scaled_score(self) -> int:
        """The ROSTER.md score in ``SCORE_SCALE`` units (see ``score``)."""
        ctx = self.ctx
        total = sum(ctx.opt_value[o] for o in self.assign if o >= 0)
        total -= sum(ctx.travel(e, self.day_site[(e, d)]) for (e, d) in self.day_cnt)
        total -= ctx.pair_cost * sum(1 for (e, dep) in self.pair_cnt if e not in ctx.dept_hist[dep])
        if ctx.spread_cost:
            for experts in ctx.spec_experts:
                if experts:
                    loads = [self.load[e] for e in experts]
                    total -= ctx.spread_cost * (max(loads) - min(loads))
        return total

    def scaled_score_by_specialty(self) -> list[int]:
        """The scaled score split by specialty (every term of the score belongs to exactly one specialty)."""
        ctx = self.ctx
        parts = [0] * len(ctx.specs)
        for o in self.assign:
            if o >= 0:
                parts[ctx.e_spec[ctx.opt_e[o]]] += ctx.opt_value[o]
        for e, d in self.day_cnt:
            parts[ctx.e_spec[e]] -= ctx.travel(e, self.day_site[(e, d)])
        for e, dep in self.pair_cnt:
            if e not in ctx.dept_hist[dep]:
                parts[ctx.e_spec[e]] -= ctx.pair_cost
        if ctx.spread_cost:
            for sp, experts in enumerate(ctx.spec_experts):
                if experts:
                    loads = [self.load[e] for e in experts]
                    parts[sp] -= ctx.spread_cost * (max(loads) - min(loads))
        return parts

    def add_delta(self, o: int) -> int:
        """Change of the scaled score if option ``o`` were added (it must be addable)."""
        ctx = self.ctx
        r, e, d = ctx.opt_r[o], ctx.opt_e[o], ctx.opt_d[o]
        delta = ctx.opt_value[o]
        if not self.day_cnt.get((e, d)):
            delta -= ctx.travel(e, ctx.opt_s[o])
        dep = ctx.r_dep[r]
        if not self.pair_cnt.get((e, dep)) and e not in ctx.dept_hist[dep]:
            delta -= ctx.pair_cost
        if ctx.spread_cost:
            loads = [self.load[x] for x in ctx.spec_experts[ctx.e_spec[e]]]
            before = max(loads) - min(loads)
            self.load[e] += 1
            loads = [self.load[x] for x in ctx.spec_experts[ctx.e_spec[e]]]
            self.load[e] -= 1
            delta -= ctx.spread_cost * (max(loads) - min(loads) - before)
        return delta

    def assignments(self) -> list[Assignment]:
        return sorted(self.ctx.to_assignment(o) for o in self.assign if o >= 0)


def _roster_from(ctx: _Ctx, items: Iterable[Assignment], *, strict: bool) -> tuple[_Roster, list[Assignment]]:
    """Build a roster from assignments; returns it and the assignments that could not be placed legally.

    With ``strict`` an illegal assignment raises ``ValueError``; otherwise it is skipped and reported.
    """
    ro = _Roster(ctx)
    rejected: list[Assignment] = []
    for a in items:
        o = ctx.option_of(a)
        if o is None or not ro.can_add(o):
            if strict:
                raise ValueError(f"assignment {a.as_dict()} is not legal in this roster")
            rejected.append(a)
            continue
        ro.add(o)
    return ro, rejected


def _roster_of(ctx: _Ctx, assign: Sequence[int]) -> _Roster:
    ro = _Roster(ctx)
    for o in assign:
        if o >= 0:
            ro.add(o)
    return ro
