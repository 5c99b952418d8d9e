"""Household pages (issue 12 item 2): register a household and its members (ID checked, a duplicate refused without
revealing whose it is), move a member, record a death or a move away. Every refusal beside its field, input kept,
nothing stored; an outsider gets 404 on every page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.care.factories import contract, page_client, page_text, team_with

from tiercare.care.models import ContractMember
from tiercare.core.models import AuditEvent
from tiercare.people.models import Household, HouseholdMember, Person

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"  # a woman born 1949-12-31 (GB 11643 check character X)


def _counts() -> tuple[int, int, int]:
    return Household.objects.count(), Person.objects.count(), HouseholdMember.objects.count()


def _member(**kw):
    return {
        "name": "李梅",
        "relation": "spouse",
        "sex": "2",
        "id_kind": "resident_id",
        "id_number": VALID_ID,
        "phone": "13812345678",
        **kw,
    }


def test_gp_registers_a_household_and_a_member(cast):
    gp = page_client(cast.gp)
    r = gp.post("/people/households/new/", {"name": "李家", "registered_at": str(cast.center_a.pk), "address": "一村"})
    assert r.status_code == 302
    household = Household.objects.get(name="李家")
    assert household.registered_at == cast.center_a
    r = gp.post(f"/people/households/{household.pk}/members/", _member())
    assert r.status_code == 302, page_text(r)
    person = Person.objects.get(name="李梅")
    assert person.membership.household == household and person.birth_date.isoformat() == "1949-12-31"
    page = page_text(gp.get(f"/people/households/{household.pk}/"))
    assert "李梅" in page and "1101**********002X" in page and VALID_ID not in page
    assert f"/care/persons/{person.pk}/" in page  # the household page links to the member's care page
    assert AuditEvent.objects.filter(object_type="people.person", object_id=str(person.pk), action="create").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "这个字段是必填项"),
        ({"id_number": "440304200002291237"}, "id_number", "校验"),
        ({"birth_date": "去年"}, "birth_date", "日期"),
        ({"birth_date": (timezone.localdate() + timedelta(days=3)).isoformat()}, "birth_date", "今天"),
        ({"phone": "12345"}, "phone", ""),
    ],
)
def test_bad_member_input_is_answered_beside_the_field_and_nothing_stored(cast, data, field, message):
    before = _counts()
    r = page_client(cast.gp).post(f"/people/households/{cast.household_a.pk}/members/", _member(**data))
    assert r.status_code == 422
    text = page_text(r)
    assert f'id="id_{field}-error"' in text and message in text
    assert 'value="李梅"' in text or data.get("name") == ""  # what was typed is kept
    assert _counts() == before


def test_duplicate_id_is_refused_without_revealing_the_record(cast):
    gp = page_client(cast.gp)
    assert gp.post(f"/people/households/{cast.household_a.pk}/members/", _member()).status_code == 302
    before = _counts()
    r = page_client(cast.gp_b).post(f"/people/households/{cast.household_b.pk}/members/", _member(name="李二梅"))
    text = page_text(r)
    assert r.status_code == 422 and 'id="id_id_number-error"' in text and "已登记" in text
    assert "张家" not in text and "李梅<" not in text  # neither the other household nor the other person
    assert _counts() == before


def test_household_form_refuses_an_empty_name_and_a_foreign_center(cast):
    before = _counts()
    r = page_client(cast.gp).post("/people/households/new/", {"name": " ", "registered_at": str(cast.center_b.pk)})
    text = page_text(r)
    assert r.status_code == 422 and 'id="id_name-error"' in text and 'id="id_registered_at-error"' in text
    assert _counts() == before


def test_move_a_member_and_record_a_death(cast):
    other = Household.objects.create(name="张家二房", registered_at=cast.center_a)
    gp = page_client(cast.gp)
    child = cast.child_person
    r = gp.post(f"/people/persons/{child.pk}/move/", {"move-household": str(other.pk), "move-relation": "child"})
    assert r.status_code == 302
    child.refresh_from_db()
    assert child.membership.household == other and child.membership.relation == "child"
    # a death in the future is refused beside the date; then recorded
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    r = gp.post(f"/people/persons/{child.pk}/leave/", {"leave-kind": "death", "leave-on": future})
    assert r.status_code == 422 and 'id="id_leave-on-error"' in page_text(r)
    child.refresh_from_db()
    assert child.deceased_on is None
    today = timezone.localdate().isoformat()
    assert gp.post(f"/people/persons/{child.pk}/leave/", {"leave-kind": "death", "leave-on": today}).status_code == 302
    child.refresh_from_db()
    assert child.deceased_on == timezone.localdate()


def test_moving_away_ends_the_contract_membership(cast):
    team = team_with(cast.center_a, cast.gp, name="甲一组")
    c = contract(cast.gp, cast.household_a, team, start=timezone.localdate())
    person = cast.patient_person
    assert ContractMember.objects.filter(contract=c, person=person, active=True).exists()
    today = timezone.localdate().isoformat()
    r = page_client(cast.gp).post(
        f"/people/persons/{person.pk}/leave/", {"leave-kind": "moved_away", "leave-on": today}
    )
    assert r.status_code == 302
    assert not ContractMember.objects.filter(person=person, active=True).exists()
    assert c.events.filter(kind="member_removed").exists()


def test_move_to_a_household_out_of_reach_is_refused_beside_the_field(cast):
    child = cast.child_person
    r = page_client(cast.gp).post(
        f"/people/persons/{child.pk}/move/", {"move-household": str(cast.household_b.pk), "move-relation": "child"}
    )
    assert r.status_code == 422 and 'id="id_move-household-error"' in page_text(r)
    child.refresh_from_db()
    assert child.membership.household == cast.household_a


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/people/households/{h}/"),
        ("post", "/people/households/{h}/members/"),
        ("get", "/people/persons/{p}/"),
        ("post", "/people/persons/{p}/move/"),
        ("post", "/people/persons/{p}/leave/"),
    ],
)
def test_outsider_is_refused_with_404_on_every_household_page(cast, method, url):
    before = _counts()
    path = url.format(h=cast.household_a.pk, p=cast.child_person.pk)
    data = _member() if method == "post" else None
    r = getattr(page_client(cast.gp_b), method)(path, data)
    assert r.status_code == 404
    assert _counts() == before


def test_patient_and_expert_cannot_register(cast):
    for user in (cast.patient, cast.expert):
        assert page_client(user).post("/people/households/new/", {"name": "x"}).status_code == 403
