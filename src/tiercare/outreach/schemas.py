"""Shapes of the outreach API."""

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictFloat, StrictInt

from tiercare.core.validation import PlanDate
from tiercare.outreach.models import Cadence, HalfDay, LeaveKind, RequestStatus, SessionKind, SessionStatus

if TYPE_CHECKING:  # the checker sees a code as str; pydantic and the OpenAPI enum see the Literal
    KindCode = str
    CadenceCode = str
    HalfDayCode = str
    LeaveCode = str
    RequestStatusCode = str
    SessionStatusCode = str
else:
    KindCode = Literal[tuple(SessionKind.values)]
    CadenceCode = Literal[tuple(Cadence.values)]
    HalfDayCode = Literal[tuple(HalfDay.values)]
    LeaveCode = Literal[tuple(LeaveKind.values)]
    RequestStatusCode = Literal[tuple(RequestStatus.values)]
    SessionStatusCode = Literal[tuple(SessionStatus.values)]


class RequestIn(Schema):
    department: UUID
    specialty: str | None = Field(
        None, max_length=30, description="Expert specialty wanted (default: the department's)"
    )
    kind: KindCode
    cadence: CadenceCode = "once"
    window_start: PlanDate
    window_end: PlanDate
    places: StrictInt = Field(10, ge=1, le=200)
    procedures: list[str] = Field(default_factory=list, max_length=20)
    priority: StrictInt = Field(2, ge=1, le=3)
    preferred_experts: list[UUID] = Field(default_factory=list, max_length=10)
    note: str = Field("", max_length=300)


class RequestOut(Schema):
    id: UUID
    department: UUID = Field(alias="department_id")
    department_name: str = Field(alias="department.name")
    site: UUID = Field(alias="department.organization_id")
    specialty: str
    kind: str
    cadence: str
    window_start: dt.date
    window_end: dt.date
    places: int
    procedures: list[str]
    priority: int
    preferred_experts: list[UUID]
    status: str
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_preferred_experts(obj: Any) -> list[UUID]:
        return [p.pk for p in obj.preferred_experts.all()]


class RequestFilters(Schema):
    status: RequestStatusCode | None = None
    department: UUID | None = None
    kind: KindCode | None = None


class OutreachReasonIn(Schema):
    reason: str = Field("", max_length=300)


class AvailabilityIn(Schema):
    practitioner: UUID
    half_days: list[tuple[int, HalfDayCode]] = Field(max_length=14, description="[[weekday 0=Mon, 'am'|'pm'], …]")
    weekly_limit: StrictInt | None = Field(None, ge=0, le=10)
    home_city: str | None = Field(None, max_length=40)


class AvailabilityOut(Schema):
    id: UUID
    practitioner: UUID = Field(alias="practitioner_id")
    weekday: int
    half_day: str


class AvailabilityFilters(Schema):
    practitioner: UUID | None = None


class LeaveIn(Schema):
    practitioner: UUID
    kind: LeaveCode = "leave"
    start: PlanDate
    end: PlanDate
    note: str = Field("", max_length=200)


class LeaveOut(Schema):
    id: UUID
    practitioner: UUID = Field(alias="practitioner_id")
    kind: str
    start: dt.date
    end: dt.date
    note: str


class PlanIn(Schema):
    start: PlanDate
    weeks: StrictInt = Field(4, ge=1, le=12)
    seconds: StrictFloat = Field(5.0, gt=0, le=120)


class AssignmentOut(Schema):
    id: UUID
    request: UUID | None = Field(None, alias="request_id")
    occurrence: int
    session: UUID | None = Field(None, alias="session_id")
    expert: UUID = Field(alias="expert_id")
    expert_name: str = Field(alias="expert.name")
    department: UUID = Field(alias="department_id")
    site: UUID = Field(alias="site_id")
    date: dt.date
    half_day: str
    kind: str
    places: int
    priority: int


class RosterPlanOut(Schema):
    id: UUID
    start: dt.date
    end: dt.date
    is_replan: bool
    status: str
    objective: float
    bound: float | None
    seconds: float
    stats: dict[str, Any]
    uncovered: list[dict[str, Any]]
    created_at: dt.datetime


