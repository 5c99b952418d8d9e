"""The consults JSON API: cases and attachments, tele-consultations, second opinions, MDT cases, inbox, metrics.

Thin handlers: parse, call one access function and one service or selector. A case's content is read only by the
people on it (access.py); every read is audited; an illegal state change answers 409 illegal_transition with the
current state.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tiercare.consults import access, availability, selectors, services
from tiercare.consults.metrics import consult_metrics
from tiercare.consults.models import Case, MdtMeeting, MeetingHours
from tiercare.consults.schemas import (
    AddendumOut,
    AttachmentOut,
    BookIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CloseIn,
    ConclusionIn,
    ConsultReasonIn,
    EPrescriptionOut,
    MdtIn,
    MdtOut,
    MeetingHoursIn,
    MeetingHoursOut,
    MeetingOut,
    MessageIn,
    MessageOut,
    MinutesIn,
    OpinionOut,
    OpinionPatch,
    PrescriptionFilter,
    SignIn,
    SlotOut,
    TeleconsultDetailOut,
    TeleconsultOut,
    TextIn,
    WorkFilter,
    WorkIn,
)
from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, page, resolve
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role, User
from tiercare.network.models import Practitioner
from tiercare.people.access import access_person_by_id

router = Router(tags=["consults"])
ERR = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _page_audited(request: AuthedRequest, qs: Any, paging: PageParams, what: str) -> dict[str, Any]:
    result = page(qs, paging)
    ids = [getattr(r, "person_id", None) or r.case.person_id for r in result["items"]]
    if ids:
        audit_patient_read(actor=request.user, person_ids=ids, object_type=what, reason="list")
    return result


def _page_schema(item: type[Schema]) -> type[Schema]:
    # the item class is an argument: a list of it is a type only at run time, which is when pydantic reads it
    return type(f"{item.__name__}Page", (Schema,), {"__annotations__": {"count": int, "items": list[item]}})  # type: ignore[valid-type]


CasePage = _page_schema(CaseOut)
TeleconsultPage = _page_schema(TeleconsultOut)
OpinionPage = _page_schema(OpinionOut)
MdtPage = _page_schema(MdtOut)


def _case(request: AuthedRequest, case_id: Any, field: str = "case") -> Case:
    """The case named in a request body: one the user is on, else 422 naming the field (never saying it exists)."""
    try:
        return access.access_case_by_id(request.user, case_id, reason="request")
    except NotFound:
        raise ValidationFailed(f"{field}: no such case: {case_id}", details={"field": field}) from None


# --- cases --------------------------------------------------------------------------------------------------------
@router.post("/consults/cases", response={201: CaseOut, **ERR}, operation_id="consults_case_create")
def case_create(request: AuthedRequest, payload: CaseIn) -> Any:
    """Open a case (GP, grassroots coordinator, or the patient). Consent to remote consultation must be on file."""
    person = access_person_by_id(request.user, payload.person, reason="open case")
    data = payload.dict(exclude={"person"})
    return Status(201, services.case_create(by=request.user, person=person, **data))


@router.get("/consults/cases", response={200: CasePage, **ERR}, operation_id="consults_case_list")
def case_list(request: AuthedRequest, paging: Query[PageParams]) -> Any:
    return _page_audited(request, selectors.case_list(for_user=request.user), paging, "consults.case")


@router.get("/consults/cases/{case_id}", response={200: CaseDetailOut, **ERR}, operation_id="consults_case_get")
def case_get(request: AuthedRequest, case_id: uuid.UUID) -> Any:
    return access.access_case_by_id(request.user, case_id)


@router.post(
    "/consults/cases/{case_id}/attachments", response={201: AttachmentOut, **ERR}, operation_id="consults_attach"
)
def attachment_add(request: AuthedRequest, case_id: uuid.UUID, file: File[UploadedFile]) -> Any:
    """Upload a PDF, image or DICOM file (type sniffed from the content; size capped)."""
    case = access.access_case_by_id(request.user, case_id, reason="attach")
    return Status(201, services.attachment_add(by=request.user, case=case, upload=file))


# --- tele-consultations -------------------------------------------------------------------------------------------
def _expert(pid: uuid.UUID | None) -> Practitioner | None:
    return resolve(Practitioner, pid, "expert") if pid else None


@router.post("/consults/teleconsults", response={201: TeleconsultOut, **ERR}, operation_id="teleconsult_create")
def teleconsult_create(request: AuthedRequest, payload: WorkIn) -> Any:
    case = _case(request, payload.case)
    tc = services.teleconsult_request(
        by=request.user,
        case=case,
        specialty=payload.specialty,
        priority=payload.priority,
        expert=_expert(payload.expert),
    )
    return Status(201, tc)


@router.get("/consults/teleconsults", response={200: TeleconsultPage, **ERR}, operation_id="teleconsult_list")
def teleconsult_list(request: AuthedRequest, filters: Query[WorkFilter], paging: Query[PageParams]) -> Any:
    qs = selectors.teleconsult_list(for_user=request.user, status=filters.status)
    return _page_audited(request, qs, paging, "consults.teleconsult")


@router.get(
    "/consults/teleconsults/{tc_id}", response={200: TeleconsultDetailOut, **ERR}, operation_id="teleconsult_get"
)
def teleconsult_get(request: AuthedRequest, tc_id: uuid.UUID) -> Any:
    return access.access_teleconsult_by_id(request.user, tc_id)


@router.post(
    "/consults/teleconsults/{tc_id}/messages", response={201: MessageOut, **ERR}, operation_id="teleconsult_message"
)
def teleconsult_message(request: AuthedRequest, tc_id: uuid.UUID, payload: MessageIn) -> Any:
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="message")
    return Status(201, services.teleconsult_message(by=request.user, teleconsult=tc, body=payload.body))


@router.post(
    "/consults/teleconsults/{tc_id}/close", response={200: TeleconsultOut, **ERR}, operation_id="teleconsult_close"
)
def teleconsult_close(request: AuthedRequest, tc_id: uuid.UUID, payload: CloseIn) -> Any:
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="close")
    return services.teleconsult_close(by=request.user, teleconsult=tc, outcome=payload.outcome, note=payload.note)


@router.post(
    "/consults/teleconsults/{tc_id}/cancel", response={200: TeleconsultOut, **ERR}, operation_id="teleconsult_cancel"
)
def teleconsult_cancel(request: AuthedRequest, tc_id: uuid.UUID, payload: ConsultReasonIn) -> Any:
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="cancel")
    return services.work_cancel(by=request.user, work=tc, reason=payload.reason)


@router.post(
    "/consults/teleconsults/{tc_id}/more-information",
    response={201: MessageOut, **ERR},
    operation_id="teleconsult_ask_more",
)
def teleconsult_ask_more(request: AuthedRequest, tc_id: uuid.UUID, payload: MessageIn) -> Any:
    """The assigned expert asks the requester for more information (outcome: more information needed); the
    tele-consultation stays open for the reply. 403 for anyone else on the case."""
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="ask more")
    return Status(201, services.teleconsult_ask_more(by=request.user, teleconsult=tc, body=payload.body))


@router.post(
    "/consults/teleconsults/{tc_id}/decline", response={200: TeleconsultOut, **ERR}, operation_id="teleconsult_decline"
)
def teleconsult_decline(request: AuthedRequest, tc_id: uuid.UUID, payload: ConsultReasonIn) -> Any:
    """The assigned expert declines an unanswered tele-consultation with a reason; it goes to another allowed expert
    (or back to operations). 422 without a reason, 409 once answered."""
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="decline")
    return services.work_decline(by=request.user, work=tc, reason=payload.reason)


# --- second opinions ----------------------------------------------------------------------------------------------
@router.post("/consults/opinions", response={201: OpinionOut, **ERR}, operation_id="opinion_create")
def opinion_create(request: AuthedRequest, payload: WorkIn) -> Any:
    case = _case(request, payload.case)
    op = services.opinion_request(
        by=request.user,
        case=case,
        specialty=payload.specialty,
        priority=payload.priority,
        expert=_expert(payload.expert),
    )
    return Status(201, op)


@router.get("/consults/opinions", response={200: OpinionPage, **ERR}, operation_id="opinion_list")
def opinion_list(request: AuthedRequest, filters: Query[WorkFilter], paging: Query[PageParams]) -> Any:
    qs = selectors.opinion_list(for_user=request.user, status=filters.status)
    return _page_audited(request, qs, paging, "consults.secondopinion")


@router.get("/consults/opinions/{op_id}", response={200: OpinionOut, **ERR}, operation_id="opinion_get")
def opinion_get(request: AuthedRequest, op_id: uuid.UUID) -> Any:
    return access.access_opinion_by_id(request.user, op_id)


@router.patch("/consults/opinions/{op_id}", response={200: OpinionOut, **ERR}, operation_id="opinion_draft")
def opinion_draft(request: AuthedRequest, op_id: uuid.UUID, payload: OpinionPatch) -> Any:
    """Save the draft text. A signed opinion answers 409 illegal_transition: corrections are addenda."""
    op = access.access_opinion_by_id(request.user, op_id, reason="draft")
    return services.opinion_draft(by=request.user, opinion=op, text=payload.text)


@router.post("/consults/opinions/{op_id}/sign", response={200: OpinionOut, **ERR}, operation_id="opinion_sign")
def opinion_sign(request: AuthedRequest, op_id: uuid.UUID, payload: SignIn) -> Any:
    op = access.access_opinion_by_id(request.user, op_id, reason="sign")
    return services.opinion_sign(by=request.user, opinion=op, text=payload.text)


@router.post("/consults/opinions/{op_id}/addenda", response={201: AddendumOut, **ERR}, operation_id="opinion_addendum")
def opinion_addendum(request: AuthedRequest, op_id: uuid.UUID, payload: TextIn) -> Any:
    op = access.access_opinion_by_id(request.user, op_id, reason="addendum")
    return Status(201, services.opinion_addendum(by=request.user, opinion=op, text=payload.text))


@router.post("/consults/opinions/{op_id}/cancel", response={200: OpinionOut, **ERR}, operation_id="opinion_cancel")
def opinion_cancel(request: AuthedRequest, op_id: uuid.UUID, payload: ConsultReasonIn) -> Any:
    op = access.access_opinion_by_id(request.user, op_id, reason="cancel")
    return services.work_cancel(by=request.user, work=op, reason=payload.reason)


@router.post("/consults/opinions/{op_id}/decline", response={200: OpinionOut, **ERR}, operation_id="opinion_decline")
def opinion_decline(request: AuthedRequest, op_id: uuid.UUID, payload: ConsultReasonIn) -> Any:
    """The assigned expert declines an unanswered opinion with a reason; it goes to another allowed expert."""
    op = access.access_opinion_by_id(request.user, op_id, reason="decline")
    return services.work_decline(by=request.user, work=op, reason=payload.reason)


# --- MDT ----------------------------------------------------------------------------------------------------------
@router.get("/consults/meeting-hours", response={200: list[MeetingHoursOut], **ERR}, operation_id="mdt_hours_list")
def mdt_hours_list(request: AuthedRequest) -> Any:
    """The expert's own MDT meeting hours outside working hours (empty for anyone who is not an expert)."""
    practitioner = getattr(request.user, "practitioner", None)
    return list(MeetingHours.objects.filter(practitioner=practitioner)) if practitioner else []


