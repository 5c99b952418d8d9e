"""Why a request stays uncovered: the reason codes (``REASONS``, most specific first) and
``explain_uncovered``, which gives each open request of a legal roster the first reason that is true of it."""

from __future__ import annotations

from collections.abc import Iterable

from tiercare.outreach.roster.incremental import _Roster, _roster_from
from tiercare.outreach.roster.model import (
    KIND_SURGERY,
    KIND_TEACHING,
    AssignmentLike,
    Department,
    Expert,
    Instance,
    Request,
    as_assignments,
)
from tiercare.outreach.roster.rules import validate

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
    return [{"request": instance.requests[r].id, "reason": _reason(ro, r)} for r in range(ctx.n_r) if ro.assign[r] < 0]
