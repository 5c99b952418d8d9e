"""Writes of the network directory. Each is one transaction, validated in full and audited.

Only operations and administrators write the directory (DIRECTORY_WRITERS); each function checks that first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from tiercare.core.access import DIRECTORY_WRITERS, require_role
from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import ValidationFailed
from tiercare.core.models import User
from tiercare.network.models import (
    Department,
    InsurancePolicy,
    Organization,
    OrgKind,
    Partnership,
    Practitioner,
    ServiceKind,
    SiteRegistration,
)


def _check_practitioner(p: Practitioner) -> None:
    if (
        p.home_department is not None
        and p.home_organization_id
        and p.home_department.organization_id != p.home_organization_id
    ):
        raise ValidationFailed(_("home_department: the department is not in the main institution."))
    if p.doctor_group is not None and p.doctor_group.kind != OrgKind.DOCTOR_GROUP:
        raise ValidationFailed(_("doctor_group: this organization is not a doctor group."))
    if p.home_organization is not None and p.home_organization.kind == OrgKind.DOCTOR_GROUP:
        raise ValidationFailed(
            _("home_organization: the main institution must be a licensed institution, not the doctor group.")
        )


def _check_registration(reg: SiteRegistration) -> None:
    if reg.site.kind == OrgKind.DOCTOR_GROUP:
        raise ValidationFailed(_("site: the doctor group is not a licensed institution; register the hospital."))


def _check_partnership(p: Partnership) -> None:
    if p.doctor_group.kind != OrgKind.DOCTOR_GROUP:
        raise ValidationFailed(_("doctor_group: this organization is not a doctor group."))
    if not isinstance(p.services, list):
        raise ValidationFailed(_("services: give a list of services."))
    unknown = [s for s in p.services if s not in ServiceKind.values]
    if unknown:
        raise ValidationFailed(
            _("services: unknown service %(s)s; use %(known)s")
            % {"s": unknown[0], "known": ", ".join(ServiceKind.values)}
        )


D = TypeVar("D", bound=models.Model)

# Rules across fields and rows that model validation cannot state, per directory model.
_CHECKS: dict[type[models.Model], Callable[[Any], None]] = {
    Practitioner: _check_practitioner,
    SiteRegistration: _check_registration,
    Partnership: _check_partnership,
}
DIRECTORY_MODELS = (Organization, Department, Practitioner, SiteRegistration, InsurancePolicy, Partnership)


def directory_create(*, by: User, model: type[D], data: dict[str, Any]) -> D:
    """Create a directory row (organization, department, practitioner, site registration, insurance, partnership).

    Raises Forbidden unless ``by`` is operations or an administrator, ValidationFailed naming the field at fault.
    """
    require_role(by, *DIRECTORY_WRITERS)
    obj = model(**data)
    _CHECKS.get(model, lambda _obj: None)(obj)
    return row_save(actor=by, obj=obj, changes=data)


def directory_update(*, by: User, obj: D, data: dict[str, Any]) -> D:
    """Change fields of a directory row; the audit row holds each field's old and new value."""
    require_role(by, *DIRECTORY_WRITERS)
    changes = changed_fields(obj, data)
    _CHECKS.get(type(obj), lambda _obj: None)(obj)
    return row_save(actor=by, obj=obj, changes=changes)
