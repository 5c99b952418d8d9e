"""Issue 10: a GP who left a team (membership inactive) no longer sees that team's households and persons through
the people API and pages, nor writes to them (edit, add a member, open a case); an active member still does."""

from __future__ import annotations

import pytest
from tests import factories as f
from tests.care.factories import contract, team_with

from tiercare.care.models import GpTeamMember
from tiercare.core.models import Role
from tiercare.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def left(cast):
    """Team A holds household A; ``cast.gp`` has left it, ``stayer`` is still on it."""
    stayer = f.staff_user(Role.GP, cast.center_a, username="stayer")
    team = team_with(cast.center_a, cast.gp, stayer, name="A组")
    contract(cast.gp, cast.household_a, team)
    GpTeamMember.objects.filter(team=team, practitioner=cast.gp.practitioner).update(active=False)
    return stayer


def _refusals(api, user, cast):
    hh, person = cast.household_a, cast.patient_person
    client = api(user)
    return {
        "person read": client.get(f"persons/{person.pk}")[0],
        "household read": client.get(f"households/{hh.pk}")[0],
        "person edit": client.patch(f"persons/{person.pk}", {"name": "改名"})[0],
        "household edit": client.patch(f"households/{hh.pk}", {"address": "改址"})[0],
        "add member": client.post("persons", {"household": str(hh.pk), "name": "新成员"})[0],
        "open case": client.post("consults/cases", {"person": str(person.pk), "question": "咳嗽"})[0],
        "household page": client.client.get(f"/people/households/{hh.pk}/").status_code,
    }


def test_gp_who_left_the_team_is_refused_everywhere(cast, left, api):
    persons_before = Person.objects.count()
    assert set(_refusals(api, cast.gp, cast).values()) == {404}
    assert Person.objects.count() == persons_before
    cast.patient_person.refresh_from_db()
    cast.household_a.refresh_from_db()
    assert cast.patient_person.name == "张三" and cast.household_a.address != "改址"


def test_lists_exclude_the_left_teams_households(cast, left, api):
    uncontracted = f.HouseholdFactory(name="钱家", registered_at=cast.center_a)
    status, body = api(cast.gp).get("households")
    assert status == 200 and {i["id"] for i in body["items"]} == {str(uncontracted.pk)}
    status, body = api(cast.gp).get("persons")
    assert status == 200 and str(cast.patient_person.pk) not in {i["id"] for i in body["items"]}
    page = api(cast.gp).client.get("/people/households/").content.decode()
    assert "张家" not in page and "钱家" in page


def test_active_member_still_reads_and_writes(cast, left, api):
    statuses = _refusals(api, left, cast)
    assert statuses.pop("open case") == 422  # through the scope; stopped by the missing consent, as for anyone
    assert statuses.pop("add member") == 201
    assert set(statuses.values()) == {200}
    status, body = api(left).get("households")
    assert str(cast.household_a.pk) in {i["id"] for i in body["items"]}


def test_rejoining_restores_access(cast, left, api):
    """The threshold: the same user, the same team, only the membership's active flag differs."""
    assert api(cast.gp).get(f"persons/{cast.patient_person.pk}")[0] == 404
    GpTeamMember.objects.filter(practitioner=cast.gp.practitioner).update(active=True)
    assert api(cast.gp).get(f"persons/{cast.patient_person.pk}")[0] == 200
