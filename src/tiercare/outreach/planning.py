"""From the database to a roster instance and back: the product side of the optimiser (outreach/roster.py).

``build_problem`` turns a horizon of the network into a ``tiercare-roster-instance/1`` dict (shared/bench/ROSTER.md)
plus the maps back to rows; ``solve_problem`` runs ``roster.solve`` and then keeps the product's own rules that the
instance format cannot say:

- legality is per day: the instance's ``licensed_sites`` holds only sites where ``allowed_at_q`` (the practice
  rule) admits the expert on every day they are available; a site allowed on some days only is left out of the
  instance and used by the fill pass below, day by day;
- sessions take half-days: each (expert, day) gets at most as many sessions as the expert has available
  half-days that day (the instance only knows ``max_sessions_per_day``);
- coverage first: a fill pass places every still-open request that some free, legal expert can take, so no
  request is left open that a free legal expert could have served;
- every open request gets a reason that is true of this roster (``reason_for``), with the roster's codes.

Travel: round-trip hours from the expert's home (OutreachProfile coordinates, else the main institution's) to the
site, from an imported TravelTime row when there is one, else great-circle distance × ROAD_FACTOR ÷
AVERAGE_SPEED_KMH, each way.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiercare.network.models import InsurancePolicy, Organization, Practitioner, Specialty
from tiercare.network.practice import allowed_at_q
from tiercare.outreach import roster
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Cadence,
    ExpertAvailability,
    ExpertLeave,
    ExpertResponse,
    ExpertSession,
    HalfDay,
    OutreachProfile,
    RequestStatus,
    SessionKind,
    SessionRequest,
    TravelTime,
)

ROAD_FACTOR = float(getattr(settings, "OUTREACH_ROAD_FACTOR", 1.3))
"""Road distance ÷ great-circle distance; ~1.3 on Sichuan's plain (set OUTREACH_ROAD_FACTOR)."""
AVERAGE_SPEED_KMH = float(getattr(settings, "OUTREACH_AVERAGE_SPEED_KMH", 70.0))
MAX_TRIP_HOURS = float(getattr(settings, "OUTREACH_MAX_TRIP_HOURS", 8.0))
"""The longest round trip an expert makes in a day (the issue's day-trip limit)."""
DEFAULT_WEEKLY_LIMIT = 3
WORKDAYS = 5  # Monday to Friday
HISTORY_WEEKS = 12
"""Experts who served a department in this many weeks before the horizon count as its history (continuity)."""
WEIGHTS = {
    "cover_by_priority": {"1": 200, "2": 300, "3": 400},
    "travel_per_hour": 10,
    "new_pair": 40,
    "spread_per_specialty": 60,
    "preferred": 20,
}
"""Score weights of ROSTER.md: coverage by priority dominates; continuity, spread, travel and preferences refine."""

# Which expert specialties may serve a department's specialty (a neonatology ward asks a pediatrician).
SERVING_SPECIALTIES: dict[str, tuple[str, ...]] = {
    Specialty.NEONATOLOGY: (Specialty.NEONATOLOGY, Specialty.PEDIATRICS),
    Specialty.GYNECOLOGIC_ONCOLOGY: (Specialty.GYNECOLOGIC_ONCOLOGY, Specialty.GYNECOLOGY, Specialty.ONCOLOGY),
    Specialty.OBSTETRICS: (Specialty.OBSTETRICS, Specialty.GYNECOLOGY),
}

REASON_MESSAGES = {
    roster.REASON_NO_SPECIALTY: _("No active expert of the doctor group has this specialty."),
    roster.REASON_NOT_LICENSED: _(
        "No expert of the specialty has a legal basis (filing, registration, alliance, agreement or invitation) "
        "and valid malpractice cover at this site on the requested days."
    ),
    roster.REASON_TOO_FAR: _(
        "Every expert allowed at this site lives beyond the day-trip limit (or a distance is unknown: give the "
        "organizations coordinates or import travel times)."
    ),
    roster.REASON_NOT_QUALIFIED: _(
        "No allowed expert within reach is qualified: surgery needs an expert qualified to operate, teaching a "
        "chief or associate chief physician."
    ),
    roster.REASON_NO_DAY: _("Every qualified expert is on leave, on duty or not available on the requested days."),
    roster.REASON_CAPACITY: _(
        "Every qualified expert is fully booked on the requested days (half-days taken, another site that day, "
        "or the weekly limit reached)."
    ),
    roster.REASON_NOT_SELECTED: _("A free legal expert exists; re-plan or assign by hand."),
    "removed": _("Removed from the proposal by operations."),
}


