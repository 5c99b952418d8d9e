"""Fetch one program or campaign for one user, or raise NotFound (404) with an audited refusal, without telling
whether it exists (``core.access.access_one``). Every id of this app that comes from outside passes here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.models import Role, User
from tiercare.network.models import Department
from tiercare.network.selectors import user_organization_ids
from tiercare.programs.models import Milestone, Program, SurveyCampaign
from tiercare.programs.selectors import ALL_SEEING, ASSESSORS, program_scope_q


def access_program_by_id(user: User, program_id: object) -> Program:
    """The program if ``user`` may see it (all for operations and auditors, their hospital's for coordinators and
    directors, the programs they serve for experts), else 404 and an audited refusal."""
    return access_one(
        user,
        Program.objects.filter(program_scope_q(user)).select_related("department__organization", "lead_expert"),
        program_id,
        object_type="programs.program",
        refusal="not in the user's programs",
        not_found=_("No such program."),
    )


def access_milestone_by_id(user: User, program: Program, milestone_id: object) -> Milestone:
    """A milestone of ``program`` (already resolved for ``user``), else 404."""
    return access_one(
        user,
        Milestone.objects.filter(program=program),
        milestone_id,
        object_type="programs.milestone",
        refusal="not a milestone of the program",
        not_found=_("No such milestone."),
    )


def access_campaign_by_id(user: User, campaign_id: object) -> SurveyCampaign:
    """A survey campaign, for operations, administrators and auditors, else 404."""
    sees = user.is_authenticated and user.is_active and user.role in ALL_SEEING
    return access_one(
        user,
        SurveyCampaign.objects.all() if sees else SurveyCampaign.objects.none(),
        campaign_id,
        object_type="programs.surveycampaign",
        refusal="not a survey reader",
        not_found=_("No such survey campaign."),
    )


def access_department_to_assess(user: User, department_id: object) -> Department:
    """A department ``user`` may assess (any, for operations and visiting experts; their hospital's, for a
    coordinator), else 404 and an audited refusal."""
    qs = Department.objects.select_related("organization")
    if not (user.is_authenticated and user.is_active and user.role in ASSESSORS):
        qs = qs.none()
    elif user.role == Role.COORDINATOR:
        qs = qs.filter(organization_id__in=user_organization_ids(user))
    return access_one(
        user,
        qs,
        department_id,
        object_type="network.department",
        refusal="not a department the user assesses",
        not_found=_("No such department."),
    )
