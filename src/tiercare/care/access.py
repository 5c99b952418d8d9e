"""Fetch one care object for one user, or raise NotFound without telling whether it exists.

Scope is the care relationship (selectors.person_scope_q): the resident's contracted team, the resident, their
household proxy, an administrator. Successful reads of patient data are audited; refusals too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from tiercare.care import selectors
from tiercare.care.models import (
    CareContract,
    Enrollment,
    FollowUp,
    GpTeam,
    GpTeamMember,
    HomeReading,
    ReferralSuggestion,
)
from tiercare.care.teams import managed_teams
from tiercare.core.access import access_one
from tiercare.core.audit import audit_patient_read
from tiercare.core.models import User
from tiercare.network.models import Organization
from tiercare.people.models import Household, Person

M = TypeVar("M", bound=Model)


def _one(user: User, qs: QuerySet[M], object_id: object, object_type: str, reason: str) -> M:
    return access_one(
        user, qs, object_id, object_type=object_type, refusal="not in the user's care scope", not_found=_("Not found.")
    )


def _read(user: User, person_ids: list[Any], object_type: str, object_id: Any, reason: str) -> None:
    audit_patient_read(
        actor=user, person_ids=person_ids, object_type=object_type, object_id=str(object_id), reason=reason
    )


def access_person(user: User, person_id: object, *, reason: str = "") -> Person:
    """A person in ``user``'s care scope (audited read), else NotFound (audited refusal)."""
    qs = Person.objects.filter(selectors.care_person_scope_q(user)).select_related("membership__household")
    person = _one(user, qs, person_id, "people.person", reason)
    _read(user, [person.pk], "people.person", person.pk, reason or "care")
    return person


def access_household(user: User, household_id: object, *, reason: str = "") -> Household:
    """A household contracted with ``user``'s team (or the patient's own); reading it reads every member."""
    qs = Household.objects.filter(selectors.household_scope_q(user)).distinct().select_related("registered_at")
    household = _one(user, qs, household_id, "people.household", reason)
    _read(
        user,
        list(household.members.values_list("person_id", flat=True)),
        "people.household",
        household.pk,
        reason,
    )
    return household


def access_enrollment(user: User, enrollment_id: object, *, reason: str = "") -> Enrollment:
    qs = selectors.enrollment_list(for_user=user)
    e = _one(user, qs, enrollment_id, "care.enrollment", reason)
    _read(user, [e.person_id], "care.enrollment", e.pk, reason)
    return e


def access_followup(user: User, followup_id: object, *, reason: str = "") -> FollowUp:
    qs = selectors.followup_list(for_user=user, include_void=True)
    fu = _one(user, qs, followup_id, "care.followup", reason)
    _read(user, [fu.person_id], "care.followup", fu.pk, reason)
    return fu


def access_contract(user: User, contract_id: object, *, reason: str = "") -> CareContract:
    """A contract of ``user``'s scope; reading it (household name, address, members) reads every member: audited."""
    c = _one(user, selectors.contract_list(for_user=user), contract_id, "care.carecontract", reason)
    _read(user, list(c.household.members.values_list("person_id", flat=True)), "care.carecontract", c.pk, reason)
    return c


def access_team(user: User, team_id: object, *, action: str = "worklist") -> GpTeam:
    """A team ``user`` belongs to (administrators: any)."""
    qs: Any = selectors.team_list(for_user=user)
    if action == "worklist" and user.role == "ops":
        qs = GpTeam.objects.none()  # operations see counts, not patient worklists
    return _one(user, qs, team_id, "care.gpteam", action)


def access_suggestion(user: User, suggestion_id: object, *, reason: str = "") -> ReferralSuggestion:
    """A referral suggestion of a resident in ``user``'s care scope (``selectors.suggestion_list``, any status: a
    team member sees their contracted residents'), audited as a read; else NotFound, audited as a refusal, without
    telling whether it exists (another team's suggestion answers as a missing one)."""
    qs = selectors.suggestion_list(for_user=user, status=None)
    s = _one(user, qs, suggestion_id, "care.referralsuggestion", reason)
    _read(user, [s.person_id], "care.referralsuggestion", s.pk, reason)
    return s


def access_center_lead(user: User, center_id: object) -> Organization:
    """A GP center ``user`` leads (GpTeamMember.center_lead; administrators: any GP center), for its "contract
    lapsed" and "escalated" worklists; else NotFound (audited refusal)."""
    qs = Organization.objects.filter(tier="gp_center")
    if user.role != "admin":
        qs = qs.filter(pk__in=selectors.lead_center_ids(user)) if user.role in selectors.TEAM_ROLES else qs.none()
    return _one(user, qs, center_id, "network.organization", "center worklist")


def access_center_for_lead(user: User, center_id: object) -> Organization:
    """A GP center whose lead ``user`` may name: operations and administrators any; its current lead that one; else
    NotFound (audited refusal)."""
    qs = Organization.objects.filter(tier="gp_center")
    if user.role not in ("ops", "admin"):
        qs = qs.filter(pk__in=selectors.lead_center_ids(user)) if user.role in selectors.TEAM_ROLES else qs.none()
    return _one(user, qs, center_id, "network.organization", "center lead")


def access_renewable_contract(user: User, contract_id: object) -> CareContract:
    """A contract ``user`` may renew: one of their team's (``contract_list``), or a lapsed (expired) one of a center
    they lead; else NotFound (audited refusal). The service checks the state."""
    qs = selectors.contract_list(for_user=user)
    if user.role in selectors.TEAM_ROLES:
        qs = qs | CareContract.objects.filter(status="expired", team__center_id__in=selectors.lead_center_ids(user))
    return _one(user, qs.distinct(), contract_id, "care.carecontract", "renew")


def access_managed_team(user: User, team_id: object) -> GpTeam:
    """A team whose members ``user`` may assign (operations and administrators: any; a center's lead: the teams of
    their centers), else NotFound (audited refusal)."""
    return _one(user, managed_teams(user), team_id, "care.gpteam", "manage team")


def access_team_page(user: User, team_id: object) -> GpTeam:
    """A team ``user`` belongs to or manages (its page: members, no patient data), else NotFound."""
    qs = GpTeam.objects.filter(
        Q(pk__in=selectors.team_list(for_user=user).values("pk")) | Q(pk__in=managed_teams(user).values("pk"))
    )
    return _one(user, qs.select_related("center"), team_id, "care.gpteam", "team page")


def access_team_member(user: User, member_id: object) -> GpTeamMember:
    """A membership of a team ``user`` manages, else NotFound (audited refusal)."""
    qs = GpTeamMember.objects.filter(team__in=managed_teams(user)).select_related("team", "practitioner")
    return _one(user, qs, member_id, "care.gpteammember", "manage team")


def access_home_reading(user: User, reading_id: object, *, reason: str = "handle") -> HomeReading:
    """A home reading of a resident in ``user``'s care scope (read audited), else NotFound (audited)."""
    qs = HomeReading.objects.filter(person__in=Person.objects.filter(selectors.care_person_scope_q(user)))
    r = _one(user, qs, reading_id, "care.homereading", reason)
    _read(user, [r.person_id], "care.homereading", r.pk, reason)
    return r