# --- the solver runs in the task worker, never in a web request ------------------------------------------------

_request_state = threading.local()


class SolverInWebRequest(RuntimeError):
    """The roster solver was called while this thread serves a web request (it forks processes and runs CP-SAT
    threads for seconds: on a threaded server that hung requests and orphaned children). Enqueue a PlanRun
    (``services.plan_run_start``) instead; the task worker solves it."""


def request_started(**kwargs: Any) -> None:
    """Receiver of Django's ``request_started``: this thread now serves a request (connected in apps.py)."""
    _request_state.active = True


def request_finished(**kwargs: Any) -> None:
    _request_state.active = False


def in_web_request() -> bool:
    return bool(getattr(_request_state, "active", False))


def refuse_in_request() -> None:
    """The guard registered with ``roster.add_guard``: raise SolverInWebRequest inside a web request."""
    if in_web_request():
        raise SolverInWebRequest(
            "The roster solver runs in the task worker (manage.py db_worker) or the CLI, never in a web request."
        )


roster.add_guard(refuse_in_request)


def serving_specialties(department_specialty: str) -> tuple[str, ...]:
    return SERVING_SPECIALTIES.get(department_specialty, (department_specialty,))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def first_workday(start: date) -> date:
    """The first working day on or after ``start``: a plan asked from a Saturday starts the Monday after, so that
    its ``weeks`` are whole working weeks and its header (first and last day) says what its sessions cover."""
    while start.weekday() >= WORKDAYS:
        start += timedelta(days=1)
    return start


def horizon_dates(start: date, weeks: int) -> list[date]:
    """The working days (Mon–Fri) of ``weeks`` weeks from the Monday of ``start``'s week (day i's week is i // 5)."""
    monday = start - timedelta(days=start.weekday())
    return [monday + timedelta(days=7 * w + i) for w in range(weeks) for i in range(WORKDAYS)]


def occurrences(request: SessionRequest) -> list[tuple[int, list[date]]]:
    """The sessions a request asks for: (occurrence number, the calendar days it may be held on)."""
    start, end = request.window_start, request.window_end
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < WORKDAYS]
    if request.cadence == Cadence.ONCE:
        return [(0, days)] if days else []
    groups: dict[int, list[date]] = defaultdict(list)
    base = start - timedelta(days=start.weekday())
    for d in days:
        if request.cadence == Cadence.WEEKLY:
            k = (d - base).days // 7
        elif request.cadence == Cadence.BIWEEKLY:
            k = (d - base).days // 14
        else:  # monthly: every four weeks from the window's first week (a calendar month would start with stubs)
            k = (d - base).days // 28
        groups[k].append(d)
    return sorted(groups.items())


@dataclass
class Occurrence:
    key: str
    request: SessionRequest | None
    number: int
    department_id: Any
    site_id: Any
    specialty: str
    kind: str
    priority: int
    places: int
    days: list[date]
    session: ExpertSession | None = None


@dataclass
class Problem:
    """A horizon's instance and the maps back to rows."""

    start: date
    dates: list[date]
    instance: dict[str, Any]
    occurrences: dict[str, Occurrence]
    experts: dict[str, Practitioner]
    sites: dict[str, Organization]
    weekly_limit: dict[str, int]
    halfdays: dict[str, dict[int, set[str]]]  # expert -> weekday -> available half-days
    unavailable: dict[str, set[date]]  # leave, duty, no availability that weekday
    allowed: dict[tuple[str, str], set[date]]  # (expert, site) -> days practice_basis allows
    trip: dict[tuple[str, str], float]
    sessions: list[ExpertSession] = field(default_factory=list)

    @property
    def day_index(self) -> dict[date, int]:
        return {d: i for i, d in enumerate(self.dates)}


