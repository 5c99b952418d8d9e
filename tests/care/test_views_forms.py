"""The team's page forms: record a follow-up, enrol in a program, record a worklist call.

Each write goes through the page as a GP center's staff would post it (htmx, and without JavaScript), stores what
the API would store, shows the protocol's verdict with the quoted source, puts a refused value's message next to
its field, and is refused (404 / 403) to another team, to the patient and to a visitor, storing nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from tests.care.factories import HX, contract, enrol, followup, page_client, page_text, second_team, team_with

from tiercare.care import services
from tiercare.care.models import Enrollment, FollowUp, OutreachCall, OutreachOutcome, ReferralSuggestion
from tiercare.care.plausibility import SBP_MMHG, check_measurements
from tiercare.care.protocols import load_protocol
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def setup(cast):
    """Team A (the GP and the health manager) contracted with household A; the patient in the hypertension
    program since January, overdue since 29 May."""
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=TODAY - timedelta(days=3))
    return team, e


def _followup_data(e, measured_at: str = "2026-06-01T09:30", answered: bool = True, **values) -> dict:
    """The follow-up form as the hypertension program's page posts it: yes/no questions as "yes"/"no" (None: left
    unanswered, not sent); ``answered`` answers the required questions "no" unless given."""
    data = {"hypertension-person_id": str(e.person_id), "hypertension-measured_at": measured_at}
    if answered:
        values = {"adverse_reaction": False, "new_or_worse_complication": False, "symptoms_asked": "no", **values}
    for key, value in values.items():
        if isinstance(value, list):
            data[f"hypertension-{key}"] = value
        elif value is True or value is False:
            data[f"hypertension-{key}"] = "yes" if value else "no"
        elif value is not None:
            data[f"hypertension-{key}"] = str(value)
    return data


def _post_followup(c, e, **kw):
    return c.post(f"/care/enrollments/{e.pk}/followups/", _followup_data(e, **kw), **HX)


def _field_error(body: str, field: str) -> str:
    """The message shown next to ``field`` of the hypertension form ('' if none)."""
    m = re.search(rf'id="id_hypertension-{field}-error"[^>]*>([^<]*)<', body)
    return m.group(1) if m else ""


# --- the person page ------------------------------------------------------------------------------------------


def test_person_page_offers_the_team_a_follow_up_form_from_the_protocol_and_the_enrol_form(cast, setup):
    body = page_text(page_client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/"))
    protocol = load_protocol("hypertension")
    assert 'id="followup-form-hypertension"' in body
    assert protocol.name.zh in body  # the program's name, not its code
    for code, label in protocol.symptoms.items():
        assert f'value="{code}"' in body and label.zh in body
    for code, flag in protocol.flags.items():
        assert f'name="hypertension-{code}"' in body and flag.label.zh in body
    for key in ("sbp_mmhg", "dbp_mmhg", "heart_rate_bpm", "fasting_glucose_mmol_l", "hba1c_percent", "weight_kg"):
        assert f'name="hypertension-{key}"' in body
    assert 'name="hypertension-ldl_mmol_l"' in body and 'name="hypertension-smoker"' in body
    assert 'id="enrol-form"' in body
    enrol_options = re.findall(r'<option value="([a-z_0-9]+)"', body.split('id="enrol-form"')[1])
    assert "hypertension" not in enrol_options and "diabetes_t2" in enrol_options  # enrolled already


def test_program_names_follow_the_language(cast, setup):
    c = page_client(cast.gp)
    name = load_protocol("hypertension").name
    body = page_text(c.get(f"/care/persons/{cast.patient_person.pk}/?lang=en"))
    assert name.en in body and "Record follow-up" in body
    body = page_text(c.get(f"/care/persons/{cast.patient_person.pk}/?lang=zh-hans"))
    assert name.zh in body and "记录随访" in body


def test_patient_and_household_pages_have_no_forms(cast, setup):
    body = page_text(page_client(cast.patient).get("/care/me/"))
    assert load_protocol("hypertension").name.zh in body
    assert "followup-form" not in body and "enrol-form" not in body
    body = page_text(page_client(cast.gp).get(f"/care/households/{cast.household_a.pk}/"))
    assert "followup-form" not in body and load_protocol("hypertension").name.zh in body


# --- recording a follow-up ------------------------------------------------------------------------------------


def test_gp_records_a_follow_up_and_sees_its_classification(cast, setup):
    team, e = setup
    r = _post_followup(
        page_client(cast.gp), e, sbp_mmhg=128, dbp_mmhg=78, heart_rate_bpm=72, weight_kg=70.5, height_cm=170,
        smoker="no", symptoms=[],
    )  # fmt: skip
    assert r.status_code == 200
    fu = FollowUp.objects.get(enrollment=e)
    assert fu.measurements == {
        "sbp_mmhg": 128,
        "dbp_mmhg": 78,
        "heart_rate_bpm": 72,
        "weight_kg": 70.5,
        "height_cm": 170.0,
        "smoker": False,
        "adverse_reaction": False,
        "new_or_worse_complication": False,
        "symptoms": [],
    }  # fmt: skip  -- the questions left unanswered are absent, never stored as "no"
    assert fu.recorded_by == cast.gp and fu.control_class == "satisfactory"
    assert fu.next_due_on == date(2026, 6, 1) + timedelta(days=load_protocol("hypertension").routine_interval_days)
    body = page_text(r)
    assert 'id="followup-result"' in body and "HTN-SATISFACTORY" in body
    assert load_protocol("hypertension").rule("HTN-SATISFACTORY").source_text.zh in body
    assert "<html" not in body  # htmx gets the page's body only
    e.refresh_from_db()
    assert e.next_due_on == fu.next_due_on and e.control_class == "satisfactory"
    assert AuditEvent.objects.filter(action="create", object_type="care.followup", object_id=str(fu.pk)).exists()
    assert not ReferralSuggestion.objects.exists()


def test_two_unsatisfactory_follow_ups_fire_the_referral_rule_with_its_source(cast, setup):
    team, e = setup
    c = page_client(cast.health_manager)
    r1 = _post_followup(c, e, measured_at="2026-05-18T09:00", sbp_mmhg=150, dbp_mmhg=95)
    assert (
        r1.status_code == 200 and "HTN-UNSAT-1ST" in page_text(r1) and 'id="referral-suggestion"' not in page_text(r1)
    )
    r2 = _post_followup(c, e, measured_at="2026-06-01T09:00", sbp_mmhg=150, dbp_mmhg=95)
    assert r2.status_code == 200
    fu = FollowUp.objects.get(enrollment=e, measured_at__date=date(2026, 6, 1))
    suggestion = ReferralSuggestion.objects.get(followup=fu)
    assert suggestion.rule_ids == [r["id"] for r in fu.fired_rules] and "HTN-UNSAT-2X" in suggestion.rule_ids
    protocol = load_protocol("hypertension")
    assert fu.next_due_on == date(2026, 6, 1) + timedelta(days=protocol.recheck_days)
    result = page_text(r2).split('id="followup-result"')[1].split("<!-- /followup-result -->")[0]
    rule = protocol.rule("HTN-UNSAT-2X")
    assert "HTN-UNSAT-2X" in result and rule.source_text.zh in result
    assert next(r["explanation_zh"] for r in fu.fired_rules if r["id"] == "HTN-UNSAT-2X") in result
    assert 'id="referral-suggestion"' in result and protocol.source_citation in result
    assert fu.next_due_on.isoformat() in result


def test_implausible_pressure_is_refused_next_to_its_field_and_nothing_is_stored(cast, setup):
    team, e = setup
    r = _post_followup(page_client(cast.gp), e, sbp_mmhg=900, dbp_mmhg=95)
    assert r.status_code == 422
    body = page_text(r)
    expected = check_measurements({"sbp_mmhg": 900})[0]
    assert _field_error(body, "sbp_mmhg") == expected.message_zh
    assert f"{SBP_MMHG.high:g}" in _field_error(body, "sbp_mmhg")
    assert 'aria-invalid="true"' in body and 'value="900"' in body  # the form comes back as typed
    assert _field_error(body, "dbp_mmhg") == ""
    assert not FollowUp.objects.exists()
    r = page_client(cast.gp).post(
        f"/care/enrollments/{e.pk}/followups/?lang=en", _followup_data(e, sbp_mmhg=900, dbp_mmhg=95), **HX
    )
    assert _field_error(page_text(r), "sbp_mmhg") == expected.message_en


def test_missing_required_pressure_and_a_future_time_are_named(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    r = _post_followup(c, e, dbp_mmhg=80)
    assert r.status_code == 422 and _field_error(page_text(r), "sbp_mmhg")
    r = _post_followup(c, e, measured_at="2026-06-02T09:00", sbp_mmhg=128, dbp_mmhg=78)
    assert r.status_code == 422
    assert _field_error(page_text(r), "measured_at") and not _field_error(page_text(r), "sbp_mmhg")
    followup(cast.gp, e, date(2026, 5, 31))
    r = _post_followup(c, e, measured_at="2026-05-30T09:00", sbp_mmhg=128, dbp_mmhg=78)
    assert r.status_code == 422 and "2026-05-31" in _field_error(page_text(r), "measured_at")
    assert FollowUp.objects.count() == 1


def test_protocol_input_error_is_named_next_to_its_flag(cast, setup):
    team, e = setup
    protocol = load_protocol("hypertension")
    hard = protocol.flags["adverse_reaction_hard_to_control"]
    assert hard.implies == "adverse_reaction"
    r = _post_followup(page_client(cast.gp), e, sbp_mmhg=150, dbp_mmhg=95, adverse_reaction_hard_to_control=True)
    assert r.status_code == 422
    message = _field_error(page_text(r), "adverse_reaction")
    assert hard.label.zh in message and not message.startswith("adverse_reaction")
    assert re.search(
        r'name="hypertension-adverse_reaction_hard_to_control".*?<option value="yes" selected', page_text(r), re.S
    )
    assert not FollowUp.objects.exists()


def test_follow_up_without_javascript_redirects_to_the_result(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    r = c.post(f"/care/enrollments/{e.pk}/followups/", _followup_data(e, sbp_mmhg=180, dbp_mmhg=100))
    fu = FollowUp.objects.get(enrollment=e)
    assert r.status_code == 302 and r["Location"].startswith(f"/care/persons/{e.person_id}/?recorded={fu.pk}")
    body = page_text(c.get(r["Location"]))
    assert "<html" in body and 'id="followup-result"' in body and "HTN-URGENT-SBP" in body
    assert ReferralSuggestion.objects.get(followup=fu).urgent


def test_follow_up_refused_to_another_team_the_patient_and_a_visitor(cast, setup):
    team, e = setup
    second_team(cast)
    data = _followup_data(e, sbp_mmhg=150, dbp_mmhg=95)
    url = f"/care/enrollments/{e.pk}/followups/"
    assert page_client(cast.gp_b).post(url, data, **HX).status_code == 404
    assert page_client(cast.patient).post(url, data, **HX).status_code == 403
    assert Client().post(url, data).status_code == 302  # to the sign-in page
    assert page_client(cast.gp).get(url).status_code == 405
    assert not FollowUp.objects.exists()
    assert AuditEvent.objects.filter(action="denied", actor=cast.gp_b, object_id=str(e.pk)).exists()


# --- enrolling ------------------------------------------------------------------------------------------------


def test_gp_enrols_the_patient_in_a_program(cast, setup):
    c = page_client(cast.gp)
    url = f"/care/persons/{cast.patient_person.pk}/enrollments/"
    data = {"enrol-protocol_code": "diabetes_t2", "enrol-diagnosis_code": "E11.9", "enrol-enrolled_on": "2026-05-20"}
    r = c.post(url, data, **HX)
    assert r.status_code == 200
    e = Enrollment.objects.get(person=cast.patient_person, protocol_code="diabetes_t2")
    protocol = load_protocol("diabetes_t2")
    assert e.enrolled_on == date(2026, 5, 20) and e.status == "active"
    assert e.next_due_on == date(2026, 5, 20) + timedelta(days=protocol.recheck_days)
    body = page_text(r)
    assert 'id="enrol-result"' in body and protocol.name.zh in body
    assert 'id="followup-form-diabetes_t2"' in body  # the new program's follow-up form is there at once
    assert AuditEvent.objects.filter(action="create", object_type="care.enrollment", object_id=str(e.pk)).exists()


def test_enrol_refuses_an_ineligible_diagnosis_next_to_the_field(cast, setup):
    c = page_client(cast.gp)
    url = f"/care/persons/{cast.patient_person.pk}/enrollments/"
    data = {"enrol-protocol_code": "diabetes_t2", "enrol-diagnosis_code": "I10", "enrol-enrolled_on": "2026-05-20"}
    r = c.post(url, data, **HX)
    assert r.status_code == 422
    m = re.search(r'id="id_enrol-diagnosis_code-error"[^>]*>([^<]+)<', page_text(r))
    assert m is not None and load_protocol("diabetes_t2").diagnosis.zh in m.group(1)
    assert not m.group(1).startswith("diagnosis_code")  # the field is named by where the message stands
    assert not Enrollment.objects.filter(protocol_code="diabetes_t2").exists()
    data["enrol-protocol_code"] = "hypertension"  # enrolled already: not offered
    r = c.post(url, {**data, "enrol-diagnosis_code": "I10"}, **HX)
    assert r.status_code == 422 and 'id="id_enrol-protocol_code-error"' in page_text(r)
    assert Enrollment.objects.filter(protocol_code="hypertension").count() == 1


def test_enrol_refused_to_another_team_and_the_patient(cast, setup):
    second_team(cast)
    url = f"/care/persons/{cast.patient_person.pk}/enrollments/"
    data = {"enrol-protocol_code": "diabetes_t2", "enrol-diagnosis_code": "E11.9", "enrol-enrolled_on": "2026-05-20"}
    assert page_client(cast.gp_b).post(url, data, **HX).status_code == 404
    assert page_client(cast.patient).post(url, data, **HX).status_code == 403
    assert page_client(cast.outsider).post(url, data, **HX).status_code == 403
    assert not Enrollment.objects.filter(protocol_code="diabetes_t2").exists()


# --- the worklist call ----------------------------------------------------------------------------------------


def _worklist(c, team, kind="overdue"):
    return page_text(c.get(f"/care/teams/{team.pk}/worklists/{kind}/"))


def test_worklist_shows_program_names_and_a_call_form_per_row(cast, setup):
    team, e = setup
    body = _worklist(page_client(cast.gp), team)
    assert load_protocol("hypertension").name.zh in body and f'id="row-{e.pk}"' in body
    assert f'name="call-{e.pk}-outcome"' in body
    for value, _label in OutreachOutcome.choices:
        assert f'value="{value}"' in body


def test_call_agreed_to_visit_sets_the_reminder_and_takes_the_row_off_overdue(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    data = {f"call-{e.pk}-outcome": "agreed_to_visit", f"call-{e.pk}-note": "周五来"}
    r = c.post(f"/care/enrollments/{e.pk}/calls/", data, **HX)
    assert r.status_code == 200
    remind = TODAY + timedelta(days=services.REMIND_AGREED_TO_VISIT_DAYS)
    call = OutreachCall.objects.get(enrollment=e)
    assert (call.outcome, call.note, call.by, call.remind_after) == ("agreed_to_visit", "周五来", cast.gp, remind)
    e.refresh_from_db()
    assert e.remind_after == remind and e.outreach_removed_reason == ""
    row = page_text(r)
    assert row.startswith("<tr") and f'id="row-{e.pk}"' in row and remind.isoformat() in row
    assert "同意就诊" in row  # the outcome's label in the page's language
    assert f'id="row-{e.pk}"' not in _worklist(c, team)  # not overdue again before the reminder
    assert AuditEvent.objects.filter(action="create", object_type="care.outreachcall", object_id=str(call.pk)).exists()


def test_call_moved_removes_the_row_to_the_removed_list(cast, setup):
    team, e = setup
    c = page_client(cast.health_manager)
    r = c.post(f"/care/enrollments/{e.pk}/calls/", {f"call-{e.pk}-outcome": "moved"}, **HX)
    assert r.status_code == 200
    e.refresh_from_db()
    assert e.outreach_removed_reason == "moved" and e.remind_after is None
    body = _worklist(c, team, "removed")
    row = body.split(f'id="row-{e.pk}"')[1].split("</tr>")[0]
    assert "已迁出" in row
    assert f'id="row-{e.pk}"' not in _worklist(c, team)


def test_call_without_javascript_returns_to_the_worklist(cast, setup):
    team, e = setup
    back = f"/care/teams/{team.pk}/worklists/overdue/"
    data = {f"call-{e.pk}-outcome": "call_later", "next": back}
    r = page_client(cast.gp).post(f"/care/enrollments/{e.pk}/calls/", data)
    assert r.status_code == 302 and r["Location"] == back
    e.refresh_from_db()
    assert e.remind_after == TODAY + timedelta(days=services.REMIND_CALL_LATER_DAYS)
    data = {f"call-{e.pk}-outcome": "call_later", "next": "https://evil.example/"}
    r = page_client(cast.gp).post(f"/care/enrollments/{e.pk}/calls/", data)
    assert r.status_code == 302 and r["Location"] == "/care/"


def test_call_with_an_unknown_outcome_is_refused_and_nothing_is_stored(cast, setup):
    team, e = setup
    r = page_client(cast.gp).post(f"/care/enrollments/{e.pk}/calls/", {f"call-{e.pk}-outcome": "gone_fishing"}, **HX)
    assert r.status_code == 422 and 'class="field-error"' in page_text(r)
    assert not OutreachCall.objects.exists()


def test_call_refused_to_another_team_and_the_patient(cast, setup):
    team, e = setup
    second_team(cast)
    data = {f"call-{e.pk}-outcome": "deceased"}
    url = f"/care/enrollments/{e.pk}/calls/"
    assert page_client(cast.gp_b).post(url, data, **HX).status_code == 404
    assert page_client(cast.patient).post(url, data, **HX).status_code == 403
    assert not OutreachCall.objects.exists()
    e.refresh_from_db()
    assert e.outreach_removed_reason == ""


# --- issue 11: yes/no questions are unanswered until answered ----------------------------------------------------


def test_required_yes_no_left_unanswered_is_refused_beside_the_field_never_stored_as_no(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    body = page_text(c.get(f"/care/persons/{cast.patient_person.pk}/"))
    select = body.split('name="hypertension-adverse_reaction"')[1].split("</select>")[0]
    assert "selected" not in select.split('value="yes"')[1]  # no answer chosen by default
    r = _post_followup(c, e, answered=False, sbp_mmhg=128, dbp_mmhg=78, new_or_worse_complication=False)
    assert r.status_code == 422
    assert _field_error(page_text(r), "adverse_reaction") and _field_error(page_text(r), "symptoms_asked")
    assert not _field_error(page_text(r), "new_or_worse_complication")
    assert 'value="128"' in page_text(r)  # nothing typed is lost
    assert not FollowUp.objects.exists()


def test_symptoms_answered_yes_need_a_tick_and_the_ticked_ones_are_stored(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    r = _post_followup(c, e, sbp_mmhg=128, dbp_mmhg=78, symptoms_asked="yes")
    assert r.status_code == 422 and _field_error(page_text(r), "symptoms")
    r = _post_followup(c, e, sbp_mmhg=128, dbp_mmhg=78, symptoms_asked="yes", symptoms=["palpitations"])
    assert r.status_code == 200
    fu = FollowUp.objects.get()
    assert fu.measurements["symptoms"] == ["palpitations"] and fu.urgent
    assert "pregnant_or_lactating" not in fu.measurements  # not asked, not stored as "no"


def test_glucose_that_may_be_mg_dl_asks_for_confirmation_beside_the_field(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    r = _post_followup(c, e, sbp_mmhg=128, dbp_mmhg=78, fasting_glucose_mmol_l=45)
    assert r.status_code == 422
    assert "mg/dL" in _field_error(page_text(r), "fasting_glucose_mmol_l")
    assert 'name="hypertension-confirm_units"' in page_text(r) and 'value="45' in page_text(r)
    assert not FollowUp.objects.exists()
    r = _post_followup(c, e, sbp_mmhg=128, dbp_mmhg=78, fasting_glucose_mmol_l=45, confirm_units="on")
    assert r.status_code == 200 and FollowUp.objects.get().measurements["fasting_glucose_mmol_l"] == 45