class PlanRunOut(Schema):
    id: UUID
    start: dt.date
    weeks: int
    seconds: float
    is_replan: bool
    status: str
    progress: int
    plan: UUID | None = Field(None, alias="plan_id")
    plan_url: str | None = None
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_plan_url(obj: Any) -> str | None:
        return f"/api/v1/outreach/plans/{obj.plan_id}" if obj.plan_id else None


class PlanDetailOut(RosterPlanOut):
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_assignments(obj: Any) -> list[Any]:
        return list(obj.assignments.select_related("expert").order_by("date", "half_day"))


class AssignmentPatch(Schema):
    expert: UUID | None = None
    date: PlanDate | None = None
    half_day: HalfDayCode | None = None


class SessionOut(Schema):
    id: UUID
    expert: UUID = Field(alias="expert_id")
    expert_name: str = Field(alias="expert.name")
    department: UUID = Field(alias="department_id")
    site: UUID = Field(alias="site_id")
    site_name: str = Field(alias="site.name")
    date: dt.date
    half_day: str
    kind: str
    places: int
    booked: int = 0
    procedures: list[str]
    status: str
    basis: str
    basis_reference: str
    request: UUID | None = Field(None, alias="request_id")
    sequence: int
    response: str = Field(description="The expert's answer: pending, accepted or declined")
    response_reason: str


class SessionFilters(Schema):
    expert: UUID | None = None
    site: UUID | None = None
    department: UUID | None = None
    status: SessionStatusCode | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class MoveIn(Schema):
    date: PlanDate
    half_day: HalfDayCode
    reason: str = Field(min_length=1, max_length=300)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class BookingIn(Schema):
    session: UUID
    person: UUID
    note: str = Field("", max_length=200)


class BookingOut(Schema):
    id: UUID
    session: UUID = Field(alias="session_id")
    place_number: int
    person: UUID = Field(alias="person_id")
    person_name: str = Field(alias="person.name")
    status: str
    note: str
    created_at: dt.datetime


class ProcedureCasesIn(Schema):
    procedure: str = Field(min_length=1, max_length=100)
    cases: StrictInt = Field(ge=1, le=1000)


class SurgeryIn(Schema):
    procedure: str = Field(min_length=1, max_length=100)
    grade: StrictInt = Field(ge=1, le=4, description="手术分级 1–4 (《医疗技术临床应用管理办法》)")
    count: StrictInt = Field(1, ge=1, le=100)


class AttendeeIn(Schema):
    name: str = Field(min_length=1, max_length=40)
    role: str = Field("", max_length=60)


class ReportIn(Schema):
    cases_seen: StrictInt = Field(0, ge=0, le=1000)
    procedures: list[str] = Field(
        default_factory=list, max_length=50, description="Procedures done (default: those named below)"
    )
    complications: str = Field("", max_length=2000)
    teaching_topic: str = Field("", max_length=200)
    attendees: StrictInt = Field(0, ge=0, le=1000, description="Head count (the list's length when a list is given)")
    notes: str = Field("", max_length=4000)
    referred: StrictInt = Field(0, ge=0, le=1000, description="Patients referred up")
    procedure_cases: list[ProcedureCasesIn] = Field(default_factory=list, max_length=30)
    surgeries: list[SurgeryIn] = Field(default_factory=list, max_length=30)
    attendee_list: list[AttendeeIn] = Field(default_factory=list, max_length=200)


class SessionAnswerIn(Schema):
    reason: str = Field("", max_length=300, description="Why the expert declines (required to decline)")


class ReportOut(Schema):
    id: UUID
    session: UUID = Field(alias="session_id")
    cases_seen: int
    procedures: list[str]
    complications: str
    teaching_topic: str
    attendees: int
    notes: str
    referred: int
    procedure_cases: list[dict[str, Any]]
    surgeries: list[dict[str, Any]]
    attendee_list: list[dict[str, Any]]
    created_at: dt.datetime
