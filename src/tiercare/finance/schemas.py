"""The finance API's shapes: statements with their lines, charges with their split, unpriced work, the monthly
reconciliation. Money is a decimal string in yuan with two places."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class StatementOut(Schema):
    id: UUID
    number: str
    expert: UUID = Field(alias="expert_id")
    month: date
    gross: Decimal
    taxable: Decimal
    tax: Decimal
    net: Decimal
    issued_at: datetime


class StatementLineOut(Schema):
    kind: str = Field(description="earning (a charge's expert share) or adjustment (a correction)")
    occurred_on: date
    hospital_name: str
    service: str
    fact_kind: str = Field(description="session, teleconsult, opinion, mdt or contract; empty for an adjustment")
    fact_id: UUID | None
    description: str
    gross: Decimal
    share: Decimal


class StatementDetailOut(StatementOut):
    lines: list[StatementLineOut]


class SettlementOut(Schema):
    id: UUID
    number: str
    hospital: UUID = Field(alias="hospital_id")
    month: date
    count: int
    amount: Decimal
    hospital_share: Decimal
    expert_share: Decimal
    platform_share: Decimal
    premium_share: Decimal
    travel_share: Decimal
    payable: Decimal = Field(description="what the hospital pays the group: amount − hospital_share")
    issued_at: datetime


class SettlementLineOut(Schema):
    charge: UUID = Field(alias="charge_id")
    occurred_on: date
    service: str
    fact_kind: str
    fact_id: UUID
    expert_name: str
    amount: Decimal
    hospital_share: Decimal


class SettlementDetailOut(SettlementOut):
    lines: list[SettlementLineOut]


class ChargePayerOut(Schema):
    payer: str = Field(description="host, insurance_fund, public_health, commercial or patient")
    scheme: str = Field(description="the coverage scheme the part was paid under, blank if none")
    amount: Decimal
    toward_deductible: Decimal
    year: int | None = Field(description="the coverage year the part used")
    basis: str = Field(description="why this payer pays this part (the rule, or that none was found)")


class ChargeOut(Schema):
    id: UUID
    fact_kind: str
    fact_id: UUID
    item: str
    service: str
    hospital: UUID = Field(alias="hospital_id")
    expert: UUID | None = Field(alias="expert_id")
    occurred_on: date
    quantity: int
    unit_price: Decimal
    amount: Decimal
    price: UUID = Field(alias="price_id")
    rule: UUID = Field(alias="rule_id")
    platform_share: Decimal
    hospital_share: Decimal
    expert_share: Decimal
    premium_share: Decimal
    travel_share: Decimal
    payers: list[ChargePayerOut] = Field(description="who pays the charge; the parts add up to the amount")

    @staticmethod
    def resolve_payers(obj: Any) -> list[Any]:
        return list(obj.payers.all())


class UnpricedOut(Schema):
    id: UUID
    fact_kind: str
    fact_id: UUID
    service: str
    hospital: UUID = Field(alias="hospital_id")
    occurred_on: date
    quantity: int
    missing: str


class MonthOut(Schema):
    month: date
    count: int
    amount: Decimal
    platform: Decimal
    hospital: Decimal
    expert: Decimal
    premium: Decimal
    travel: Decimal
    stated: Decimal
    balanced: bool
    paid_by: Decimal = Field(description="the payer parts stored with the month's charges")
    payers_balanced: bool = Field(description="the payer parts add up to the charges, to the fen")


class ChargeFilter(Schema):
    month: date | None = Field(None, description="Any day of the month whose charges to list")


class IncidentOut(Schema):
    id: UUID
    kind: str = Field(description="adverse_event or dispute")
    source_kind: str = Field(description="session, case or referral")
    source_id: UUID | None = Field(description="the session's, case's or referral's id")
    hospital: UUID = Field(alias="hospital_id")
    expert: UUID = Field(alias="expert_id")
    person: UUID | None = Field(alias="person_id")
    occurred_on: date
    status: str = Field(description="open, insurer_notified, under_review or closed")
    outcome: str
    insurer: str
    policy_number: str
    created_at: datetime

    @staticmethod
    def resolve_source_id(obj: object) -> UUID | None:
        return getattr(obj, "session_id", None) or getattr(obj, "case_id", None) or getattr(obj, "referral_id", None)


class IncidentTransitionOut(Schema):
    from_status: str
    to_status: str
    by: str
    reason: str
    at: datetime = Field(alias="created_at")

    @staticmethod
    def resolve_by(obj: object) -> str:
        return str(getattr(obj, "by", ""))


class IncidentDetailOut(IncidentOut):
    summary: str
    transitions: list[IncidentTransitionOut]

    @staticmethod
    def resolve_transitions(obj: object) -> list[object]:
        return list(obj.transitions.select_related("by"))  # type: ignore[attr-defined]


class IncidentIn(Schema):
    kind: str = Field(description="adverse_event or dispute")
    source_kind: str = Field(description="session, case or referral")
    source_id: UUID
    expert_id: UUID | None = Field(None, description="the expert involved; may be left out when the work has one")
    person_id: UUID | None = Field(None, description="the patient, optional")
    occurred_on: date
    summary: str = Field(max_length=4000)


class IncidentMoveIn(Schema):
    to: str = Field(description="insurer_notified, under_review or closed (one step at a time)")
    reason: str = Field(max_length=500)
    outcome: str = Field("", description="required to close: no_liability, settled, compensated, mediated, withdrawn")


class CoverageOut(Schema):
    id: UUID
    person: UUID = Field(alias="person_id")
    scheme: str = Field(description="employee, resident, commercial or self_pay")
    region_code: str = Field(alias="region_id", description="the scheme's region, a GB/T 2260 division code")
    valid_from: date
    valid_to: date | None
    member_masked: str = Field(description="the member number with its middle hidden; the full number is not kept")
