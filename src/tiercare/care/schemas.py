"""Shapes of the care API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BaseModel, StrictBool, StrictFloat, StrictInt

from tiercare.core.validation import MeasuredAt, PlanDate, RecentDate


class RiskOut(Schema):
    risk_percent: float
    display: str
    band: str
    band_label_zh: str
    band_label_en: str
    equation: str
    group: str
    flags: list[str]


class PersonRiskIn(Schema):
    equation: Literal["pce", "china_par"] = "china_par"
    race: Literal["white", "african_american"] | None = None
    north: StrictBool | None = None
    urban: StrictBool | None = None
    family_history_ascvd: StrictBool | None = None
    bp_treated: StrictBool | None = None
    current_smoker: StrictBool | None = None
    waist_cm: StrictFloat | None = None


class PersonRiskOut(RiskOut):
    followup: UUID
    measured_at: datetime


class PanelOut(Schema):
    practitioner: UUID = Field(alias="practitioner_id")
    name: str
    panel_size: int
    cap: int
    over_cap: bool
    hours_per_week: float
    minutes_per_patient_per_year: float | None


class TeamOut(Schema):
    id: UUID
    name: str
    center: UUID = Field(alias="center_id")
    center_name: str = Field(alias="center.name")
    panels: list[PanelOut] = []


class TeamIn(Schema):
    center: UUID
    name: str = Field(min_length=1, max_length=80)
    members: list[dict[str, Any]] = []


class ContractOut(Schema):
    id: UUID
    household: UUID = Field(alias="household_id")
    household_name: str = Field(alias="household.name")
    team: UUID = Field(alias="team_id")
    team_name: str = Field(alias="team.name")
    package: str
    start: date
    end: date
    status: str
    renewal_of: UUID | None = Field(None, alias="renewal_of_id")


class ContractSignedOut(ContractOut):
    warnings: list[dict[str, Any]] = []


class ContractIn(Schema):
    household: UUID
    team: UUID
    package: Literal["basic", "personalised"] = "basic"
    start: PlanDate
    end: PlanDate
    persons: list[UUID] | None = None


class ContractRenewIn(Schema):
    end: PlanDate
    package: Literal["basic", "personalised"] | None = None


class ContractTerminateIn(Schema):
    on: PlanDate
    reason: str = Field(min_length=1, max_length=300)


class ContractFilters(Schema):
    household: UUID | None = None
    status: Literal["active", "renewed", "terminated", "expired"] | None = None


class CareHouseholdOut(Schema):
    id: UUID
    name: str
    address: str


class CareHouseholdFilters(Schema):
    q: str | None = Field(None, max_length=60)
    team: UUID | None = None


class CarePersonOut(Schema):
    id: UUID
    name: str
    sex: str
    birth_date: date | None
    household: UUID | None = None

    @staticmethod
    def resolve_household(obj: Any) -> Any:
        if isinstance(obj, dict):  # a row of selectors.person_rows
            return obj.get("household")
        membership = getattr(obj, "membership", None)
        return membership.household_id if membership is not None else None


class PersonRow(BaseModel):
    """One person in a list (a plain pydantic model: lists of hundreds are serialised in pydantic's core)."""

    id: UUID
    name: str
    sex: str
    birth_date: date | None
    household: UUID | None = None


class PersonRowPage(BaseModel):
    count: int
    items: list[PersonRow]


class CarePersonFilters(Schema):
    q: str | None = Field(None, max_length=60)
    team: UUID | None = None
    household: UUID | None = None


class EnrollmentIn(Schema):
    person: UUID
    protocol_code: str = Field(min_length=1, max_length=40)
    diagnosis_code: str = Field("", max_length=20, description="ICD-10; none for a program admitted by risk.")
    enrolled_on: RecentDate
    schedule_from: RecentDate | None = Field(
        None,
        description="The day phased intervals count from (e.g. the end of cancer treatment); the enrolment if none.",
    )


class EnrollmentOut(Schema):
    id: UUID
    person: UUID = Field(alias="person_id")
    person_name: str = Field(alias="person.name")
    protocol_code: str
    protocol_version: str
    status: str
    enrolled_on: date
    schedule_from: date | None
    next_due_on: date | None
    control_class: str
    controlled: bool | None
    last_followup_on: date | None
    risk_percent: float | None
    risk_rose: bool
    outreach_removed_reason: str
    remind_after: date | None


class EnrollmentFilters(Schema):
    person: UUID | None = None
    protocol_code: str | None = None
    team: UUID | None = None
    control_class: str | None = None


class FollowUpIn(Schema):
    person_id: UUID
    measured_at: MeasuredAt
    measurements: dict[str, Any]
    confirm_units: bool = Field(
        False, description="Confirm values the server asked about (422 unit_confirmation_required) as typed."
    )


class FollowUpOut(Schema):
    id: UUID
    enrollment: UUID = Field(alias="enrollment_id")
    person: UUID = Field(alias="person_id")
    measured_at: datetime
    created_at: datetime
    measurements: dict[str, Any]
    control_class: str
    urgent: bool
    fired_rules: list[dict[str, Any]]
    actions: list[str]
    next_due_on: date
    protocol_version: str
    protocol_sha256: str
    risk_percent: float | None
    risk_band: str
    risk_equation: str = ""
    risk_inputs: dict[str, Any] = {}
    voided_at: datetime | None
    void_reason: str
    referral_suggested: bool = False


class FollowUpFilters(Schema):
    person: UUID | None = None
    enrollment: UUID | None = None
    team: UUID | None = None


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class EnrollmentEndIn(Schema):
    reason: str = Field(min_length=1, max_length=200, description="Why the enrolment ends")


class CallIn(Schema):
    outcome: Literal["agreed_to_visit", "call_later", "unreachable", "moved", "deceased", "transferred"]
    called_at: datetime
    note: str = Field("", max_length=300)


class CallOut(Schema):
    id: UUID
    enrollment: UUID = Field(alias="enrollment_id")
    outcome: str
    called_at: datetime
    remind_after: date | None
    unreachable_attempts: int = Field(
        0, description="Unreachable: the failed attempts on different days since the last contact, this one included."
    )
    off_worklist: bool = Field(False, description="Whether the patient is now off the overdue worklist.")


class WorklistRow(Schema):
    enrollment: UUID
    person: UUID
    person_name: str
    household: UUID | None
    phone: str
    protocol_code: str
    next_due_on: date | None
    days_overdue: int | None
    control_class: str
    risk_percent: float | None
    risk_rose: bool
    outreach_removed_reason: str


class MedicationIn(Schema):
    person: UUID
    drug_name: str = Field(min_length=1, max_length=120)
    drug_class: str = "ordinary"
    dose: str = Field("", max_length=120)
    supply_days: StrictInt = Field(ge=1, le=366)
    prescribed_on: RecentDate
    assessment: str = ""
    patient_confirmed: StrictBool = False
    tb_or_fungal: StrictBool = False


class MedicationOut(Schema):
    id: UUID
    person: UUID = Field(alias="person_id")
    drug_name: str
    drug_class: str
    dose: str
    supply_days: int
    prescribed_on: date
    assessment: str
    patient_confirmed_at: datetime | None


class SuggestionOut(Schema):
    id: UUID
    person: UUID = Field(alias="person_id")
    followup: UUID | None = Field(None, alias="followup_id")  # none: a direct referral that came back
    urgent: bool
    rule_ids: list[str]
    reason: str
    status: str
    created_at: datetime


class SuggestionReferIn(Schema):
    """Take a referral suggestion: the referral's receiving department and diagnosis; ``urgency`` defaults to
    emergency for an urgent suggestion, routine otherwise (the referrals service validates every field)."""

    receiving_department: UUID
    diagnosis_text: str = Field(max_length=200)
    diagnosis_code: str = Field("", max_length=40)
    urgency: str | None = None
    green_channel: StrictBool = False
    summary: str = ""


class SuggestionDismissIn(Schema):
    reason: str = Field("", max_length=300)


class SuggestionDecisionOut(SuggestionOut):
    referral: UUID | None = Field(None, alias="referral_id")
    acted_at: datetime | None
    dismiss_reason: str


class CarePlanOut(Schema):
    person: CarePersonOut
    enrollments: list[EnrollmentOut]
    recent_followups: list[FollowUpOut]
    medications: list[MedicationOut]
    next_visit_on: date | None


class CareHouseholdPlanOut(Schema):
    household: CareHouseholdOut
    contract: ContractOut | None
    members: list[CarePlanOut]


class VariantDecisionIn(Schema):
    protocol_code: str = Field("hypertension", max_length=40)
    variant: str = Field(max_length=60)
    enabled: bool
    reason: str = Field(max_length=500)


class VariantDecisionOut(Schema):
    id: UUID
    center: UUID = Field(alias="center_id")
    protocol_code: str
    variant: str
    enabled: bool
    reason: str
    decided_by: str = Field("", alias="decided_by.username")
    decided_at: datetime
