"""Shapes of the network API. Ids are UUIDs; references are given and returned as the referenced row's id."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool, StrictFloat, StrictInt

from tiercare.core.validation import BirthDate, PlanDate
from tiercare.network.models import (
    GpMode,
    OrgKind,
    OrgStatus,
    RegistrationKind,
    ServiceKind,
    Specialty,
    Tier,
    Title,
)

if TYPE_CHECKING:  # the checker sees a code as str; pydantic and the OpenAPI enum see the Literal
    TierCode = str
    KindCode = str
    GpModeCode = str
    StatusCode = str
    SpecialtyCode = str
    TitleCode = str
    RegistrationKindCode = str
    ServiceCode = str
else:
    TierCode = Literal[tuple(Tier.values)]
    KindCode = Literal[tuple(OrgKind.values)]
    GpModeCode = Literal[tuple(GpMode.values)]
    StatusCode = Literal[tuple(OrgStatus.values)]
    SpecialtyCode = Literal[tuple(Specialty.values)]
    TitleCode = Literal[tuple(Title.values)]
    RegistrationKindCode = Literal[tuple(RegistrationKind.values)]
    ServiceCode = Literal[tuple(ServiceKind.values)]

Name = Field(min_length=1, max_length=120)


class OrganizationOut(Schema):
    id: UUID
    name: str
    short_name: str
    kind: str
    tier: str
    gp_mode: str
    status: str
    license_number: str
    province: str
    city: str
    county: str
    county_code: str | None = Field(None, alias="division_id")
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    created_at: datetime
    updated_at: datetime


class OrganizationIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    short_name: str = Field("", max_length=40)
    kind: KindCode
    tier: TierCode | Literal[""] = ""
    gp_mode: GpModeCode | Literal[""] = ""
    status: StatusCode = "operating"
    license_number: str = Field("", max_length=60)
    province: str = Field("", max_length=40)
    city: str = Field("", max_length=40)
    county: str = Field("", max_length=40)
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str = Field("", max_length=200)
    latitude: StrictFloat | None = Field(None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(None, ge=-180, le=180)
    phone: str = Field("", max_length=20)


class OrganizationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    short_name: str | None = Field(None, max_length=40)
    tier: TierCode | Literal[""] | None = None
    gp_mode: GpModeCode | Literal[""] | None = None
    status: StatusCode | None = None
    license_number: str | None = Field(None, max_length=60)
    province: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=40)
    county: str | None = Field(None, max_length=40)
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str | None = Field(None, max_length=200)
    latitude: StrictFloat | None = Field(None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(None, ge=-180, le=180)
    phone: str | None = Field(None, max_length=20)


class DepartmentOut(Schema):
    id: UUID
    organization: UUID = Field(alias="organization_id")
    organization_name: str = Field(alias="organization.name")
    name: str
    specialty: str
    beds: int


class DepartmentIn(Schema):
    organization: UUID
    name: str = Field(min_length=1, max_length=80)
    specialty: SpecialtyCode
    beds: StrictInt = Field(0, ge=0, le=10000)


class DepartmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    specialty: SpecialtyCode | None = None
    beds: StrictInt | None = Field(None, ge=0, le=10000)


class PractitionerOut(Schema):
    id: UUID
    name: str
    name_pinyin: str
    sex: str
    title: str
    specialty: str
    specialties: list[str]
    license_number: str
    independent_practice_since: date | None
    can_operate: bool
    home_organization: UUID | None = Field(None, alias="home_organization_id")
    home_department: UUID | None = Field(None, alias="home_department_id")
    doctor_group: UUID | None = Field(None, alias="doctor_group_id")
    is_active: bool


class PractitionerIn(Schema):
    name: str = Field(min_length=1, max_length=60)
    sex: Literal["0", "1", "2", "9"] = "0"
    title: TitleCode
    specialty: SpecialtyCode | Literal[""] = ""
    other_specialties: list[SpecialtyCode] = Field(default_factory=list, max_length=10)
    license_number: str = Field("", max_length=40)
    independent_practice_since: BirthDate | None = None
    can_operate: StrictBool = False
    home_organization: UUID | None = None
    home_department: UUID | None = None
    doctor_group: UUID | None = None
    phone: str = Field("", max_length=20)
    bio: str = Field("", max_length=4000)
    is_active: StrictBool = True


class PractitionerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    sex: Literal["0", "1", "2", "9"] | None = None
    title: TitleCode | None = None
    specialty: SpecialtyCode | Literal[""] | None = None
    other_specialties: list[SpecialtyCode] | None = Field(None, max_length=10)
    license_number: str | None = Field(None, max_length=40)
    independent_practice_since: BirthDate | None = None
    can_operate: StrictBool | None = None
    home_organization: UUID | None = None
    home_department: UUID | None = None
    doctor_group: UUID | None = None
    phone: str | None = Field(None, max_length=20)
    bio: str | None = Field(None, max_length=4000)
    is_active: StrictBool | None = None


class PracticeDecisionOut(Schema):
    allowed: bool
    basis: str
    reference: str
    refusals: list[str]
    reason: str


class SiteRegistrationOut(Schema):
    id: UUID
    practitioner: UUID = Field(alias="practitioner_id")
    site: UUID = Field(alias="site_id")
    kind: str
    valid_from: date
    valid_to: date | None
    scope: str
    reference: str
    revoked: bool


class SiteRegistrationIn(Schema):
    practitioner: UUID
    site: UUID
    kind: RegistrationKindCode = "filing"
    valid_from: PlanDate
    valid_to: PlanDate | None = None
    scope: str = Field("", max_length=120)
    reference: str = Field("", max_length=60)


class SiteRegistrationPatch(Schema):
    kind: RegistrationKindCode | None = None
    valid_from: PlanDate | None = None
    valid_to: PlanDate | None = None
    scope: str | None = Field(None, max_length=120)
    reference: str | None = Field(None, max_length=60)
    revoked: StrictBool | None = None


class InsurancePolicyOut(Schema):
    id: UUID
    practitioner: UUID = Field(alias="practitioner_id")
    insurer: str
    number: str
    valid_from: date
    valid_to: date
    cover_amount: Decimal


class InsurancePolicyIn(Schema):
    practitioner: UUID
    insurer: str = Field(min_length=1, max_length=80)
    number: str = Field(min_length=1, max_length=60)
    valid_from: PlanDate
    valid_to: PlanDate
    cover_amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class InsurancePolicyPatch(Schema):
    insurer: str | None = Field(None, min_length=1, max_length=80)
    number: str | None = Field(None, min_length=1, max_length=60)
    valid_from: PlanDate | None = None
    valid_to: PlanDate | None = None
    cover_amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)


class PartnershipOut(Schema):
    id: UUID
    doctor_group: UUID = Field(alias="doctor_group_id")
    department: UUID = Field(alias="department_id")
    department_name: str = Field(alias="department.name")
    organization: UUID = Field(alias="department.organization_id")
    organization_name: str = Field(alias="department.organization.name")
    specialty: str = Field(alias="department.specialty")
    start: date
    end: date | None
    services: list[str]
    contract_reference: str


class PartnershipIn(Schema):
    doctor_group: UUID
    department: UUID
    start: PlanDate
    end: PlanDate | None = None
    services: list[ServiceCode] = Field(default_factory=list, max_length=10)
    contract_reference: str = Field("", max_length=60)


class PartnershipPatch(Schema):
    start: PlanDate | None = None
    end: PlanDate | None = None
    services: list[ServiceCode] | None = Field(None, max_length=10)
    contract_reference: str | None = Field(None, max_length=60)