@router.post("/consults/meeting-hours", response={201: MeetingHoursOut, **ERR}, operation_id="mdt_hours_add")
def mdt_hours_add(request: AuthedRequest, payload: MeetingHoursIn) -> Any:
    """The expert marks a weekly window for MDT meetings outside working hours (a Saturday morning, an evening):
    without one the slot finder proposes no weekend or night time for them. Experts only (403)."""
    row = availability.meeting_hours_add(by=request.user, weekday=payload.weekday, start=payload.start, end=payload.end)
    return Status(201, row)


@router.delete("/consults/meeting-hours/{hours_id}", response={204: None, **ERR}, operation_id="mdt_hours_remove")
def mdt_hours_remove(request: AuthedRequest, hours_id: uuid.UUID) -> Any:
    """Remove one of the expert's own windows (404 for any other)."""
    row = access.access_meeting_hours_by_id(request.user, hours_id)
    availability.meeting_hours_remove(by=request.user, row=row)
    return Status(204, None)


@router.post("/consults/mdt", response={201: MdtOut, **ERR}, operation_id="mdt_create")
def mdt_create(request: AuthedRequest, payload: MdtIn) -> Any:
    """Make a case an MDT case: the requesting GP (optionally naming an operations coordinator by username), or the
    operations user already coordinating the case. The case is fetched through its access function: a case the user
    is not on answers as a missing one."""
    require_role(request.user, *services.MDT_OPENERS)
    case = _case(request, payload.case)
    coordinator = None
    if payload.coordinator:
        coordinator = User.objects.filter(username=payload.coordinator, role=Role.OPS, is_active=True).first()
        if coordinator is None:
            raise ValidationFailed(
                f"coordinator: no active operations user {payload.coordinator}", details={"field": "coordinator"}
            )
    mdt = services.mdt_create(
        by=request.user, case=case, specialties=payload.specialties, deadline=payload.deadline, coordinator=coordinator
    )
    return Status(201, mdt)


