"""Session requests: a partner department asks the doctor group for outreach sessions (``request_create``), or
withdraws an open request (``request_cancel``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import Role, User
from tiercare.network.models import Department, Partnership, Practitioner, Specialty
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach import planning
from tiercare.outreach.models import RequestStatus, SessionKind, SessionRequest
from tiercare.outreach.services.sessions import _label


def _require_department_writer(by: User, department: Department) -> None:
    require_role(by, Role.COORDINATOR, Role.OPS, Role.ADMIN)
    if by.role == Role.COORDINATOR and department.organization_id not in user_organization_ids(by):
        raise NotFound(_("No such department."))


def request_create(
    *, by: User, department: Department, data: dict[str, Any], preferred_experts: Iterable[Practitioner] = ()
) -> SessionRequest:
    """A partner department asks for sessions. Refuses (422) a department without an active partnership, a
    service the partnership does not cover, a specialty that cannot serve the department, a window in the past."""
    _require_department_writer(by, department)
    today = timezone.localdate()
    partnership = (
        Partnership.objects.filter(department=department, start__lte=max(today, data["window_start"]))
        .filter(Q(end__isnull=True) | Q(end__gte=data["window_start"]))
        .first()
    )
    if partnership is None:
        raise ValidationFailed(
            _("department: this department has no active partnership with the doctor group."),
            details={"field": "department"},
        )
    if partnership.services and data["kind"] not in partnership.services:
        raise ValidationFailed(
            _("kind: the partnership does not cover %(kind)s sessions.") % {"kind": _label(SessionKind, data["kind"])},
            details={"field": "kind"},
        )
    specialty = data.get("specialty") or department.specialty
    if specialty not in planning.serving_specialties(department.specialty):
        raise ValidationFailed(
            _("specialty: %(s)s experts do not serve a %(d)s department.")
            % {"s": _label(Specialty, specialty), "d": _label(Specialty, department.specialty)},
            details={"field": "specialty"},
        )
    if data["window_end"] < today:
        raise ValidationFailed(_("window_end: the window is in the past."), details={"field": "window_end"})
    preferred = list(preferred_experts)
    for p in preferred:
        if p.doctor_group_id is None or p.specialty != specialty:
            raise ValidationFailed(
                _("preferred_experts: %(name)s is not a %(s)s expert of the doctor group.")
                % {"name": p.name, "s": _label(Specialty, specialty)},
                details={"field": "preferred_experts"},
            )
    if data["kind"] != SessionKind.SURGERY and data.get("procedures"):
        raise ValidationFailed(_("procedures: only surgery sessions list procedures."), details={"field": "procedures"})
    req = SessionRequest(
        department=department,
        specialty=specialty,
        requested_by=by,
        **{k: v for k, v in data.items() if k != "specialty"},
    )
    with transaction.atomic():
        row_save(actor=by, obj=req, changes=dict(data))
        if preferred:
            req.preferred_experts.set(preferred)
    return req


def request_cancel(*, by: User, request: SessionRequest, reason: str = "") -> SessionRequest:
    """Cancel an open request (its confirmed sessions stay; cancel those one by one). 409 if not open."""
    _require_department_writer(by, request.department)
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            _("Only an open request can be cancelled."), code="illegal_transition", details={"state": request.status}
        )
    changes = changed_fields(request, {"status": RequestStatus.CANCELLED})
    return row_save(actor=by, obj=request, changes=changes, reason=reason)
