"""Strict validation at the edge (issue 10 item 7): no array taken for an object, no boolean taken for a number or
a number for a boolean, plausible dates, clean names, and no echo of data the caller may not see."""

import datetime as dt

import pytest
from django.utils import timezone
from tests.care.factories import team_with

pytestmark = pytest.mark.django_db


def _fields(body):
    return {e["field"]: e["type"] for e in body["details"]["errors"]}


def test_array_body_is_refused_and_nothing_changes(cast, api):
    before = cast.child_person.name
    status, body = api(cast.gp).patch(f"persons/{cast.child_person.pk}", [])
    assert status == 422 and body["code"] == "body_not_object"
    cast.child_person.refresh_from_db()
    assert cast.child_person.name == before


def test_boolean_is_not_taken_as_a_number_nor_a_number_as_boolean(cast, api):
    status, body = api(cast.admin).post("practitioners", {"name": "钱医生", "can_operate": 1})
    assert status == 422 and _fields(body).get("can_operate") == "bool_type"
    status, body = api(cast.admin).post("departments", {"name": "内科", "beds": True})
    assert status == 422 and _fields(body).get("beds") == "int_type"
    status, body = api(cast.admin).post("departments", {"name": "内科", "beds": "3"})
    assert status == 422 and _fields(body).get("beds") == "int_type"


def _person(cast, **extra):
    return {"household": str(cast.household_a.pk), "name": "张四", **extra}


@pytest.mark.parametrize(
    "birth_date,ok",
    [
        ("1899-12-31", False),
        ("1900-01-01", True),
        ("9999-01-01", False),
        ("today", True),
        ("tomorrow", False),
    ],
)
def test_birth_date_lies_between_1900_and_today(cast, api, birth_date, ok):
    today = timezone.localdate()
    value = {"today": today, "tomorrow": today + dt.timedelta(days=1)}.get(birth_date, birth_date)
    status, body = api(cast.gp).post("persons", _person(cast, birth_date=str(value)))
    assert (status == 201) is ok, body
    if not ok:
        assert status == 422 and "birth_date" in _fields(body)


def test_death_before_birth_is_refused_and_on_the_birth_day_accepted(cast, api):
    person = cast.child_person  # born 2015-03-03
    status, body = api(cast.gp).patch(f"persons/{person.pk}", {"deceased_on": "2015-03-02"})
    assert status == 422 and body["details"]["field"] == "deceased_on"
    person.refresh_from_db()
    assert person.deceased_on is None
    status, _ = api(cast.gp).patch(f"persons/{person.pk}", {"deceased_on": "2015-03-03"})
    assert status == 200


@pytest.mark.parametrize(
    "name",
    ["   ", "张\u202e三", "张\u2066三", "张\u200b三", "张\x07三", "\u202a"],
)
def test_names_blank_or_with_control_or_bidi_characters_are_refused(cast, api, name):
    status, body = api(cast.gp).post("persons", _person(cast, name=name))
    assert status == 422 and "name" in _fields(body), body
    status, body = api(cast.gp).post("households", {"name": name, "registered_at": str(cast.center_a.pk)})
    assert status == 422 and "name" in _fields(body)


def test_a_clean_name_is_stored_trimmed(cast, api):
    status, body = api(cast.gp).post("persons", _person(cast, name="  张 四  "))
    assert status == 201 and body["name"] == "张 四"


@pytest.mark.parametrize("prescribed_on", ["1900-01-01", "9999-01-01"])
def test_prescription_dates_out_of_range_are_refused(cast, api, prescribed_on):
    data = {
        "person": str(cast.patient_person.pk),
        "drug_name": "氨氯地平",
        "supply_days": 30,
        "prescribed_on": prescribed_on,
    }
    status, body = api(cast.gp).post("care/medications", data)
    assert status == 422 and "prescribed_on" in _fields(body)


def test_contract_naming_an_unrelated_person_is_a_404_that_names_nobody(cast, api):
    team = team_with(cast.center_a, cast.gp)
    data = {"household": str(cast.household_a.pk), "team": str(team.pk), "start": "2026-01-01", "end": "2026-12-31"}
    status, body = api(cast.gp).post("care/contracts", {**data, "persons": [str(cast.person_b.pk)]})
    assert status == 404 and body["code"] == "not_found"
    assert cast.person_b.name not in str(body)
    # a household the signer may not see answers the same 404 as one that does not exist
    status, other = api(cast.gp).post("care/contracts", {**data, "household": str(cast.household_b.pk)})
    assert status == 404 and other["code"] == "not_found"
    # the household's own member is accepted
    status, body = api(cast.gp).post("care/contracts", {**data, "persons": [str(cast.child_person.pk)]})
    assert status == 201


def test_date_windows_at_their_thresholds():
    from tiercare.core import validation as v

    today = timezone.localdate()
    assert v.check_plan_date(v._years_from(today, v.PLAN_AHEAD_YEARS))
    with pytest.raises(ValueError):
        v.check_plan_date(v._years_from(today, v.PLAN_AHEAD_YEARS) + dt.timedelta(days=1))
    assert v.check_recent_date(today + dt.timedelta(days=1))
    with pytest.raises(ValueError):
        v.check_recent_date(today + dt.timedelta(days=2))
    assert v.check_recent_date(v._years_from(today, -v.RECORD_LOOKBACK_YEARS))
    with pytest.raises(ValueError):
        v.check_recent_date(v._years_from(today, -v.RECORD_LOOKBACK_YEARS) - dt.timedelta(days=1))


def test_a_roster_plan_for_year_9999_is_refused(cast, api):
    status, body = api(cast.ops).post("outreach/plans", {"start": "9999-01-04", "weeks": 1})
    assert status == 422 and "start" in _fields(body)