@router.get("/consults/mdt", response={200: MdtPage, **ERR}, operation_id="mdt_list")
def mdt_list(request: AuthedRequest, filters: Query[WorkFilter], paging: Query[PageParams]) -> Any:
    qs = selectors.mdt_list(for_user=request.user, status=filters.status)
    return _page_audited(request, qs, paging, "consults.mdtcase")


@router.get("/consults/mdt/{mdt_id}", response={200: MdtOut, **ERR}, operation_id="mdt_get")
def mdt_get(request: AuthedRequest, mdt_id: uuid.UUID) -> Any:
    return access.access_mdt_by_id(request.user, mdt_id)


@router.get("/consults/mdt/{mdt_id}/slots", response={200: list[SlotOut], **ERR}, operation_id="mdt_slots")
def mdt_slots(request: AuthedRequest, mdt_id: uuid.UUID) -> Any:
    """Proposed meeting times, earliest first, each with one allowed and free expert per specialty."""
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="slots")
    return [
        {"starts_at": p.starts_at, "ends_at": p.ends_at, "experts": p.experts, "continuity": p.continuity}
        for p in services.mdt_propose(mdt=mdt)
    ]


@router.post("/consults/mdt/{mdt_id}/meeting", response={201: MeetingOut, **ERR}, operation_id="mdt_book")
def mdt_book(request: AuthedRequest, mdt_id: uuid.UUID, payload: BookIn) -> Any:
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="book")
    experts = {spec: resolve(Practitioner, pid, f"experts.{spec}") for spec, pid in payload.experts.items()}
    chair = resolve(Practitioner, payload.chair, "chair") if payload.chair else None
    meeting = services.mdt_book(
        by=request.user,
        mdt=mdt,
        starts_at=payload.starts_at,
        experts=experts,
        chair=chair,
        video_link=payload.video_link,
    )
    return Status(201, meeting)


