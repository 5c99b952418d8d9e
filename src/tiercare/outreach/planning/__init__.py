"""From the database to a roster instance and back: the product side of the optimiser (``outreach/roster/``).

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

Modules, in dependency order: ``guard`` (the solver never runs in a web request), ``horizon`` (working days and
a request's occurrences), ``travel`` (trip hours), ``problem`` (``build_problem``), ``board`` (the roster in
calendar terms: half-days, fill, reasons), ``solving`` (``solve_problem``).  The names other code uses are
re-exported here; call them as ``planning.<name>`` (tests replace ``planning.solve_problem``).
"""

from tiercare.outreach.planning.board import Board, Placed
from tiercare.outreach.planning.guard import (
    SolverInWebRequest,
    in_web_request,
    refuse_in_request,
    request_finished,
    request_started,
)
from tiercare.outreach.planning.horizon import WORKDAYS, first_workday, horizon_dates, occurrences
from tiercare.outreach.planning.problem import (
    DEFAULT_WEEKLY_LIMIT,
    HISTORY_WEEKS,
    SERVING_SPECIALTIES,
    WEIGHTS,
    Occurrence,
    Problem,
    build_problem,
    serving_specialties,
)
from tiercare.outreach.planning.solving import REASON_MESSAGES, Outcome, as_list, solve_problem
from tiercare.outreach.planning.travel import AVERAGE_SPEED_KMH, MAX_TRIP_HOURS, ROAD_FACTOR, _trip_hours, haversine_km

__all__ = [
    "AVERAGE_SPEED_KMH",
    "DEFAULT_WEEKLY_LIMIT",
    "HISTORY_WEEKS",
    "MAX_TRIP_HOURS",
    "REASON_MESSAGES",
    "ROAD_FACTOR",
    "SERVING_SPECIALTIES",
    "WEIGHTS",
    "WORKDAYS",
    "Board",
    "Occurrence",
    "Outcome",
    "Placed",
    "Problem",
    "SolverInWebRequest",
    "_trip_hours",
    "as_list",
    "build_problem",
    "first_workday",
    "haversine_km",
    "horizon_dates",
    "in_web_request",
    "occurrences",
    "refuse_in_request",
    "request_finished",
    "request_started",
    "serving_specialties",
    "solve_problem",
]
