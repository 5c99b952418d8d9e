"""The programs API: the programs a user may see, one program with its KPI series (target, actual and each
actual's source), and a month's actuals entered by the hospital's coordinator (the page's ``programs:actuals``)."""

from typing import Any
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router

from tiercare.core.api import ErrorOut, PageParams, page, page_schema
from tiercare.core.http import AuthedRequest
from tiercare.programs import selectors, services
from tiercare.programs.access import access_program_by_id
from tiercare.programs.definitions import text
from tiercare.programs.evaluation import program_evaluation
from tiercare.programs.models import KpiActual, Program
from tiercare.programs.schemas import (
    EvaluationOut,
    EvaluationQuery,
    KpiActualOut,
    ProgramActualsIn,
    ProgramDetailOut,
    ProgramOut,
)

router = Router(tags=["programs"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
ProgramPage = page_schema(ProgramOut)


@router.get("/programs", response={200: ProgramPage, **ERRORS}, operation_id="list_programs")
def list_programs(request: AuthedRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """The department-building programs the user may see."""
    return page(selectors.program_list(for_user=request.user), paging)


@router.get("/programs/{program_id}", response={200: ProgramDetailOut, **ERRORS}, operation_id="get_program")
def get_program(request: AuthedRequest, program_id: UUID) -> dict[str, Any]:
    """A program with its KPIs month by month: target, actual, and where the actual came from."""
    program: Program = access_program_by_id(request.user, program_id)
    series = selectors.kpi_series(program, until=timezone.localdate())
    return {
        "id": program.pk,
        "title": program.title,
        "department_id": program.department_id,
        "stage": program.stage,
        "start": program.start,
        "kpis": [
            {
                "code": s.kpi.code,
                "unit": text(s.kpi.unit),
                "direction": s.kpi.direction,
                "derived": s.kpi.derived,
                "points": [vars(p) for p in s.points],
            }
            for s in series
        ],
    }


@router.post(
    "/programs/{program_id}/actuals",
    response={200: list[KpiActualOut], **ERRORS},
    operation_id="enter_program_actuals",
)
def enter_actuals(request: AuthedRequest, program_id: UUID, payload: ProgramActualsIn) -> list[KpiActual]:
    """A month's actuals of the program's entered KPIs, by a coordinator of its hospital."""
    program = access_program_by_id(request.user, program_id)
    return services.kpi_actuals_enter(by=request.user, program=program, month=payload.month, values=payload.values)


@router.get(
    "/programs/{program_id}/evaluation", response={200: EvaluationOut, **ERRORS}, operation_id="get_program_evaluation"
)
def get_evaluation(request: AuthedRequest, program_id: UUID, query: Query[EvaluationQuery]) -> dict[str, Any]:
    """The program's evaluation up to a month (the page's report, its PDF and xlsx, as data)."""
    program = access_program_by_id(request.user, program_id)
    ev = program_evaluation(program, until=query.month)
    return {
        "program": program.pk,
        "hospital": program.department.organization.name,
        "department": program.department.name,
        "first_month": ev.months[0],
        "until": ev.until,
        "baseline_total": ev.baseline.total if ev.baseline else None,
        "reassessment_total": ev.reassessment.total if ev.reassessment else None,
        "kpis": [
            {
                "code": r.code,
                "label": r.label,
                "unit": r.unit,
                "direction": r.direction,
                "source": r.source,
                "target": r.target,
                "actual": r.actual,
                "met": r.met,
            }
            for r in ev.kpis
        ],
        "milestones": [
            {
                "title": m["m"].title,
                "owner": m["m"].owner,
                "due_on": m["m"].due_on,
                "done_on": m["m"].done_on,
                "status": m["status"],
            }
            for m in ev.milestones
        ],
        "training_completion": ev.completion,
        "courses": ev.courses,
        "staff": ev.staff,
        "sessions_held": ev.sessions_total,
        "cases_seen": ev.cases_seen,
        "local_surgeries": ev.local_surgeries,
        "neonates_admitted": ev.admitted,
        "treated_locally": ev.treated_locally,
        "referred_out": ev.referred_out,
    }
