"""Rule checking: ``validate`` lists every rule of ``bench/ROSTER.md`` ("Rules") that a roster breaks, per
assignment and across assignments, straight on the instance (independently of the compiled options)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from tiercare.outreach.roster.model import KIND_SURGERY, KIND_TEACHING, AssignmentLike, Instance, as_assignments


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
            out.append(f"specialty: {tag}: expert is {exp.specialty}, department {dept.id} is {dept.specialty}")
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
            out.append(f"day_limit: {eid} on day {day} has {len(sites)} > {instance.max_sessions_per_day} sessions")
    for (eid, week), count in week_count.items():
        cap = instance.expert_by_id[eid].max_per_week
        if count > cap:
            out.append(f"week_limit: {eid} in week {week} has {count} > {cap} sessions")
    return out