def _meeting(request: AuthedRequest, mdt_id: uuid.UUID, reason: str) -> MdtMeeting:
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason=reason)
    meeting = MdtMeeting.objects.filter(mdt_case=mdt).first()
    if meeting is None:
        raise services.illegal(mdt.status, reason)
    return meeting


@router.patch("/consults/mdt/{mdt_id}/meeting", response={200: MeetingOut, **ERR}, operation_id="mdt_minutes")
def mdt_minutes(request: AuthedRequest, mdt_id: uuid.UUID, payload: MinutesIn) -> Any:
    meeting = _meeting(request, mdt_id, "minutes")
    return services.mdt_minutes(
        by=request.user, meeting=meeting, minutes=payload.minutes, video_link=payload.video_link
    )


@router.post("/consults/mdt/{mdt_id}/conclusion", response={200: MeetingOut, **ERR}, operation_id="mdt_conclude")
def mdt_conclude(request: AuthedRequest, mdt_id: uuid.UUID, payload: ConclusionIn) -> Any:
    meeting = _meeting(request, mdt_id, "conclude")
    return services.mdt_conclude(by=request.user, meeting=meeting, **payload.dict())


# --- workspaces and metrics ---------------------------------------------------------------------------------------
class InboxItem(Schema):
    kind: str
    id: uuid.UUID
    specialty: str
    priority: str
    status: str
    deadline: str
    patient: str


