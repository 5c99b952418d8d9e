"""Issue 12: a person's name, mobile phone and address, and a household's name and address, are corrected from their
pages (before, only through the API's ``update_person`` and ``update_household``). A bad phone number is answered
beside the field with what was typed kept; an outsider gets 404 and nothing changes."""

from __future__ import annotations

import pytest
from tests.care.factories import contract, page_client, page_text, team_with

from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return team


def test_the_gp_corrects_a_persons_phone_and_address(cast, team):
    person = cast.patient_person
    c = page_client(cast.gp)
    assert f"/people/persons/{person.pk}/edit/" in page_text(c.get(f"/people/persons/{person.pk}/"))
    data = {"contact-name": person.name, "contact-phone": "13912345678", "contact-address": "二村5号"}
    r = c.post(f"/people/persons/{person.pk}/edit/", data)
    assert r.status_code == 302 and r["Location"] == f"/people/persons/{person.pk}/"
    person.refresh_from_db()
    assert (person.phone, person.address) == ("13912345678", "二村5号")
    assert AuditEvent.objects.filter(object_id=str(person.pk), actor=cast.gp, action="update").exists()


def test_a_bad_phone_number_is_answered_beside_the_field_and_kept(cast, team):
    person = cast.patient_person
    before = person.phone
    data = {"contact-name": person.name, "contact-phone": "12345", "contact-address": "二村5号"}
    r = page_client(cast.gp).post(f"/people/persons/{person.pk}/edit/", data)
    html = page_text(r)
    assert r.status_code == 422 and "无法完成此操作" not in html
    assert 'id="id_contact-phone-error"' in html and 'value="12345"' in html and "二村5号" in html
    person.refresh_from_db()
    assert person.phone == before and person.address != "二村5号"


def test_an_empty_name_is_refused_beside_the_field(cast, team):
    person = cast.patient_person
    r = page_client(cast.gp).post(f"/people/persons/{person.pk}/edit/", {"contact-name": ""})
    assert r.status_code == 422 and 'id="id_contact-name-error"' in page_text(r)
    person.refresh_from_db()
    assert person.name == "张三"


def test_an_outsider_cannot_edit_a_person_or_a_household(cast, team):
    person, household = cast.patient_person, cast.household_a
    for user in (cast.gp_b, cast.outsider, cast.auditor):
        c = page_client(user)
        r = c.post(f"/people/persons/{person.pk}/edit/", {"contact-name": "王五"})
        assert r.status_code in (403, 404), user
        r = c.post(f"/people/households/{household.pk}/edit/", {"edit-name": "王家"})
        assert r.status_code in (403, 404), user
    person.refresh_from_db()
    household.refresh_from_db()
    assert (person.name, household.name) == ("张三", "张家")


def test_the_gp_renames_a_household_and_corrects_its_address(cast, team):
    household = cast.household_a
    c = page_client(cast.gp)
    assert f"/people/households/{household.pk}/edit/" in page_text(c.get(f"/people/households/{household.pk}/"))
    r = c.post(f"/people/households/{household.pk}/edit/", {"edit-name": "张家（新）", "edit-address": "三村1号"})
    assert r.status_code == 302
    household.refresh_from_db()
    assert (household.name, household.address) == ("张家（新）", "三村1号")
    r = c.post(f"/people/households/{household.pk}/edit/", {"edit-name": "", "edit-address": "四村"})
    assert r.status_code == 422 and 'id="id_edit-name-error"' in page_text(r) and "四村" in page_text(r)
    household.refresh_from_db()
    assert household.address == "三村1号"
