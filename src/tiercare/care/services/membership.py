"""Teams and who acts for a resident: team membership, the lapsed-contract grace, a center's lead, panels.

Owns the rules every other care service asks before writing: a writer must be an active member of the resident's
contracted team (``_require_resident_team``), or, within ``lapse_grace_days()`` after the contract expired, of its
last team (``_resident_team_or_grace``: an urgent follow-up only); a center's lead (``is_center_lead``,
``center_lead_set``) owns the lapsed-contract and escalated worklists. Also the creation of a team
(``team_create``) and each doctor's panel against the cap (``team_panels``; 国卫基层发〔2018〕35号). Assigning and
removing team members from the pages is :mod:`tiercare.care.teams`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import ContractMember, ContractStatus, GpTeam, GpTeamMember, TeamRole
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Organization, Practitioner

TEAM_WRITER_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)
# 国卫基层发〔2018〕35号: a family doctor should have in principle ≤2,000 contracted residents.
PANEL_CAP_DEFAULT = 2000


def panel_cap() -> int:
    """The configured panel cap per family doctor (setting CARE_PANEL_CAP, default 2,000)."""
    return int(getattr(settings, "CARE_PANEL_CAP", PANEL_CAP_DEFAULT))


def _member_of(user: User, team: GpTeam) -> bool:
    if user.role == Role.ADMIN:
        return True
    return GpTeamMember.objects.filter(team=team, practitioner__user=user, active=True).exists()


def _require_team_member(user: User, team: GpTeam) -> None:
    if user.role not in TEAM_WRITER_ROLES or not _member_of(user, team):
        raise Forbidden(_("Only a member of this team may do this."), code="not_team_member")


def _require_resident_team(user: User, person_id: Any, refusal: str) -> None:
    """Forbidden(``refusal``) unless ``user`` writes for the team the resident is contracted with today."""
    membership = ContractMember.objects.filter(person_id=person_id, active=True).select_related("team").first()
    if membership is None or user.role not in TEAM_WRITER_ROLES or not _member_of(user, membership.team):
        raise Forbidden(refusal, code="not_team_member")


def lapse_grace_days() -> int:
    """Days after a contract expires during which its last team may still file an urgent follow-up (setting
    CARE_LAPSE_GRACE_DAYS, default 30)."""
    return int(getattr(settings, "CARE_LAPSE_GRACE_DAYS", 30))


def lapsed_membership(person_id: Any, today: date | None = None) -> ContractMember | None:
    """The resident's last membership when it ended because its contract expired and no team has them now."""
    if ContractMember.objects.filter(person_id=person_id, active=True).exists():
        return None
    last = (
        ContractMember.objects.filter(person_id=person_id, active=False)
        .select_related("team", "contract")
        .order_by("-ended_on", "-created_at")
        .first()
    )
    return last if last is not None and last.contract.status == ContractStatus.EXPIRED else None


def _resident_team_or_grace(user: User, person_id: Any, refusal: str) -> bool:
    """As ``_require_resident_team``, but the last team of a resident whose contract expired up to
    ``lapse_grace_days()`` ago is let in too (returns True: the caller allows only an urgent follow-up)."""
    membership = ContractMember.objects.filter(person_id=person_id, active=True).select_related("team").first()
    if membership is not None:
        _require_resident_team(user, person_id, refusal)
        return False
    last = lapsed_membership(person_id)
    today = timezone.localdate()
    if (
        last is None
        or user.role not in TEAM_WRITER_ROLES
        or not _member_of(user, last.team)
        or last.ended_on is None
        or today > last.ended_on + timedelta(days=lapse_grace_days())
    ):
        raise Forbidden(refusal, code="not_team_member")
    return True


def is_center_lead(user: User, center_id: Any) -> bool:
    """Whether ``user`` is the lead GP or health manager of ``center_id`` (administrators: every center)."""
    if user.role == Role.ADMIN:
        return True
    return GpTeamMember.objects.filter(
        practitioner__user=user, active=True, center_lead=True, team__active=True, team__center_id=center_id
    ).exists()


# The roles that may lead a center (issue 11: "its lead GP or health manager").
CENTER_LEAD_ROLES = (TeamRole.GP, TeamRole.HEALTH_MANAGER)


