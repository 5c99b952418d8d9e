"""Family-doctor teams kept from pages: who may manage a center's teams, assigning and removing GPs, nurses and
health managers, and ending a leaver's contract membership (``people.signals.person_left``).

Creating a team is ``services.team_create``. Operations and administrators manage every GP center's teams; a
center's lead manages the teams of the centers they lead. A practitioner is assigned only to a team of a center where
they hold an active staff role (the directory's ``PractitionerRole``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import ContractEvent, ContractMember, GpTeam, GpTeamMember, TeamRole
from tiercare.care.selectors import lead_center_ids
from tiercare.care.services.membership import TEAM_WRITER_ROLES, is_center_lead
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Organization, Practitioner, PractitionerRole, Tier

MAX_HOURS_PER_WEEK = Decimal("60")


def managed_centers(user: User) -> QuerySet[Organization]:
    """The GP centers whose teams ``user`` may build and staff: every GP center for operations and administrators,
    the centers they lead for a GP or health manager, none for anyone else."""
    centers = Organization.objects.filter(tier=Tier.GP_CENTER).order_by("name")
    if user.role in (Role.OPS, Role.ADMIN):
        return centers
    if user.role in TEAM_WRITER_ROLES:
        return centers.filter(pk__in=lead_center_ids(user))
    return centers.none()


def managed_teams(user: User) -> QuerySet[GpTeam]:
    return GpTeam.objects.filter(center__in=managed_centers(user)).select_related("center")


def _require_manager(by: User, center_id: Any) -> None:
    if by.role in (Role.OPS, Role.ADMIN):
        return
    if by.role in TEAM_WRITER_ROLES and is_center_lead(by, center_id):
        return
    raise Forbidden(_("Only operations or the center's lead manage its teams."))


def center_staff(center: Organization, on: date | None = None) -> QuerySet[Practitioner]:
    """Practitioners with an active staff role at ``center`` (those a team there may take)."""
    on = on or timezone.localdate()
    roles = PractitionerRole.objects.filter(organization=center, valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )
    return Practitioner.objects.filter(pk__in=roles.values("practitioner_id"), is_active=True).order_by("name_pinyin")


def team_member_add(
    *,
    by: User,
    team: GpTeam,
    practitioner: Practitioner,
    role: str,
    hours_per_week: Decimal | float = 40,
    center_lead: bool = False,
) -> GpTeamMember:
    """Assign ``practitioner`` to ``team`` as a family doctor, nurse or health manager. Refused (ValidationFailed,
    naming the field) for an unknown role, hours outside 1–60 a week, or someone without a staff role at the
    team's center; Conflict when they are already an active member of the team."""
    _require_manager(by, team.center_id)
    if role not in TeamRole.values:
        raise ValidationFailed(_("role: choose family doctor, nurse or health manager."), details={"field": "role"})
    hours = Decimal(str(hours_per_week))
    if not Decimal("1") <= hours <= MAX_HOURS_PER_WEEK:
        raise ValidationFailed(
            _("hours_per_week: between 1 and %(n)s hours a week.") % {"n": MAX_HOURS_PER_WEEK},
            details={"field": "hours_per_week"},
        )
    if not center_staff(team.center).filter(pk=practitioner.pk).exists():
        raise ValidationFailed(
            _("practitioner: %(p)s has no staff role at %(c)s.") % {"p": practitioner.name, "c": team.center.name},
            details={"field": "practitioner"},
        )
    if center_lead and by.role not in (Role.OPS, Role.ADMIN):
        raise Forbidden(_("Only operations name a center's lead."))
    try:
        with transaction.atomic():
            member = GpTeamMember.objects.create(
                team=team, practitioner=practitioner, role=role, hours_per_week=hours, center_lead=center_lead
            )
            audit_write(
                actor=by,
                action=AuditAction.CREATE,
                obj=member,
                changes={"practitioner": str(practitioner.pk), "role": role, "hours_per_week": str(hours)},
            )
    except IntegrityError:
        raise Conflict(
            _("practitioner: %(p)s is already in this team.") % {"p": practitioner.name},
            code="already_member",
            details={"field": "practitioner"},
        ) from None
    return member


def team_member_end(*, by: User, member: GpTeamMember) -> GpTeamMember:
    """Take a practitioner off a team (the row stays, inactive: who was in the team when is kept)."""
    _require_manager(by, member.team.center_id)
    with transaction.atomic():
        locked = GpTeamMember.objects.select_for_update().get(pk=member.pk)
        if not locked.active:
            raise Conflict(_("This practitioner has already left the team."), code="already_left")
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes={"active": [True, False]})
    return locked


def end_memberships_of_leaver(sender: Any, *, person: Any, by: User | None, on: date, reason: str, **_: Any) -> None:
    """``person_left`` receiver: a resident who died, moved away or changed household leaves their contract's
    members (the contract itself goes on for the others), recorded as a ``member_removed`` event."""
    for m in ContractMember.objects.select_for_update().filter(person_id=person.pk, active=True):
        ContractMember.objects.filter(pk=m.pk).update(active=False, ended_on=on)
        ContractEvent.objects.create(
            contract_id=m.contract_id, kind="member_removed", by=by, on=on, reason=f"{person.pk} {reason}"[:300]
        )
        audit_write(actor=by, action=AuditAction.UPDATE, obj=m, changes={"active": [True, False], "reason": reason})
