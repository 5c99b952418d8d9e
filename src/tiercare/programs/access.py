"""Fetch one program or campaign for one user, or raise NotFound (404) with an audited refusal, without telling
whether it exists (``core.access.access_one``). Every id of this app that comes from outside passes here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.models import Role, User
from tiercare.network.models import Department, Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import ExpertSession
from tiercare.programs.models import (
    Course,
    CourseSession,
    Milestone,
    MilestoneEvidence,
    Program,
    SurveyCampaign,
    TrainingScore,
)
from tiercare.programs.selectors import (
    ALL_SEEING,
    ASSESSORS,
    department_staff,
    program_scope_q,
    teaching_sessions,
)


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


def access_course_by_id(user: User, program: Program, course_id: object) -> Course:
    """A course of ``program`` (already resolved for ``user``), else 404."""
    return access_one(
        user,
        Course.objects.filter(program=program).select_related("program__department__organization"),
        course_id,
        object_type="programs.course",
        refusal="not a course of the program",
        not_found=_("No such course."),
    )


def access_course_session_by_id(user: User, program: Program, session_id: object) -> CourseSession:
    """A session of one of ``program``'s courses, else 404."""
    return access_one(
        user,
        CourseSession.objects.filter(course__program=program).select_related("course__program__department"),
        session_id,
        object_type="programs.coursesession",
        refusal="not a course session of the program",
        not_found=_("No such course session."),
    )


def access_trainee_by_id(user: User, program: Program, trainee_id: object) -> Practitioner:
    """A member of the program's department's staff, else 404 (and an audited refusal)."""
    return access_one(
        user,
        department_staff(program.department),
        trainee_id,
        object_type="network.practitioner",
        refusal="not on the staff of the program's department",
        not_found=_("No such trainee."),
    )


def access_teaching_session_by_id(user: User, program: Program, session_id: object) -> ExpertSession:
    """An outreach teaching session at the program's department, else 404."""
    return access_one(
        user,
        teaching_sessions(program),
        session_id,
        object_type="outreach.expertsession",
        refusal="not a teaching session at the program's department",
        not_found=_("No such teaching session."),
    )


def access_score_by_id(user: User, program: Program, score_id: object) -> TrainingScore:
    """A training score of ``program``, else 404."""
    return access_one(
        user,
        TrainingScore.objects.filter(course__program=program).select_related("course", "trainee"),
        score_id,
        object_type="programs.trainingscore",
        refusal="not a training score of the program",
        not_found=_("No such score."),
    )


def access_evidence_by_id(user: User, program: Program, evidence_id: object) -> MilestoneEvidence:
    """An evidence file of one of ``program``'s milestones, else 404."""
    return access_one(
        user,
        MilestoneEvidence.objects.filter(milestone__program=program),
        evidence_id,
        object_type="programs.milestoneevidence",
        refusal="not evidence of the program",
        not_found=_("No such file."),
    )