def _trip_hours(
    experts: list[Practitioner], sites: list[Organization], profiles: dict[Any, OutreachProfile]
) -> dict[tuple[str, str], float]:
    homes = {e.home_organization_id for e in experts}
    matrix = {
        (t.origin_id, t.destination_id): float(t.hours)
        for t in TravelTime.objects.filter(origin_id__in=homes, destination_id__in=[s.pk for s in sites])
    }
    back = {
        (t.destination_id, t.origin_id): float(t.hours)
        for t in TravelTime.objects.filter(destination_id__in=homes, origin_id__in=[s.pk for s in sites])
    }
    out: dict[tuple[str, str], float] = {}
    for e in experts:
        home = e.home_organization
        prof = profiles.get(e.pk)
        lat = prof.latitude if prof and prof.latitude is not None else (home.latitude if home else None)
        lon = prof.longitude if prof and prof.longitude is not None else (home.longitude if home else None)
        for s in sites:
            key = (e.home_organization_id, s.pk)
            if key in matrix and not (prof and prof.latitude is not None):
                hours = matrix[key] + back.get(key, matrix[key])
            elif home is not None and home.pk == s.pk:
                hours = 0.0
            elif None in (lat, lon, s.latitude, s.longitude):
                hours = MAX_TRIP_HOURS * 10  # unknown distance: never a day trip
            else:
                hours = 2 * haversine_km(lat, lon, s.latitude, s.longitude) * ROAD_FACTOR / AVERAGE_SPEED_KMH
            out[(str(e.pk), str(s.pk))] = round(hours, 1)
    return out


def _validity_breakpoints(first: date, last: date) -> set[date]:
    """The days in [first, last] on which some registration, cover, alliance membership, agreement or invitation
    starts, or the day after one ends: the practice rule's answer can change only on these days."""
    from tiercare.network.models import AllianceMembership, Invitation, SiteRegistration, SupportAgreement

    out = {first}
    for model in (SiteRegistration, InsurancePolicy, AllianceMembership, SupportAgreement, Invitation):
        for start, end in (
            model.objects.filter(valid_from__lte=last + timedelta(days=1))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first - timedelta(days=1)))
            .values_list("valid_from", "valid_to")
        ):
            out.add(start)
            if end is not None:
                out.add(end + timedelta(days=1))
    return {d for d in out if first <= d <= last}


