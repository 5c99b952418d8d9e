"""From a roster back to the product: ``solve_problem`` runs ``roster.solve`` (or ``roster.replan``) on a
``Problem``, then places sessions on half-days, fills, and explains what stays open (``Outcome``), with the
user-facing message of each reason code (``REASON_MESSAGES``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercare.outreach import roster
from tiercare.outreach.planning.board import Board, Placed
from tiercare.outreach.planning.guard import refuse_in_request
from tiercare.outreach.planning.problem import Problem

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
            assert s is not None  # session_keys holds the occurrences of confirmed sessions
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
