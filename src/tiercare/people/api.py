"""The people API: persons, households and consents, scoped to care relationships, every patient read audited."""

import base64
import binascii
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, model_fields, page, resolve_refs
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.network.models import Organization
from tiercare.people import consents, selectors, services
from tiercare.people.access import access_consent_by_id, access_household_by_id, access_person_by_id
from tiercare.people.models import Consent, Household, Person
from tiercare.people.schemas import (
    ConsentCodeIn,
    ConsentCodeOut,
    ConsentIn,
    ConsentOut,
    ConsentWithdrawIn,
    HouseholdDetailOut,
    HouseholdFilters,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    PersonFilters,
    PersonIn,
    PersonLeaveIn,
    PersonMoveIn,
    PersonOut,
    PersonPatch,
)

router = Router(tags=["people"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdOut]


@router.get("/persons", response={200: PersonPage, **ERRORS}, operation_id="list_person", tags=["persons"])
def list_persons(request: AuthedRequest, params: Query[PersonFilters], paging: Query[PageParams]) -> dict[str, Any]:
    """Persons in the asking user's care relationships. Each person shown is audited as read."""
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    result = page(selectors.person_list(for_user=request.user, **params.dict(exclude_none=True)), paging)
    audit_patient_read(actor=request.user, person_ids=[p.pk for p in result["items"]], object_type="people.person")
    return result


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS}, operation_id="get_person", tags=["persons"])
def get_person(request: AuthedRequest, person_id: UUID) -> Person:
    return access_person_by_id(request.user, person_id)


@router.post("/persons", response={201: PersonOut, **ERRORS}, operation_id="create_person", tags=["persons"])
def create_person(request: AuthedRequest, payload: PersonIn) -> Status[Person]:
    data = payload.dict()
    household = access_household_by_id(
        request.user, data.pop("household"), reason="register member", members_read=False
    )
    relation = data.pop("relation")
    id_kind, id_number = data.pop("id_kind"), data.pop("id_number")
    person = services.person_register(
        by=request.user,
        household=household,
        relation=relation,
        data=model_fields(data),
        id_kind=id_kind if id_number else "",
        id_number=id_number,
    )
    return Status(201, person)


@router.patch(
    "/persons/{person_id}",
    response={200: PersonOut, **ERRORS},
    operation_id="update_person",
    tags=["persons"],
)
def update_person(request: AuthedRequest, person_id: UUID, payload: PersonPatch) -> Person:
    person = access_person_by_id(request.user, person_id, reason="update")
    data = payload.dict(exclude_unset=True)
    id_kind, id_number = data.pop("id_kind", "") or "", data.pop("id_number", "") or ""
    return services.person_update(
        by=request.user, person=person, data=model_fields(data), id_kind=id_kind, id_number=id_number
    )


@router.post(
    "/persons/{person_id}/move",
    response={200: PersonOut, **ERRORS},
    operation_id="move_person",
    tags=["persons"],
)
def move_person(request: AuthedRequest, person_id: UUID, payload: PersonMoveIn) -> Person:
    """Move a member to another household (the person page's 「迁入其他家庭」): both resolved through their access
    functions (404 for either one the user may not see); their family-doctor contract membership ends."""
    require_role(request.user, *services.PERSON_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="move household")
    to = access_household_by_id(request.user, payload.household, reason="move household", members_read=False)
    services.person_move(by=request.user, person=person, to=to, relation=payload.relation)
    person.refresh_from_db()
    return person


@router.post(
    "/persons/{person_id}/leave",
    response={200: PersonOut, **ERRORS},
    operation_id="record_person_leave",
    tags=["persons"],
)
def record_person_leave(request: AuthedRequest, person_id: UUID, payload: PersonLeaveIn) -> Person:
    """Record a death or a move away from the area (the person page's form): the record stays, contract membership
    ends, worklists stop calling them. 409 when already recorded; 422 for a date outside birth date … today."""
    require_role(request.user, *services.PERSON_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="record death or move away")
    return services.person_leave(by=request.user, person=person, kind=payload.kind, on=payload.on)


