"""Issue 12, API parity: moving a member to another household and recording a death or a move away, which only the
person page did. Every id through its access function (404 for a person or household out of reach), bad input a
4xx naming the field, nothing stored on a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.care.factories import contract, team_with

from tiercare.care.models import ContractMember
from tiercare.core.models import AuditEvent
from tiercare.people.models import Household

pytestmark = pytest.mark.django_db


def test_the_gp_moves_a_member_to_another_household(cast, api):
    other = Household.objects.create(name="张家二房", registered_at=cast.center_a)
    child = cast.child_person
    status, body = api(cast.gp).post(f"persons/{child.pk}/move", {"household": str(other.pk), "relation": "child"})
    assert status == 200, body
    assert body["household"] == str(other.pk)
    child.refresh_from_db()
    assert child.membership.household == other and child.membership.relation == "child"
    moved = AuditEvent.objects.get(actor=cast.gp, action="update", object_id=str(child.membership.pk))
    assert str(other.pk) in str(moved.details)


def test_a_move_out_of_reach_is_refused_and_nothing_moves(cast, api):
    child = cast.child_person
    status, body = api(cast.gp).post(f"persons/{child.pk}/move", {"household": str(cast.household_b.pk)})
    assert status == 404, body
    assert api(cast.gp_b).post(f"persons/{child.pk}/move", {"household": str(cast.household_b.pk)})[0] == 404
    assert api(cast.auditor).post(f"persons/{child.pk}/move", {"household": str(cast.household_a.pk)})[0] == 403
    status, body = api(cast.gp).post(f"persons/{child.pk}/move", {"household": str(cast.household_a.pk)})
    assert status == 422  # already there
    status, body = api(cast.gp).post(f"persons/{child.pk}/move", {"household": "x", "relation": "child"})
    assert status == 422 and "household" in body["message"]
    child.refresh_from_db()
    assert child.membership.household == cast.household_a


def test_the_gp_records_a_move_away_and_the_contract_membership_ends(cast, api):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    c = contract(cast.gp, cast.household_a, team, start=timezone.localdate())
    person = cast.patient_person
    today = timezone.localdate().isoformat()
    status, body = api(cast.gp).post(f"persons/{person.pk}/leave", {"kind": "moved_away", "on": today})
    assert status == 200, body
    person.refresh_from_db()
    assert person.moved_away_on == timezone.localdate()
    assert not ContractMember.objects.filter(contract=c, person=person, active=True).exists()
    status, body = api(cast.gp).post(f"persons/{person.pk}/leave", {"kind": "moved_away", "on": today})
    assert status == 409 and body["code"] == "already_recorded"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"kind": "death", "on": (timezone.localdate() + timedelta(days=3)).isoformat()}, "on"),
        ({"kind": "holiday", "on": "2026-01-01"}, "kind"),
        ({"kind": "death"}, "on"),
    ],
)
def test_a_bad_leave_is_refused_naming_the_field(cast, api, payload, field):
    child = cast.child_person
    status, body = api(cast.gp).post(f"persons/{child.pk}/leave", payload)
    assert status == 422 and field in body["message"], body
    child.refresh_from_db()
    assert child.deceased_on is None


def test_an_outsider_cannot_record_a_death(cast, api):
    child = cast.child_person
    today = timezone.localdate().isoformat()
    assert api(cast.gp_b).post(f"persons/{child.pk}/leave", {"kind": "death", "on": today})[0] == 404
    assert api(cast.outsider).post(f"persons/{child.pk}/leave", {"kind": "death", "on": today})[0] in (403, 404)
    child.refresh_from_db()
    assert child.deceased_on is None
