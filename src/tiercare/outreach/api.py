"""The outreach API: session requests, expert availability and leave, roster proposals (plan, adjust, confirm,
re-plan), expert sessions (cancel, move), bookings and session reports.

Scoping: an expert sees their own sessions, a coordinator their departments', operations all (selectors.py).
Bookings name patients: every booking returned is an audited patient read.
"""

from typing import Any
from uuid import UUID

from ninja import Query, Router, Schema, Status

from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, page, resolve
from tiercare.core.audit import audit_patient_read
from tiercare.core.http import AuthedRequest
from tiercare.network.models import Department, Practitioner
from tiercare.network.selectors import department_list
from tiercare.outreach import selectors, services
from tiercare.outreach.access import (
    access_assignment_by_id,
    access_booking_by_id,
    access_plan_by_id,
    access_plan_run_by_id,
    access_request_by_id,
    access_session_by_id,
)
from tiercare.outreach.models import (
    Booking,
    ExpertSession,
    PlanAssignment,
    PlanRun,
    RosterPlan,
    SessionReport,
    SessionRequest,
)
from tiercare.outreach.schemas import (
    AssignmentOut,
    AssignmentPatch,
    AvailabilityFilters,
    AvailabilityIn,
    AvailabilityOut,
    BookingIn,
    BookingOut,
    CancelIn,
    LeaveIn,
    LeaveOut,
    MoveIn,
    OutreachReasonIn,
    PlanDetailOut,
    PlanIn,
    PlanRunOut,
    ReportIn,
    ReportOut,
    RequestFilters,
    RequestIn,
    RequestOut,
    RosterPlanOut,
    SessionAnswerIn,
    SessionFilters,
    SessionOut,
)
from tiercare.outreach.session_flow import session_answer

