"""Persons and households: scoped to care relationships, every read audited, IDs validated and never stored."""

import pytest

from tiercare.core.models import AuditEvent
from tiercare.people.models import HouseholdMember, Person

pytestmark = pytest.mark.django_db


def test_gp_of_another_center_is_refused_and_the_refusal_audited(cast, api):
    status, body = api(cast.gp_b).get(f"persons/{cast.patient_person.pk}")
    assert status == 404 and body["code"] == "not_found"
    denied = AuditEvent.objects.get(action="denied", actor=cast.gp_b)
    assert denied.person_id == cast.patient_person.pk and denied.object_type == "people.person"
    assert api(cast.gp_b).get(f"households/{cast.household_a.pk}")[0] == 404


def test_gp_reads_own_center_person_and_the_read_is_audited(cast, api):
    status, body = api(cast.gp).get(f"persons/{cast.patient_person.pk}")
    assert status == 200 and body["name"] == "张三" and body["household"] == str(cast.household_a.pk)
    read = AuditEvent.objects.get(action="read", actor=cast.gp)
    assert read.person_id == cast.patient_person.pk


def test_lists_show_only_own_center_and_audit_each_person(cast, api):
    status, body = api(cast.gp).get("persons")
    assert status == 200 and {p["name"] for p in body["items"]} == {"张三", "张小明"}
    [listed] = AuditEvent.objects.filter(action="list", actor=cast.gp)  # one row naming every person shown
    assert set(listed.person_ids) == {cast.patient_person.pk, cast.child_person.pk}
    # a filter or search cannot reach another center
    assert api(cast.gp).get("persons", {"household": str(cast.household_b.pk)})[1]["count"] == 0
    assert api(cast.gp).get("persons", {"q": "王五"})[1]["count"] == 0
    assert api(cast.gp).get("persons", {"organization": str(cast.center_b.pk)})[1]["count"] == 0
    assert api(cast.gp).get("households")[1]["count"] == 1
    assert api(cast.coordinator).get("persons")[1]["count"] == 1  # 刘六 at hospital A
    assert api(cast.outsider).get("persons")[1]["count"] == 0


def test_search_by_pinyin_and_initials(cast, api):
    assert [p["name"] for p in api(cast.gp).get("persons", {"q": "zs"})[1]["items"]] == ["张三"]
    assert [p["name"] for p in api(cast.gp).get("persons", {"q": "zhangxiao"})[1]["items"]] == ["张小明"]


def test_patient_sees_self_and_proxied_members_only(cast, api):
    status, body = api(cast.patient).get("persons")
    assert {p["name"] for p in body["items"]} == {"张三", "张小明"}
    assert api(cast.patient).get(f"persons/{cast.person_b.pk}")[0] == 404


@pytest.mark.parametrize("who", ["ops", "expert", "auditor"])
def test_roles_without_care_relationship_get_403(cast, api, who):
    status, body = api(getattr(cast, who)).get("persons")
    assert status == 403 and body["code"] == "forbidden"


def test_register_person_with_resident_id(cast, api):
    payload = {
        "household": str(cast.household_a.pk),
        "relation": "spouse",
        "name": "李梅",
        "sex": "2",
        "id_number": "11010519491231002x",
        "phone": "+86 138-1234-5678",
    }
    status, body = api(cast.gp).post("persons", payload)
    assert status == 201, body
    assert body["id_masked"] == "1101**********002X" and body["birth_date"] == "1949-12-31"
    assert body["phone"] == "13812345678" and body["relation"] == "spouse"
    person = Person.objects.get(pk=body["id"])
    assert person.id_last4 == "002X" and len(person.id_hash) == 64
    assert "11010519491231002X" not in str(AuditEvent.objects.filter(object_id=body["id"]).values())
    # the same number again is a conflict that does not reveal the existing record
    status, body = api(cast.gp).post("persons", {**payload, "name": "李梅二"})
    assert status == 409 and body["code"] == "duplicate_id" and "李梅" not in body["message"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("id_number", "440304200002291237", "id_bad_check_char"),
        ("id_number", "440304199902291236", "id_bad_date"),
        ("phone", "12345", "phone_invalid"),
    ],
)
def test_bad_identity_or_phone_is_refused_and_nothing_written(cast, api, field, value, code):
    before = (Person.objects.count(), HouseholdMember.objects.count())
    payload = {"household": str(cast.household_a.pk), "name": "错误", field: value}
    status, body = api(cast.gp).post("persons", payload)
    assert status == 422 and body["code"] == code and body["message"].startswith(field)
    assert (Person.objects.count(), HouseholdMember.objects.count()) == before


def test_id_number_must_agree_with_sex(cast, api):
    status, body = api(cast.gp).post(
        "persons",
        {"household": str(cast.household_a.pk), "name": "男", "sex": "1", "id_number": "11010519491231002X"},
    )
    assert status == 422 and body["code"] == "id_sex_mismatch"


def test_cannot_register_into_another_centers_household(cast, api):
    status, _ = api(cast.gp).post("persons", {"household": str(cast.household_b.pk), "name": "越权"})
    assert status == 404
    assert not Person.objects.filter(name="越权").exists()


def test_household_create_only_at_own_center(cast, api):
    status, body = api(cast.gp).post("households", {"name": "新家", "registered_at": str(cast.center_a.pk)})
    assert status == 201 and body["registered_at_name"] == "甲全科中心"
    status, body = api(cast.gp).post("households", {"name": "别家", "registered_at": str(cast.center_b.pk)})
    assert status == 403


def test_household_detail_lists_members_and_proxy(cast, api):
    status, body = api(cast.gp).get(f"households/{cast.household_a.pk}")
    assert status == 200 and body["proxy"] == str(cast.patient_person.pk)
    assert [m["name"] for m in body["members"]] == ["张三", "张小明"]
    status, body = api(cast.gp).patch(f"households/{cast.household_a.pk}", {"proxy": str(cast.person_b.pk)})
    assert status == 422 and body["message"].startswith("proxy")


def test_ethnic_group_is_a_gb3304_code(cast, api):
    base = {"household": str(cast.household_a.pk), "name": "民族"}
    status, body = api(cast.gp).post("persons", {**base, "ethnic_group": "99"})
    assert status == 422 and body["message"].startswith("ethnic_group")
    status, body = api(cast.gp).post("persons", {**base, "ethnic_group": "01"})
    assert status == 201 and body["ethnic_group"] == "01"
