"""The care API: risk calculator, contracts, enrolments, follow-ups with the rule that fired, plans, dashboard."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests.care.factories import HTN_HIGH, HTN_OK, contract, enrol, followup, team_with

from tiercare.care.models import FollowUp
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PCE_WHITE_FEMALE = {  # Goff 2014 worked example: 2.1% (clinical/README.md)
    "equation": "pce", "sex": "female", "race": "white", "age_years": 55, "total_chol_mg_dl": 213,
    "hdl_mg_dl": 50, "sbp_mmhg": 120, "bp_treated": False, "current_smoker": False, "diabetes": False,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def team(cast):
    t = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, t)
    return t


def test_risk_calculator(cast, api):
    status, body = api(cast.gp).post("care/risk", PCE_WHITE_FEMALE)
    assert status == 200
    assert abs(body["risk_percent"] - 2.1) < 0.15 and body["band"] == "low" and body["equation"] == "pce"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age_years": 80}, "age_years"),
        ({"sbp_mmhg": None}, "sbp_mmhg"),
        ({"equation": "framingham"}, "equation"),
    ],
)
def test_risk_calculator_422_names_the_field(cast, api, change, field):
    data = {k: v for k, v in {**PCE_WHITE_FEMALE, **change}.items() if v is not None}
    status, body = api(cast.gp).post("care/risk", data)
    assert status == 422 and body["details"]["field"] == field and field in body["message"]


def test_risk_calculator_refuses_bad_json(cast, api):
    status, body = api(cast.gp).post("care/risk", "{not json")
    assert status == 422 and body["details"]["field"] == "data"


def test_person_risk_from_latest_followup(cast, api, team):
    e = enrol(cast.gp, cast.patient_person)
    status, body = api(cast.gp).get(f"care/persons/{cast.patient_person.pk}/risk")
    assert status == 422 and body["details"]["field"] == "followup"
    followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "total_chol_mmol_l": 5.0, "hdl_mmol_l": 1.2})
    status, body = api(cast.gp).get(f"care/persons/{cast.patient_person.pk}/risk")
    assert status == 422 and body["details"]["field"] == "bp_treated"
    extra = {"equation": "pce", "race": "white", "bp_treated": True}
    status, body = api(cast.gp).post(f"care/persons/{cast.patient_person.pk}/risk", extra)
    assert status == 422 and body["details"]["field"] == "current_smoker"
    extra["current_smoker"] = False
    status, body = api(cast.gp).post(f"care/persons/{cast.patient_person.pk}/risk", extra)
    assert status == 200 and body["equation"] == "pce" and body["risk_percent"] > 0
    status, _ = api(cast.gp_b).get(f"care/persons/{cast.patient_person.pk}/risk")
    assert status == 404


def test_sign_contract_over_the_api_and_warning(cast, api, settings):
    t = team_with(cast.center_a, cast.gp, name="二组")
    settings.CARE_PANEL_CAP = 1
    data = {
        "household": str(cast.household_a.pk),
        "team": str(t.pk),
        "start": "2026-01-01",
        "end": "2026-12-31",
    }
    status, body = api(cast.gp).post("care/contracts", data)
    assert status == 201 and body["status"] == "active" and body["warnings"][0]["code"] == "panel_over_cap"
    status, body = api(cast.gp).post("care/contracts", data)
    assert status == 409 and body["code"] == "household_contracted"
    status, body = api(cast.gp).post("care/contracts", {**data, "end": "2026-06-30"})
    assert status in (409, 422)
    status, body = api(cast.gp_b).post("care/contracts", data)
    assert status == 404


def test_enrol_and_file_followups_with_the_rule_that_fired(cast, api, team):
    status, body = api(cast.gp).post(
        "care/enrollments",
        {"person": str(cast.patient_person.pk), "protocol_code": "hypertension", "diagnosis_code": "I10",
         "enrolled_on": "2026-01-05"},
    )  # fmt: skip
    assert status == 201 and body["protocol_version"]
    eid = body["id"]
    post = {"person_id": str(cast.patient_person.pk), "measurements": HTN_HIGH}
    status, first = api(cast.gp).post(
        f"care/enrollments/{eid}/followups", {**post, "measured_at": "2026-02-01T09:00+08:00"}
    )
    assert status == 201 and first["control_class"] == "unsatisfactory" and not first["referral_suggested"]
    status, second = api(cast.gp).post(
        f"care/enrollments/{eid}/followups", {**post, "measured_at": "2026-02-14T09:00+08:00"}
    )
    assert status == 201 and second["referral_suggested"] and second["next_due_on"] == "2026-02-28"
    assert "HTN-UNSAT-2X" in [r["id"] for r in second["fired_rules"]]
    assert all(r["source_zh"] for r in second["fired_rules"])
    status, body = api(cast.gp).get("care/referral-suggestions")
    assert status == 200 and body["count"] == 1 and "HTN-UNSAT-2X" in body["items"][0]["rule_ids"]


def test_followup_422_names_the_implausible_field(cast, api, team):
    e = enrol(cast.gp, cast.patient_person)
    status, body = api(cast.gp).post(
        f"care/enrollments/{e.pk}/followups",
        {"person_id": str(cast.patient_person.pk), "measured_at": "2026-02-01T09:00+08:00",
         "measurements": {**HTN_OK, "sbp_mmhg": 900}},
    )  # fmt: skip
    assert status == 422 and body["details"]["field"] == "sbp_mmhg" and "sbp_mmhg" in body["message"]
    assert not FollowUp.objects.exists()


def test_medication_422_names_the_field(cast, api, team):
    enrol(cast.gp, cast.patient_person)
    rx = {
        "person": str(cast.patient_person.pk),
        "drug_name": "二甲双胍",
        "supply_days": 56,
        "prescribed_on": "2026-05-01",
    }
    status, body = api(cast.gp).post("care/medications", rx)
    assert status == 422 and body["details"]["field"] == "assessment"
    status, body = api(cast.gp).post("care/medications", {**rx, "assessment": "stable", "patient_confirmed": True})
    assert status == 201 and body["supply_days"] == 56


def test_household_plan_and_patients_own_plan(cast, api, team):
    e = enrol(cast.gp, cast.patient_person)
    fu = followup(cast.gp, e, date(2026, 2, 1))
    status, body = api(cast.gp).get(f"care/households/{cast.household_a.pk}")
    assert status == 200 and body["contract"]["team"] == str(team.pk)
    assert {m["person"]["id"] for m in body["members"]} == {
        str(cast.patient_person.pk),
        str(cast.child_person.pk),
    }
    status, body = api(cast.patient).get("care/me/plan")
    assert status == 200 and body["next_visit_on"] == str(fu.next_due_on)
    assert body["recent_followups"][0]["fired_rules"][0]["id"] == "HTN-SATISFACTORY"
    # the proxy sees the child's plan; the child's record read is audited
    status, _ = api(cast.patient).get(f"care/persons/{cast.child_person.pk}/plan")
    assert status == 200
    assert AuditEvent.objects.filter(actor=cast.patient, person_id=cast.child_person.pk, action="read").exists()


def test_dashboard_counts_and_control_rates(cast, api, team):
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, date(2026, 1, 10))
    followup(cast.gp, e, date(2026, 5, 1), HTN_HIGH)
    status, body = api(cast.gp).get("care/dashboard", {"team": str(team.pk)})
    assert status == 200
    assert body["enrolled"] == 1 and body["bp_control_percent"] == 0.0
    # Jan 10 by its due date (Jan 19) on time; May 1 after Apr 10 late; recheck due May 15 now overdue → 1 of 3
    assert body["on_time_percent"] == 33.3 and body["overdue"] == 1
    assert [row["month"] for row in body["trend"]] == ["2026-01", "2026-05"]
    status, _ = api(cast.patient).get("care/dashboard")
    assert status == 403


def test_a_protocol_change_shows_on_the_dashboard(cast, api, team):
    e = enrol(cast.gp, cast.patient_person)
    fu = followup(cast.gp, e, date(2026, 1, 10))
    status, body = api(cast.gp).get("care/dashboard", {"team": str(team.pk)})
    assert body["followups_under_superseded_protocol"] == 0
    FollowUp.objects.filter(pk=fu.pk).update(protocol_sha256="0" * 64)  # classified under an earlier text
    status, body = api(cast.gp).get("care/dashboard", {"team": str(team.pk)})
    assert body["followups_under_superseded_protocol"] == 1
