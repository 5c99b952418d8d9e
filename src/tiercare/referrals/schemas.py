"""Shapes of the referrals API. Operations get the status view (no patient name, no clinical content)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from tiercare.core.validation import PlanDate
from tiercare.referrals.models import CapacityKind, Referral, Status, Urgency
from tiercare.referrals.rules import PAGE_ACTIONS, Side, offered_actions

if TYPE_CHECKING:  # the checker sees a code as str; pydantic and the OpenAPI enum see the Literal
    UrgencyCode = str
    KindCode = str
    StatusCode = str
    ActionCode = str
else:
    UrgencyCode = Literal[tuple(Urgency.values)]
    KindCode = Literal[tuple(CapacityKind.values)]
    StatusCode = Literal[tuple(Status.values)]
    ActionCode = Literal[PAGE_ACTIONS]


class ReferralIn(Schema):
    person: UUID
    receiving_department: UUID
    referring_organization: UUID | None = None
    named_expert: UUID | None = None
    reason: str = Field(min_length=1, max_length=4000)
    summary: str = Field("", max_length=20000)
    diagnosis_text: str = Field(min_length=1, max_length=200)
    diagnosis_code: str = Field("", max_length=40)
    diagnosis_system: str = Field("", max_length=60)
    diagnosis_version: str = Field("", max_length=20)
    urgency: UrgencyCode = "routine"
    green_channel: StrictBool = False
    capacity_kind: KindCode = "clinic"
    wanted_from: PlanDate | None = None
    draft: StrictBool = Field(False, description="Save as a draft without sending (no place is booked until sent).")


class TransitionIn(Schema):
    action: ActionCode
    reason: str = Field(
        "",
        max_length=4000,
        description="Why: required to decline or cancel, and to mark a patient arrived before the scheduled day.",
    )
    scheduled_for: datetime | None = Field(
        None,
        description="schedule: the visit's day and time (not in the past). Without it, a referral holding a reserved "
        "place is booked on the place's day at 08:00 (Beijing time), unless that time has passed.",
    )
    discharge_summary: str = Field("", max_length=20000)
    care_plan: str = Field("", max_length=20000)


class CapacityIn(Schema):
    department: UUID
    date: PlanDate
    kind: KindCode = "clinic"
    places: StrictInt | None = Field(None, ge=1, le=10000)
    total_places: StrictInt | None = Field(None, ge=1, le=100000)
    alliance: UUID | None = None


class CapacityOut(Schema):
    id: UUID
    department: UUID = Field(alias="department_id")
    department_name: str = Field(alias="department.name")
    organization_name: str = Field(alias="department.organization.name")
    date: date
    kind: str
    places: int
    booked: int = Field(0, alias="held")
    total_places: int | None
    alliance: UUID | None = Field(None, alias="alliance_id")
    quota_percent: float | None


class CapacityPage(Schema):
    count: int
    items: list[CapacityOut]


class ReferralOut(Schema):
    """One referral as its reader may see it: clinical fields are null for operations."""

    id: UUID
    status: str
    urgency: str
    green_channel: bool
    capacity_kind: str
    referring_organization: UUID
    referring_organization_name: str
    receiving_organization: UUID
    receiving_organization_name: str
    receiving_department: UUID
    receiving_department_name: str
    named_expert: UUID | None
    expert_practice_basis: str
    alliance: UUID | None
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    scheduled_for: datetime | None
    arrived_at: datetime | None
    treated_at: datetime | None
    back_referred_at: datetime | None
    closed_at: datetime | None
    ended_at: datetime | None
    due_step: str
    due_at: datetime | None
    overdue_since: datetime | None
    escalated_at: datetime | None
    my_sides: list[str]
    allowed_actions: list[str]
    reservation: dict[str, Any] | None = None
    queue: dict[str, Any] | None = None
    # clinical content: referring side, receiving side, patient only
    person: UUID | None = None
    patient_name: str | None = None
    reason: str | None = None
    summary: str | None = None
    diagnosis_code: str | None = None
    diagnosis_system: str | None = None
    diagnosis_version: str | None = None
    diagnosis_text: str | None = None
    decline_reason: str | None = None
    cancel_reason: str | None = None
    discharge_summary: str | None = None
    care_plan: str | None = None
    referring_practitioner_name: str | None = None
    named_expert_name: str | None = None


class ReferralPage(Schema):
    count: int
    items: list[ReferralOut]


class TransitionOut(Schema):
    action: str
    from_status: str
    to_status: str
    side: str
    at: datetime
    by: str | None
    reason: str | None


class MetricsOut(Schema):
    referrals_sent: int
    by_status: dict[str, int]
    hours_sent_to_accepted: float | None
    hours_sent_to_arrival: float | None
    hours_sent_to_back_referral: float | None
    share_closed_with_confirmed_back_referral: float | None
    share_using_reserved_capacity: float | None
    overdue_now: int
    queue_length: list[dict[str, Any]]


class WorklistFilters(Schema):
    waiting_on: Literal["me"] | None = None
    overdue: bool | None = None
    arriving_today: bool | None = None
    back_referrals: bool | None = None
    escalated: bool | None = None
    open: bool | None = None
    side: Literal["referring", "receiving"] | None = None
    status: StatusCode | None = None
    urgency: UrgencyCode | None = None
    department: UUID | None = None


CLINICAL = (
    "reason",
    "summary",
    "diagnosis_code",
    "diagnosis_system",
    "diagnosis_version",
    "diagnosis_text",
    "decline_reason",
    "cancel_reason",
    "discharge_summary",
    "care_plan",
)


def present(ref: Referral, sides: set[str], green: dict[str, Any] | None = None) -> dict[str, Any]:
    """The referral for a reader on ``sides``: clinical fields only for the parties to the patient's care."""
    out: dict[str, Any] = {
        "id": ref.pk,
        "status": ref.status,
        "urgency": ref.urgency,
        "green_channel": ref.green_channel,
        "capacity_kind": ref.capacity_kind,
        "referring_organization": ref.referring_organization_id,
        "referring_organization_name": ref.referring_organization.name,
        "receiving_organization": ref.receiving_organization_id,
        "receiving_organization_name": ref.receiving_organization.name,
        "receiving_department": ref.receiving_department_id,
        "receiving_department_name": ref.receiving_department.name,
        "named_expert": ref.named_expert_id,
        "expert_practice_basis": ref.expert_practice_basis,
        "alliance": ref.alliance_id,
        "my_sides": sorted(sides),
        "allowed_actions": offered_actions(ref.status, sides, escalated=ref.escalated_at is not None),
    }
    for name in (
        "created_at",
        "sent_at",
        "accepted_at",
        "scheduled_for",
        "arrived_at",
        "treated_at",
        "back_referred_at",
        "closed_at",
        "ended_at",
        "due_step",
        "due_at",
        "overdue_since",
        "escalated_at",
    ):
        out[name] = getattr(ref, name)
    green = green or {}
    out["reservation"] = green.get("reserved")
    out["queue"] = green.get("queued")
    if sides & {Side.REFERRING, Side.RECEIVING, Side.PATIENT}:
        for name in CLINICAL:
            out[name] = getattr(ref, name)
        out["person"] = ref.person_id
        out["patient_name"] = ref.person.name
        out["referring_practitioner_name"] = ref.referring_practitioner.name
        out["named_expert_name"] = ref.named_expert.name if ref.named_expert is not None else None
    return out
