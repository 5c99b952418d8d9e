"""Expert-outreach rostering: instance model, legality, score, greedy baseline and a CP-SAT optimiser.

The instance format (``"format": "tiercare-roster-instance/1"``), the legality rules and the score are
those of the shared benchmark description ``bench/ROSTER.md``; every public function names the rule it
implements.  Pure Python + OR-Tools (no Django): it runs in the CLI, a worker or a test without a database.

Public API
----------
``load_instance`` · ``legal_options`` · ``validate`` · ``score`` · ``greedy`` · ``solve`` · ``replan`` ·
``explain_uncovered`` · ``solution_dict``.

How it works
------------
An instance is compiled once (``_Ctx``) into integer-indexed *options* (request, expert, day) that are legal
on their own (specialty, licence, trip length, qualification, day).  The other rules couple assignments (one
site per expert-day, sessions per day and per week, each request once); ``_Roster`` keeps them incrementally
(greedy, fill pass, explanations) and ``_Window`` states them as a CP-SAT model of part of a roster.

``solve`` starts from the greedy roster (first feasible answer in milliseconds) and improves it by a
large-neighbourhood search: windows of the incumbent (experts competing for the same requests, over all days
or one week; the candidates of an open request; the experts of one department) are re-solved exactly by
CP-SAT and kept only when the whole roster scores at least as well.  Experts only ever compete within their
specialty, so the score splits exactly by specialty: windows of different specialties run at the same time
in forked processes and merge without conflict.  A min-cost-flow relaxation gives a proven bound at once; on
longer runs each specialty's full model (whole model in CP-SAT's LP) tightens it.

The score is kept in integers scaled by ``SCORE_SCALE`` (tenths of a point), exact for integer weights and
travel hours given in tenths of an hour.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ortools.sat.python import cp_model

# ------------------------------------------------------------------------------------------------------------
# Constants
# ------------------------------------------------------------------------------------------------------------

FORMAT = "tiercare-roster-instance/1"
"""The only instance format this module reads (ROSTER.md, "Instance")."""

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

# Reasons a request stays uncovered, most specific first (``explain_uncovered``).
REASON_NO_SPECIALTY = "no_expert_of_specialty"
REASON_NOT_LICENSED = "no_expert_licensed_at_site"
REASON_TOO_FAR = "too_far"
REASON_NOT_QUALIFIED = "not_qualified"
REASON_NO_DAY = "no_available_day"
REASON_CAPACITY = "capacity"
REASON_NOT_WORTHWHILE = "not_worthwhile"
REASON_NOT_SELECTED = "not_selected"
REASONS: dict[str, str] = {
    REASON_NO_SPECIALTY: "no expert has the department's specialty",
    REASON_NOT_LICENSED: "no expert of the specialty is licensed at the department's site",
    REASON_TOO_FAR: "every licensed expert of the specialty has a round trip above max_trip_hours",
    REASON_NOT_QUALIFIED: "no licensed expert within reach is a surgeon (surgery) or senior (teaching)",
    REASON_NO_DAY: "every qualified expert within reach is unavailable on every day the request allows",
    REASON_CAPACITY: (
        "every legal (expert, day) is used up in this roster: the expert is at the day or week session "
        "limit, or works at another site that day"
    ),
    REASON_NOT_WORTHWHILE: "a legal free slot exists but using it would lower the score",
    REASON_NOT_SELECTED: "a legal free slot exists and would raise the score, but the roster does not use it",
}

# Solver tuning (seconds are wall-clock; measured on the 2-core benchmark machine).
FULL_PHASE_SHARE = 0.25
"""Share of the time limit for the bound phase (each specialty's full model), when it fits."""
FULL_PHASE_MIN_SECONDS = 1.0
FULL_SECONDS_PER_OPTION = 1.2e-3
"""Rough time for a specialty's full model to reach its LP bound, per legal option (measured, 1 core)."""
SMALL_EXACT_MAX_OPTIONS = 2_500
"""Up to this many legal options ``solve`` first tries the whole model (often proven optimal at once)."""
SMALL_EXACT_SHARE = 0.5
LNS_SUBSOLVE_SECONDS = 1.0
"""Time limit of one LNS window solve."""
LNS_START_WINDOW_OPTIONS = 1_500
"""Initial size of an LNS window, in free legal options; adapted as windows solve fast or slow."""
LNS_MIN_WINDOW_OPTIONS = 200
LNS_MIN_TASK_SECONDS = 0.05
TASK_OVERHEAD_SECONDS = 0.05
"""Time to hand a task to a process and rebuild the roster there."""
LNS_MAX_WINDOW_OPTIONS = 12_000
LNS_GROW = 1.25
LNS_SHRINK = 0.8
SAFETY_SECONDS = 0.2
SAFETY_SECONDS_PER_REQUEST = 60e-6
"""Time kept back (fixed + per request) for building the answer so a solve returns within its limit."""

FLOW_COST_UNIT = 1
"""Resolution of the flow bound's weights per scaled score unit.  Weights are rounded up, so any unit keeps
the bound valid; 1 is the fastest (costs 0.01 % of the bound on the 5× benchmark)."""

# Replan: lexicographic stages (coverage, then changes, then score) and their time shares.
REPLAN_STAGE_SHARES = (0.6, 0.4)
STAGE_SLACK_SECONDS = 0.05
"""CP-SAT may overrun its limit slightly under load; each replan stage keeps this much back."""
REPLAN_FULL_MAX_OPTIONS = 4_000
"""Up to this many legal options replan re-optimises the whole roster; above, a window around the change."""
REPLAN_WINDOW_OPTIONS = 4_000
"""Size of the replan window (in options) around the affected requests on large instances."""

_DEBUG = bool(os.environ.get("TIERCARE_ROSTER_DEBUG"))

ProgressFn = Callable[["Progress"], None]

_GUARDS: list[Callable[[], None]] = []


def add_guard(check: Callable[[], None]) -> None:
    """Register ``check``, called before every solve, re-plan and process pool; it raises to refuse running here.
    The product registers one that refuses inside a web request (``planning.refuse_in_request``): the solver's
    CP-SAT threads and forked processes belong in the task worker or the CLI, never in a web process."""
    if check not in _GUARDS:
        _GUARDS.append(check)


def _check_guards() -> None:
    for check in _GUARDS:
        check()


# ------------------------------------------------------------------------------------------------------------
# Instance model
# ------------------------------------------------------------------------------------------------------------


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


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"invalid roster instance: {where}: {message}")


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise _fail(where, f"expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise _fail(where, f"missing field {key!r}")
    return obj[key]


def _int(value: Any, where: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"expected an integer >= {minimum}, got {value}")
    return value


def _num(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"expected a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"expected a number >= {minimum}, got {value}")
    return float(value)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, f"expected a non-empty string, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true/false, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    return value


def _unique_ids(items: Sequence[Any], where: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise _fail(where, f"duplicate id {item.id!r}")
        seen.add(item.id)


def load_instance(source: str | os.PathLike[str] | Mapping[str, Any]) -> Instance:
    """Read and validate an instance (a JSON file path or an already-parsed dict).

    Raises ``ValueError`` with a message naming the offending field (unknown department, day out of range,
    unknown site, missing travel time, ...) and ``OSError`` when the file cannot be read.
    """
    if isinstance(source, Mapping):
        data: Any = source
    else:
        with open(source, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid roster instance: {os.fspath(source)} is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise _fail("top level", "expected a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise _fail("format", f"expected {FORMAT!r}, got {fmt!r}")

    days = _int(_get(data, "days", "top level"), "days", 1)
    days_per_week = _int(_get(data, "days_per_week", "top level"), "days_per_week", 1)
    max_trip = _num(_get(data, "max_trip_hours", "top level"), "max_trip_hours", 0)
    max_spd = _int(_get(data, "max_sessions_per_day", "top level"), "max_sessions_per_day", 1)

    w = _get(data, "weights", "top level")
    cover_raw = _get(w, "cover_by_priority", "weights")
    if not isinstance(cover_raw, Mapping) or not cover_raw:
        raise _fail("weights.cover_by_priority", "expected a non-empty object")
    cover: dict[int, float] = {}
    for key, value in cover_raw.items():
        try:
            prio = int(key)
        except (TypeError, ValueError):
            raise _fail("weights.cover_by_priority", f"priority key {key!r} is not an integer") from None
        cover[prio] = _num(value, f"weights.cover_by_priority[{key}]", 0)
    weights = Weights(
        cover_by_priority=cover,
        travel_per_hour=_num(_get(w, "travel_per_hour", "weights"), "weights.travel_per_hour", 0),
        new_pair=_num(_get(w, "new_pair", "weights"), "weights.new_pair", 0),
        spread_per_specialty=_num(
            _get(w, "spread_per_specialty", "weights"), "weights.spread_per_specialty", 0
        ),
        preferred=_num(_get(w, "preferred", "weights"), "weights.preferred", 0),
    )

    sites = tuple(_str(s, "sites[]") for s in _list(_get(data, "sites", "top level"), "sites"))
    if len(set(sites)) != len(sites):
        raise _fail("sites", "duplicate site id")
    site_set = set(sites)

    travel_raw = _get(data, "travel_hours", "top level")
    if not isinstance(travel_raw, Mapping):
        raise _fail("travel_hours", "expected an object home -> site -> hours")
    travel: dict[str, dict[str, float]] = {}
    for home, row in travel_raw.items():
        if not isinstance(row, Mapping):
            raise _fail(f"travel_hours[{home!r}]", "expected an object site -> hours")
        travel[home] = {}
        for site, hours in row.items():
            if site not in site_set:
                raise _fail(f"travel_hours[{home!r}]", f"unknown site {site!r}")
            travel[home][site] = _num(hours, f"travel_hours[{home!r}][{site!r}]", 0)

    def day_list(raw: Any, where: str) -> list[int]:
        out = []
        for value in _list(raw, where):
            day = _int(value, where)
            if not 0 <= day < days:
                raise _fail(where, f"bad day {day}: days are numbered 0..{days - 1}")
            out.append(day)
        return out

    experts: list[Expert] = []
    for i, raw in enumerate(_list(_get(data, "experts", "top level"), "experts")):
        where = f"experts[{i}]"
        eid = _str(_get(raw, "id", where), f"{where}.id")
        where = f"expert {eid!r}"
        home = _str(_get(raw, "home", where), f"{where}.home")
        if home not in travel:
            raise _fail(where, f"home {home!r} has no travel_hours row")
        licensed = [
            _str(s, f"{where}.licensed_sites") for s in _list(_get(raw, "licensed_sites", where), where)
        ]
        for site in licensed:
            if site not in site_set:
                raise _fail(where, f"licensed at unknown site {site!r}")
        experts.append(
            Expert(
                id=eid,
                specialty=_str(_get(raw, "specialty", where), f"{where}.specialty"),
                home=home,
                surgeon=_bool(_get(raw, "surgeon", where), f"{where}.surgeon"),
                senior=_bool(_get(raw, "senior", where), f"{where}.senior"),
                max_per_week=_int(_get(raw, "max_per_week", where), f"{where}.max_per_week", 0),
                unavailable_days=frozenset(
                    day_list(_get(raw, "unavailable_days", where), f"{where}.unavailable_days")
                ),
                licensed_sites=frozenset(licensed),
            )
        )
    _unique_ids(experts, "experts")
    expert_ids = {e.id for e in experts}

    departments: list[Department] = []
    for i, raw in enumerate(_list(_get(data, "departments", "top level"), "departments")):
        where = f"departments[{i}]"
        did = _str(_get(raw, "id", where), f"{where}.id")
        where = f"department {did!r}"
        site = _str(_get(raw, "site", where), f"{where}.site")
        if site not in site_set:
            raise _fail(where, f"unknown site {site!r}")
        history = [_str(x, f"{where}.history") for x in _list(_get(raw, "history", where), where)]
        preferred = [_str(x, f"{where}.preferred") for x in _list(_get(raw, "preferred", where), where)]
        for eid in history + preferred:
            if eid not in expert_ids:
                raise _fail(where, f"unknown expert {eid!r} in history/preferred")
        departments.append(
            Department(
                id=did,
                site=site,
                specialty=_str(_get(raw, "specialty", where), f"{where}.specialty"),
                history=frozenset(history),
                preferred=frozenset(preferred),
            )
        )
    _unique_ids(departments, "departments")
    dept_by_id = {d.id: d for d in departments}

    homes = {e.home for e in experts}
    for dept in departments:
        for home in homes:
            if dept.site not in travel[home]:
                raise _fail("travel_hours", f"no travel time from home {home!r} to site {dept.site!r}")

    requests: list[Request] = []
    for i, raw in enumerate(_list(_get(data, "requests", "top level"), "requests")):
        where = f"requests[{i}]"
        rid = _str(_get(raw, "id", where), f"{where}.id")
        where = f"request {rid!r}"
        dept_id = _str(_get(raw, "department", where), f"{where}.department")
        if dept_id not in dept_by_id:
            raise _fail(where, f"unknown department {dept_id!r}")
        kind = _str(_get(raw, "kind", where), f"{where}.kind")
        if kind not in KINDS:
            raise _fail(where, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        priority = _int(_get(raw, "priority", where), f"{where}.priority")
        if priority not in cover:
            raise _fail(where, f"priority {priority} has no weight in weights.cover_by_priority")
        req_days = day_list(_get(raw, "days", where), f"{where}.days")
        if not req_days:
            raise _fail(where, "no days: a request must allow at least one day")
        requests.append(
            Request(
                id=rid, department=dept_id, kind=kind, priority=priority, days=tuple(sorted(set(req_days)))
            )
        )
    _unique_ids(requests, "requests")

    return Instance(
        days=days,
        days_per_week=days_per_week,
        max_trip_hours=max_trip,
        max_sessions_per_day=max_spd,
        weights=weights,
        sites=sites,
        travel_hours=travel,
        experts=tuple(experts),
        departments=tuple(departments),
        requests=tuple(requests),
    )


# ------------------------------------------------------------------------------------------------------------
# Assignments
# ------------------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------------------
# Compiled instance: integer indices and legal options
# ------------------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------------------


def validate(instance: Instance, assignments: Iterable[AssignmentLike]) -> list[str]:
    """Every rule broken by a roster, as ``"code: message"`` strings (empty list = legal).

    Per assignment (ROSTER.md, "Rules"): known request/expert, day in range, specialty match (``specialty``),
    site licensed (``not_licensed``), round trip <= max_trip_hours (``trip_too_long``), surgery -> surgeon
    (``not_surgeon``), teaching -> senior (``not_senior``), day among the request's days (``day_not_allowed``)
    and not an unavailable day (``unavailable``).  Across assignments: a request at most once
    (``duplicate_request``), one site per expert per day (``two_sites``), at most max_sessions_per_day per
    expert-day (``day_limit``) and max_per_week per expert-week (``week_limit``).
    """
    try:
        items = as_assignments(assignments)
    except ValueError as exc:
        return [f"malformed: {exc}"]
    out: list[str] = []
    seen: Counter[str] = Counter()
    day_sites: dict[tuple[str, int], list[str]] = defaultdict(list)
    week_count: Counter[tuple[str, int]] = Counter()
    for a in items:
        req = instance.request_by_id.get(a.request)
        exp = instance.expert_by_id.get(a.expert)
        if req is None:
            out.append(f"unknown_request: {a.request!r} is not a request of the instance")
            continue
        seen[a.request] += 1
        if exp is None:
            out.append(f"unknown_expert: {a.request} is assigned to unknown expert {a.expert!r}")
            continue
        if isinstance(a.day, bool) or not isinstance(a.day, int) or not 0 <= a.day < instance.days:
            out.append(f"bad_day: {a.request} on day {a.day!r}, days are 0..{instance.days - 1}")
            continue
        dept = instance.department_by_id[req.department]
        tag = f"{a.request}->{a.expert}@{a.day}"
        if exp.specialty != dept.specialty:
            out.append(
                f"specialty: {tag}: expert is {exp.specialty}, department {dept.id} is {dept.specialty}"
            )
        if dept.site not in exp.licensed_sites:
            out.append(f"not_licensed: {tag}: expert not licensed at {dept.site}")
        trip = instance.trip_hours(exp, dept.site)
        if trip > instance.max_trip_hours:
            out.append(f"trip_too_long: {tag}: round trip {trip} h > {instance.max_trip_hours} h")
        if req.kind == KIND_SURGERY and not exp.surgeon:
            out.append(f"not_surgeon: {tag}: surgery needs a surgeon")
        if req.kind == KIND_TEACHING and not exp.senior:
            out.append(f"not_senior: {tag}: teaching needs a senior expert")
        if a.day not in req.days:
            out.append(f"day_not_allowed: {tag}: request allows days {list(req.days)}")
        if a.day in exp.unavailable_days:
            out.append(f"unavailable: {tag}: expert unavailable that day")
        day_sites[(a.expert, a.day)].append(dept.site)
        week_count[(a.expert, instance.week(a.day))] += 1
    for rid, count in seen.items():
        if count > 1:
            out.append(f"duplicate_request: {rid} assigned {count} times")
    for (eid, day), sites in day_sites.items():
        if len(set(sites)) > 1:
            out.append(f"two_sites: {eid} on day {day} at {sorted(set(sites))}")
        if len(sites) > instance.max_sessions_per_day:
            out.append(
                f"day_limit: {eid} on day {day} has {len(sites)} > {instance.max_sessions_per_day} sessions"
            )
    for (eid, week), count in week_count.items():
        cap = instance.expert_by_id[eid].max_per_week
        if count > cap:
            out.append(f"week_limit: {eid} in week {week} has {count} > {cap} sessions")
    return out


# ------------------------------------------------------------------------------------------------------------
# Score
# ------------------------------------------------------------------------------------------------------------


def _unscale(value: int) -> int | float:
    """A scaled score as points: an int when whole, else a float."""
    if value % SCORE_SCALE == 0:
        return value // SCORE_SCALE
    return value / SCORE_SCALE


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


# ------------------------------------------------------------------------------------------------------------
# Incremental roster (integer options)
# ------------------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------------------
# Greedy baseline and fill pass
# ------------------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------------------
# Explanations
# ------------------------------------------------------------------------------------------------------------


def _reachable_candidates(inst: Instance, dept: Department) -> tuple[str | None, list[Expert]]:
    """Filter the experts rule by rule (specialty, licence, trip); returns the reason of the first filter that
    leaves nobody (None if some expert passes) and the survivors."""
    ctx = inst.ctx()
    sp = ctx.spec_index.get(dept.specialty)
    cands = [] if sp is None else [inst.experts[e] for e in ctx.spec_experts[sp]]
    if not cands:
        return REASON_NO_SPECIALTY, []
    cands = [e for e in cands if dept.site in e.licensed_sites]
    if not cands:
        return REASON_NOT_LICENSED, []
    cands = [e for e in cands if inst.trip_hours(e, dept.site) <= inst.max_trip_hours]
    if not cands:
        return REASON_TOO_FAR, []
    return None, cands


def _static_reason(inst: Instance, req: Request) -> str | None:
    """The first rule, in ``REASONS`` order, that leaves a request without any legal option (None if some)."""
    ctx = inst.ctx()
    cached = ctx.candidate_cache.get(req.department)
    if cached is None:
        cached = ctx.candidate_cache[req.department] = _reachable_candidates(
            inst, inst.department_by_id[req.department]
        )
    reason, cands = cached
    if reason is not None:
        return reason
    if req.kind == KIND_SURGERY:
        cands = [e for e in cands if e.surgeon]
    elif req.kind == KIND_TEACHING:
        cands = [e for e in cands if e.senior]
    if not cands:
        return REASON_NOT_QUALIFIED
    if not any(day not in e.unavailable_days for e in cands for day in req.days):
        return REASON_NO_DAY
    return None


def _reason(ro: _Roster, r: int) -> str:
    """Why request ``r`` is open in roster ``ro`` (see ``explain_uncovered``)."""
    ctx = ro.ctx
    if not ctx.r_opts[r]:
        return _static_reason(ctx.inst, ctx.inst.requests[r]) or REASON_NO_DAY
    free = [o for o in ctx.r_opts[r] if ro.slot_free(o)]
    if not free:
        return REASON_CAPACITY
    if max(ro.add_delta(o) for o in free) > 0:
        return REASON_NOT_SELECTED
    return REASON_NOT_WORTHWHILE


def explain_uncovered(instance: Instance, assignments: Iterable[AssignmentLike]) -> list[dict[str, str]]:
    """For each request the roster leaves open: ``{"request", "reason"}`` with a code from ``REASONS``.

    Static reasons are tested in order, each on the experts surviving the previous test (so the first that
    empties the list is the most specific): ``no_expert_of_specialty``, ``no_expert_licensed_at_site``,
    ``too_far``, ``not_qualified``, ``no_available_day``.  A request with legal options is ``capacity``
    when, in this roster, every legal (expert, day) is at its day or week limit or the expert is at another
    site that day; otherwise a free slot exists and the reason says whether using it would raise the score
    (``not_selected``) or not (``not_worthwhile``).  The roster must be legal (``ValueError`` otherwise).
    """
    ctx = instance.ctx()
    items = as_assignments(assignments)
    problems = validate(instance, items)
    if problems:
        raise ValueError(f"roster is not legal: {problems[0]}")
    ro, _ = _roster_from(ctx, items, strict=True)
    return [
        {"request": instance.requests[r].id, "reason": _reason(ro, r)}
        for r in range(ctx.n_r)
        if ro.assign[r] < 0
    ]


# ------------------------------------------------------------------------------------------------------------
# CP-SAT model of a window of the roster
# ------------------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------------------
# Solve: greedy start, large-neighbourhood search with exact CP-SAT windows, full-model bound
# ------------------------------------------------------------------------------------------------------------


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


class _Incumbent:
    """The best roster so far, its scaled score and progress reporting."""

    def __init__(self, ro: _Roster, clock: _Clock, progress: ProgressFn | None, phase: str) -> None:
        self.ro = ro
        self.value = ro.scaled_score()
        self.clock = clock
        self.progress = progress
        self.bound: int | None = None
        self.history: list[tuple[float, int | float, str]] = [(clock.elapsed(), _unscale(self.value), phase)]
        self._emit(phase)

    def _emit(self, phase: str) -> None:
        if self.progress is not None:
            bound = None if self.bound is None else _unscale(self.bound)
            self.progress(Progress(round(self.clock.elapsed(), 3), _unscale(self.value), bound, phase))

    def offer(self, ro: _Roster, phase: str, value: int | None = None) -> bool:
        """Take ``ro`` if it scores at least as well (ties accepted to move on plateaus)."""
        value = ro.scaled_score() if value is None else value
        if value < self.value:
            return False
        improved = value > self.value
        self.ro, self.value = ro, value
        if improved:
            self.history.append((self.clock.elapsed(), _unscale(value), phase))
            self._emit(phase)
        return True

    def set_bound(self, bound: int, phase: str) -> None:
        if self.bound is None or bound < self.bound:
            self.bound = max(bound, self.value)
            self._emit(phase)


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


def _new_solver(seconds: float, workers: int, seed: int = 0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    return solver


TASK_FULL = "full"
"""Task kind: the full model of one specialty (proven bound, sometimes a better roster)."""
TASK_FLOW = "flow"
"""Task kind: the flow relaxation bound of every specialty."""


@dataclass(frozen=True, slots=True)
class _Task:
    """One unit of work from a snapshot of the incumbent (``assign``: option per request or −1): an LNS
    window (``kind`` in ``_Neighbourhoods.KINDS``), a specialty's full model (``TASK_FULL``) or the flow bound
    (``TASK_FLOW``)."""

    kind: str
    specialty: int
    experts: tuple[int, ...]
    days: tuple[int, ...] | None
    assign: tuple[int, ...]
    locked: frozenset[int]
    seconds: float
    seed: int  # also the task's unique number within a search


@dataclass(frozen=True, slots=True)
class _TaskResult:
    """New options for the specialty's free requests (None when CP-SAT found nothing) and, for bound tasks,
    upper bounds (scaled) of the specialty's score part (``bounds[sp]``, None = unknown)."""

    task: _Task
    free: tuple[int, ...]
    chosen: tuple[int, ...] | None
    optimal: bool
    size: int
    wall: float
    bounds: tuple[int | None, ...] | None = None


def _roster_of(ctx: _Ctx, assign: Sequence[int]) -> _Roster:
    ro = _Roster(ctx)
    for o in assign:
        if o >= 0:
            ro.add(o)
    return ro


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
            weight = (
                ctx.opt_value[o]
                - ctx.travel(e, ctx.opt_s[o]) / ctx.max_spd
                - (0 if ctx.opt_hist[o] else share)
            )
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


def _run_task(ctx: _Ctx, task: _Task, base: _Roster | None = None) -> _TaskResult:
    """Run one task (in a pool process, or inline with ``base`` = the incumbent).  Windows and full models
    use one CP-SAT worker each (``_window_solver``)."""
    t0 = time.perf_counter()
    if task.kind == TASK_FLOW:
        flow_bounds: tuple[int | None, ...] = tuple(_flow_bounds(ctx))
        return _TaskResult(task, (), None, True, 0, time.perf_counter() - t0, flow_bounds)
    ro = base if base is not None else _roster_of(ctx, task.assign)
    window = _Window(ro, task.experts, task.days, task.locked)
    free = tuple(r for r in window.free_requests if ctx.r_spec[r] == task.specialty)
    if not window.size:
        return _TaskResult(task, free, None, True, 0, 0.0)
    window.add_hint(ro)
    solver = _window_solver(task.seconds, 1, seed=task.seed)
    status = solver.solve(window.model)
    chosen = None
    bounds: tuple[int | None, ...] | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = tuple(window.chosen(solver.boolean_value))
        if task.kind == TASK_FULL:
            # window objective = specialty part − constant; the hint fixes the constant.
            const = ro.scaled_score_by_specialty()[task.specialty] - window.evaluate(window.hint_values(ro))
            sp_bounds: list[int | None] = [None] * len(ctx.specs)
            sp_bounds[task.specialty] = math.floor(solver.best_objective_bound + 1e-6) + const
            bounds = tuple(sp_bounds)
    return _TaskResult(task, free, chosen, status == cp_model.OPTIMAL, window.size, solver.wall_time, bounds)


_WORKER_CTX: _Ctx | None = None


def _worker_init(ctx: _Ctx) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_run(task: _Task) -> _TaskResult:
    assert _WORKER_CTX is not None
    return _run_task(_WORKER_CTX, task)


def _process_pool(ctx: _Ctx, workers: int) -> Any:
    """A ``multiprocessing`` pool of ``workers`` forked processes (they inherit the compiled instance), or
    None when forking is unavailable (not POSIX, or inside a daemonic process); the search then runs its tasks
    one by one in this process.  A pool (rather than ``concurrent.futures``) can be terminated at the
    deadline without waiting for a straggling task."""
    import multiprocessing

    _check_guards()
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:
        return None
    try:
        return multiprocessing.get_context("fork").Pool(
            processes=workers, initializer=_worker_init, initargs=(ctx,)
        )
    except (OSError, ValueError):  # pragma: no cover - platform dependent
        return None


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


class _Search:
    """Runs the LNS windows, then the per-specialty full models, on a pool of processes (or inline).

    Tasks running at the same time are in different specialties, and only one task per specialty is in
    flight, so each result is applied to the current incumbent exactly: it only changes its own specialty,
    which nothing else touched since its snapshot.  A result is kept when the complete roster scores at least
    as well.
    """

    def __init__(
        self,
        inc: _Incumbent,
        clock: _Clock,
        workers: int,
        locked: frozenset[int],
        rng: random.Random,
        stats: dict[str, Any],
    ) -> None:
        self.inc = inc
        self.clock = clock
        self.workers = max(1, workers)
        self.locked = locked
        self.rng = rng
        self.stats = stats
        self.ctx = inc.ro.ctx
        n_s = len(self.ctx.specs)
        self.flow_bounds: list[int] | None = None
        self.full_bounds: list[int | None] = [None] * n_s
        self.hoods = _Neighbourhoods(self.ctx, rng, locked)
        kinds = _Neighbourhoods.KINDS
        start = float(min(LNS_START_WINDOW_OPTIONS, max(LNS_MIN_WINDOW_OPTIONS, self.ctx.n_o // 2)))
        self.target = dict.fromkeys(kinds, start)
        self.gains = dict.fromkeys(kinds, 1.0)
        self.tried: Counter[str] = Counter()
        self.improved: Counter[str] = Counter()
        self.seq = 0
        self.full_todo: list[int] = []

    # -- task production -------------------------------------------------------------------------------------
    def _task(
        self, kind: str, sp: int, experts: Sequence[int], days: Sequence[int] | None, seconds: float
    ) -> _Task:
        self.seq += 1
        return _Task(
            kind,
            sp,
            tuple(experts),
            None if days is None else tuple(days),
            tuple(self.inc.ro.assign),
            self.locked,
            seconds,
            self.seq,
        )

    def next_task(self, busy: set[int], lns_until: float) -> _Task | None:
        if self.inc.bound is not None and self.inc.value >= self.inc.bound:
            return None  # proven optimal
        now = time.perf_counter()
        if now < lns_until - LNS_MIN_TASK_SECONDS:
            hoods, kinds = self.hoods, _Neighbourhoods.KINDS
            for _ in range(10):
                sp = hoods.pick_specialty(busy)
                if sp is None:
                    return None
                kind = self.rng.choices(kinds, weights=[self.gains[k] for k in kinds])[0]
                experts, days = hoods.pick(kind, sp, self.inc.ro, self.target[kind])
                if experts:
                    # Leave room for building the window (about 30 µs per option) inside the deadline.
                    build = TASK_OVERHEAD_SECONDS + 30e-6 * self.target[kind]
                    seconds = min(LNS_SUBSOLVE_SECONDS, lns_until - now - build)
                    if seconds < LNS_MIN_TASK_SECONDS:
                        return None
                    return self._task(kind, sp, experts, days, seconds)
            return None
        left = self.clock.deadline - now
        for sp in list(self.full_todo):
            if sp in busy:
                continue
            if left < FULL_PHASE_MIN_SECONDS / 2:
                return None
            self.full_todo.remove(sp)
            # Share what is left among the specialties still to run, ``workers`` at a time.
            rounds = math.ceil((len(self.full_todo) + 1 + len(busy)) / self.workers)
            return self._task(TASK_FULL, sp, self.ctx.spec_experts[sp], None, left / max(1, rounds))
        return None

    # -- result consumption ----------------------------------------------------------------------------------
    def absorb(self, res: _TaskResult) -> None:
        task, inc = res.task, self.inc
        kind = task.kind
        if kind == TASK_FLOW:
            self.flow_bounds = [b for b in res.bounds or () if b is not None]
            self._update_bound()
            return
        gain = 0
        if res.chosen is not None:
            candidate = inc.ro.copy()
            for r in res.free:
                candidate.remove(r)
            for o in res.chosen:
                candidate.add(o)
            value = candidate.scaled_score()
            gain = value - inc.value
            inc.offer(candidate, "full" if kind == TASK_FULL else "lns", value)
        if _DEBUG:
            print(
                f"[search] {self.clock.elapsed():6.2f} sp={task.specialty} {kind:10s} n={res.size:5d} "
                f"opt={res.optimal!s:5s} t={res.wall:.2f} gain={gain}",
                file=sys.stderr,
            )
        if kind == TASK_FULL:
            self.tried[kind] += 1
            if res.bounds is not None and res.bounds[task.specialty] is not None:
                self.full_bounds[task.specialty] = res.bounds[task.specialty]
                self._update_bound()
            return
        self.tried[kind] += 1
        if res.optimal:
            self.target[kind] = min(LNS_MAX_WINDOW_OPTIONS, max(self.target[kind], res.size) * LNS_GROW)
        else:
            self.target[kind] = max(LNS_MIN_WINDOW_OPTIONS, min(self.target[kind], res.size) * LNS_SHRINK)
        if gain > 0:
            self.improved[kind] += 1
            self.gains[kind] = 0.8 * self.gains[kind] + 0.2 * (1.0 + min(gain, 10_000) / 1_000)
        else:
            self.gains[kind] = max(0.2, 0.95 * self.gains[kind])

    def _update_bound(self) -> None:
        """Σ over specialties of the best bound known for each (flow, or full model when tighter)."""
        if self.flow_bounds is None:
            return
        total = 0
        for sp, flow_b in enumerate(self.flow_bounds):
            full_b = self.full_bounds[sp]
            total += flow_b if full_b is None else min(flow_b, full_b)
        self.inc.set_bound(total, "bound")

    # -- driver ----------------------------------------------------------------------------------------------
    def run(self, bound_time: float) -> None:
        ctx = self.ctx
        lns_until = self.clock.deadline - bound_time
        if bound_time:
            self.full_todo = sorted(
                (sp for sp in range(len(ctx.specs)) if ctx.spec_experts[sp]),
                key=lambda sp: -sum(len(ctx.e_opts[e]) for e in ctx.spec_experts[sp]),
            )
        flow_task = _Task(TASK_FLOW, -1, (), None, (), self.locked, 0.0, 0)
        pool = _process_pool(ctx, self.workers) if self.hoods.specs else None
        self.stats["processes"] = self.workers if pool is not None else 1
        if pool is None:
            self.absorb(_run_task(ctx, flow_task))
            while (task := self.next_task(set(), lns_until)) is not None:
                self.absorb(_run_task(ctx, task, self.inc.ro))
        else:
            import queue

            results: queue.Queue[Any] = queue.Queue()
            running: dict[int, int] = {}  # task number -> specialty (-1 for the flow bound)
            try:
                pool.apply_async(_worker_run, (flow_task,), callback=results.put, error_callback=results.put)
                running[flow_task.seed] = -1
                while True:
                    while len(running) < self.workers:
                        task = self.next_task({sp for sp in running.values() if sp >= 0}, lns_until)
                        if task is None:
                            break
                        running[task.seed] = task.specialty
                        pool.apply_async(
                            _worker_run, (task,), callback=results.put, error_callback=results.put
                        )
                    if not running:
                        break
                    left = self.clock.deadline - time.perf_counter()
                    if left <= 0:
                        break  # stragglers are abandoned: the pool is terminated below
                    until_lns = lns_until - time.perf_counter()
                    # Wake at the end of the LNS phase to start the bound tasks in any free process.
                    timeout = min(left, until_lns + 0.01) if until_lns > 0 else left
                    try:
                        res = results.get(timeout=timeout)
                    except queue.Empty:
                        continue
                    if isinstance(res, BaseException):
                        raise res
                    del running[res.task.seed]
                    self.absorb(res)
            finally:
                pool.terminate()
                pool.join()
        self.stats["lns_windows"] = {k: v for k, v in self.tried.items() if k != TASK_FULL}
        self.stats["lns_improving_windows"] = dict(self.improved)
        self.stats["lns_window_targets"] = {k: int(v) for k, v in self.target.items()}
        self.stats["full_models"] = self.tried[TASK_FULL]
        self.stats["flow_bound"] = None if self.flow_bounds is None else _unscale(sum(self.flow_bounds))
        full = self.full_bounds
        self.stats["full_model_bound"] = (
            None
            if None in [full[sp] for sp in range(len(full)) if ctx.spec_experts[sp]]
            else _unscale(sum(b for b in full if b is not None))
        )


def _exact_small(
    inc: _Incumbent, clock: _Clock, workers: int, locked: frozenset[int], stats: dict[str, Any]
) -> None:
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
        {"request": instance.requests[r].id, "reason": _reason(ro, r)}
        for r in range(ctx.n_r)
        if ro.assign[r] < 0
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


# ------------------------------------------------------------------------------------------------------------
# Replan after a change
# ------------------------------------------------------------------------------------------------------------


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
        {"request": instance.requests[r].id, "reason": _reason(ro, r)}
        for r in range(ctx.n_r)
        if ro.assign[r] < 0
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
