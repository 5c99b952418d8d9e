"""Shapes of the people API. A national ID number goes in; only its masked form ever comes out."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from tiercare.core.validation import BirthDate, CleanName
from tiercare.people.identity import IdKind
from tiercare.people.models import Relation

SexCode = Literal["0", "1", "2", "9"]
RelationCode = Literal[tuple(Relation.values)]  # type: ignore[valid-type]
IdKindCode = Literal[tuple(k.value for k in IdKind)]  # type: ignore[valid-type]


class PersonOut(Schema):
    id: UUID
    name: str
    name_pinyin: str
    sex: str
    birth_date: date | None
    ethnic_group: str
    id_kind: str
    id_masked: str
    phone: str
    county_code: str | None = Field(None, alias="division_id")
    address: str
    household: UUID | None = Field(None, alias="membership.household_id")
    relation: str | None = Field(None, alias="membership.relation")
    deceased_on: date | None
    created_at: datetime
    updated_at: datetime


class PersonIn(Schema):
    household: UUID
    relation: RelationCode = "other"
    name: CleanName = Field(min_length=1, max_length=60)
    sex: SexCode = "0"
    birth_date: BirthDate | None = None
    ethnic_group: str = Field("", pattern=r"^(\d{2})?$")
    id_kind: IdKindCode = "resident_id"
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=20)
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str = Field("", max_length=200)


class PersonPatch(Schema):
    name: CleanName | None = Field(None, min_length=1, max_length=60)
    sex: SexCode | None = None
    birth_date: BirthDate | None = None
    ethnic_group: str | None = Field(None, pattern=r"^(\d{2})?$")
    id_kind: IdKindCode | None = None
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=20)
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str | None = Field(None, max_length=200)
    deceased_on: BirthDate | None = None


class MemberOut(Schema):
    person: UUID = Field(alias="person_id")
    name: str = Field(alias="person.name")
    relation: str
    sex: str = Field(alias="person.sex")
    birth_date: date | None = Field(None, alias="person.birth_date")


class HouseholdOut(Schema):
    id: UUID
    name: str
    registered_at: UUID = Field(alias="registered_at_id")
    registered_at_name: str = Field(alias="registered_at.name")
    county_code: str | None = Field(None, alias="division_id")
    address: str
    proxy: UUID | None = Field(None, alias="proxy_id")


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(alias="member_rows")


class HouseholdIn(Schema):
    name: CleanName = Field(min_length=1, max_length=80)
    registered_at: UUID
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str = Field("", max_length=200)


class HouseholdPatch(Schema):
    name: CleanName | None = Field(None, min_length=1, max_length=80)
    registered_at: UUID | None = None
    county_code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str | None = Field(None, max_length=200)
    proxy: UUID | None = None


class PersonFilters(Schema):
    q: str | None = Field(None, max_length=60, description="Name, pinyin, initials or phone")
    household: UUID | None = None
    organization: UUID | None = None


class HouseholdFilters(Schema):
    organization: UUID | None = None
    q: str | None = Field(None, max_length=60)
