"""A GP of team A cannot see team B's households, persons, enrolments, follow-ups, contracts or worklists by any
list, search, filter or id — team B at the same center and team C at another center; refusals are audited.
A patient sees themselves and their proxied household members, no one else."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests import factories as f
from tests.care.factories import HTN_HIGH, contract, enrol, followup, team_with

from tiercare.care import services
from tiercare.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def world(cast):
    team_a = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    contract(cast.gp, cast.household_a, team_a)
    ea = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, ea, date(2026, 2, 1))
    # team B: same center, another GP
    gp2 = f.staff_user(Role.GP, cast.center_a, username="gp2")
    team_b = team_with(cast.center_a, gp2, name="B组")
    hh_b = f.HouseholdFactory(name="赵家", registered_at=cast.center_a, address="幸福里9号")
    p_b = f.PersonFactory(name="赵六", household=hh_b, birth_date=date(1950, 1, 1))
    c_b = contract(gp2, hh_b, team_b)
    eb = enrol(gp2, p_b)
    followup(gp2, eb, date(2026, 2, 1), HTN_HIGH)
    fb = followup(gp2, eb, date(2026, 2, 14), HTN_HIGH)  # referral suggestion
    services.medication_prescribe(by=gp2, person=p_b, drug_name="x", supply_days=7, prescribed_on=date(2026, 2, 14))
    # team C at center B
    team_c = team_with(cast.center_b, cast.gp_b, name="C组")
    contract(cast.gp_b, cast.household_b, team_c)
    ec = enrol(cast.gp_b, cast.person_b)
    fc = followup(cast.gp_b, ec, date(2026, 2, 1))
    return {
        "team_b": (team_b, hh_b, p_b, eb, fb, c_b),
        "team_c": (team_c, cast.household_b, cast.person_b, ec, fc, cast.household_b.care_contracts.get()),
        "mine": (team_a, cast.household_a, cast.patient_person, ea),
    }


def _ids(body):
    return {str(i["id"]) if "id" in i else str(i["enrollment"]) for i in body["items"]}


@pytest.mark.parametrize("other", ["team_b", "team_c"])
def test_gp_of_team_a_cannot_see_another_teams_data(cast, api, world, other):
    team, hh, person, enrolment, fu, c = world[other]
    client = api(cast.gp)
    forbidden = {str(x.pk) for x in (hh, person, enrolment, fu, c, team)}

    lists = [
        ("care/households", {}),
        ("care/households", {"q": hh.name}),
        ("care/households", {"team": team.pk}),
        ("care/persons", {}),
        ("care/persons", {"q": person.name}),
        ("care/persons", {"household": hh.pk}),
        ("care/persons", {"team": team.pk}),
        ("care/enrollments", {}),
        ("care/enrollments", {"person": person.pk}),
        ("care/enrollments", {"team": team.pk}),
        ("care/followups", {}),
        ("care/followups", {"person": person.pk}),
        ("care/followups", {"enrollment": enrolment.pk}),
        ("care/followups", {"team": team.pk}),
        ("care/contracts", {}),
        ("care/contracts", {"household": hh.pk}),
        ("care/medications", {"person": person.pk}),
        ("care/referral-suggestions", {}),
    ]
    for path, params in lists:
        status, body = client.get(path, params)
        assert status == 200, path
        assert not (_ids(body) & forbidden), (path, params)
        assert not any(str(i.get("person")) == str(person.pk) for i in body["items"]), (path, params)
    status, body = client.get("care/teams")
    assert {t["id"] for t in body} == {str(world["mine"][0].pk)}

    reads = [
        f"care/households/{hh.pk}",
        f"care/persons/{person.pk}/plan",
        f"care/persons/{person.pk}/risk",
        f"care/enrollments/{enrolment.pk}",
        f"care/followups/{fu.pk}",
        f"care/contracts/{c.pk}",
        f"care/teams/{team.pk}/worklists/overdue",
        f"care/teams/{team.pk}/worklists/overdue.xlsx",
    ]
    for path in reads:
        status, body = client.get(path)
        assert status == 404, path
    writes = [
        (
            f"care/enrollments/{enrolment.pk}/followups",
            {"person_id": str(person.pk), "measured_at": "2026-05-01T09:00+08:00", "measurements": HTN_HIGH},
        ),
        (f"care/followups/{fu.pk}/void", {"reason": "x"}),
        (
            f"care/enrollments/{enrolment.pk}/calls",
            {"outcome": "moved", "called_at": "2026-05-01T09:00+08:00"},
        ),
        (f"care/contracts/{c.pk}/terminate", {"on": "2026-05-01", "reason": "x"}),
        (f"care/contracts/{c.pk}/renew", {"end": "2027-12-31"}),
        (
            "care/medications",
            {"person": str(person.pk), "drug_name": "x", "supply_days": 7, "prescribed_on": "2026-05-01"},
        ),
        (
            "care/enrollments",
            {
                "person": str(person.pk),
                "protocol_code": "diabetes_t2",
                "diagnosis_code": "E11",
                "enrolled_on": "2026-05-01",
            },
        ),
    ]
    for path, data in writes:
        status, body = client.post(path, data)
        assert status == 404, (path, body)
    assert AuditEvent.objects.filter(actor=cast.gp, action="denied", object_id=str(fu.pk)).exists()
    assert not AuditEvent.objects.filter(actor=cast.gp, action__in=["read", "list"], person_id=person.pk).exists()


def test_gp_sees_own_team(cast, api, world):
    team, hh, person, enrolment = world["mine"]
    status, body = api(cast.gp).get("care/persons", {"team": team.pk})
    assert {i["id"] for i in body["items"]} == {str(cast.patient_person.pk), str(cast.child_person.pk)}
    status, body = api(cast.health_manager).get(f"care/enrollments/{enrolment.pk}")
    assert status == 200


def test_a_terminated_contract_ends_the_former_teams_access(cast, api, world):
    team, hh, person, enrolment = world["mine"]
    services.contract_terminate(by=cast.gp, contract=hh.care_contracts.get(), on=date(2026, 5, 1), reason="moved")
    status, _ = api(cast.gp).get(f"care/enrollments/{enrolment.pk}")
    assert status == 404


def test_patient_sees_self_and_proxied_members_only(cast, api, world):
    client = api(cast.patient)
    status, body = client.get("care/persons")
    assert {i["id"] for i in body["items"]} == {str(cast.patient_person.pk), str(cast.child_person.pk)}
    _, hh_b, p_b, eb, fb, _ = world["team_b"]
    for path in (f"care/persons/{p_b.pk}/plan", f"care/followups/{fb.pk}", f"care/households/{hh_b.pk}"):
        assert client.get(path)[0] == 404
    status, body = client.get("care/followups")
    assert {i["person"] for i in body["items"]} == {str(cast.patient_person.pk)}
    status, _ = client.get(f"care/teams/{world['mine'][0].pk}/worklists/overdue")
    assert status == 403


def test_roles_outside_care_see_nothing(cast, api, world):
    for user in (cast.ops, cast.expert, cast.coordinator, cast.auditor):
        status, body = api(user).get("care/followups")
        assert status == 200 and body["count"] == 0
        status, _ = api(user).get(f"care/persons/{cast.patient_person.pk}/plan")
        assert status == 404


def test_people_api_hides_another_teams_households_at_the_same_center(cast, api, world):
    """The people lists and reads follow the care contract too: team B's family at center A is invisible to team A."""
    _team_b, hh_b, p_b, *_ = world["team_b"]
    client = api(cast.gp)
    assert str(hh_b.pk) not in {h["id"] for h in client.get("households", {"limit": 500})[1]["items"]}
    assert str(p_b.pk) not in {p["id"] for p in client.get("persons", {"limit": 500})[1]["items"]}
    assert client.get("persons", {"q": "赵六"})[1]["count"] == 0
    assert client.get(f"persons/{p_b.pk}")[0] == 404
    assert client.get(f"households/{hh_b.pk}")[0] == 404
    # an uncontracted household at the center stays visible, so a team can sign it
    free = f.HouseholdFactory(name="钱家", registered_at=cast.center_a)
    assert str(free.pk) in {h["id"] for h in client.get("households", {"limit": 500})[1]["items"]}
    assert client.get(f"persons/{cast.patient_person.pk}")[0] == 200
