"""The finance API's shapes: statements with their lines, charges with their split, unpriced work, the monthly
reconciliation. Money is a decimal string in yuan with two places."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
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


class ChargeFilter(Schema):
    month: date | None = Field(None, description="Any day of the month whose charges to list")
