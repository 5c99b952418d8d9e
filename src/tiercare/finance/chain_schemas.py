"""The chain API's shapes (``finance.chain``): a center's month of accounts, a center on the chain dashboard, a
cost. Money is a decimal string in yuan with two places."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema


class CenterMonthOut(Schema):
    center_id: UUID
    month: date
    mode: str = Field(description="the operating mode of the rule in force on the month's last day")
    charges: int
    revenue: Decimal
    contract_fees: Decimal
    services: Decimal
    by_payer: dict[str, Decimal] = Field(description="contract fees by payer; not_recorded: charges without payers")
    chain: Decimal = Field(description="platform shares + the franchise fee of the month")
    partner: Decimal = Field(description="hospital shares − the franchise fee of the month")
    franchise_fee: Decimal
    expert: Decimal
    premium: Decimal
    travel: Decimal
    costs: Decimal
    costs_by_category: dict[str, Decimal]
    result: Decimal = Field(description="revenue − expert, premium and travel parts − costs")
    balanced: bool = Field(description="revenue = chain + partner + expert + premium + travel")


class CenterSummaryOut(Schema):
    center_id: UUID
    name: str
    city: str
    mode: str
    status: str
    month: CenterMonthOut
    year_revenue: Decimal
    year_chain: Decimal
    year_result: Decimal
    contracted_residents: int
    on_time_percent: float | None
    bp_control_percent: float | None
    glucose_control_percent: float | None


class CostIn(Schema):
    month: date = Field(description="any day of the month the cost is for")
    category: str
    amount: str = Field(description="yuan with at most two decimal places, like 1200.00")
    note: str = ""


class CostOut(Schema):
    id: UUID
    center_id: UUID
    month: date
    category: str
    amount: Decimal
    note: str