@router.get("/consults/inbox", response={200: list[InboxItem], **ERR}, operation_id="consults_inbox")
def inbox(request: AuthedRequest) -> Any:
    """The expert's open tele-consultations and opinions, deadline first."""
    data = selectors.expert_inbox(for_user=request.user)
    rows = [("teleconsult", w) for w in data["teleconsults"]] + [("opinion", w) for w in data["opinions"]]
    rows.sort(key=lambda r: r[1].deadline)
    return [
        {
            "kind": k,
            "id": w.pk,
            "specialty": w.specialty,
            "priority": w.priority,
            "status": w.status,
            "deadline": w.deadline.isoformat(),
            "patient": w.case.person.name,
        }
        for k, w in rows
    ]


@router.get("/consults/at-risk", response={200: dict, **ERR}, operation_id="consults_at_risk")
def at_risk(request: AuthedRequest) -> Any:
    """Operations: everything late or at risk (scheduling facts only)."""
    require_role(request.user, Role.OPS, Role.ADMIN)
    return selectors.ops_late_or_at_risk(for_user=request.user)


@router.get("/consults/metrics", response={200: dict, **ERR}, operation_id="consults_metrics")
def metrics(request: AuthedRequest, days: int = 90) -> Any:
    """Median and p90 hours to first answer, share on time, share referral avoided, MDT request → meeting; with the
    Champlain BASE reference beside them."""
    require_role(request.user, Role.OPS, Role.ADMIN, Role.AUDITOR)
    days = max(1, min(days, 3650))
    return consult_metrics(since=timezone.now() - timedelta(days=days))


# --- online follow-ups: e-prescriptions for dispensing systems (issue 16) ----------------------------------------
EPrescriptionPage = _page_schema(EPrescriptionOut)


@router.get("/consults/eprescriptions", response={200: EPrescriptionPage, **ERR}, operation_id="eprescription_list")
def eprescription_list(request: AuthedRequest, filters: Query[PrescriptionFilter], paging: Query[PageParams]) -> Any:
    """The e-prescriptions the caller reads: a pharmacist's institutions', a patient's own, a doctor's."""
    qs = selectors.prescription_list(for_user=request.user, status=filters.status)
    return _page_audited(request, qs, paging, "consults.eprescription")


@router.get(
    "/consults/eprescriptions/{rx_id}", response={200: EPrescriptionOut, **ERR}, operation_id="eprescription_get"
)
def eprescription_get(request: AuthedRequest, rx_id: uuid.UUID) -> Any:
    return access.access_prescription_by_id(request.user, rx_id, reason="api")


@router.post(
    "/consults/eprescriptions/{rx_id}/dispense",
    response={200: EPrescriptionOut, **ERR},
    operation_id="eprescription_dispense",
)
def eprescription_dispense(request: AuthedRequest, rx_id: uuid.UUID) -> Any:
    """Dispense an approved e-prescription (a pharmacist of its institution). One not yet reviewed is refused: 409
    ``prescription_unreviewed``; returned or already dispensed: 409 ``illegal_transition``."""
    rx = access.access_prescription_by_id(request.user, rx_id, reason="dispense")
    return services.eprescription_dispense(by=request.user, prescription=rx)
