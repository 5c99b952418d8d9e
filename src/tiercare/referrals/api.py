"""The referrals API: create (idempotent), move, worklists, timeline, attachments, reserved capacity, metrics."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from tiercare.core.api import ErrorOut, PageParams, resolve
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.network.models import Alliance, Department, Organization, Practitioner
from tiercare.people.access import access_person_by_id
from tiercare.referrals import selectors, services
from tiercare.referrals.access import access_referral_by_id
from tiercare.referrals.rules import Side
from tiercare.referrals.schemas import (
    CapacityIn,
    CapacityOut,
    CapacityPage,
    MetricsOut,
    ReferralIn,
    ReferralOut,
    ReferralPage,
    TransitionIn,
    TransitionOut,
    WorklistFilters,
    present,
)

router = Router(tags=["referrals"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
MAX_KEY = 100


@router.get("/referrals/metrics", response={200: MetricsOut, **ERRORS}, operation_id="referral_metrics")
def referral_metrics(request: AuthedRequest) -> dict[str, Any]:
    """The loop's figures over the referrals you may see: times sent→accepted/arrival/back-referral (hours, mean),
    share closed with a confirmed back-referral (of finished referrals), share using reserved capacity, queues."""
    return selectors.referral_metrics(for_user=request.user)


@router.get("/referrals/capacity", response={200: CapacityPage, **ERRORS}, operation_id="list_referral_capacity")
def list_capacity(
    request: AuthedRequest,
    paging: Query[PageParams],
    department: UUID | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Reserved green-channel capacity from today, with the places booked."""
    qs = selectors.capacity_list(for_user=request.user, department=department, kind=kind)
    items = list(qs[paging.offset : paging.offset + paging.limit])
    return {"count": qs.count(), "items": items}


@router.post("/referrals/capacity", response={201: CapacityOut, **ERRORS}, operation_id="publish_referral_capacity")
def publish_capacity(request: AuthedRequest, payload: CapacityIn) -> Status[Any]:
    """Publish (or change) a tertiary department's reserved places for one day. With ``alliance`` and
    ``total_places`` the alliance agreement's quota sets the minimum (and default) number of places."""
    department = resolve(Department, payload.department, "department")
    alliance = resolve(Alliance, payload.alliance, "alliance") if payload.alliance else None
    cap = services.capacity_publish(
        by=request.user,
        department=department,
        on=payload.date,
        kind=payload.kind,
        places=payload.places,
        total_places=payload.total_places,
        alliance=alliance,
    )
    return Status(201, selectors.capacity_list(for_user=request.user, date_from=cap.date).get(pk=cap.pk))


@router.post("/referrals", response={200: ReferralOut, 201: ReferralOut, **ERRORS}, operation_id="create_referral")
def create_referral(request: AuthedRequest, payload: ReferralIn) -> Status[Any]:
    """Refer a patient up. Send an ``Idempotency-Key`` header to make a retry safe: the same key with the same body
    answers the first referral (200); with another body, 409 ``idempotency_key_reused``. ``green_channel: true``
    books a reserved place (``reservation``) or joins the queue (``queue``: position, expected date)."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > MAX_KEY:
        raise ValidationFailed("Idempotency-Key: at most 100 characters.", details={"field": "Idempotency-Key"})
    data = payload.dict()
    person = access_person_by_id(request.user, data["person"], reason="referral")
    result = services.referral_create(
        by=request.user,
        person=person,
        receiving_department=resolve(Department, data["receiving_department"], "receiving_department"),
        referring_organization=resolve(Organization, data["referring_organization"], "referring_organization")
        if data["referring_organization"]
        else None,
        named_expert=resolve(Practitioner, data["named_expert"], "named_expert") if data["named_expert"] else None,
        reason=data["reason"],
        summary=data["summary"],
        diagnosis_text=data["diagnosis_text"],
        diagnosis_code=data["diagnosis_code"],
        diagnosis_system=data["diagnosis_system"],
        diagnosis_version=data["diagnosis_version"],
        urgency=data["urgency"],
        green_channel=data["green_channel"],
        capacity_kind=data["capacity_kind"],
        wanted_from=data["wanted_from"],
        send=not data["draft"],
        idempotency_key=key,
        payload_hash=services.request_hash(data),
    )
    ref, sides = access_referral_by_id(request.user, result.referral.pk, reason="referral created")
    return Status(201 if result.created else 200, present(ref, sides, result.green or services.green_status(ref)))


@router.get("/referrals", response={200: ReferralPage, **ERRORS}, operation_id="list_referral")
def list_referrals(
    request: AuthedRequest, filters: Query[WorklistFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Worklists: ``waiting_on=me``, ``overdue=true``, ``arriving_today=true``, ``back_referrals=true``, and
    filters by side, status, urgency, department. Each patient listed is audited as read."""
    qs = selectors.referral_list(for_user=request.user, **filters.dict(exclude_none=True))
    rows = list(qs[paging.offset : paging.offset + paging.limit])
    sides = selectors.sides_by_referral(request.user, rows)
    items = [present(ref, sides[ref.pk], services.green_status(ref)) for ref in rows]
    audit_patient_read(
        actor=request.user, person_ids=[r.person_id for r in rows], object_type="referrals.referral", reason="worklist"
    )
    return {"count": qs.count(), "items": items}


