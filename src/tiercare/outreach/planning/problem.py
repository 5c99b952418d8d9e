"""From the database to a roster instance: ``build_problem`` turns a horizon of the network into a
``tiercare-roster-instance/1`` dict (shared/bench/ROSTER.md) plus the maps back to rows (``Problem``,
``Occurrence``); with the score weights and which specialties may serve a department (``serving_specialties``).

Legality is per day: the instance's ``licensed_sites`` holds only sites where ``allowed_at_q`` (the practice rule)
admits the expert on every day they are available; a site allowed on some days only is left out of the instance and
used by the board's fill pass (``board.Board.fill``), day by day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from tiercare.network.models import InsurancePolicy, Organization, Practitioner, Specialty
from tiercare.network.practice import allowed_at_q
from tiercare.outreach import roster
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    ExpertAvailability,
    ExpertLeave,
    ExpertResponse,
    ExpertSession,
    HalfDay,
    OutreachProfile,
    RequestStatus,
    SessionRequest,
)
from tiercare.outreach.planning.horizon import WORKDAYS, first_workday, horizon_dates, occurrences
from tiercare.outreach.planning.travel import MAX_TRIP_HOURS, _trip_hours

DEFAULT_WEEKLY_LIMIT = 3


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


def serving_specialties(department_specialty: str) -> tuple[str, ...]:
    return SERVING_SPECIALTIES.get(department_specialty, (department_specialty,))


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
    for sid, site_days in needed.items():
        cache: dict[date, list[Any]] = {}
        for d in sorted(site_days):
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
    inst_experts: list[dict[str, Any]] = []
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
