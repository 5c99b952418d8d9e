"""The network directory API: organizations, departments, practitioners, site registrations, insurance,
partnerships, and the practice check ("may this expert work at this site on this date, and on what basis")."""

from datetime import date
from typing import Any, cast
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from tiercare.core.api import ErrorOut, crud_routes, resolve
from tiercare.core.errors import NotFound
from tiercare.core.http import AuthedRequest
from tiercare.network import selectors
from tiercare.network.models import (
    Department,
    InsurancePolicy,
    Organization,
    Partnership,
    Practitioner,
    SiteRegistration,
)
from tiercare.network.practice import practice_basis
from tiercare.network.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    InsurancePolicyIn,
    InsurancePolicyOut,
    InsurancePolicyPatch,
    KindCode,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PartnershipIn,
    PartnershipOut,
    PartnershipPatch,
    PracticeDecisionOut,
    PractitionerIn,
    PractitionerOut,
    PractitionerPatch,
    SiteRegistrationIn,
    SiteRegistrationOut,
    SiteRegistrationPatch,
    SpecialtyCode,
    TierCode,
    TitleCode,
)
from tiercare.network.services import directory_create, directory_update

router = Router(tags=["network"])


def _given(annotation: Any, **field: Any) -> tuple[Any, Any]:
    """A filter that applies only when given: ``annotation | None``, default None; ``field`` holds Field's
    description and bounds."""
    return (annotation | None, Field(None, **field) if field else None)


def _filters(name: str, **fields: tuple[Any, Any]) -> type[Schema]:
    """One list's query filters, declared as ``name=(annotation, default)`` (mostly ``_given(...)``)."""
    return cast(type[Schema], create_model(name, __base__=Schema, **cast(dict[str, Any], fields)))


# Filters several lists share.
_BY_ORGANIZATION = _given(UUID)
_BY_PRACTITIONER = _given(UUID)
_BY_SPECIALTY = _given(SpecialtyCode)

OrganizationFilters = _filters(
    "OrganizationFilters",
    tier=_given(TierCode),
    kind=_given(KindCode),
    province=_given(str, max_length=40),
    q=_given(str, max_length=60, description="Name contains"),
    partner=_given(bool, description="Has an active partnership with the doctor group"),
)
DepartmentFilters = _filters("DepartmentFilters", organization=_BY_ORGANIZATION, specialty=_BY_SPECIALTY)
PractitionerFilters = _filters(
    "PractitionerFilters",
    specialty=_BY_SPECIALTY,
    organization=_given(UUID, description="Main institution"),
    title=_given(TitleCode),
    allowed_at=_given(UUID, description="Only those with a legal basis and cover at this site …"),
    on=_given(date, description="… on this date (default today)"),
    insurance_expiring_days=_given(int, ge=0, le=366),
    q=_given(str, max_length=60, description="Name, pinyin or initials"),
    experts_only=(bool, False),
)
SiteRegistrationFilters = _filters(
    "SiteRegistrationFilters", practitioner=_BY_PRACTITIONER, site=_given(UUID), valid_on=_given(date)
)
InsuranceFilters = _filters(
    "InsuranceFilters", practitioner=_BY_PRACTITIONER, expiring_within_days=_given(int, ge=0, le=366)
)
PartnershipFilters = _filters(
    "PartnershipFilters", organization=_BY_ORGANIZATION, specialty=_BY_SPECIALTY, active_on=_given(date)
)


def _practitioners(*, for_user, allowed_at=None, **filters):  # type: ignore[no-untyped-def]
    site = resolve(Organization, allowed_at, "allowed_at") if allowed_at else None
    return selectors.practitioner_list(for_user=for_user, allowed_at=site, **filters)


_writes = {"create": directory_create, "update": directory_update}
crud_routes(
    router,
    path="/organizations",
    model=Organization,
    out=OrganizationOut,
    create_in=OrganizationIn,
    patch_in=OrganizationPatch,
    filters=OrganizationFilters,
    select=selectors.organization_list,
    refs={},
    tag="organizations",
    **_writes,
)
crud_routes(
    router,
    path="/departments",
    model=Department,
    out=DepartmentOut,
    create_in=DepartmentIn,
    patch_in=DepartmentPatch,
    filters=DepartmentFilters,
    select=selectors.department_list,
    refs={"organization": Organization},
    tag="departments",
    **_writes,
)
crud_routes(
    router,
    path="/practitioners",
    model=Practitioner,
    out=PractitionerOut,
    create_in=PractitionerIn,
    patch_in=PractitionerPatch,
    filters=PractitionerFilters,
    select=_practitioners,
    refs={"home_organization": Organization, "home_department": Department, "doctor_group": Organization},
    tag="practitioners",
    **_writes,
)
crud_routes(
    router,
    path="/site-registrations",
    model=SiteRegistration,
    out=SiteRegistrationOut,
    create_in=SiteRegistrationIn,
    patch_in=SiteRegistrationPatch,
    filters=SiteRegistrationFilters,
    select=selectors.site_registration_list,
    refs={"practitioner": Practitioner, "site": Organization},
    tag="site registrations",
    **_writes,
)
crud_routes(
    router,
    path="/insurance-policies",
    model=InsurancePolicy,
    out=InsurancePolicyOut,
    create_in=InsurancePolicyIn,
    patch_in=InsurancePolicyPatch,
    filters=InsuranceFilters,
    select=selectors.insurance_policy_list,
    refs={"practitioner": Practitioner},
    tag="insurance policies",
    **_writes,
)
crud_routes(
    router,
    path="/partnerships",
    model=Partnership,
    out=PartnershipOut,
    create_in=PartnershipIn,
    patch_in=PartnershipPatch,
    filters=PartnershipFilters,
    select=selectors.partnership_list,
    refs={"doctor_group": Organization, "department": Department},
    tag="partnerships",
    **_writes,
)


class PracticeQuery(Schema):
    site: UUID
    on: date


@router.get(
    "/practitioners/{row_id}/practice",
    response={200: PracticeDecisionOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["practitioners"],
    operation_id="practice_check",
    summary="May this practitioner practise at a site on a date, and on what legal basis?",
)
def practice_check(request: AuthedRequest, row_id: UUID, query: Query[PracticeQuery]) -> dict[str, object]:
    practitioner = selectors.practitioner_list(for_user=request.user).filter(pk=row_id).first()
    if practitioner is None:
        raise NotFound(_("No such practitioner."))
    site = resolve(Organization, query.site, "site")
    return practice_basis(practitioner, site, query.on).as_dict()
