"""A GP's patient list (care ``person_list``, the team-driven query of issue 10 item 14): the team's persons only,
by name pinyin then id, with their household, and the same order an administrator's list gives them."""

from __future__ import annotations

import pytest
from tests import factories as f
from tests.care.factories import contract, team_with

from tiercare.care import selectors
from tiercare.core.models import Role
from tiercare.people.models import Person

pytestmark = pytest.mark.django_db


def test_team_list_is_ordered_by_pinyin_then_id_and_holds_only_the_team(cast, api):
    team_a = team_with(cast.center_a, cast.gp, name="A组")
    gp2 = f.staff_user(Role.GP, cast.center_a, username="gp2")
    team_b = team_with(cast.center_a, gp2, name="B组")
    mine, theirs = [], []
    for i, names in enumerate([["张伟", "安娜"], ["王芳", "张伟"], ["白雪"]]):
        hh = f.HouseholdFactory(name=f"甲{i}", registered_at=cast.center_a, address=f"幸福里{i}号")
        mine += [f.PersonFactory(name=n, household=hh) for n in names]
        contract(cast.gp, hh, team_a)
    hh_b = f.HouseholdFactory(name="乙", registered_at=cast.center_a, address="幸福里9号")
    theirs = [f.PersonFactory(name=n, household=hh_b) for n in ("陈红", "张伟")]  # between and equal to mine
    contract(gp2, hh_b, team_b)

    expected = list(Person.objects.filter(pk__in=[p.pk for p in mine]).order_by("name_pinyin", "id"))
    assert [p.name for p in expected][:2] == ["安娜", "白雪"]  # the fixture does test the sort
    got = list(selectors.person_list(for_user=cast.gp, team=team_a.pk))
    assert [p.pk for p in got] == [p.pk for p in expected]
    assert [p.pk for p in selectors.person_list(for_user=cast.gp)] == [p.pk for p in expected]
    status, body = api(cast.gp).get("care/persons", {"limit": 3})
    assert status == 200 and body["count"] == 5
    assert [r["id"] for r in body["items"]] == [str(p.pk) for p in expected[:3]]
    assert all(r["household"] == str(p.membership.household_id) for r, p in zip(body["items"], expected, strict=False))
    assert not {str(p.pk) for p in theirs} & {
        r["id"] for r in api(cast.gp).get("care/persons", {"limit": 50})[1]["items"]
    }