def center_lead_candidates(center_id: Any) -> QuerySet[GpTeamMember]:
    """The active family doctors and health managers of the center's active teams: who may be named its lead."""
    return (
        GpTeamMember.objects.filter(
            team__center_id=center_id, team__active=True, active=True, role__in=CENTER_LEAD_ROLES
        )
        .select_related("practitioner", "team")
        .order_by("team__name", "practitioner__name", "pk")
    )


def center_lead_set(*, by: User, center: Organization, member: GpTeamMember) -> GpTeamMember:
    """Name ``member`` the center's lead (``GpTeamMember.center_lead``), who owns its lapsed-contract and escalated
    worklists; the previous lead stops being it. Operations, administrators or the current lead may do it (the
    caller resolved the center through ``access.access_center_for_lead``). One lead per center: the center's team
    members are locked while it changes. Audited, on each row that changes.

    Raises Forbidden (anyone else), ValidationFailed naming ``member`` (not a GP or health manager of an active team
    of this center)."""
    if not (by.role in (Role.OPS, Role.ADMIN) or is_center_lead(by, center.pk)):
        raise Forbidden(_("Only operations or the center's lead name its lead."), code="not_center_lead")
    with transaction.atomic():
        rows = list(
            GpTeamMember.objects.select_for_update(of=("self",))
            .filter(team__center_id=center.pk)
            .order_by("pk")
        )  # fmt: skip
        chosen = next((m for m in rows if m.pk == member.pk), None)
        if chosen is None or not center_lead_candidates(center.pk).filter(pk=member.pk).exists():
            raise ValidationFailed(
                _("member: choose a family doctor or health manager of a team at this center."),
                details={"field": "member"},
            )
        for m in rows:
            lead = m.pk == chosen.pk
            if m.center_lead != lead:
                m.center_lead = lead
                m.save(update_fields=["center_lead", "updated_at"])
                audit_write(actor=by, action=AuditAction.UPDATE, obj=m, changes={"center_lead": [not lead, lead]})
    return chosen


def team_create(
    *, by: User, center: Organization, name: str, members: Iterable[tuple[Practitioner, str, float]] = ()
) -> GpTeam:
    """Create a family-doctor team at a GP center with its members (practitioner, role, hours a week).

    Operations, administrators and the center's lead build teams (a new center, with no lead yet, gets its first
    team from operations). Raises ValidationFailed if the center is not a GP center or a role is unknown; Conflict
    if the name is taken at the center.
    """
    if by.role not in (Role.OPS, Role.ADMIN) and not (by.role in TEAM_WRITER_ROLES and is_center_lead(by, center.pk)):
        raise Forbidden(_("Only operations or the center's lead build family-doctor teams."))
    if center.tier != "gp_center":
        raise ValidationFailed(_("center: a family-doctor team belongs to a GP center."), details={"field": "center"})
    with transaction.atomic():
        if GpTeam.objects.filter(center=center, name=name).exists():
            raise Conflict(
                _("name: a team of this name exists at this center."), code="team_name_taken", details={"field": "name"}
            )
        team = GpTeam.objects.create(center=center, name=name)
        audit_write(actor=by, action=AuditAction.CREATE, obj=team)
        for practitioner, role, hours in members:
            if role not in TeamRole.values:
                raise ValidationFailed(_("role: unknown team role %(r)s") % {"r": role}, details={"field": "role"})
            m = GpTeamMember.objects.create(team=team, practitioner=practitioner, role=role, hours_per_week=hours)
            audit_write(actor=by, action=AuditAction.CREATE, obj=m)
    return team


@dataclass
class PanelInfo:
    """A family doctor's panel: contracted residents across their teams, the cap, and their time per patient."""

    practitioner_id: Any
    name: str
    panel_size: int
    cap: int
    hours_per_week: float
    minutes_per_patient_per_year: float | None

    @property
    def over_cap(self) -> bool:
        return self.panel_size > self.cap


def team_panels(team: GpTeam) -> list[PanelInfo]:
    """Panel size, cap and yearly minutes per patient of each member of ``team`` (one query per member)."""
    out: list[PanelInfo] = []
    for m in team.members.filter(active=True).select_related("practitioner"):
        team_ids = GpTeamMember.objects.filter(practitioner_id=m.practitioner_id, active=True).values("team_id")
        size = ContractMember.objects.filter(active=True, team_id__in=team_ids).count()
        hours = float(m.hours_per_week)
        minutes = round(hours * 52 * 60 / size, 1) if size else None
        out.append(PanelInfo(m.practitioner_id, m.practitioner.name, size, panel_cap(), hours, minutes))
    return out
