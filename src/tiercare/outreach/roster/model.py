"""The roster's shared model: the instance (weights, experts, departments, requests), assignments, and the
compiled integer-indexed view of an instance (``_Ctx``) whose options are the legal (request, expert, day)
triples (``legal_options``); plus the constants every part uses (instance format, session kinds, score scale).

Instances are built by ``loading.load_instance``; every other module of the package works on the compiled view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "tiercare-roster-instance/1"
"""The only instance format this package reads (ROSTER.md, "Instance")."""

KIND_SURGERY = "surgery"
KIND_CLINIC = "clinic"
KIND_WARD_ROUND = "ward_round"
KIND_TEACHING = "teaching"
KINDS = (KIND_SURGERY, KIND_CLINIC, KIND_WARD_ROUND, KIND_TEACHING)

SCORE_SCALE = 10
"""Internal integer scale of the score: tenths of a point (travel hours come in tenths of an hour)."""

DEFAULT_WORKERS = 2
"""Parallel workers (the target machine has two cores): the search runs this many single-threaded CP-SAT
window solves at once in forked processes; a single model (small instances, replan) gets this many CP-SAT
threads (``num_workers``)."""


@dataclass(frozen=True, slots=True)
class Weights:
    """Score weights (ROSTER.md, "Score")."""

    cover_by_priority: Mapping[int, float]
    travel_per_hour: float
    new_pair: float
    spread_per_specialty: float
    preferred: float


@dataclass(frozen=True, slots=True)
class Expert:
    """A visiting expert (ROSTER.md, ``experts[]``)."""

    id: str
    specialty: str
    home: str
    surgeon: bool
    senior: bool
    max_per_week: int
    unavailable_days: frozenset[int]
    licensed_sites: frozenset[str]


@dataclass(frozen=True, slots=True)
class Department:
    """A county-hospital department (ROSTER.md, ``departments[]``)."""

    id: str
    site: str
    specialty: str
    history: frozenset[str]
    preferred: frozenset[str]


@dataclass(frozen=True, slots=True)
class Request:
    """One session needing one expert (ROSTER.md, ``requests[]``)."""

    id: str
    department: str
    kind: str
    priority: int
    days: tuple[int, ...]


@dataclass(eq=False)
class Instance:
    """A validated rostering instance; build it with ``load_instance``."""

    days: int
    days_per_week: int
    max_trip_hours: float
    max_sessions_per_day: int
    weights: Weights
    sites: tuple[str, ...]
    travel_hours: Mapping[str, Mapping[str, float]]
    experts: tuple[Expert, ...]
    departments: tuple[Department, ...]
    requests: tuple[Request, ...]
    expert_by_id: dict[str, Expert] = field(init=False, repr=False)
    department_by_id: dict[str, Department] = field(init=False, repr=False)
    request_by_id: dict[str, Request] = field(init=False, repr=False)
    _ctx: _Ctx | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.expert_by_id = {e.id: e for e in self.experts}
        self.department_by_id = {d.id: d for d in self.departments}
        self.request_by_id = {r.id: r for r in self.requests}

    def week(self, day: int) -> int:
        """A day's week is ``day // days_per_week`` (ROSTER.md, "Instance")."""
        return day // self.days_per_week

    @property
    def specialties(self) -> tuple[str, ...]:
        """All specialties of experts and departments, sorted."""
        return tuple(sorted({e.specialty for e in self.experts} | {d.specialty for d in self.departments}))

    def trip_hours(self, expert: Expert, site: str) -> float:
        """Round-trip hours from the expert's home to a site."""
        return float(self.travel_hours[expert.home][site])

    def ctx(self) -> _Ctx:
        """The compiled, integer-indexed view of this instance (built once)."""
        if self._ctx is None:
            self._ctx = _Ctx(self)
        return self._ctx


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """One covered request: ``{"request", "expert", "day"}`` (ROSTER.md, "Solution")."""

    request: str
    expert: str
    day: int

    def as_dict(self) -> dict[str, Any]:
        return {"request": self.request, "expert": self.expert, "day": self.day}