def build_problem(start: date, weeks: int) -> Problem:
    """The roster instance of ``weeks`` weeks from ``start``: open request occurrences not yet scheduled, the
    doctor group's active experts, their availability, and the sites where the practice rule allows them.

    The active confirmed sessions in the horizon are requests too (``S<session id>``): a plan holds them fixed, a
    re-plan may keep, move or drop them.
    """
    start = first_workday(start)
    dates = horizon_dates(start, weeks)
    first, last = dates[0], dates[-1]
    usable = {d for d in dates if d >= start}
    occ: dict[str, Occurrence] = {}
    sessions = list(
        ExpertSession.objects.filter(
            date__gte=first, date__lte=last, status__in=ACTIVE_SESSION_STATUSES
        ).select_related("expert", "department", "request")
    )
    sessions = [s for s in sessions if s.date.weekday() < WORKDAYS]
    scheduled = {(s.request_id, s.occurrence) for s in sessions if s.request_id}
    scheduled |= set(
        ExpertSession.objects.filter(status__in=ACTIVE_SESSION_STATUSES, request__isnull=False)
        .filter(request__window_end__gte=first, request__window_start__lte=last)
        .values_list("request_id", "occurrence")
    )
    requests = (
        SessionRequest.objects.filter(status=RequestStatus.OPEN, window_end__gte=start, window_start__lte=last)
        .select_related("department")
        .prefetch_related("preferred_experts")
    )
    preferred: dict[str, set[str]] = defaultdict(set)
    for req in requests:
        for number, days in occurrences(req):
            days = [d for d in days if d in usable]
            if not days or (req.pk, number) in scheduled:
                continue
            key = f"R{req.pk}#{number}"
            occ[key] = Occurrence(
                key,
                req,
                number,
                req.department_id,
                req.department.organization_id,
                req.specialty,
                req.kind,
                req.priority,
                req.places,
                days,
            )
            preferred[f"{req.department_id}:{req.specialty}"] |= {str(p.pk) for p in req.preferred_experts.all()}
    experts = list(
        Practitioner.objects.filter(doctor_group__isnull=False, is_active=True, home_organization__isnull=False)
        .select_related("home_organization")
        .order_by("name_pinyin", "id")
    )
    expert_ids = {str(e.pk) for e in experts}
    for s in sessions:
        if str(s.expert_id) in expert_ids:
            priority = s.request.priority if s.request else 3
            occ[f"S{s.pk}"] = Occurrence(
                f"S{s.pk}",
                s.request,
                s.occurrence or 0,
                s.department_id,
                s.site_id,
                s.expert.specialty,
                s.kind,
                priority,
                s.places,
                [s.date],
                session=s,
            )
    site_ids = {o.site_id for o in occ.values()} | {s.site_id for s in sessions}
    sites = {str(o.pk): o for o in Organization.objects.filter(pk__in=site_ids)}
    profiles = {p.practitioner_id: p for p in OutreachProfile.objects.filter(practitioner__in=experts)}
    halfdays: dict[str, dict[int, set[str]]] = {str(e.pk): defaultdict(set) for e in experts}
    for a in ExpertAvailability.objects.filter(practitioner__in=experts):
        halfdays[str(a.practitioner_id)][a.weekday].add(a.half_day)
    unavailable: dict[str, set[date]] = {str(e.pk): set() for e in experts}
    for leave in ExpertLeave.objects.filter(practitioner__in=experts, start__lte=last, end__gte=first):
        unavailable[str(leave.practitioner_id)] |= {d for d in dates if leave.covers(d)}
    for e in experts:
        eid = str(e.pk)
        unavailable[eid] |= {d for d in dates if not halfdays[eid].get(d.weekday())}
    # An expert who declined a session is not asked again for that day (the re-plan moves or reassigns it).
    for s in sessions:
        if s.response == ExpertResponse.DECLINED and str(s.expert_id) in unavailable:
            unavailable[str(s.expert_id)].add(s.date)
    covered: dict[str, set[date]] = defaultdict(set)
    for pol in InsurancePolicy.objects.filter(practitioner__in=experts, valid_to__gte=first, valid_from__lte=last):
        covered[str(pol.practitioner_id)] |= {d for d in dates if pol.valid_from <= d <= pol.valid_to}
    # The practice rule, set-based: one query per (site, day) a request or session needs.
    needed: dict[str, set[date]] = defaultdict(set)
    for o in occ.values():
        needed[str(o.site_id)] |= set(o.days)
    for s in sessions:
        needed[str(s.site_id)].add(s.date)
    allowed: dict[tuple[str, str], set[date]] = defaultdict(set)
    base = Practitioner.objects.filter(pk__in=[e.pk for e in experts])
    changes = _validity_breakpoints(first, last)
    for sid, days in needed.items():
        cache: dict[date, list[Any]] = {}
        for d in sorted(days):
            # allowed_at_q depends on the date only through validity periods: between two breakpoints its answer
            # is the same, so one query per stretch gives the exact per-day answer.
            rep = max((b for b in changes if b <= d), default=first)
            if rep not in cache:
                cache[rep] = list(base.filter(allowed_at_q(sites[sid], d)).values_list("pk", flat=True))
            for pid in cache[rep]:
                allowed[(str(pid), sid)].add(d)
    trip = _trip_hours(experts, list(sites.values()), profiles)

    day_of = {d: i for i, d in enumerate(dates)}
    # A day without cover is a day the expert cannot practise anywhere (ROSTER.md: unavailable_days).
    off: dict[str, set[date]] = {eid: unavailable[eid] | (set(dates) - covered[eid]) for eid in expert_ids}
    inst_experts = []
    for e in experts:
        eid = str(e.pk)
        free = [d for d in dates if d not in off[eid]]
        licensed = [
            sid
            for sid in sites
            if free
            and all(d in allowed.get((eid, sid), ()) for d in free if d in needed[sid])
            and allowed.get((eid, sid))
        ]
        prof = profiles.get(e.pk)
        inst_experts.append(
            {
                "id": eid,
                "specialty": e.specialty or "none",
                "home": eid,
                "surgeon": bool(e.can_operate),
                "senior": e.is_senior,
                "max_per_week": prof.weekly_limit if prof else DEFAULT_WEEKLY_LIMIT,
                "unavailable_days": sorted(day_of[d] for d in off[eid]),
                "licensed_sites": licensed,
            }
        )
    history_since = first - timedelta(weeks=HISTORY_WEEKS)
    history: dict[str, set[str]] = defaultdict(set)
    for dept_id, expert_id, specialty in ExpertSession.objects.filter(
        date__gte=history_since, date__lt=first, status__in=[*ACTIVE_SESSION_STATUSES, "held"]
    ).values_list("department_id", "expert_id", "expert__specialty"):
        history[f"{dept_id}:{specialty}"].add(str(expert_id))
    departments: dict[str, dict[str, Any]] = {}
    inst_requests = []
    for key, o in occ.items():
        dkey = f"{o.department_id}:{o.specialty}"
        departments.setdefault(
            dkey,
            {
                "id": dkey,
                "site": str(o.site_id),
                "specialty": o.specialty,
                "history": sorted(history[dkey] & expert_ids),
                "preferred": sorted(preferred[dkey] & expert_ids),
            },
        )
        inst_requests.append(
            {
                "id": key,
                "department": dkey,
                "kind": o.kind,
                "priority": o.priority,
                "days": sorted(day_of[d] for d in o.days),
            }
        )
    instance = {
        "format": roster.FORMAT,
        "days": len(dates),
        "days_per_week": WORKDAYS,
        "max_trip_hours": MAX_TRIP_HOURS,
        "max_sessions_per_day": len(HalfDay.values),
        "weights": WEIGHTS,
        "sites": sorted(sites),
        "travel_hours": {str(e.pk): {sid: trip[(str(e.pk), sid)] for sid in sites} for e in experts},
        "experts": inst_experts,
        "departments": list(departments.values()),
        "requests": inst_requests,
    }
    return Problem(
        start=start,
        dates=dates,
        instance=instance,
        occurrences=occ,
        experts={str(e.pk): e for e in experts},
        sites=sites,
        weekly_limit={x["id"]: x["max_per_week"] for x in inst_experts},
        halfdays=halfdays,
        unavailable=off,
        allowed=allowed,
        trip=trip,
        sessions=sessions,
    )


