"""Contract and team pages (issue 12 item 2): sign a family-doctor contract with its package and members, end it
with a reason (renewal is the existing button, reused); operations or a center's lead build teams and assign GPs,
nurses and health managers; a new GP center gets its first team. Refusals beside the field, nothing stored; an
outsider refused (404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.care.factories import contract, page_client, page_text, team_with

from tiercare.care.models import CareContract, ContractMember, GpTeam, GpTeamMember
from tiercare.care.services import add_years
from tiercare.core.models import Role

pytestmark = pytest.mark.django_db


def _sign(household, chosen_team, **kw):
    today = timezone.localdate()
    persons = [str(m.person_id) for m in household.members.all()]
    data = {
        "team": str(chosen_team.pk),
        "package": "basic",
        "start": today.isoformat(),
        "end": (add_years(today, 1) - timedelta(days=1)).isoformat(),
        "persons": persons,
        **kw,
    }
    return data


def test_gp_signs_the_household_with_their_team_then_ends_it(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="甲一组")
    gp = page_client(cast.gp)
    page = page_text(gp.get(f"/care/households/{cast.household_a.pk}/contract/"))
    assert 'id="contract-form"' in page and "甲一组" in page
    r = gp.post(
        f"/care/households/{cast.household_a.pk}/contract/sign/", _sign(cast.household_a, team, package="personalised")
    )
    assert r.status_code == 302
    c = CareContract.objects.get(household=cast.household_a, status="active")
    assert c.team == team and c.package == "personalised"
    assert set(c.enrolled.values_list("person_id", flat=True)) == {cast.patient_person.pk, cast.child_person.pk}
    page = page_text(gp.get(f"/care/households/{cast.household_a.pk}/contract/"))
    assert 'id="active-contract"' in page and f"/care/contracts/{c.pk}/renew/" in page
    r = gp.post(f"/care/contracts/{c.pk}/end/", {"end-reason": ""})
    assert r.status_code == 422 and 'id="id_end-reason-error"' in page_text(r)
    c.refresh_from_db()
    assert c.status == "active"
    assert gp.post(f"/care/contracts/{c.pk}/end/", {"end-reason": "迁往外地"}).status_code == 302
    c.refresh_from_db()
    assert c.status == "terminated" and not ContractMember.objects.filter(contract=c, active=True).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team": ""}, "team"),
        ({"package": "gold"}, "package"),
        ({"start": "明天"}, "start"),  # wrong type
        ({"end": (timezone.localdate() - timedelta(days=3)).isoformat()}, "end"),  # in the past
        ({"end": (timezone.localdate() + timedelta(days=90)).isoformat()}, "end"),  # shorter than a year
        ({"persons": []}, "persons"),
    ],
)
def test_bad_contract_input_is_answered_beside_the_field(cast, change, field):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    r = page_client(cast.gp).post(
        f"/care/households/{cast.household_a.pk}/contract/sign/", _sign(cast.household_a, team, **change)
    )
    text = page_text(r)
    assert r.status_code == 422 and f'id="id_{field}-error"' in text, text
    assert not CareContract.objects.exists()


def test_a_team_of_another_center_cannot_be_chosen(cast):
    team_b = team_with(cast.center_b, cast.gp_b, name="乙一组")
    team_with(cast.center_a, cast.gp, name="甲一组")
    r = page_client(cast.gp).post(
        f"/care/households/{cast.household_a.pk}/contract/sign/", _sign(cast.household_a, team_b)
    )
    assert r.status_code == 422 and 'id="id_team-error"' in page_text(r)
    assert not CareContract.objects.exists()


def test_outsider_is_refused_on_the_contract_pages(cast):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    c = contract(cast.gp, cast.household_a, team, start=timezone.localdate())
    for user in (cast.gp_b, cast.outsider):
        client = page_client(user)
        expected = 404 if user.role == Role.GP else 403
        assert client.get(f"/care/households/{cast.household_a.pk}/contract/").status_code == expected
        assert client.post(f"/care/contracts/{c.pk}/end/", {"end-reason": "x"}).status_code == expected
        assert client.post(
            f"/care/households/{cast.household_b.pk if user == cast.outsider else cast.household_a.pk}/contract/sign/",
            {},
        ).status_code in (403, 404)
    c.refresh_from_db()
    assert c.status == "active" and CareContract.objects.count() == 1


def test_operations_build_the_first_team_of_a_new_center_and_assign_its_staff(cast):
    center = f.OrganizationFactory(name="新建全科中心", gp_center=True)
    doctor = f.staff_user(Role.GP, center, username="new_gp")
    nurse = f.staff_user(Role.HEALTH_MANAGER, center, username="new_nurse", staff_role="nurse")
    ops = page_client(cast.ops)
    r = ops.post("/care/teams/new/", {"center": str(center.pk), "name": "新一组"})
    assert r.status_code == 302
    team = GpTeam.objects.get(center=center, name="新一组")
    r = ops.post(
        f"/care/teams/{team.pk}/members/",
        {
            "member-practitioner": str(doctor.practitioner.pk),
            "member-role": "gp",
            "member-hours_per_week": "40",
            "member-center_lead": "on",
        },
    )
    assert r.status_code == 302
    r = ops.post(
        f"/care/teams/{team.pk}/members/",
        {"member-practitioner": str(nurse.practitioner.pk), "member-role": "nurse", "member-hours_per_week": "20"},
    )
    assert r.status_code == 302
    assert set(team.members.values_list("role", flat=True)) == {"gp", "nurse"}
    # the lead now builds a second team at their center, but not at another
    lead = page_client(doctor)
    assert lead.post("/care/teams/new/", {"center": str(center.pk), "name": "新二组"}).status_code == 302
    r = lead.post("/care/teams/new/", {"center": str(cast.center_a.pk), "name": "越界组"})
    assert r.status_code == 422 and 'id="id_center-error"' in page_text(r)
    assert not GpTeam.objects.filter(name="越界组").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member-practitioner": ""}, "member-practitioner"),
        ({"member-role": "doctor"}, "member-role"),
        ({"member-hours_per_week": "很多"}, "member-hours_per_week"),
        ({"member-hours_per_week": "90"}, "member-hours_per_week"),
    ],
)
def test_bad_team_member_input_is_answered_beside_the_field(cast, change, field):
    team = team_with(cast.center_a, name="甲一组")
    data = {
        "member-practitioner": str(cast.gp.practitioner.pk),
        "member-role": "gp",
        "member-hours_per_week": "40",
        **change,
    }
    r = page_client(cast.ops).post(f"/care/teams/{team.pk}/members/", data)
    assert r.status_code == 422 and f'id="id_{field}-error"' in page_text(r)
    assert not GpTeamMember.objects.filter(team=team).exists()


def test_staff_of_another_center_cannot_be_assigned(cast):
    team = team_with(cast.center_a, name="甲一组")
    data = {"member-practitioner": str(cast.gp_b.practitioner.pk), "member-role": "gp", "member-hours_per_week": "40"}
    r = page_client(cast.ops).post(f"/care/teams/{team.pk}/members/", data)
    assert r.status_code == 422 and 'id="id_member-practitioner-error"' in page_text(r)
    assert not GpTeamMember.objects.filter(team=team).exists()


def test_a_gp_who_does_not_lead_cannot_manage_teams(cast):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    m = team.members.get()
    gp = page_client(cast.gp)
    data = {
        "member-practitioner": str(cast.health_manager.practitioner.pk),
        "member-role": "health_manager",
        "member-hours_per_week": "40",
    }
    assert gp.post(f"/care/teams/{team.pk}/members/", data).status_code == 404
    assert gp.post(f"/care/team-members/{m.pk}/end/").status_code == 404
    assert page_client(cast.gp_b).get(f"/care/teams/{team.pk}/").status_code == 404
    m.refresh_from_db()
    assert m.active and team.members.count() == 1
    # operations take a member off (kept, inactive)
    assert page_client(cast.ops).post(f"/care/team-members/{m.pk}/end/").status_code == 302
    m.refresh_from_db()
    assert not m.active


def test_renewal_from_the_contract_page_may_change_the_package(cast):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    c = contract(cast.gp, cast.household_a, team, start=timezone.localdate())
    gp = page_client(cast.gp)
    page = page_text(gp.get(f"/care/households/{cast.household_a.pk}/contract/"))
    assert 'id="contract-renew-form"' in page
    url = f"/care/households/{cast.household_a.pk}/contract/"
    r = gp.post(f"/care/contracts/{c.pk}/renew/", {"next": url, "package": "personalised"})
    assert r.status_code == 302 and r["Location"].startswith(url + "?renewed=")
    new = CareContract.objects.get(renewal_of=c)
    assert new.package == "personalised" and new.start == c.end + timedelta(days=1)
    c.refresh_from_db()
    assert c.status == "renewed"
    assert 'id="renewed"' in page_text(gp.get(r["Location"]))
    # a package that does not exist is refused, nothing renewed
    assert gp.post(f"/care/contracts/{new.pk}/renew/", {"next": url, "package": "gold"}).status_code == 422
    assert not CareContract.objects.filter(renewal_of=new).exists()
