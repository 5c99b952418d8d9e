"""Issue 11 through the API: a value possible in two units asks for confirmation (422 unit_confirmation_required,
then ``confirm_units``), a real extreme is stored and urgent, a typing error is refused naming the limit, an unknown
symptom is refused naming it, a required yes/no left out is refused naming it; another team is refused."""

from __future__ import annotations

import pytest
import time_machine
from tests.care.factories import contract, enrol, second_team, team_with

from tiercare.care.models import FollowUp, ReferralSuggestion

pytestmark = pytest.mark.django_db

DM = {"fasting_glucose_mmol_l": 6.5, "sbp_mmhg": 128, "dbp_mmhg": 78, "adverse_reaction": False,
      "new_or_worse_complication": False}  # fmt: skip


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def e(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person, "diabetes_t2")


def _post(api, user, e, measurements, **extra):
    body = {"person_id": str(e.person_id), "measured_at": "2026-02-01T09:00+08:00", "measurements": measurements}
    return api(user).post(f"care/enrollments/{e.pk}/followups", {**body, **extra})


def test_glucose_45_asks_for_the_unit_then_is_stored_as_an_urgent_referral(cast, api, e):
    status, body = _post(api, cast.gp, e, {**DM, "fasting_glucose_mmol_l": 45})
    assert status == 422 and body["code"] == "unit_confirmation_required"
    assert body["details"]["field"] == "fasting_glucose_mmol_l" and body["details"]["confirm_units"] is True
    assert body["details"]["problems"][0]["likely_unit"] == "mg/dL" and "mg/dL" in body["message"]
    assert not FollowUp.objects.exists()
    status, body = _post(api, cast.gp, e, {**DM, "fasting_glucose_mmol_l": 45}, confirm_units=True)
    assert status == 201 and body["urgent"] and "DM-URGENT-GLUCOSE-HIGH" in [r["id"] for r in body["fired_rules"]]
    assert FollowUp.objects.get().measurements["fasting_glucose_mmol_l"] == 45
    assert ReferralSuggestion.objects.get().urgent


def test_glucose_33_3_needs_no_confirmation_and_61_is_refused_naming_the_limit(cast, api, e):
    status, body = _post(api, cast.gp, e, {**DM, "fasting_glucose_mmol_l": 61}, confirm_units=True)
    assert status == 422 and body["code"] == "implausible" and body["details"]["field"] == "fasting_glucose_mmol_l"
    assert "60" in body["message"]
    status, body = _post(api, cast.gp, e, {**DM, "fasting_glucose_mmol_l": 33.3})
    assert status == 201 and body["urgent"]


def test_weight_that_may_be_in_jin_is_asked_about(cast, api, e):
    status, body = _post(api, cast.gp, e, {**DM, "weight_kg": 130, "height_cm": 160})
    assert status == 422 and body["code"] == "unit_confirmation_required" and body["details"]["field"] == "weight_kg"
    assert body["details"]["problems"][0]["likely_unit"] == "jin"


def test_unknown_symptom_and_missing_required_yes_no_are_refused_naming_them(cast, api, e):
    status, body = _post(api, cast.gp, e, {**DM, "symptoms": ["hiccups"]})
    assert status == 422 and body["details"]["field"] == "symptoms" and "hiccups" in body["message"]
    no_answer = {k: v for k, v in DM.items() if k != "adverse_reaction"}
    status, body = _post(api, cast.gp, e, no_answer)
    assert status == 422 and body["details"]["field"] == "adverse_reaction"
    assert not FollowUp.objects.exists()


def test_another_team_cannot_file(cast, api, e):
    second_team(cast)
    status, _ = _post(api, cast.gp_b, e, {**DM, "fasting_glucose_mmol_l": 45}, confirm_units=True)
    assert status == 404 and not FollowUp.objects.exists()
