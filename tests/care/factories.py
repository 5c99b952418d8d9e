"""Care factories: a team at a GP center with the cast's staff in it, contracts, enrolments, follow-ups."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from tests import factories as f

from tiercare.care import services
from tiercare.care.models import CareContract, Enrollment, FollowUp, GpTeam, GpTeamMember, ReferralSuggestion
from tiercare.core.models import Role, User
from tiercare.people.models import Household


def team_with(center: Any, *users: User, name: str = "一组") -> GpTeam:
    """A team at ``center`` with ``users`` (staff with practitioner records) as members."""
    team = GpTeam.objects.create(center=center, name=name)
    for u in users:
        role = {Role.GP: "gp", Role.HEALTH_MANAGER: "health_manager"}.get(u.role, "nurse")
        GpTeamMember.objects.create(team=team, practitioner=u.practitioner, role=role, hours_per_week=40)
    return team


def contract(by: User, household: Household, team: GpTeam, start: date | None = None) -> CareContract:
    start = start or date(2026, 1, 1)
    return services.contract_sign(
        by=by,
        household=household,
        team=team,
        start=start,
        end=services.add_years(start, 1) - timedelta(days=1),
    ).contract


def enrol(by: User, person: Any, code: str = "hypertension", on: date = date(2026, 1, 5)) -> Enrollment:
    diagnosis = {"hypertension": "I10", "diabetes_t2": "E11.9"}[code]
    return services.enrollment_create(
        by=by, person=person, protocol_code=code, diagnosis_code=diagnosis, enrolled_on=on
    )


HTN_OK = {"sbp_mmhg": 128, "dbp_mmhg": 78, "adverse_reaction": False, "new_or_worse_complication": False}
HTN_HIGH = {"sbp_mmhg": 156, "dbp_mmhg": 94, "adverse_reaction": False, "new_or_worse_complication": False}


def at(d: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day, hour))


def followup(by: User, e: Enrollment, when: date, m: dict | None = None) -> FollowUp:
    return services.followup_record(
        by=by, enrollment=e, person_id=e.person_id, measured_at=at(when), measurements=m or HTN_OK
    )


def second_team(cast: Any) -> tuple[GpTeam, User, Household, Any]:
    """Team B at center B with gp_b, household_b contracted with it; returns (team, gp_b, household, person)."""
    team_b = team_with(cast.center_b, cast.gp_b, name="二组")
    contract(cast.gp_b, cast.household_b, team_b)
    return team_b, cast.gp_b, cast.household_b, cast.person_b


__all__ = ["f", "team_with", "contract", "enrol", "followup", "at", "second_team", "HTN_OK", "HTN_HIGH"]


def two_unsatisfactory(by: User, e: Enrollment, first: date, second: date) -> ReferralSuggestion:
    """Unsatisfactory twice in a row (HTN-UNSAT-2X): the suggestion to refer up that the second one raises."""
    followup(by, e, first, HTN_HIGH)
    return ReferralSuggestion.objects.get(followup=followup(by, e, second, HTN_HIGH))


# --- pages -----------------------------------------------------------------------------------------------------

HX = {"HTTP_HX_REQUEST": "true"}  # a request as htmx sends it


def page_client(user: User) -> Client:
    """A browser-less client signed in as ``user``."""
    c = Client()
    c.force_login(user)
    return c


def page_text(response: Any) -> str:
    """A page's HTML with entities decoded, for asserting on its text."""
    return html.unescape(response.content.decode())