# --- the board: who is where, and what is still free -----------------------------------------------------------


@dataclass
class Placed:
    key: str
    expert: str
    day: date
    half_day: str


class Board:
    """Occupancy of a roster in calendar terms; decides whether an (expert, day) can take one more session."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.site_of: dict[tuple[str, date], str] = {}
        self.taken: dict[tuple[str, date], set[str]] = defaultdict(set)
        self.week: dict[tuple[str, date], int] = defaultdict(int)
        self.placed: dict[str, Placed] = {}

    @staticmethod
    def monday(d: date) -> date:
        return d - timedelta(days=d.weekday())

    def occupy(self, expert: str, site: str, day: date, half_day: str) -> None:
        self.site_of[(expert, day)] = site
        self.taken[(expert, day)].add(half_day)
        self.week[(expert, self.monday(day))] += 1

    def release(self, expert: str, day: date, half_day: str) -> None:
        self.taken[(expert, day)].discard(half_day)
        self.week[(expert, self.monday(day))] -= 1
        if not self.taken[(expert, day)]:
            self.site_of.pop((expert, day), None)

    def free_half_day(self, expert: str, day: date) -> str | None:
        avail = self.p.halfdays.get(expert, {}).get(day.weekday(), set())
        free = [h for h in HalfDay.values if h in avail and h not in self.taken[(expert, day)]]
        return free[0] if free else None

    def legal(self, expert: str, o: Occurrence, day: date) -> bool:
        """Legal on its own: specialty, practice rule that day (basis + cover), trip, qualification, availability."""
        e = self.p.experts.get(expert)
        if e is None or e.specialty != o.specialty or day not in o.days:
            return False
        sid = str(o.site_id)
        if day not in self.p.allowed.get((expert, sid), ()) or day in self.p.unavailable.get(expert, ()):
            return False
        if self.p.trip.get((expert, sid), math.inf) > MAX_TRIP_HOURS:
            return False
        if o.kind == SessionKind.SURGERY and not e.can_operate:
            return False
        return not (o.kind == SessionKind.TEACHING and not e.is_senior)

    def free(self, expert: str, o: Occurrence, day: date) -> str | None:
        """The half-day the expert could take ``o`` on ``day`` in this roster, or None."""
        if self.site_of.get((expert, day), str(o.site_id)) != str(o.site_id):
            return None
        if self.week[(expert, self.monday(day))] >= self.p.weekly_limit.get(expert, DEFAULT_WEEKLY_LIMIT):
            return None
        return self.free_half_day(expert, day)

    def place(self, key: str, expert: str, day: date, half_day: str) -> None:
        o = self.p.occurrences[key]
        self.occupy(expert, str(o.site_id), day, half_day)
        self.placed[key] = Placed(key, expert, day, half_day)

    def candidates(self, o: Occurrence) -> list[tuple[str, date, str]]:
        out = []
        for eid in self.p.experts:
            for day in o.days:
                if self.legal(eid, o, day):
                    half = self.free(eid, o, day)
                    if half:
                        out.append((eid, day, half))
        return out

    def reason_for(self, o: Occurrence) -> str:
        """Why ``o`` is open in this roster: the first rule, in the roster's order, that no expert passes."""
        cands = [eid for eid, e in self.p.experts.items() if e.specialty == o.specialty]
        if not cands:
            return roster.REASON_NO_SPECIALTY
        sid = str(o.site_id)
        cands = [eid for eid in cands if self.p.allowed.get((eid, sid), set()) & set(o.days)]
        if not cands:
            return roster.REASON_NOT_LICENSED
        cands = [eid for eid in cands if self.p.trip.get((eid, sid), math.inf) <= MAX_TRIP_HOURS]
        if not cands:
            return roster.REASON_TOO_FAR
        if o.kind == SessionKind.SURGERY:
            cands = [eid for eid in cands if self.p.experts[eid].can_operate]
        elif o.kind == SessionKind.TEACHING:
            cands = [eid for eid in cands if self.p.experts[eid].is_senior]
        if not cands:
            return roster.REASON_NOT_QUALIFIED
        legal = [(eid, d) for eid in cands for d in o.days if self.legal(eid, o, d)]
        if not legal:
            return roster.REASON_NO_DAY
        if not any(self.free(eid, o, d) for eid, d in legal):
            return roster.REASON_CAPACITY
        return roster.REASON_NOT_SELECTED

    def fill(self) -> int:
        """Place every open occurrence some free legal expert can take (most important first, least-loaded expert,
        shortest trip). Coverage first: a request a free legal expert could take is never left open."""
        added = 0
        load: dict[str, int] = defaultdict(int)
        for pl in self.placed.values():
            load[pl.expert] += 1
        open_ = sorted(
            (o for k, o in self.p.occurrences.items() if k not in self.placed),
            key=lambda o: (-o.priority, len(o.days), o.key),
        )
        for o in open_:
            cands = self.candidates(o)
            if not cands:
                continue
            eid, day, half = min(cands, key=lambda c: (load[c[0]], self.p.trip[(c[0], str(o.site_id))], c[1]))
            self.place(o.key, eid, day, half)
            load[eid] += 1
            added += 1
        return added