@router.get("/referrals/{referral_id}", response={200: ReferralOut, **ERRORS}, operation_id="get_referral")
def get_referral(request: AuthedRequest, referral_id: UUID) -> dict[str, Any]:
    ref, sides = access_referral_by_id(request.user, referral_id)
    return present(ref, sides, services.green_status(ref))


@router.get(
    "/referrals/{referral_id}/transitions",
    response={200: list[TransitionOut], **ERRORS},
    operation_id="list_referral_transitions",
)
def list_transitions(request: AuthedRequest, referral_id: UUID) -> list[dict[str, Any]]:
    """The referral's timeline. Reasons are clinical content: operations see the moves without them."""
    ref, sides = access_referral_by_id(request.user, referral_id, reason="timeline")
    clinical = selectors.can_read_clinical(sides)
    return [
        {
            "action": t.action,
            "from_status": t.from_status,
            "to_status": t.to_status,
            "side": t.side,
            "at": t.at,
            "by": str(t.by) if t.by else None,
            "reason": t.reason if clinical else None,
        }
        for t in ref.transitions.select_related("by").order_by("at", "created_at")
    ]


@router.post(
    "/referrals/{referral_id}/transitions", response={200: ReferralOut, **ERRORS}, operation_id="move_referral"
)
def move_referral(request: AuthedRequest, referral_id: UUID, payload: TransitionIn) -> dict[str, Any]:
    """Move the referral: send, accept, decline (reason), schedule (scheduled_for: not in the past), arrive (reason
    when before the scheduled day: an audited override), treat, back_refer (discharge_summary, care_plan),
    confirm_receipt, cancel (reason; only before the patient arrived), escalate (operations, once per step).
    ``allowed_actions`` on the referral lists what the caller may do now. A move not allowed from the current state
    answers 409 ``illegal_transition`` with ``details.state`` and ``details.allowed_actions``; another side's move 403
    ``not_your_side``."""
    ref, sides = access_referral_by_id(request.user, referral_id, reason=f"transition {payload.action}")
    if payload.action == "escalate":
        services.referral_escalate(referral=ref, by=request.user, sides=sides, reason=payload.reason)
    else:
        services.referral_transition(
            referral=ref,
            by=request.user,
            sides=sides - {Side.SYSTEM},
            action=payload.action,
            reason=payload.reason,
            scheduled_for=payload.scheduled_for,
            discharge_summary=payload.discharge_summary,
            care_plan=payload.care_plan,
        )
    ref, sides = access_referral_by_id(request.user, referral_id, reason="after transition")
    return present(ref, sides, services.green_status(ref))


@router.post(
    "/referrals/{referral_id}/attachments",
    response={201: dict[str, Any], **ERRORS},
    operation_id="attach_referral_file",
)
def attach_file(request: AuthedRequest, referral_id: UUID, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Attach a PDF, JPEG, PNG or DICOM file (≤ 20 MB) from the case file (multipart field ``file``)."""
    ref, sides = access_referral_by_id(request.user, referral_id, reason="attach file")
    row = services.attachment_add(by=request.user, referral=ref, sides=sides, upload=file)
    return Status(201, {"id": str(row.pk), "name": row.name, "content_type": row.content_type, "size": row.size})