AssignmentLike = Assignment | Mapping[str, Any] | tuple[str, str, int]


def as_assignments(items: Iterable[AssignmentLike]) -> list[Assignment]:
    """Normalise dicts / tuples / ``Assignment`` objects to ``Assignment`` (raises ``ValueError``)."""
    out: list[Assignment] = []
    for item in items:
        if isinstance(item, Assignment):
            out.append(item)
        elif isinstance(item, Mapping):
            try:
                out.append(Assignment(str(item["request"]), str(item["expert"]), item["day"]))
            except KeyError as exc:
                raise ValueError(f"assignment {dict(item)!r} lacks {exc.args[0]!r}") from None
        elif isinstance(item, tuple | list) and len(item) == 3:
            out.append(Assignment(str(item[0]), str(item[1]), item[2]))
        else:
            raise ValueError(f"not an assignment: {item!r}")
    return out


class _Ctx:
    """Integer-indexed view of an instance with every legal (request, expert, day) option.

    Option ``o`` has request ``opt_r[o]``, expert ``opt_e[o]``, day ``opt_d[o]`` and the request's site
    ``opt_s[o]``; an option is legal on its own (specialty, licence, trip, qualification, day rules).
    All score coefficients are integers in ``SCORE_SCALE`` units.
    """

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        w = inst.weights
        self.n_r = len(inst.requests)
        self.n_e = len(inst.experts)
        self.e_index = {e.id: i for i, e in enumerate(inst.experts)}
        self.r_index = {r.id: i for i, r in enumerate(inst.requests)}
        self.site_index = {s: i for i, s in enumerate(inst.sites)}
        self.dept_index = {d.id: i for i, d in enumerate(inst.departments)}
        self.specs = inst.specialties
        self.spec_index = {s: i for i, s in enumerate(self.specs)}
        self.e_spec = [self.spec_index[e.specialty] for e in inst.experts]
        self.spec_experts: list[list[int]] = [[] for _ in self.specs]
        for ei, sp in enumerate(self.e_spec):
            self.spec_experts[sp].append(ei)
        self.e_week_cap = [e.max_per_week for e in inst.experts]
        self.r_dep = [self.dept_index[r.department] for r in inst.requests]
        self.r_site = [self.site_index[inst.department_by_id[r.department].site] for r in inst.requests]
        self.r_spec = [self.spec_index[inst.department_by_id[r.department].specialty] for r in inst.requests]
        self.r_cover = [round(SCORE_SCALE * w.cover_by_priority[r.priority]) for r in inst.requests]
        self.r_prio = [r.priority for r in inst.requests]
        self.pair_cost = round(SCORE_SCALE * w.new_pair)
        self.spread_cost = round(SCORE_SCALE * w.spread_per_specialty)
        self.pref_bonus = round(SCORE_SCALE * w.preferred)
        self.max_spd = inst.max_sessions_per_day
        self.n_weeks = (inst.days + inst.days_per_week - 1) // inst.days_per_week
        self.day_week = [inst.week(d) for d in range(inst.days)]
        self._travel: dict[tuple[int, int], int] = {}
        dept_hist = [frozenset(self.e_index[x] for x in d.history) for d in inst.departments]
        dept_pref = [frozenset(self.e_index[x] for x in d.preferred) for d in inst.departments]
        self.dept_hist = dept_hist

        self.opt_r: list[int] = []
        self.opt_e: list[int] = []
        self.opt_d: list[int] = []
        self.opt_s: list[int] = []
        self.opt_value: list[int] = []  # cover + preferred bonus
        self.opt_hist: list[bool] = []
        self.r_opts: list[list[int]] = [[] for _ in range(self.n_r)]
        self.e_opts: list[list[int]] = [[] for _ in range(self.n_e)]
        self.opt_of: dict[tuple[int, int, int], int] = {}
        by_spec_site: dict[tuple[str, str], list[int]] = {}
        for ri, req in enumerate(inst.requests):
            dept = inst.department_by_id[req.department]
            key = (dept.specialty, dept.site)
            cands = by_spec_site.get(key)
            if cands is None:
                cands = [
                    ei
                    for ei, e in enumerate(inst.experts)
                    if e.specialty == dept.specialty
                    and dept.site in e.licensed_sites
                    and inst.trip_hours(e, dept.site) <= inst.max_trip_hours
                ]
                by_spec_site[key] = cands
            di = self.r_dep[ri]
            for ei in cands:
                e = inst.experts[ei]
                if req.kind == KIND_SURGERY and not e.surgeon:
                    continue
                if req.kind == KIND_TEACHING and not e.senior:
                    continue
                for day in req.days:
                    if day in e.unavailable_days:
                        continue
                    o = len(self.opt_r)
                    self.opt_r.append(ri)
                    self.opt_e.append(ei)
                    self.opt_d.append(day)
                    self.opt_s.append(self.r_site[ri])
                    self.opt_value.append(self.r_cover[ri] + (self.pref_bonus if ei in dept_pref[di] else 0))
                    self.opt_hist.append(ei in dept_hist[di])
                    self.r_opts[ri].append(o)
                    self.e_opts[ei].append(o)
                    self.opt_of[(ri, ei, day)] = o
        self.n_o = len(self.opt_r)
        self.candidate_cache: dict[str, tuple[str | None, list[Expert]]] = {}
        # Experts competing for the same requests (for LNS neighbourhoods).
        self.r_experts = [sorted({self.opt_e[o] for o in opts}) for opts in self.r_opts]

    def travel(self, ei: int, si: int) -> int:
        """Scaled cost of one (expert, site, day) trip: travel_per_hour x round-trip hours."""
        key = (ei, si)
        cost = self._travel.get(key)
        if cost is None:
            inst = self.inst
            hours = inst.trip_hours(inst.experts[ei], inst.sites[si])
            cost = round(SCORE_SCALE * inst.weights.travel_per_hour * hours)
            self._travel[key] = cost
        return cost

    def to_assignment(self, o: int) -> Assignment:
        inst = self.inst
        return Assignment(inst.requests[self.opt_r[o]].id, inst.experts[self.opt_e[o]].id, self.opt_d[o])

    def option_of(self, a: Assignment) -> int | None:
        """The option index of a legal assignment, or None when it breaks a per-option rule."""
        ri = self.r_index.get(a.request)
        ei = self.e_index.get(a.expert)
        if ri is None or ei is None or not isinstance(a.day, int):
            return None
        return self.opt_of.get((ri, ei, a.day))


def legal_options(instance: Instance) -> dict[str, list[tuple[str, int]]]:
    """For each request id, the legal (expert id, day) pairs taken on their own.

    Rules (ROSTER.md, "Rules"): the expert's specialty is the department's; the department's site is among the
    expert's ``licensed_sites``; the round trip is at most ``max_trip_hours``; surgery needs a ``surgeon`` and
    teaching a ``senior``; the day is one of the request's days and not one of the expert's
    ``unavailable_days``.  The coupling rules (one site per expert-day, day/week limits, each request once)
    depend on the other assignments and are checked by ``validate``.
    """
    ctx = instance.ctx()
    out: dict[str, list[tuple[str, int]]] = {}
    for ri, req in enumerate(instance.requests):
        out[req.id] = [(instance.experts[ctx.opt_e[o]].id, ctx.opt_d[o]) for o in ctx.r_opts[ri]]
    return out


def _unscale(value: int) -> int | float:
    """A scaled score as points: an int when whole, else a float."""
    if value % SCORE_SCALE == 0:
        return value // SCORE_SCALE
    return value / SCORE_SCALE