router = Router(tags=["outreach"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _page_of(out: type[Schema]) -> type[Schema]:
    # the item class is an argument: a list of it is a type only at run time, which is when pydantic reads it
    return type(f"{out.__name__}Page", (Schema,), {"__annotations__": {"count": int, "items": list[out]}})  # type: ignore[valid-type]


RequestPage, SessionPage, PlanPage = _page_of(RequestOut), _page_of(SessionOut), _page_of(RosterPlanOut)
BookingPage, ReportPage = _page_of(BookingOut), _page_of(ReportOut)
AvailabilityPage, LeavePage = _page_of(AvailabilityOut), _page_of(LeaveOut)


def _audit_bookings(request: AuthedRequest, bookings: list[Booking]) -> None:
    audit_patient_read(
        actor=request.user,
        person_ids=[b.person_id for b in bookings],
        object_type="outreach.booking",
        object_id=str(bookings[0].pk) if len(bookings) == 1 else "",
    )


# --- requests ---------------------------------------------------------------------------------------------------
@router.get("/outreach/requests", response={200: RequestPage, **ERRORS}, operation_id="list_session_request")
def list_requests(request: AuthedRequest, params: Query[RequestFilters], paging: Query[PageParams]) -> dict[str, Any]:
    return page(selectors.request_list(for_user=request.user, **params.dict(exclude_none=True)), paging)


@router.get("/outreach/requests/{request_id}", response={200: RequestOut, **ERRORS}, operation_id="get_session_request")
def get_request(request: AuthedRequest, request_id: UUID) -> SessionRequest:
    return access_request_by_id(request.user, request_id)


@router.post("/outreach/requests", response={201: RequestOut, **ERRORS}, operation_id="create_session_request")
def create_request(request: AuthedRequest, payload: RequestIn) -> Status[SessionRequest]:
    """A partner department asks for sessions (coordinators for their own departments; operations for any)."""
    data = payload.dict()
    department = resolve(
        Department,
        data.pop("department"),
        "department",
        department_list(for_user=request.user).select_related("organization"),
    )
    preferred = [resolve(Practitioner, p, "preferred_experts") for p in data.pop("preferred_experts")]
    return Status(
        201, services.request_create(by=request.user, department=department, data=data, preferred_experts=preferred)
    )


@router.post(
    "/outreach/requests/{request_id}/cancel",
    response={200: RequestOut, **ERRORS},
    operation_id="cancel_session_request",
)
def cancel_request(request: AuthedRequest, request_id: UUID, payload: OutreachReasonIn) -> SessionRequest:
    req = access_request_by_id(request.user, request_id)
    return services.request_cancel(by=request.user, request=req, reason=payload.reason)


# --- availability -------------------------------------------------------------------------------------------------
@router.get(
    "/outreach/availability", response={200: AvailabilityPage, **ERRORS}, operation_id="list_expert_availability"
)
def list_availability(
    request: AuthedRequest, params: Query[AvailabilityFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    return page(selectors.availability_list(for_user=request.user, **params.dict(exclude_none=True)), paging)


@router.post(
    "/outreach/availability", response={200: list[AvailabilityOut], **ERRORS}, operation_id="set_expert_availability"
)
def set_availability(request: AuthedRequest, payload: AvailabilityIn) -> list[Any]:
    """Replace an expert's weekly half-days (the expert themselves or operations)."""
    practitioner = resolve(Practitioner, payload.practitioner, "practitioner")
    return services.availability_set(
        by=request.user,
        practitioner=practitioner,
        half_days=payload.half_days,
        weekly_limit=payload.weekly_limit,
        home_city=payload.home_city,
    )


@router.get("/outreach/leave", response={200: LeavePage, **ERRORS}, operation_id="list_expert_leave")
def list_leave(request: AuthedRequest, params: Query[AvailabilityFilters], paging: Query[PageParams]) -> dict[str, Any]:
    return page(selectors.leave_list(for_user=request.user, **params.dict(exclude_none=True)), paging)


@router.post("/outreach/leave", response={201: LeaveOut, **ERRORS}, operation_id="create_expert_leave")
def create_leave(request: AuthedRequest, payload: LeaveIn) -> Status[Any]:
    practitioner = resolve(Practitioner, payload.practitioner, "practitioner")
    return Status(
        201,
        services.leave_add(
            by=request.user,
            practitioner=practitioner,
            kind=payload.kind,
            start=payload.start,
            end=payload.end,
            note=payload.note,
        ),
    )


# --- roster plans -----------------------------------------------------------------------------------------------
@router.get("/outreach/plans", response={200: PlanPage, **ERRORS}, operation_id="list_roster_plan")
def list_plans(request: AuthedRequest, paging: Query[PageParams]) -> dict[str, Any]:
    require_role(request.user, *selectors.ALL_SEEING)
    return page(selectors.plan_list(for_user=request.user), paging)


@router.post("/outreach/plans", response={202: PlanRunOut, **ERRORS}, operation_id="create_roster_plan")
def create_plan(request: AuthedRequest, payload: PlanIn) -> Status[PlanRun]:
    """Queue a plan of a horizon for the task worker (operations). Answers 202 at once with the planning run;
    poll ``GET /outreach/plan-runs/{id}`` until ``status`` is ``done`` (``plan`` is the proposal) or ``failed``."""
    run = services.plan_run_start(by=request.user, start=payload.start, weeks=payload.weeks, seconds=payload.seconds)
    return Status(202, run)


@router.post("/outreach/replans", response={202: PlanRunOut, **ERRORS}, operation_id="create_roster_replan")
def create_replan(request: AuthedRequest, payload: PlanIn) -> Status[PlanRun]:
    """Queue a re-plan of a horizon after a change, changing as few confirmed sessions as possible (operations);
    answers 202 with the planning run, as ``POST /outreach/plans``."""
    run = services.plan_run_start(
        by=request.user, start=payload.start, weeks=payload.weeks, seconds=payload.seconds, replan=True
    )
    return Status(202, run)


@router.get("/outreach/plan-runs/{run_id}", response={200: PlanRunOut, **ERRORS}, operation_id="get_plan_run")
def get_plan_run(request: AuthedRequest, run_id: UUID) -> PlanRun:
    """A planning run: status (queued, running, done, failed), progress 0–100, the plan when done, the error
    when failed."""
    return access_plan_run_by_id(request.user, run_id)


@router.get("/outreach/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS}, operation_id="get_roster_plan")
def get_plan(request: AuthedRequest, plan_id: UUID) -> RosterPlan:
    return access_plan_by_id(request.user, plan_id)


@router.post(
    "/outreach/plans/{plan_id}/confirm", response={200: list[SessionOut], **ERRORS}, operation_id="confirm_roster_plan"
)
def confirm_plan(request: AuthedRequest, plan_id: UUID) -> list[ExpertSession]:
    plan = access_plan_by_id(request.user, plan_id)
    return services.plan_confirm(by=request.user, plan=plan)


@router.patch(
    "/outreach/plans/{plan_id}/assignments/{assignment_id}",
    response={200: AssignmentOut, **ERRORS},
    operation_id="adjust_plan_assignment",
)
def adjust_assignment(
    request: AuthedRequest, plan_id: UUID, assignment_id: UUID, payload: AssignmentPatch
) -> PlanAssignment:
    """Change a proposed assignment's expert, day or half-day; 422 with the broken rules if it is not legal."""
    plan = access_plan_by_id(request.user, plan_id)
    row = access_assignment_by_id(request.user, plan, assignment_id)
    expert = resolve(Practitioner, payload.expert, "expert") if payload.expert else None
    return services.plan_assignment_move(
        by=request.user, assignment=row, expert=expert, on=payload.date, half_day=payload.half_day
    )


@router.post(
    "/outreach/plans/{plan_id}/assignments/{assignment_id}/remove",
    response={200: PlanDetailOut, **ERRORS},
    operation_id="remove_plan_assignment",
)
def remove_assignment(request: AuthedRequest, plan_id: UUID, assignment_id: UUID) -> RosterPlan:
    plan = access_plan_by_id(request.user, plan_id)
    row = access_assignment_by_id(request.user, plan, assignment_id)
    return services.plan_assignment_remove(by=request.user, assignment=row)


# --- sessions ---------------------------------------------------------------------------------------------------
@router.get("/outreach/sessions", response={200: SessionPage, **ERRORS}, operation_id="list_expert_session")
def list_sessions(request: AuthedRequest, params: Query[SessionFilters], paging: Query[PageParams]) -> dict[str, Any]:
    """Sessions the user may see: an expert their own, a coordinator their sites', operations all."""
    return page(selectors.session_list(for_user=request.user, **params.dict(exclude_none=True)), paging)


@router.get("/outreach/sessions/{session_id}", response={200: SessionOut, **ERRORS}, operation_id="get_expert_session")
def get_session(request: AuthedRequest, session_id: UUID) -> ExpertSession:
    access_session_by_id(request.user, session_id)
    return selectors.session_list(for_user=request.user).get(pk=session_id)


@router.post(
    "/outreach/sessions/{session_id}/cancel", response={200: SessionOut, **ERRORS}, operation_id="cancel_expert_session"
)
def cancel_session(request: AuthedRequest, session_id: UUID, payload: CancelIn) -> ExpertSession:
    session = access_session_by_id(request.user, session_id)
    return services.session_cancel(by=request.user, session=session, reason=payload.reason)


@router.post(
    "/outreach/sessions/{session_id}/move", response={200: SessionOut, **ERRORS}, operation_id="move_expert_session"
)
def move_session(request: AuthedRequest, session_id: UUID, payload: MoveIn) -> ExpertSession:
    session = access_session_by_id(request.user, session_id)
    return services.session_move(
        by=request.user, session=session, on=payload.date, half_day=payload.half_day, reason=payload.reason
    )


@router.get(
    "/outreach/sessions/{session_id}/bookings",
    response={200: BookingPage, **ERRORS},
    operation_id="list_session_booking",
)
def list_session_bookings(request: AuthedRequest, session_id: UUID, paging: Query[PageParams]) -> dict[str, Any]:
    """The patients booked into a session (coordinators of its site, its expert, administrators); audited."""
    session = access_session_by_id(request.user, session_id)
    require_role(request.user, *selectors.BOOKING_WRITERS, "expert")
    result = page(selectors.booking_list(for_user=request.user, session=session), paging)
    if result["items"]:
        _audit_bookings(request, result["items"])
    return result


@router.post(
    "/outreach/sessions/{session_id}/accept", response={200: SessionOut, **ERRORS}, operation_id="accept_expert_session"
)
def accept_session(request: AuthedRequest, session_id: UUID) -> ExpertSession:
    """The session's expert accepts it (the session page's 「接受」). 404 for anyone else's session; 409 once it has
    started, is no longer scheduled, or was declined."""
    session = access_session_by_id(request.user, session_id)
    return session_answer(by=request.user, session=session, accept=True)


@router.post(
    "/outreach/sessions/{session_id}/decline",
    response={200: SessionOut, **ERRORS},
    operation_id="decline_expert_session",
)
def decline_session(request: AuthedRequest, session_id: UUID, payload: SessionAnswerIn) -> ExpertSession:
    """The session's expert declines it with a reason: the session stays scheduled (its patients keep their places)
    and goes on operations' re-plan list. 422 without a reason; 404 for anyone else's session."""
    session = access_session_by_id(request.user, session_id)
    return session_answer(by=request.user, session=session, accept=False, reason=payload.reason)


@router.post(
    "/outreach/sessions/{session_id}/report", response={201: ReportOut, **ERRORS}, operation_id="file_session_report"
)
def file_report(request: AuthedRequest, session_id: UUID, payload: ReportIn) -> Status[SessionReport]:
    """The report, as the session's report page files it: cases seen (and by procedure), surgeries with their grade,
    patients referred, teaching topic and attendees by name. ``procedures`` defaults to the procedures named."""
    session = access_session_by_id(request.user, session_id)
    data = payload.dict()
    if not data["procedures"]:
        data["procedures"] = [r["procedure"] for r in data["procedure_cases"]] + [
            r["procedure"] for r in data["surgeries"]
        ]
    return Status(201, services.report_file(by=request.user, session=session, data=data))


@router.get("/outreach/reports", response={200: ReportPage, **ERRORS}, operation_id="list_session_report")
def list_reports(request: AuthedRequest, paging: Query[PageParams], session: UUID | None = None) -> dict[str, Any]:
    return page(selectors.report_list(for_user=request.user, session=session), paging)


# --- bookings ---------------------------------------------------------------------------------------------------
@router.post("/outreach/bookings", response={201: BookingOut, **ERRORS}, operation_id="create_booking")
def create_booking(request: AuthedRequest, payload: BookingIn) -> Status[Booking]:
    """Book a patient into the first free place (coordinators of the session's site). 409 when full."""
    from tiercare.people.access import access_person_by_id

    session = access_session_by_id(request.user, payload.session)
    require_role(request.user, *selectors.BOOKING_WRITERS)
    person = access_person_by_id(request.user, payload.person, reason="outreach booking")
    return Status(201, services.booking_create(by=request.user, session=session, person=person, note=payload.note))


@router.get("/outreach/bookings/{booking_id}", response={200: BookingOut, **ERRORS}, operation_id="get_booking")
def get_booking(request: AuthedRequest, booking_id: UUID) -> Booking:
    booking = access_booking_by_id(request.user, booking_id)
    _audit_bookings(request, [booking])
    return booking


@router.post(
    "/outreach/bookings/{booking_id}/cancel", response={200: BookingOut, **ERRORS}, operation_id="cancel_booking"
)
def cancel_booking(request: AuthedRequest, booking_id: UUID, payload: OutreachReasonIn) -> Booking:
    booking = access_booking_by_id(request.user, booking_id)
    return services.booking_cancel(by=request.user, booking=booking, reason=payload.reason)
