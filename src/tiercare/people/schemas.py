"""Shapes of the people API. A national ID number goes in; only its masked form ever comes out."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from ninja import Field, Schema

from tiercare.core.validation import BirthDate, CleanName, CleanText, RecentDate
from tiercare.people.identity import IdKind
from tiercare.people.models import ConsentMethod, ConsentScope, ConsentSigner, Relation

SexCode = Literal["0", "1", "2", "9"]
if TYPE_CHECKING:  # the checker sees a code as str; pydantic and the OpenAPI enum see the Literal
    RelationCode = str
    IdKindCode = str
else:
    RelationCode = Literal[tuple(Relation.values)]
    IdKindCode = Literal[tuple(k.value for k in IdKind)]


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


if TYPE_CHECKING:  # the checker sees a code as str; pydantic and the OpenAPI enum see the Literal
    ConsentPurposeCode = str
    SignerCode = str
    MethodCode = str
else:
    ConsentPurposeCode = Literal[tuple(ConsentScope.values)]
    SignerCode = Literal[tuple(ConsentSigner.values)]
    MethodCode = Literal[("", *ConsentMethod.values)]


class ConsentOut(Schema):
    id: UUID
    person: UUID = Field(alias="person_id")
    purpose: str = Field(alias="scope")
    granted_to: UUID | None = Field(None, alias="granted_to_id")
    signed_at: datetime = Field(alias="granted_at")
    valid_until: date | None
    signer: str
    given_by: str
    signer_relation: str
    method: str
    has_document: bool
    withdrawn_at: datetime | None
    withdraw_reason: str
    in_force: bool

    @staticmethod
    def resolve_has_document(obj: Any) -> bool:
        return bool(obj.document)

    @staticmethod
    def resolve_in_force(obj: Any) -> bool:
        from django.utils import timezone

        return bool(obj.in_force_on(timezone.localdate()))


class ConsentIn(Schema):
    """``method``: ``tablet`` with ``signature`` (a PNG data URL), ``sms`` with ``sms_code`` (sent by
    ``create_consent_code``), ``paper`` with ``document_base64`` (a PDF or image, checked from its bytes), or empty
    for a consent recorded elsewhere (an integration's import)."""

    purpose: ConsentPurposeCode
    signer: SignerCode = "patient"
    given_by: CleanText = Field("", max_length=60)
    signer_relation: CleanText = Field("", max_length=30)
    method: MethodCode = ""
    signed_on: date | None = None
    valid_until: date | None = None
    signature: str = Field("", max_length=700_000)
    sms_code: str = Field("", max_length=8)
    document_base64: str = Field("", max_length=28_000_000)
    document_name: CleanText = Field("", max_length=200)
    text_version: CleanText = Field("", max_length=40)


class ConsentCodeIn(Schema):
    purpose: ConsentPurposeCode
    phone: str = Field("", max_length=20)


class ConsentCodeOut(Schema):
    phone_masked: str
    expires_at: datetime


class ConsentWithdrawIn(Schema):
    reason: CleanText = Field(min_length=1, max_length=300)


class PersonMoveIn(Schema):
    household: UUID = Field(description="The household the person moves to (one the user may see)")
    relation: RelationCode = "other"


class PersonLeaveIn(Schema):
    kind: Literal["death", "moved_away"]
    on: RecentDate = Field(description="The day of the death or of the move away (not in the future)")
