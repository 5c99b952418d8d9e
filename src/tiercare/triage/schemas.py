"""The triage API's input and output (the OpenAPI document's Triage* components)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from tiercare.triage.services import AGE_MAX_YEARS, COMPLAINT_MAX_CHARS


class TriageIn(Schema):
    complaint: str = Field(
        ..., max_length=COMPLAINT_MAX_CHARS, description="The complaint in everyday Chinese (1–500 characters)."
    )
    age_years: float = Field(
        ..., ge=0, le=AGE_MAX_YEARS, description="Age in years; fractions for infants (0.05 for an 18-day-old)."
    )
    sex: Literal["female", "male"]

    @field_validator("complaint")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the complaint is empty")
        return value


class TriageSpecialtyOut(Schema):
    code: str
    name: str
    score: float = Field(description="The model's probability; 1.0 for a specialty a rule puts first.")


class TriageRedFlagOut(Schema):
    code: str
    message: str


class TriageExpertOut(Schema):
    name: str
    title: str
    specialty: str
    specialty_name: str
    hospital: str
    url: str = Field(description="The expert's public page (/experts/<slug>/).")


class TriageSessionOut(Schema):
    date: dt.date
    half_day: str
    expert: str
    title: str
    hospital: str
    department: str
    specialty: str
    specialty_name: str


class TriageOut(Schema):
    specialties: list[TriageSpecialtyOut] = Field(description="Best first, at least three.")
    urgent: bool = Field(description="A red flag fired: go to an emergency department now.")
    red_flags: list[TriageRedFlagOut]
    experts: list[TriageExpertOut]
    sessions: list[TriageSessionOut]
