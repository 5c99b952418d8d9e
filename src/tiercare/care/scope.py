"""The team scope (issue 6 and 10): the households and persons that the asking user's ACTIVE team holds.

One place for it, used by care's selectors and, through the ``PEOPLE_TEAM_SCOPE`` setting, by people's (people sits
below care and may not import it; the setting names this module's ``household_team_q`` the way consults reaches
referrals through ``CONSULTS_REFERRAL_HOOK``). Every condition on a membership row lives inside one subquery, so an
inactive membership and an active one of different rows can never combine into access (issue 10: a GP who left a
team kept its patients because ``exclude(team__members__practitioner__user=u, team__members__active=True)`` matched
two different membership rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db.models import Q, QuerySet

from tiercare.care.models import CareContract, ContractMember, GpTeamMember
from tiercare.core.models import Role, User

TEAM_ROLES = (Role.GP, Role.HEALTH_MANAGER)


def user_team_ids(user: User) -> QuerySet[GpTeamMember, uuid.UUID]:
    """The ids of the active teams ``user`` is an active member of, as a subquery (no query of its own: the
    scope is evaluated inside the query it filters). The same membership row must be the user's AND active."""
    if not user.is_authenticated or not user.is_active or user.role not in TEAM_ROLES:
        return GpTeamMember.objects.none().values_list("team_id", flat=True)
    return GpTeamMember.objects.filter(practitioner__user_id=user.pk, active=True, team__active=True).values_list(
        "team_id", flat=True
    )


def team_household_ids(user: User) -> QuerySet[CareContract, Mapping[str, object]]:
    """The households under an active contract with ``user``'s active team (subquery of household ids)."""
    return CareContract.objects.filter(status="active", team_id__in=user_team_ids(user)).values("household_id")


def team_person_ids(user: User) -> QuerySet[ContractMember, Mapping[str, object]]:
    """The residents actively enrolled under a contract with ``user``'s active team (subquery of person ids)."""
    return ContractMember.objects.filter(active=True, team_id__in=user_team_ids(user)).values("person_id")


def household_team_q(user: User, household_field: str = "pk") -> Q:
    """A filter on a model reaching Household through ``household_field``: the household is under no active
    contract, or under one with ``user``'s active team. A household contracted with a team the user is not an
    ACTIVE member of (another team, a team the user left, a disbanded team) is excluded."""
    contracted = CareContract.objects.filter(status="active").values("household_id")
    return ~Q(**{f"{household_field}__in": contracted}) | Q(**{f"{household_field}__in": team_household_ids(user)})
