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
