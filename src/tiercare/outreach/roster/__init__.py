"""Expert-outreach rostering: instance model, legality, score, greedy baseline and a CP-SAT optimiser.

The instance format (``"format": "tiercare-roster-instance/1"``), the legality rules and the score are
those of the shared benchmark description ``bench/ROSTER.md``; every public function names the rule it
implements.  Pure Python + OR-Tools (no Django): it runs in the CLI, a worker or a test without a database.

Public API (re-exported here; import from ``tiercare.outreach.roster``)
-----------------------------------------------------------------------
``load_instance`` · ``legal_options`` · ``validate`` · ``score`` · ``greedy`` · ``solve`` · ``replan`` ·
``explain_uncovered`` · ``solution_dict`` · ``add_guard``.

Modules, in dependency order (each imports only modules above it)
-----------------------------------------------------------------
``guards``          where the solver may run (``add_guard``);
``model``           instance, assignments, the compiled view and its legal options (``_Ctx``, ``legal_options``);
``loading``         reading and validating an instance (``load_instance``);
``rules``           the rules a roster breaks (``validate``);
``scoring``         the score and its breakdown (``score``);
``incremental``     the incremental roster the algorithms share (``_Roster``);
``construction``    greedy baseline, insertion and fill passes (``greedy``);
``reasons``         why a request stays open (``REASONS``, ``explain_uncovered``);
``window``          the CP-SAT model of a window of a roster (``_Window``) and its solver parameters;
``result``          what a solve returns and reports (``SolveResult``, ``Progress``) and its clock;
``neighbourhoods``  the LNS windows (``_Neighbourhoods``);
``bounds``          the flow relaxation bound and the bound phase's time;
``search``          the large-neighbourhood search on a process pool (``_Search``);
``solver``          ``solve`` end to end;
``replanning``      ``replan`` after a change.

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

from tiercare.outreach.roster.construction import greedy
from tiercare.outreach.roster.guards import add_guard
from tiercare.outreach.roster.loading import load_instance
from tiercare.outreach.roster.model import (
    DEFAULT_WORKERS,
    FORMAT,
    KIND_CLINIC,
    KIND_SURGERY,
    KIND_TEACHING,
    KIND_WARD_ROUND,
    KINDS,
    SCORE_SCALE,
    Assignment,
    AssignmentLike,
    Department,
    Expert,
    Instance,
    Request,
    Weights,
    as_assignments,
    legal_options,
)
from tiercare.outreach.roster.reasons import (
    REASON_CAPACITY,
    REASON_NO_DAY,
    REASON_NO_SPECIALTY,
    REASON_NOT_LICENSED,
    REASON_NOT_QUALIFIED,
    REASON_NOT_SELECTED,
    REASON_NOT_WORTHWHILE,
    REASON_TOO_FAR,
    REASONS,
    explain_uncovered,
)
from tiercare.outreach.roster.replanning import replan
from tiercare.outreach.roster.result import Progress, ProgressFn, SolveResult, solution_dict
from tiercare.outreach.roster.rules import validate
from tiercare.outreach.roster.scoring import ScoreBreakdown, score
from tiercare.outreach.roster.solver import SMALL_EXACT_MAX_OPTIONS, solve

__all__ = [
    "DEFAULT_WORKERS",
    "FORMAT",
    "KINDS",
    "KIND_CLINIC",
    "KIND_SURGERY",
    "KIND_TEACHING",
    "KIND_WARD_ROUND",
    "REASONS",
    "REASON_CAPACITY",
    "REASON_NOT_LICENSED",
    "REASON_NOT_QUALIFIED",
    "REASON_NOT_SELECTED",
    "REASON_NOT_WORTHWHILE",
    "REASON_NO_DAY",
    "REASON_NO_SPECIALTY",
    "REASON_TOO_FAR",
    "SCORE_SCALE",
    "SMALL_EXACT_MAX_OPTIONS",
    "Assignment",
    "AssignmentLike",
    "Department",
    "Expert",
    "Instance",
    "Progress",
    "ProgressFn",
    "Request",
    "ScoreBreakdown",
    "SolveResult",
    "Weights",
    "add_guard",
    "as_assignments",
    "explain_uncovered",
    "greedy",
    "legal_options",
    "load_instance",
    "replan",
    "score",
    "solution_dict",
    "solve",
    "validate",
]
