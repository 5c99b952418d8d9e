"""Writes of outreach: requests, availability, roster plans (plan, adjust, confirm, re-plan), sessions (cancel,
move, hold), bookings and reports. Each is one transaction, audited; session status changes are rows.

The legal rule (DESIGN.md §3) is asked of ``practice_basis`` whenever an expert is placed: at every adjustment of a
proposal, again for every session at confirmation (the basis is recorded on the session), and at every move.

One module per concept; this package re-exports their public names, so callers write ``services.plan_confirm``:

- ``session_requests``: a partner department's requests for sessions.
- ``availability``: an expert's weekly half-days, limits and leave.
- ``placement``: the placement rule (``placement_problems``).
- ``plans``: planning runs, proposals and re-plans, and operations' adjustments before confirmation.
- ``confirm``: a confirmed plan becomes sessions; a confirmed re-plan moves, reassigns or cancels them.
- ``sessions``: cancelling and moving a confirmed session.
- ``bookings``: patients' places in a session.
- ``reports``: what happened at a held session.

Imports run one way, ``placement`` ← ``plans``, ``sessions`` ← ``confirm``, ``reports``.
"""

from tiercare.outreach.services.availability import availability_set, leave_add
from tiercare.outreach.services.bookings import (
    SELF_CANCEL_HOURS,
    booking_cancel,
    booking_create,
    booking_self_cancel,
    booking_self_create,
    is_public_clinic,
)
from tiercare.outreach.services.confirm import plan_confirm
from tiercare.outreach.services.placement import placement_problems
from tiercare.outreach.services.plans import (
    MAX_PLAN_WEEKS,
    MAX_SOLVE_SECONDS,
    PROGRESS_WRITE_SECONDS,
    plan_assignment_move,
    plan_assignment_remove,
    plan_create,
    plan_discard,
    plan_run_execute,
    plan_run_start,
    replan_create,
    weeks_between,
)
from tiercare.outreach.services.reports import report_file
from tiercare.outreach.services.session_requests import request_cancel, request_create
from tiercare.outreach.services.sessions import next_session, session_cancel, session_move

__all__ = [
    "MAX_PLAN_WEEKS",
    "MAX_SOLVE_SECONDS",
    "PROGRESS_WRITE_SECONDS",
    "SELF_CANCEL_HOURS",
    "availability_set",
    "booking_cancel",
    "booking_create",
    "booking_self_cancel",
    "booking_self_create",
    "is_public_clinic",
    "leave_add",
    "next_session",
    "placement_problems",
    "plan_assignment_move",
    "plan_assignment_remove",
    "plan_confirm",
    "plan_create",
    "plan_discard",
    "plan_run_execute",
    "plan_run_start",
    "replan_create",
    "report_file",
    "request_cancel",
    "request_create",
    "session_cancel",
    "session_move",
    "weeks_between",
]