@router.get("/households", response={200: HouseholdPage, **ERRORS}, operation_id="list_household", tags=["households"])
def list_households(
    request: AuthedRequest, params: Query[HouseholdFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Households in the asking user's scope. Every member of each household shown is audited as read."""
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    result = page(selectors.household_list(for_user=request.user, **params.dict(exclude_none=True)), paging)
    selectors.audit_households_read(actor=request.user, household_ids=[h.pk for h in result["items"]])
    return result


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERRORS},
    operation_id="get_household",
    tags=["households"],
)
def get_household(request: AuthedRequest, household_id: UUID) -> Household:
    household = access_household_by_id(request.user, household_id)
    household.member_rows = list(selectors.household_members(household=household))  # type: ignore[attr-defined]
    return household


@router.post(
    "/households",
    response={201: HouseholdOut, **ERRORS},
    operation_id="create_household",
    tags=["households"],
)
def create_household(request: AuthedRequest, payload: HouseholdIn) -> Status[Household]:
    data = resolve_refs(model_fields(payload.dict()), {"registered_at": Organization})
    return Status(201, services.household_create(by=request.user, data=data))


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, **ERRORS},
    operation_id="update_household",
    tags=["households"],
)
def update_household(request: AuthedRequest, household_id: UUID, payload: HouseholdPatch) -> Household:
    household = access_household_by_id(request.user, household_id, reason="update")
    data = resolve_refs(
        model_fields(payload.dict(exclude_unset=True)), {"registered_at": Organization, "proxy": Person}
    )
    return services.household_update(by=request.user, household=household, data=data)


@router.get(
    "/persons/{person_id}/consents",
    response={200: list[ConsentOut], **ERRORS},
    operation_id="list_consent",
    tags=["consents"],
)
def list_consents(request: AuthedRequest, person_id: UUID) -> list[Consent]:
    """The person's consents, newest first, withdrawn ones included (reading them reads the person: audited)."""
    person = access_person_by_id(request.user, person_id, reason="consents")
    return list(Consent.objects.filter(person=person))


def _document(payload: ConsentIn) -> ContentFile | None:
    if not payload.document_base64:
        return None
    try:
        raw = base64.b64decode(payload.document_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            _("document: the document is not valid base64."), details={"field": "document_base64"}
        ) from None
    return ContentFile(raw, name=payload.document_name or "consent")


@router.post(
    "/persons/{person_id}/consents",
    response={201: ConsentOut, **ERRORS},
    operation_id="create_consent",
    tags=["consents"],
)
def create_consent(request: AuthedRequest, person_id: UUID, payload: ConsentIn) -> Status[Consent]:
    """Record the person's consent to one purpose (PIPL Art. 29), with who signed and how (see ConsentIn)."""
    person = access_person_by_id(request.user, person_id, reason="record consent")
    consent = consents.consent_record(
        by=request.user,
        person=person,
        scope=payload.purpose,
        signer=payload.signer,
        given_by=payload.given_by,
        signer_relation=payload.signer_relation,
        method=payload.method,
        signed_on=payload.signed_on,
        valid_until=payload.valid_until,
        document=_document(payload),
        signature=payload.signature,
        sms_code=payload.sms_code,
        text_version=payload.text_version,
    )
    return Status(201, consent)


@router.post(
    "/persons/{person_id}/consent-codes",
    response={201: ConsentCodeOut, **ERRORS, 429: ErrorOut},
    operation_id="create_consent_code",
    tags=["consents"],
)
def create_consent_code(request: AuthedRequest, person_id: UUID, payload: ConsentCodeIn) -> Status[dict[str, Any]]:
    """Send an SMS confirmation code for a consent to the given phone (default: the person's mobile)."""
    person = access_person_by_id(request.user, person_id, reason="consent code")
    row = consents.sms_code_send(by=request.user, person=person, scope=payload.purpose, phone=payload.phone)
    return Status(201, {"phone_masked": row.phone[:3] + "****" + row.phone[7:], "expires_at": row.expires_at})


@router.post(
    "/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **ERRORS},
    operation_id="withdraw_consent",
    tags=["consents"],
)
def withdraw_consent(request: AuthedRequest, consent_id: UUID, payload: ConsentWithdrawIn) -> Consent:
    """Withdraw a consent: sharing for its purpose stops from now; what was shared under it stays."""
    consent = access_consent_by_id(request.user, consent_id, reason="withdraw consent")
    return consents.consent_withdraw(by=request.user, consent=consent, reason=payload.reason)
