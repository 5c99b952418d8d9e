"""The network directory API: organizations, departments, practitioners, site registrations, insurance,
partnerships, and the practice check ("may this expert work at this site on this date, and on what basis")."""

from datetime import date
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

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


class OrganizationFilters(Schema):
    tier: TierCode | None = None
    kind: KindCode | None = None
    province: str | None = Field(None, max_length=40)
    q: str | None = Field(None, max_length=60, description="Name contains")
    partner: bool | None = Field(None, description="Has an active partnership with the doctor group")


class DepartmentFilters(Schema):
    organization: UUID | None = None
    specialty: SpecialtyCode | None = None


class PractitionerFilters(Schema):
    specialty: SpecialtyCode | None = None
    organization: UUID | None = Field(None, description="Main institution")
    title: TitleCode | None = None
    allowed_at: UUID | None = Field(None, description="Only those with a legal basis and cover at this site …")
    on: date | None = Field(None, description="… on this date (default today)")
    insurance_expiring_days: int | None = Field(None, ge=0, le=366)
    q: str | None = Field(None, max_length=60, description="Name, pinyin or initials")
    experts_only: bool = False


class SiteRegistrationFilters(Schema):
    practitioner: UUID | None = None
    site: UUID | None = None
    valid_on: date | None = None


class InsuranceFilters(Schema):
    practitioner: UUID | None = None
    expiring_within_days: int | None = Field(None, ge=0, le=366)


class PartnershipFilters(Schema):
    organization: UUID | None = None
    specialty: SpecialtyCode | None = None
    active_on: date | None = None


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
