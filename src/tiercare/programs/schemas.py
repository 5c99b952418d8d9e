"""The programs API's shapes: a program in a list, a program with its KPI series (each value with its source), a
month's actuals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema


class ProgramOut(Schema):
    id: UUID
    title: str
    department: UUID = Field(alias="department_id")
    stage: str
    start: date


class KpiPointOut(Schema):
    month: date
    target: Decimal | None
    actual: Decimal | None
    source: str = Field(description="entered (by the hospital), outreach (summed from session reports) or empty")


class KpiSeriesOut(Schema):
    code: str
    unit: str
    direction: str
    derived: bool
    points: list[KpiPointOut]


class ProgramDetailOut(ProgramOut):
    kpis: list[KpiSeriesOut]


class ProgramActualsIn(Schema):
    month: date = Field(description="The month (its first day, or any day of it)")
    values: dict[str, Decimal] = Field(description="KPI code → the month's value, for the program's entered KPIs")


class KpiActualOut(Schema):
    kpi: str
    month: date
    value: Decimal


class EvaluationKpiOut(Schema):
    code: str
    label: str
    unit: str
    direction: str
    source: str = Field(description="entered, outreach, referrals, consults or training")
    target: Decimal | None = Field(description="Sum over the months evaluated (mean for percentages)")
    actual: Decimal | None
    met: bool | None


class EvaluationMilestoneOut(Schema):
    title: str
    owner: str
    due_on: date
    done_on: date | None
    status: str = Field(description="done, done_late, late or open")


class EvaluationOut(Schema):
    program: UUID
    hospital: str
    department: str
    first_month: date
    until: date
    baseline_total: int | None
    reassessment_total: int | None
    kpis: list[EvaluationKpiOut]
    milestones: list[EvaluationMilestoneOut]
    training_completion: Decimal = Field(description="% of (staff member, course) pairs passed")
    courses: int
    staff: int
    sessions_held: int
    cases_seen: int
    local_surgeries: int
    neonates_admitted: Decimal
    treated_locally: Decimal
    referred_out: Decimal | None


class EvaluationQuery(Schema):
    month: date | None = Field(None, description="The last month evaluated (any day of it); default the last ended")
