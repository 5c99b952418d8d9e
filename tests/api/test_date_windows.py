"""Issue 10 item 7, the remaining date fields: every date a user types lies in a plausible window, the same on the
API and on the page, and a refusal names the field and the limit in the user's language.

- care contracts: start and end (sign), end (renew), the termination day — a term's window (20 years back, 5 ahead);
- follow-ups: measured_at not later than now plus a few minutes' clock skew, not before the person's birth, not
  before 1900;
- the directory's site registrations, insurance policies and partnerships: valid dates in a term's window (API and
  the Excel import page); independent practice since: 1900 to today;
- referral pages: the capacity day and the wanted-from day, as the API's PlanDate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation
from tests import factories as f
from tests.care.factories import contract, enrol, page_client, page_text, team_with
from tests.care.test_views_forms import _field_error, _post_followup
from tests.network.test_excel import directory, xlsx  # noqa: F401  (the Excel import's directory)

from tiercare.care.models import CareContract, FollowUp
from tiercare.core import validation as v
from tiercare.network import excel
from tiercare.network.models import InsurancePolicy

pytestmark = pytest.mark.django_db

NOW = "2026-06-01 10:00 +0800"
TODAY = dt.date(2026, 6, 1)
AHEAD = dt.date(2031, 6, 1)  # today + 5 years: the last day of a term's window
BACK = dt.date(2006, 6, 1)  # today - 20 years: the first


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _refused(status: int, body: dict, field: str) -> str:
    """The message of a 422 naming ``field``."""
    assert status == 422, body
    fields = [e["field"] for e in body["details"].get("errors", [])] or [body["details"].get("field")]
    assert field in fields, body
    return body["message"]


def _not_the_window(status: int, body: dict) -> None:
    """Admitted by the window (the service may still judge the day on its own rules)."""
    assert status < 300 or "must lie between" not in body.get("message", ""), body


# --- care contracts ---------------------------------------------------------------------------------------------
@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def _sign(cast, api, team, start, end, language="en"):
    body = {"household": str(cast.household_a.pk), "team": str(team.pk), "start": str(start), "end": str(end)}
    return api(cast.gp).post("care/contracts", body, HTTP_ACCEPT_LANGUAGE=language)


def test_contract_start_and_end_are_within_a_terms_window(cast, api, team):
    status, body = _sign(cast, api, team, BACK - dt.timedelta(days=1), AHEAD)
    assert f"{BACK}" in _refused(status, body, "start")
    status, body = _sign(cast, api, team, BACK, AHEAD + dt.timedelta(days=1))
    assert f"{AHEAD}" in _refused(status, body, "end")
    assert not CareContract.objects.exists()
    status, body = _sign(cast, api, team, BACK, AHEAD)
    assert status == 201, body
    assert (body["start"], body["end"]) == (str(BACK), str(AHEAD))


def test_the_window_refusal_is_in_the_users_language(cast, api, team):
    status, body = _sign(cast, api, team, TODAY, dt.date(9999, 1, 1), language="zh-hans")
    message = _refused(status, body, "end")
    assert str(AHEAD) in message and "日期" in message


def test_contract_renewal_end_and_termination_day_are_within_the_window(cast, api, team):
    c = contract(cast.gp, cast.household_a, team)
    status, body = api(cast.gp).post(f"care/contracts/{c.pk}/renew", {"end": str(AHEAD + dt.timedelta(days=1))})
    assert str(AHEAD) in _refused(status, body, "end")
    status, body = api(cast.gp).post(f"care/contracts/{c.pk}/renew", {"end": str(AHEAD)})
    assert status == 201, body
    renewal = CareContract.objects.get(pk=body["id"])
    status, body = api(cast.gp).post(
        f"care/contracts/{renewal.pk}/terminate", {"on": str(AHEAD + dt.timedelta(days=1)), "reason": "搬家"}
    )
    assert str(AHEAD) in _refused(status, body, "on")
    status, body = api(cast.gp).post(f"care/contracts/{renewal.pk}/terminate", {"on": str(AHEAD), "reason": "搬家"})
    _not_the_window(status, body)


# --- follow-ups: measured_at -------------------------------------------------------------------------------------
@pytest.fixture
def enrolled(cast, team):
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person)


def _file(cast, api, e, measured_at):
    body = {
        "person_id": str(e.person_id),
        "measured_at": measured_at,
        "measurements": {
            "sbp_mmhg": 128,
            "dbp_mmhg": 78,
            "adverse_reaction": False,
            "new_or_worse_complication": False,
        },
    }
    return api(cast.gp).post(f"care/enrollments/{e.pk}/followups", body, HTTP_ACCEPT_LANGUAGE="en")


def test_a_follow_up_a_few_minutes_ahead_is_taken_and_beyond_the_skew_refused(cast, api, enrolled):
    status, body = _file(cast, api, enrolled, "2026-06-01T10:06:00+08:00")
    assert "2026-06-01 10:05" in _refused(status, body, "measured_at")
    assert not FollowUp.objects.exists()
    status, body = _file(cast, api, enrolled, "2026-06-01T10:05:00+08:00")
    assert status == 201, body


def test_a_follow_up_before_the_persons_birth_or_1900_is_refused(cast, api, enrolled):
    person = cast.patient_person
    person.birth_date = dt.date(1960, 5, 1)
    person.save(update_fields=["birth_date"])
    status, body = _file(cast, api, enrolled, "1960-04-30T09:00:00+08:00")
    assert "1960-05-01" in _refused(status, body, "measured_at")
    person.birth_date = None
    person.save(update_fields=["birth_date"])
    status, body = _file(cast, api, enrolled, "1899-12-31T09:00:00+08:00")
    assert "1900-01-01" in _refused(status, body, "measured_at")
    status, body = _file(cast, api, enrolled, "0001-01-01T00:00:00+14:00")
    _refused(status, body, "measured_at")
    status, body = _file(cast, api, enrolled, "9999-12-31T23:59:00-12:00")
    _refused(status, body, "measured_at")
    assert not FollowUp.objects.exists()


def test_measured_at_at_its_limits():
    now = timezone.now()
    born = dt.date(1960, 5, 1)
    at_birth = timezone.make_aware(dt.datetime(1960, 5, 1, 0, 0))
    assert v.check_measured_at(now + v.CLOCK_SKEW) and v.check_measured_at(at_birth, born)
    assert v.check_measured_at(timezone.make_aware(dt.datetime(1900, 1, 1, 0, 0)))
    for late in (now + v.CLOCK_SKEW + dt.timedelta(seconds=1), at_birth - dt.timedelta(seconds=1)):
        with pytest.raises(ValueError):
            v.check_measured_at(late, born)
    with pytest.raises(ValueError):
        v.check_measured_at(timezone.make_aware(dt.datetime(1899, 12, 31, 23, 59)))


def test_the_follow_up_page_shows_the_limit_beside_the_field_in_chinese(cast, enrolled):
    c = page_client(cast.gp)
    r = _post_followup(c, enrolled, measured_at="2026-06-01T10:06", sbp_mmhg=128, dbp_mmhg=78)
    assert r.status_code == 422
    message = _field_error(page_text(r), "measured_at")
    assert "2026-06-01 10:05" in message and "时间" in message, message
    assert not FollowUp.objects.exists()
    r = _post_followup(c, enrolled, measured_at="2026-06-01T10:05", sbp_mmhg=128, dbp_mmhg=78)
    assert r.status_code == 200 and FollowUp.objects.count() == 1


# --- the directory ------------------------------------------------------------------------------------------------
def _policy(cast, valid_from, valid_to):
    return {
        "practitioner": str(cast.expert_practitioner.pk),
        "insurer": "人保财险",
        "number": f"P-{valid_from}-{valid_to}",
        "valid_from": str(valid_from),
        "valid_to": str(valid_to),
        "cover_amount": "1000000.00",
    }


def test_insurance_valid_dates_are_within_a_terms_window(cast, api):
    before = InsurancePolicy.objects.count()
    status, body = api(cast.admin).post("insurance-policies", _policy(cast, BACK - dt.timedelta(days=1), TODAY))
    assert str(BACK) in _refused(status, body, "valid_from")
    status, body = api(cast.admin).post("insurance-policies", _policy(cast, TODAY, AHEAD + dt.timedelta(days=1)))
    assert str(AHEAD) in _refused(status, body, "valid_to")
    assert InsurancePolicy.objects.count() == before
    status, body = api(cast.admin).post("insurance-policies", _policy(cast, BACK, AHEAD))
    assert status == 201, body
    status, body = api(cast.admin).patch(f"insurance-policies/{body['id']}", {"valid_to": "9999-12-31"})
    assert str(AHEAD) in _refused(status, body, "valid_to")


def test_registration_and_partnership_dates_are_within_the_window(cast, api):
    body = {"practitioner": str(cast.expert_practitioner.pk), "site": str(cast.hospital_b.pk)}
    status, out = api(cast.admin).post("site-registrations", {**body, "valid_from": "1000-01-01"})
    assert str(BACK) in _refused(status, out, "valid_from")
    status, out = api(cast.admin).post("site-registrations", {**body, "valid_from": str(BACK)})
    _not_the_window(status, out)
    partnership = {"doctor_group": str(cast.group.pk), "department": str(cast.dept_a.pk), "start": str(TODAY)}
    status, out = api(cast.admin).post("partnerships", {**partnership, "end": str(AHEAD + dt.timedelta(days=1))})
    assert str(AHEAD) in _refused(status, out, "end")
    status, out = api(cast.admin).post("partnerships", {**partnership, "end": str(AHEAD)})
    _not_the_window(status, out)


def test_the_excel_import_refuses_insurance_dates_outside_the_window(directory):  # noqa: F811
    policies = xlsx(
        [
            ["执业证书编码", "保险公司", "保单号", "起始日期", "截止日期", "保额"],
            ["110510000000001", "人保财险", "P-1", str(BACK), str(AHEAD), "100万"],
            ["110510000000001", "人保财险", "P-2", "2026-01-01", "9999-12-31", "100万"],
            ["110510000000001", "人保财险", "P-3", str(BACK - dt.timedelta(days=1)), "2026-12-31", "100万"],
        ]
    )
    with translation.override("en"):
        batch = excel.import_preview(by=directory.ops, kind="insurance", file=policies)
    errors = {(e["row"], e["field"]): e["reason"] for e in batch.errors}
    assert [r["row"] for r in batch.rows] == [2]
    assert str(AHEAD) in errors[(3, "valid_to")] and str(BACK) in errors[(4, "valid_from")]
    assert excel.import_confirm(by=directory.ops, batch=batch) == 1
    assert InsurancePolicy.objects.get(number="P-1").cover_amount == Decimal("1000000.00")


# --- referral pages: the capacity day and the wanted-from day (the API's PlanDate) --------------------------------
def test_the_capacity_page_refuses_a_day_past_the_window_beside_the_field(cast):
    from tiercare.referrals.models import ReservedCapacity

    dept = f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    c = page_client(cast.ops)
    form = {"department": str(dept.pk), "kind": "clinic", "places": 2}
    r = c.post("/referrals/capacity/", {**form, "date": str(AHEAD + dt.timedelta(days=1))})
    assert r.status_code == 422
    assert f"日期须在 {BACK} 至 {AHEAD} 之间" in page_text(r)
    assert not ReservedCapacity.objects.exists()
    r = c.post("/referrals/capacity/", {**form, "date": str(AHEAD)})
    assert "日期须在" not in page_text(r)


def test_the_referral_form_refuses_a_wanted_from_day_past_the_window(cast, team):
    from tiercare.referrals.models import Referral

    contract(cast.gp, cast.household_a, team)
    dept = f.DepartmentFactory(organization=cast.tertiary, name="小儿内科", specialty="pediatrics")
    form = {
        "person": str(cast.patient_person.pk),
        "receiving_department": str(dept.pk),
        "urgency": "routine",
        "reason": "持续高热",
        "diagnosis_text": "发热",
        "capacity_kind": "clinic",
    }
    c = page_client(cast.gp)
    r = c.post("/referrals/new/", {**form, "wanted_from": str(BACK - dt.timedelta(days=1))})
    assert r.status_code == 422 and f"日期须在 {BACK} 至 {AHEAD} 之间" in page_text(r)
    assert not Referral.objects.exists()
    r = c.post("/referrals/new/", {**form, "wanted_from": str(BACK)})
    assert "日期须在" not in page_text(r)