@dataclass
class Outcome:
    placed: list[Placed]
    uncovered: list[dict[str, Any]]
    objective: float
    bound: float | None
    seconds: float
    stats: dict[str, Any]


def _result_items(result: Any) -> tuple[list[tuple[str, str, int]], float, float | None, float, dict[str, Any]]:
    items = [(a.request, a.expert, a.day) for a in as_list(result)]
    return (
        items,
        float(getattr(result, "objective", 0) or 0),
        getattr(result, "bound", None),
        float(getattr(result, "seconds", 0) or 0),
        dict(getattr(result, "stats", {}) or {}),
    )


def as_list(result: Any) -> list[Any]:
    assignments = result.assignments if hasattr(result, "assignments") else result["assignments"]
    return roster.as_assignments(assignments)


def solve_problem(
    problem: Problem,
    *,
    seconds: float,
    workers: int = 2,
    previous: Iterable[Placed] = (),
    replan: bool = False,
    progress: Callable[[Any], None] | None = None,
) -> Outcome:
    """Solve the instance, then place half-days, fill, and explain what stays open (see the module docstring).

    Refused (SolverInWebRequest) inside a web request: only the task worker and the CLI solve."""
    refuse_in_request()
    board = Board(problem)
    inst = roster.load_instance(problem.instance)
    day_of = problem.day_index
    session_keys = [k for k, o in problem.occurrences.items() if o.session is not None]
    fixed: list[tuple[str, str, int]] = []
    if not replan:
        # Confirmed sessions hold their expert's half-day, site and weekly count; a plan does not re-decide them.
        for key in session_keys:
            s = problem.occurrences[key].session
            board.place(key, str(s.expert_id), s.date, s.half_day)
            candidate = (key, str(s.expert_id), day_of[s.date])
            if not roster.validate(inst, [*fixed, candidate]):
                fixed.append(candidate)
        if len(session_keys) == len(problem.occurrences):
            return Outcome([], [], 0.0, None, 0.0, {"requests": 0})
    elif not problem.occurrences:
        return Outcome([], [], 0.0, None, 0.0, {"requests": 0})
    prev = [(p.key, p.expert, day_of[p.day]) for p in previous if p.day in day_of]
    if replan and hasattr(roster, "replan"):
        result = roster.replan(inst, prev, seconds=seconds, progress=progress)
    else:
        hint = [a for a in prev if not roster.validate(inst, [a])] or None
        result = roster.solve(inst, seconds=seconds, workers=workers, hint=hint, fixed=fixed or None, progress=progress)
    items, objective, bound, secs, stats = _result_items(result)
    kept_half = {(p.key, p.expert, p.day): p.half_day for p in previous}
    # Half-days: the most important sessions of an (expert, day) first; a kept session keeps its half-day.
    ordered = sorted(
        items,
        key=lambda a: ((a[0], a[1], problem.dates[a[2]]) not in kept_half, -problem.occurrences[a[0]].priority, a[0]),
    )
    dropped = 0
    for key, eid, di in ordered:
        o, day = problem.occurrences[key], problem.dates[di]
        if key in board.placed:
            continue
        if not board.legal(eid, o, day):
            dropped += 1
            continue
        half = kept_half.get((key, eid, day))
        if half is None or half in board.taken[(eid, day)] or half not in problem.halfdays[eid].get(day.weekday(), ()):
            half = board.free(eid, o, day)
        elif board.free(eid, o, day) is None:
            half = None
        if half is None:
            dropped += 1
            continue
        board.place(key, eid, day, half)
    filled = board.fill()
    uncovered = []
    for key, o in problem.occurrences.items():
        if key in board.placed or (o.session is not None and not replan):
            continue
        code = board.reason_for(o)
        uncovered.append(
            {
                "key": key,
                "request": str(o.request.pk) if o.request else None,
                "occurrence": o.number,
                "session": str(o.session.pk) if o.session else None,
                "department": str(o.department_id),
                "site": str(o.site_id),
                "kind": o.kind,
                "priority": o.priority,
                "days": [d.isoformat() for d in o.days],
                "reason": code,
                "message": str(REASON_MESSAGES.get(code, code)),
            }
        )
    stats.update(
        {
            "requests": len(problem.occurrences),
            "covered": len(board.placed),
            "dropped_half_day": dropped,
            "filled": filled,
            "experts": len(problem.experts),
        }
    )
    stats.pop("improvements", None)
    placed = [p for p in board.placed.values() if replan or problem.occurrences[p.key].session is None]
    return Outcome(placed, uncovered, objective, bound, secs, stats)
