"""The cardiovascular-risk and cancer-survivorship protocols, and the schema parts they brought to the engine.

Engine level (pure): risk-based eligibility (``eligibility.risk``) and the phase-based routine interval
(``schedule.routine_interval_phases``), valid and invalid; each protocol's thresholds at the limit and either
side. Service level: enrolment through ``enrollment_create`` and a follow-up through ``followup_record``.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from tests.care.factories import HTN_OK, at, contract, enrol, followup, team_with

from tiercare.care import services
from tiercare.care.models import Enrollment, FollowUp, ReferralSuggestion
from tiercare.care.protocols import (
    FollowupInputError,
    Protocol,
    ProtocolError,
    classify,
    is_eligible,
    load_protocol,
    parse_protocol,
    protocol_version,
)
from tiercare.care.protocols.loading import PROTOCOL_DIR
from tiercare.care.protocols.schedule import add_years
from tiercare.core.errors import ValidationFailed

# A change to these files is a clinical change: review it, bump "version" in the file, then update the pin.
PINNED = {
    "cardiovascular_risk": ("2023.3", "65f3cd0d40bee81be724638823572fe1f2acc35c97b2d7577d751b865c84e4ad"),
    "cancer_survivorship": ("2023.2", "c260fe48c0fa428268c9388f298b8e859e0d528a4afbf39852c38960a385cb65"),
}
START = date(2024, 3, 1)  # the schedule's start (end of treatment / enrolment) in the survivorship tests


@pytest.fixture(scope="module")
def cvr() -> Protocol:
    return load_protocol("cardiovascular_risk")


@pytest.fixture(scope="module")
def crc() -> Protocol:
    return load_protocol("cancer_survivorship")


def risk_visit(ldl: float = 2.2, sbp: float = 128, dbp: float = 78, **extra: Any) -> dict[str, Any]:
    """A cardiovascular-risk follow-up at every target with nothing else to report."""
    return {
        "sbp_mmhg": sbp,
        "dbp_mmhg": dbp,
        "ldl_mmol_l": ldl,
        "smoker": False,
        "adverse_reaction": False,
        "new_ascvd_event": False,
        **extra,
    }


def survivor_visit(on: date, **extra: Any) -> dict[str, Any]:
    """A survivorship follow-up on ``on`` with nothing to report."""
    return {"date": on.isoformat(), "suspected_recurrence": False, "treatment_side_effect": False, **extra}


def raw_doc(code: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PROTOCOL_DIR / f"{code}.json").read_text("utf-8"))
    return doc


# --- data, versions, sources --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(PINNED))
def test_protocol_content_is_pinned(code: str) -> None:
    version = protocol_version(code)
    assert (version.version, version.sha256) == PINNED[code], (
        f"{code}.json changed: review the clinical change, bump its version, then update PINNED"
    )


@pytest.mark.parametrize(("code", "prefix"), [("cardiovascular_risk", "CVR-"), ("cancer_survivorship", "CRC-")])
def test_every_rule_quotes_its_source_in_both_languages(code: str, prefix: str) -> None:
    protocol = load_protocol(code)
    assert protocol.source_evidence == "secondary"
    for rule in protocol.rules:
        assert rule.id.startswith(prefix)
        assert rule.source_text.en.strip() and any("\u4e00" <= ch <= "\u9fff" for ch in rule.source_text.zh)


def test_cardiovascular_risk_protocol_states_its_sources(cvr: Protocol) -> None:
    assert cvr.eligibility_risk is not None
    assert (cvr.eligibility_risk.equation, cvr.eligibility_risk.min_percent) == ("china_par", 10)
    assert cvr.diagnosis_icd10_prefixes == ()
    assert cvr.min_age_years == 20
    assert {n: t.value for n, t in cvr.thresholds.items()} == {
        "ldl_target_high_risk_mmol_l": 2.6,
        "sbp_control_target_mmhg": 140,
        "dbp_control_target_mmhg": 90,
        "sbp_urgent_mmhg": 180,
        "dbp_urgent_mmhg": 110,
    }
    assert (cvr.routine_interval_days, cvr.recheck_days, cvr.routine_interval_phases) == (180, 28, ())


def test_cancer_survivorship_protocol_states_its_schedule(crc: Protocol) -> None:
    assert crc.diagnosis_icd10_prefixes == ("C18", "C19", "C20")
    assert [(p.until_years, p.days) for p in crc.routine_interval_phases] == [(2, 90), (5, 180)]
    assert (crc.routine_interval_days, crc.recheck_days) == (365, 30)
    assert "每3个月1次，共2年，然后每6个月1次，总共5年，5年后每年1次" in crc.rule("CRC-SATISFACTORY").source_text.zh


# --- eligibility by risk ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "expected"), [(9.9, False), (10.0, True), (10.1, True)])
def test_cardiovascular_eligibility_is_china_par_10_percent_or_more(cvr: Protocol, risk: float, expected: bool) -> None:
    assert is_eligible(cvr, age_years=55, diagnosis_codes=[], risk_percent=risk, risk_equation="china_par") is expected


def test_cardiovascular_eligibility_needs_a_risk_and_the_age(cvr: Protocol) -> None:
    assert not is_eligible(cvr, age_years=55, diagnosis_codes=["I10"])
    assert not is_eligible(cvr, age_years=19, diagnosis_codes=[], risk_percent=30, risk_equation="china_par")
    assert is_eligible(cvr, age_years=20, diagnosis_codes=[], risk_percent=30, risk_equation="china_par")


def test_a_risk_from_another_equation_is_refused(cvr: Protocol) -> None:
    with pytest.raises(ValueError, match="china_par"):
        is_eligible(cvr, age_years=55, diagnosis_codes=[], risk_percent=12, risk_equation="pce")


def test_diagnosis_or_risk_either_makes_eligible() -> None:
    doc = raw_doc("cardiovascular_risk")
    doc["eligibility"]["diagnosis"]["icd10_prefixes"] = ["N18.3"]
    p = parse_protocol(doc, filename="cardiovascular_risk.json")
    assert is_eligible(p, age_years=50, diagnosis_codes=["N18.300"])
    assert is_eligible(p, age_years=50, diagnosis_codes=["E11"], risk_percent=10, risk_equation="china_par")
    assert not is_eligible(p, age_years=50, diagnosis_codes=["E11"], risk_percent=9.9, risk_equation="china_par")


def test_protocols_without_a_risk_criterion_ignore_a_risk() -> None:
    htn = load_protocol("hypertension")
    assert htn.eligibility_risk is None
    assert not is_eligible(htn, age_years=50, diagnosis_codes=["E11"], risk_percent=40, risk_equation="china_par")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("C18.7", True), ("C20", True), ("c19.x00", True), ("C21.0", False), ("Z85.0", False), ("D12.6", False)],
)
def test_survivorship_eligibility_is_colorectal_cancer(crc: Protocol, code: str, expected: bool) -> None:
    assert is_eligible(crc, age_years=40, diagnosis_codes=[code]) is expected


# --- schema: valid and invalid ------------------------------------------------------------------------------


def _broken(code: str, mutate: Any) -> ProtocolError:
    doc = copy.deepcopy(raw_doc(code))
    mutate(doc)
    with pytest.raises(ProtocolError) as info:
        parse_protocol(doc, filename=f"{code}.json")
    assert info.value.file == f"{code}.json"
    return info.value


@pytest.mark.parametrize(
    ("code", "mutate", "key"),
    [
        ("cardiovascular_risk", lambda d: d["eligibility"]["risk"].update(equation="framingham"),
         "eligibility.risk.equation"),
        ("cardiovascular_risk", lambda d: d["eligibility"]["risk"].update(min_percent=0),
         "eligibility.risk.min_percent"),
        ("cardiovascular_risk", lambda d: d["eligibility"]["risk"].update(min_percent="10"),
         "eligibility.risk.min_percent"),
        ("cardiovascular_risk", lambda d: d["eligibility"]["risk"].pop("zh"), "eligibility.risk.zh"),
        ("cardiovascular_risk", lambda d: d["eligibility"]["risk"].update(max_percent=20),
         "eligibility.risk.max_percent"),
        ("cardiovascular_risk", lambda d: d["eligibility"].pop("risk"), "eligibility.diagnosis.icd10_prefixes"),
        ("cancer_survivorship", lambda d: d["schedule"].update(routine_interval_phases=[]),
         "schedule.routine_interval_phases"),
        ("cancer_survivorship", lambda d: d["schedule"]["routine_interval_phases"][1].update(until_years=2),
         "schedule.routine_interval_phases[1].until_years"),
        ("cancer_survivorship", lambda d: d["schedule"]["routine_interval_phases"][0].update(until_years=1.5),
         "schedule.routine_interval_phases[0].until_years"),
        ("cancer_survivorship", lambda d: d["schedule"]["routine_interval_phases"][0].update(days=0),
         "schedule.routine_interval_phases[0].days"),
        ("cancer_survivorship", lambda d: d["schedule"]["routine_interval_phases"][0].update(days=400),
         "schedule.routine_interval_phases[0].days"),
        ("cancer_survivorship", lambda d: d["schedule"]["routine_interval_phases"][0].update(weeks=2),
         "schedule.routine_interval_phases[0].weeks"),
        ("cancer_survivorship", lambda d: d["schedule"].update(routine_interval_phase=[]),
         "schedule.routine_interval_phase"),
    ],
)  # fmt: skip
def test_schema_errors_in_the_new_parts_name_the_file_and_the_key(code: str, mutate: Any, key: str) -> None:
    assert _broken(code, mutate).key == key


def test_phases_are_optional_and_a_valid_phase_list_loads() -> None:
    doc = raw_doc("hypertension")
    doc["schedule"]["routine_interval_phases"] = [{"until_years": 1, "days": 30}]
    p = parse_protocol(doc, filename="hypertension.json")
    assert [(ph.until_years, ph.days) for ph in p.routine_interval_phases] == [(1, 30)]
    assert load_protocol("hypertension").routine_interval_phases == ()


# --- the phase-based interval -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "days"),
    [
        (START, 90),
        (add_years(START, 2) - timedelta(days=1), 90),
        (add_years(START, 2), 180),
        (add_years(START, 2) + timedelta(days=1), 180),
        (add_years(START, 5) - timedelta(days=1), 180),
        (add_years(START, 5), 365),
        (add_years(START, 5) + timedelta(days=1), 365),
        (add_years(START, 12), 365),
    ],
)
def test_routine_interval_follows_the_years_since_the_start(crc: Protocol, on: date, days: int) -> None:
    c = classify(crc, survivor_visit(on), [], schedule_start=START)
    assert (c.control_class, c.next_due_in_days) == ("satisfactory", days)
    assert f"{days} 天内" in c.explanation_zh


def test_schedule_start_accepts_an_iso_string(crc: Protocol) -> None:
    on = date(2027, 3, 1)
    assert classify(crc, survivor_visit(on), [], schedule_start="2024-03-01").next_due_in_days == 180


def test_anniversary_of_29_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_phases_need_the_start_and_the_date(crc: Protocol) -> None:
    with pytest.raises(FollowupInputError) as info:
        classify(crc, survivor_visit(date(2025, 1, 1)), [])
    assert (info.value.field, info.value.code) == ("schedule_start", "missing")
    undated = survivor_visit(date(2025, 1, 1))
    undated.pop("date")
    with pytest.raises(FollowupInputError) as info:
        classify(crc, undated, [], schedule_start=START)
    assert (info.value.field, info.value.code) == ("date", "missing")
    with pytest.raises(FollowupInputError) as info:
        classify(crc, survivor_visit(START - timedelta(days=1)), [], schedule_start=START)
    assert (info.value.field, info.value.code) == ("date", "inconsistent")
    with pytest.raises(FollowupInputError) as info:
        classify(crc, survivor_visit(date(2025, 1, 1)), [], schedule_start="1 March 2024")
    assert info.value.field == "schedule_start"


def test_protocols_without_phases_ignore_the_start() -> None:
    htn = load_protocol("hypertension")
    visit = {
        "sbp_mmhg": 120, "dbp_mmhg": 80, "adverse_reaction": False, "new_or_worse_complication": False,
        "age_years": 50,
    }  # fmt: skip
    assert classify(htn, visit, []).next_due_in_days == 90
    assert classify(htn, {**visit, "date": "2026-01-01"}, [], schedule_start=date(2000, 1, 1)).next_due_in_days == 90


# --- cancer survivorship classification ---------------------------------------------------------------------


@pytest.mark.parametrize("symptom", ["rectal_bleeding", "bowel_obstruction_signs", "chest_pain_or_breathlessness"])
def test_signs_to_report_immediately_are_urgent(crc: Protocol, symptom: str) -> None:
    c = classify(crc, survivor_visit(date(2025, 1, 1), symptoms=[symptom]), [], schedule_start=START)
    assert c.urgent and c.actions.urgent_referral and c.control_class == "complication"
    assert "CRC-URGENT-SIGN" in c.fired_rule_ids
    assert "nearest emergency room" in c.fired_rules[0].source_text.en


@pytest.mark.parametrize("symptom", ["weight_loss_over_2_weeks", "bowel_habit_change_over_2_weeks"])
def test_persistent_signs_refer_up_without_urgency(crc: Protocol, symptom: str) -> None:
    c = classify(crc, survivor_visit(date(2025, 1, 1), symptoms=[symptom]), [], schedule_start=START)
    assert (c.control_class, c.urgent, c.actions.refer_up) == ("complication", False, True)
    assert c.fired_rule_ids[0] == "CRC-PERSISTENT-SIGN"
    assert c.next_due_in_days == 90  # the referral keeps the scheduled follow-up


def test_suspected_recurrence_refers_up(crc: Protocol) -> None:
    c = classify(crc, survivor_visit(date(2027, 6, 1), suspected_recurrence=True), [], schedule_start=START)
    assert (c.control_class, c.actions.refer_up, c.next_due_in_days) == ("complication", True, 180)


def test_raised_cea_is_repeated_in_a_month_and_a_further_rise_refers_up(crc: Protocol) -> None:
    raised = classify(crc, survivor_visit(date(2025, 1, 1), cea_raised=True), [], schedule_start=START)
    assert (raised.control_class, raised.next_due_in_days, raised.actions.refer_up) == ("unsatisfactory", 30, False)
    rising = survivor_visit(date(2025, 2, 1), cea_raised=True, cea_rising_on_repeat=True)
    c = classify(crc, rising, [], schedule_start=START)
    assert (c.control_class, c.actions.refer_up) == ("complication", True)
    assert "CRC-CEA-RAISED" not in c.fired_rule_ids


def test_treatment_side_effect_is_an_adverse_reaction(crc: Protocol) -> None:
    c = classify(crc, survivor_visit(date(2025, 1, 1), treatment_side_effect=True), [], schedule_start=START)
    assert (c.control_class, c.urgent, c.actions.codes()) == ("adverse_reaction", False, ("health_education",))


def test_survivorship_requires_the_recurrence_and_side_effect_answers(crc: Protocol) -> None:
    visit = survivor_visit(date(2025, 1, 1))
    visit.pop("suspected_recurrence")
    with pytest.raises(FollowupInputError) as info:
        classify(crc, visit, [], schedule_start=START)
    assert info.value.field == "suspected_recurrence"


# --- cardiovascular risk classification ---------------------------------------------------------------------


@pytest.mark.parametrize(("ldl", "klass"), [(2.5, "satisfactory"), (2.6, "unsatisfactory"), (2.7, "unsatisfactory")])
def test_ldl_target_is_below_2_6(cvr: Protocol, ldl: float, klass: str) -> None:
    c = classify(cvr, risk_visit(ldl=ldl), [])
    assert c.control_class == klass
    assert c.actions.adjust_medication is (klass == "unsatisfactory")
    assert c.next_due_in_days == (180 if klass == "satisfactory" else 28)


@pytest.mark.parametrize(
    ("sbp", "dbp", "klass"),
    [(139, 89, "satisfactory"), (140, 89, "unsatisfactory"), (139, 90, "unsatisfactory"), (141, 91, "unsatisfactory")],
)
def test_blood_pressure_target_is_below_140_90(cvr: Protocol, sbp: int, dbp: int, klass: str) -> None:
    c = classify(cvr, risk_visit(sbp=sbp, dbp=dbp), [])
    assert c.control_class == klass
    if klass == "unsatisfactory":
        assert c.fired_rule_ids[0] == "CVR-BP-NOT-AT-TARGET"
        assert "CVR-BP-SCREEN-REMEASURE" in c.fired_rule_ids and c.next_due_in_days == 14  # NBPHS: re-measure


def test_smoking_is_unsatisfactory_with_advice_to_quit(cvr: Protocol) -> None:
    c = classify(cvr, risk_visit(smoker=True), [])
    assert (c.control_class, c.actions.health_education) == ("unsatisfactory", True)
    assert "CVR-SMOKER" in c.fired_rule_ids and "CVR-SATISFACTORY" not in c.fired_rule_ids


def test_new_ascvd_event_is_a_complication_referred_up(cvr: Protocol) -> None:
    c = classify(cvr, risk_visit(ldl=3.0, new_ascvd_event=True), [])
    assert (c.control_class, c.actions.refer_up, c.urgent) == ("complication", True, False)
    assert c.fired_rule_ids[:2] == ("CVR-ASCVD-EVENT", "CVR-LDL-NOT-AT-TARGET")


def test_lipid_drug_reaction_is_an_adverse_reaction(cvr: Protocol) -> None:
    c = classify(cvr, risk_visit(ldl=3.0, adverse_reaction=True), [])
    assert (c.control_class, c.actions.adjust_medication, c.next_due_in_days) == ("adverse_reaction", True, 28)


def test_cardiovascular_follow_up_needs_ldl_and_the_smoking_status(cvr: Protocol) -> None:
    for field in ("ldl_mmol_l", "smoker"):
        visit = risk_visit()
        visit.pop(field)
        with pytest.raises(FollowupInputError) as info:
            classify(cvr, visit, [])
        assert info.value.field == field


# --- services: enrolment and follow-up ----------------------------------------------------------------------


@pytest.fixture
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def contracted(cast, _now):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return cast


@pytest.mark.django_db
def test_survivor_is_enrolled_and_followed_by_the_phase_schedule(contracted):
    cast = contracted
    e = services.enrollment_create(
        by=cast.gp, person=cast.patient_person, protocol_code="cancer_survivorship", diagnosis_code="C18.7",
        enrolled_on=date(2024, 3, 1),
    )  # fmt: skip
    assert e.next_due_on == date(2024, 3, 31)  # first follow-up within the recheck interval
    m = {"suspected_recurrence": False, "treatment_side_effect": False}
    fu = services.followup_record(
        by=cast.gp, enrollment=e, person_id=e.person_id, measured_at=at(date(2026, 2, 28)), measurements=m
    )
    assert (fu.control_class, fu.next_due_on) == ("satisfactory", date(2026, 2, 28) + timedelta(days=90))
    fu2 = services.followup_record(
        by=cast.gp, enrollment=e, person_id=e.person_id, measured_at=at(date(2026, 3, 1)), measurements=m
    )
    assert fu2.next_due_on == date(2026, 3, 1) + timedelta(days=180)  # second anniversary: every 6 months
    e.refresh_from_db()
    assert e.next_due_on == fu2.next_due_on
    assert FollowUp.objects.get(pk=fu2.pk).protocol_sha256 == protocol_version("cancer_survivorship").sha256


@pytest.mark.django_db
def test_survivor_enrolled_years_after_treatment_is_followed_from_the_end_of_treatment(contracted, api):
    cast = contracted
    status, body = api(cast.gp).post(
        "care/enrollments",
        {"person": str(cast.patient_person.pk), "protocol_code": "cancer_survivorship", "diagnosis_code": "C20",
         "enrolled_on": "2026-05-01", "schedule_from": "2023-11-15"},
    )  # fmt: skip
    assert status == 201 and body["schedule_from"] == "2023-11-15"
    e = Enrollment.objects.get(pk=body["id"])
    m = {"suspected_recurrence": False, "treatment_side_effect": False}
    fu = services.followup_record(
        by=cast.gp, enrollment=e, person_id=e.person_id, measured_at=at(date(2026, 5, 20)), measurements=m
    )
    # 2.5 years after treatment ended: every 6 months (from the enrolment it would be every 3)
    assert fu.next_due_on == date(2026, 5, 20) + timedelta(days=180)


@pytest.mark.django_db
@pytest.mark.parametrize("schedule_from", ["2026-05-02", "1970-01-01"])
def test_intervals_cannot_count_from_after_the_enrolment_or_from_long_ago(contracted, api, schedule_from):
    cast = contracted
    status, body = api(cast.gp).post(
        "care/enrollments",
        {"person": str(cast.patient_person.pk), "protocol_code": "cancer_survivorship", "diagnosis_code": "C20",
         "enrolled_on": "2026-05-01", "schedule_from": schedule_from},
    )  # fmt: skip
    # after the enrolment: the service's refusal; 1970: outside the record-date window the schema checks first
    fields = [e["field"] for e in body["details"].get("errors", [])] or [body["details"].get("field")]
    assert status == 422 and "schedule_from" in fields, body
    assert not Enrollment.objects.filter(person=cast.patient_person).exists()


@pytest.mark.django_db
def test_cardiovascular_risk_program_needs_no_diagnosis_code_over_the_api(contracted, api):
    status, body = api(contracted.gp).post(
        "care/enrollments",
        {
            "person": str(contracted.patient_person.pk),
            "protocol_code": "cardiovascular_risk",
            "enrolled_on": "2026-05-01",
        },
    )
    # no computed risk yet: refused as not eligible, naming the risk criterion, not as a missing field
    assert status == 422 and body["code"] == "not_eligible" and "China-PAR" in body["message"]


@pytest.mark.django_db
def test_survivor_with_an_urgent_sign_gets_an_urgent_referral_suggestion(contracted):
    cast = contracted
    e2 = services.enrollment_create(
        by=cast.gp, person=cast.patient_person, protocol_code="cancer_survivorship", diagnosis_code="C20",
        enrolled_on=date(2026, 1, 5),
    )  # fmt: skip
    m = {"suspected_recurrence": False, "treatment_side_effect": False, "symptoms": ["rectal_bleeding"]}
    fu = services.followup_record(
        by=cast.gp, enrollment=e2, person_id=e2.person_id, measured_at=at(date(2026, 5, 1)), measurements=m
    )
    s = ReferralSuggestion.objects.get(followup=fu)
    assert s.urgent and "CRC-URGENT-SIGN" in s.rule_ids


@pytest.mark.django_db
def test_survivorship_refuses_a_non_colorectal_diagnosis(contracted):
    with pytest.raises(ValidationFailed):
        services.enrollment_create(
            by=contracted.gp, person=contracted.patient_person, protocol_code="cancer_survivorship",
            diagnosis_code="C50.9", enrolled_on=date(2026, 1, 5),
        )  # fmt: skip


@pytest.mark.django_db
def test_cardiovascular_enrolment_needs_a_computed_high_risk(contracted):
    cast = contracted
    with pytest.raises(ValidationFailed) as info:
        services.enrollment_create(
            by=cast.gp, person=cast.patient_person, protocol_code="cardiovascular_risk", diagnosis_code="Z13.6",
            enrolled_on=date(2026, 3, 1),
        )  # fmt: skip
    assert info.value.code == "not_eligible"
    htn = enrol(cast.gp, cast.patient_person, "hypertension")
    m = {**HTN_OK, "sbp_mmhg": 150, "dbp_mmhg": 85, "total_chol_mmol_l": 6.0, "hdl_mmol_l": 1.0, "waist_cm": 95,
         "smoker": True, "north": True, "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip
    fu = followup(cast.gp, htn, date(2026, 2, 1), m)
    assert fu.risk_percent is not None and fu.risk_percent >= 10  # the real China-PAR estimate, not a stub
    e = services.enrollment_create(
        by=cast.gp, person=cast.patient_person, protocol_code="cardiovascular_risk", diagnosis_code="Z13.6",
        enrolled_on=date(2026, 3, 1),
    )  # fmt: skip
    assert e.protocol_code == "cardiovascular_risk"
    v = {"sbp_mmhg": 132, "dbp_mmhg": 80, "ldl_mmol_l": 3.1, "smoker": True, "adverse_reaction": False,
         "new_ascvd_event": False}  # fmt: skip
    cfu = services.followup_record(
        by=cast.gp, enrollment=e, person_id=e.person_id, measured_at=at(date(2026, 4, 1)), measurements=v
    )
    assert cfu.control_class == "unsatisfactory"
    assert {"CVR-LDL-NOT-AT-TARGET", "CVR-SMOKER"} <= set(cfu.fired_rule_ids)
    assert cfu.next_due_on == date(2026, 4, 1) + timedelta(days=28)


@pytest.mark.django_db
def test_a_voided_followup_risk_does_not_make_eligible(contracted):
    cast = contracted
    htn = enrol(cast.gp, cast.patient_person, "hypertension")
    m = {**HTN_OK, "sbp_mmhg": 150, "dbp_mmhg": 85, "total_chol_mmol_l": 6.0, "hdl_mmol_l": 1.0, "waist_cm": 95,
         "smoker": True, "north": True, "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip
    fu = followup(cast.gp, htn, date(2026, 2, 1), m)
    services.followup_void(by=cast.gp, followup=fu, reason="wrong person")
    with pytest.raises(ValidationFailed):
        services.enrollment_create(
            by=cast.gp, person=cast.patient_person, protocol_code="cardiovascular_risk", diagnosis_code="Z13.6",
            enrolled_on=date(2026, 3, 1),
        )  # fmt: skip
