"""Tests for the follow-up protocol engine and the two NBPHS 2017 protocols it ships with.

Pure and fast: the engine is called directly with dicts, as the DB layer will. Thresholds are tested exactly
at the limit and one step either side; the classification rules by the rule ids they fire.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiercare.care.plausibility import ImplausibleMeasurementError
from tiercare.care.protocols import (
    Classification,
    FollowupInputError,
    Protocol,
    ProtocolError,
    available_protocols,
    classify,
    is_eligible,
    load_protocol,
    parse_protocol,
    protocol_version,
)
from tiercare.care.protocols.loading import PROTOCOL_DIR

# Pinned content of the shipped protocols. A failure here means a protocol file changed: that is a clinical
# change. Have it reviewed, bump "version" in the file, and only then update the pin.
PINNED = {
    "hypertension": ("2017.2", "deb3423e3f8f2d2a6eeceb961f039cad61bd4cedfbb206af0a92e68f72607f44"),
    "diabetes_t2": ("2017.2", "0ab846322e52ad104d4942ce61224205fc80b7f5d8b5f5744406d163d5661830"),
}


@pytest.fixture(scope="module")
def htn() -> Protocol:
    return load_protocol("hypertension")


@pytest.fixture(scope="module")
def dm() -> Protocol:
    return load_protocol("diabetes_t2")


def bp(sbp: float, dbp: float, **extra: Any) -> dict[str, Any]:
    """A hypertension follow-up of a person aged 50 with nothing else to report."""
    return {
        "age_years": 50,
        "sbp_mmhg": sbp,
        "dbp_mmhg": dbp,
        "adverse_reaction": False,
        "new_or_worse_complication": False,
        **extra,
    }


def glucose(fpg: float, **extra: Any) -> dict[str, Any]:
    """A diabetes follow-up with blood pressure at target and nothing else to report."""
    return {
        "fasting_glucose_mmol_l": fpg,
        "sbp_mmhg": 128,
        "dbp_mmhg": 78,
        "adverse_reaction": False,
        "new_or_worse_complication": False,
        **extra,
    }


def raw_doc(code: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PROTOCOL_DIR / f"{code}.json").read_text("utf-8"))
    return doc


# --- protocol data and versioning ---------------------------------------------------------------------------


def test_shipped_protocols() -> None:
    assert available_protocols() == ("cancer_survivorship", "cardiovascular_risk", "diabetes_t2", "hypertension")


@pytest.mark.parametrize("code", sorted(PINNED))
def test_protocol_content_is_pinned(code: str) -> None:
    version = protocol_version(code)
    assert (version.version, version.sha256) == PINNED[code], (
        f"{code}.json changed: review the clinical change, bump its version, then update PINNED"
    )


@pytest.mark.parametrize("code", sorted(PINNED))
def test_version_is_the_file_sha256_and_travels_with_every_classification(code: str) -> None:
    version = protocol_version(code)
    assert version.sha256 == hashlib.sha256((PROTOCOL_DIR / f"{code}.json").read_bytes()).hexdigest()
    assert str(version) == f"{code}@{version.version}+sha256:{version.sha256}"
    protocol = load_protocol(code)
    assert (protocol.version.version, protocol.version.sha256) == (version.version, version.sha256)
    followup = bp(120, 80) if code == "hypertension" else glucose(6.0)
    assert classify(protocol, followup, []).protocol_version == str(protocol.version)
    assert str(protocol.version).startswith(str(version))


def test_a_changed_protocol_has_a_different_identity() -> None:
    doc = raw_doc("hypertension")
    changed = copy.deepcopy(doc)
    changed["thresholds"]["sbp_urgent_mmhg"]["value"] = 170
    assert parse_protocol(doc).version.sha256 != parse_protocol(changed).version.sha256
    # Enabling a variant is visible in the identity too.
    assert str(load_protocol("hypertension", variants=["HTN-TARGET-65-150"]).version).endswith("+HTN-TARGET-65-150")


def test_hypertension_protocol_states_the_standard(htn: Protocol) -> None:
    assert htn.name.zh == "高血压患者健康管理"
    assert "2017" in htn.source_citation and htn.source_evidence == "secondary"
    assert htn.min_age_years == 35
    assert htn.routine_interval_days == 90 and htn.min_face_to_face_per_year == 4 and htn.recheck_days == 14
    assert {n: t.value for n, t in htn.thresholds.items()} == {
        "sbp_control_target_mmhg": 140,
        "dbp_control_target_mmhg": 90,
        "sbp_urgent_mmhg": 180,
        "dbp_urgent_mmhg": 110,
        "elderly_age_years": 65,
        "sbp_control_target_65_plus_mmhg": 150,
    }
    assert set(htn.symptoms) == {
        "altered_consciousness",
        "severe_headache_or_dizziness",
        "nausea_vomiting",
        "blurred_vision_or_eye_pain",
        "palpitations",
        "chest_tightness",
        "orthopnoea",
    }
    # the 3rd edition prints <150/90 for 65 or more: the default, as printed (a center may decide otherwise)
    assert htn.variants["HTN-TARGET-65-150"].enabled_by_default
    assert "age_years" in htn.required_items


def test_diabetes_protocol_states_the_standard(dm: Protocol) -> None:
    assert dm.min_age_years == 35 and dm.routine_interval_days == 90 and dm.min_face_to_face_per_year == 4
    assert {n: t.value for n, t in dm.thresholds.items()} == {
        "glucose_control_target_mmol_l": 7.0,
        "glucose_urgent_high_mmol_l": 16.7,
        "glucose_urgent_low_mmol_l": 3.9,
        "sbp_urgent_mmhg": 180,
        "dbp_urgent_mmhg": 110,
        "heart_rate_urgent_bpm": 100,
        "temperature_urgent_c": 39,
    }


@pytest.mark.parametrize("code", sorted(PINNED))
def test_every_rule_has_a_stable_id_and_quotes_its_source(code: str) -> None:
    protocol = load_protocol(code)
    ids = [r.id for r in protocol.rules]
    assert len(ids) == len(set(ids))
    prefix = "HTN-" if code == "hypertension" else "DM-"
    assert all(i.startswith(prefix) for i in ids)
    for rule in protocol.rules:
        assert rule.source_text.zh and rule.source_text.en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.source_text.zh)


def test_protocol_is_immutable(htn: Protocol) -> None:
    with pytest.raises(AttributeError):
        htn.recheck_days = 30  # type: ignore[misc]
    with pytest.raises(TypeError):
        htn.thresholds["sbp_urgent_mmhg"] = None  # type: ignore[index]


@pytest.mark.parametrize(
    ("age", "codes", "expected"),
    [
        (35, ["I10.x00x002"], True),
        (34, ["I10"], False),
        (60, ["E11.900"], False),
        (60, ["J45", "i10"], True),
    ],
)
def test_hypertension_eligibility(htn: Protocol, age: int, codes: list[str], expected: bool) -> None:
    assert is_eligible(htn, age_years=age, diagnosis_codes=codes) is expected


def test_diabetes_eligibility(dm: Protocol) -> None:
    assert is_eligible(dm, age_years=35, diagnosis_codes=["E11.900"])
    assert not is_eligible(dm, age_years=50, diagnosis_codes=["E10.900"])


# --- hypertension thresholds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "control_class"),
    [
        (139, 89, "satisfactory"),
        (140, 89, "unsatisfactory"),
        (139, 90, "unsatisfactory"),
        (140, 90, "unsatisfactory"),
    ],
)
def test_hypertension_control_target_boundary(htn: Protocol, sbp: int, dbp: int, control_class: str) -> None:
    result = classify(htn, bp(sbp, dbp), [])
    assert result.control_class == control_class
    assert not result.urgent


def test_hypertension_satisfactory_books_routine_follow_up(htn: Protocol) -> None:
    result = classify(htn, bp(139, 89), [])
    assert result.fired_rule_ids == ("HTN-SATISFACTORY", "HTN-EDUCATION")
    assert result.actions.codes() == ("health_education",)
    assert result.next_due_in_days == 90
    assert "139/89" in result.explanation_zh and "139/89" in result.explanation_en
    assert "90" in result.explanation_en


def test_hypertension_first_unsatisfactory_adjusts_and_rechecks_in_14_days(htn: Protocol) -> None:
    result = classify(htn, bp(140, 90), [bp(130, 80)])
    assert result.fired_rule_ids == ("HTN-UNSAT-1ST", "HTN-EDUCATION")
    assert result.actions.adjust_medication and not result.actions.refer_up
    assert result.next_due_in_days == 14


@pytest.mark.parametrize(
    ("sbp", "dbp", "urgent", "rule"),
    [
        (179, 100, False, None),
        (180, 100, True, "HTN-URGENT-SBP"),
        (170, 109, False, None),
        (170, 110, True, "HTN-URGENT-DBP"),
    ],
)
def test_hypertension_urgent_boundary(htn: Protocol, sbp: int, dbp: int, urgent: bool, rule: str | None) -> None:
    result = classify(htn, bp(sbp, dbp), [])
    assert result.urgent is urgent
    assert result.actions.urgent_referral is urgent
    if rule:
        assert rule in result.fired_rule_ids
        assert result.next_due_in_days == 14
    else:
        assert not any("URGENT" in r for r in result.fired_rule_ids)


def test_urgent_rule_quotes_the_standard(htn: Protocol) -> None:
    result = classify(htn, bp(185, 100), [])
    fired = {r.id: r for r in result.fired_rules}["HTN-URGENT-SBP"]
    assert "收缩压≥180mmHg" in fired.source_text.zh
    assert "180 mmHg" in fired.source_text.en
    assert "185" in fired.explanation.en and "185" in fired.explanation.zh


# --- hypertension classification rules ----------------------------------------------------------------------


def test_second_consecutive_unsatisfactory_refers_up_within_14_days(htn: Protocol) -> None:
    result = classify(htn, bp(150, 95), [bp(145, 92), bp(130, 80)])
    assert result.control_class == "unsatisfactory"
    assert "HTN-UNSAT-2X" in result.fired_rule_ids
    assert "HTN-UNSAT-1ST" not in result.fired_rule_ids
    assert result.actions.refer_up and not result.actions.adjust_medication
    assert result.next_due_in_days == 14
    fired = {r.id: r for r in result.fired_rules}["HTN-UNSAT-2X"]
    assert "连续两次" in fired.source_text.zh and "twice in a row" in fired.source_text.en


def test_unsatisfactory_after_a_satisfactory_visit_is_a_first(htn: Protocol) -> None:
    result = classify(htn, bp(150, 95), [bp(130, 80), bp(160, 100)])
    assert "HTN-UNSAT-1ST" in result.fired_rule_ids


def test_previous_visit_without_a_reading_does_not_count(htn: Protocol) -> None:
    phone_call = {"adverse_reaction": False, "new_or_worse_complication": False}
    assert "HTN-UNSAT-1ST" in classify(htn, bp(150, 95), [phone_call, bp(160, 100)]).fired_rule_ids


def test_dated_previous_visits_are_ordered_by_date(htn: Protocol) -> None:
    older_unsat = bp(160, 100, date="2025-01-10")
    newer_sat = bp(130, 80, date="2025-04-10")
    result = classify(htn, bp(150, 95, date="2025-07-10"), [older_unsat, newer_sat])
    assert "HTN-UNSAT-1ST" in result.fired_rule_ids
    newer_unsat = bp(150, 92, date="2025-04-10")
    result = classify(htn, bp(150, 95, date="2025-07-10"), [dict(older_unsat, sbp_mmhg=130, dbp_mmhg=80), newer_unsat])
    assert "HTN-UNSAT-2X" in result.fired_rule_ids


def test_previous_dates_must_be_all_or_none_and_before_this_visit(htn: Protocol) -> None:
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(150, 95), [bp(130, 80, date="2025-01-10"), bp(130, 80)])
    assert info.value.field == "previous"
    with pytest.raises(FollowupInputError):
        classify(htn, bp(150, 95, date="2025-01-10"), [bp(130, 80, date="2025-01-10")])
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(150, 95), [bp(130, 80, date="10/01/2025")])
    assert info.value.field == "previous[0].date"


def test_new_complication_refers_up_even_when_controlled(htn: Protocol) -> None:
    result = classify(htn, bp(128, 78, new_or_worse_complication=True), [])
    assert result.control_class == "complication"
    assert "HTN-COMPLICATION" in result.fired_rule_ids
    assert result.actions.refer_up
    assert result.next_due_in_days == 14


def test_adverse_reaction_adjusts_and_rechecks_in_14_days(htn: Protocol) -> None:
    result = classify(htn, bp(128, 78, adverse_reaction=True), [])
    assert result.control_class == "adverse_reaction"
    assert result.fired_rule_ids == ("HTN-ADR", "HTN-EDUCATION")
    assert result.actions.adjust_medication and not result.actions.refer_up
    assert result.next_due_in_days == 14


def test_hard_to_control_adverse_reaction_refers_up(htn: Protocol) -> None:
    result = classify(htn, bp(128, 78, adverse_reaction=True, adverse_reaction_hard_to_control=True), [])
    assert result.control_class == "adverse_reaction"
    assert "HTN-ADR-HARD" in result.fired_rule_ids and "HTN-ADR" not in result.fired_rule_ids
    assert result.actions.refer_up and result.next_due_in_days == 14


def test_hard_to_control_implies_an_adverse_reaction(htn: Protocol) -> None:
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(128, 78, adverse_reaction_hard_to_control=True), [])
    assert info.value.field == "adverse_reaction"


def test_control_class_precedence_and_union_of_actions(htn: Protocol) -> None:
    result = classify(htn, bp(150, 95, adverse_reaction=True, new_or_worse_complication=True), [bp(150, 95)])
    assert result.control_class == "complication"
    assert {"HTN-UNSAT-2X", "HTN-ADR", "HTN-COMPLICATION"} <= set(result.fired_rule_ids)
    assert result.actions.codes() == ("refer_up", "adjust_medication", "health_education")


@pytest.mark.parametrize("symptom", sorted(load_protocol("hypertension").symptoms))
def test_every_hypertension_emergency_symptom_is_urgent(htn: Protocol, symptom: str) -> None:
    result = classify(htn, bp(130, 80, symptoms=[symptom]), [])
    assert result.urgent and result.actions.urgent_referral
    assert "HTN-URGENT-SYMPTOM" in result.fired_rule_ids
    assert result.control_class == "satisfactory"  # pressure is at target; the symptom makes it urgent
    assert result.next_due_in_days == 14
    assert htn.symptoms[symptom].zh in result.explanation_zh


def test_raised_pressure_in_pregnancy_is_urgent(htn: Protocol) -> None:
    assert classify(htn, bp(140, 85, pregnant_or_lactating=True), []).urgent
    assert not classify(htn, bp(139, 89, pregnant_or_lactating=True), []).urgent


def test_condition_the_clinic_cannot_manage_is_urgent(htn: Protocol) -> None:
    result = classify(htn, bp(130, 80, cannot_manage_locally=True), [])
    assert result.fired_rule_ids[0] == "HTN-URGENT-UNMANAGEABLE"


# --- the age-65 target variant ------------------------------------------------------------------------------


def test_age_65_target_is_on_by_default(htn: Protocol) -> None:
    assert classify(htn, bp(145, 85, age_years=70), []).control_class == "satisfactory"
    assert classify(htn, bp(145, 85, age_years=64), []).control_class == "unsatisfactory"


def test_two_unsatisfactory_under_the_age_target_refer_up_when_the_earlier_visit_carries_its_age(htn: Protocol) -> None:
    previous = bp(152, 85, age_years=70, date="2026-01-01")
    result = classify(htn, bp(151, 85, age_years=70, date="2026-01-15"), [previous])
    assert "HTN-UNSAT-2X" in result.fired_rule_ids
    # 145 is satisfactory at 70: the next raised visit is a first again
    assert "HTN-UNSAT-1ST" in classify(htn, bp(151, 85, age_years=70), [bp(145, 85, age_years=70)]).fired_rule_ids


@pytest.mark.parametrize(
    ("age", "sbp", "dbp", "control_class"),
    [
        (70, 149, 89, "satisfactory"),
        (70, 150, 89, "unsatisfactory"),
        (70, 145, 90, "unsatisfactory"),
        (65, 145, 85, "satisfactory"),
        (64, 145, 85, "unsatisfactory"),
        (64, 139, 89, "satisfactory"),
    ],
)
def test_age_65_target_when_enabled(age: int, sbp: int, dbp: int, control_class: str) -> None:
    elderly = load_protocol("hypertension", variants=["HTN-TARGET-65-150"])
    assert classify(elderly, bp(sbp, dbp, age_years=age), []).control_class == control_class


def test_age_65_target_needs_the_age_and_leaves_pregnancy_rule_at_140(htn: Protocol) -> None:
    elderly = load_protocol("hypertension", variants=["HTN-TARGET-65-150"])
    no_age = bp(145, 85)
    del no_age["age_years"]
    with pytest.raises(FollowupInputError) as info:
        classify(elderly, no_age, [])
    assert info.value.field == "age_years"
    assert classify(elderly, bp(145, 85, age_years=66, pregnant_or_lactating=True), []).urgent


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ProtocolError) as info:
        load_protocol("hypertension", variants=["HTN-NO-SUCH"])
    assert info.value.file == "hypertension.json" and info.value.key == "variants"


# --- diabetes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fpg", "control_class", "urgent", "rule"),
    [
        (6.9, "satisfactory", False, "DM-SATISFACTORY"),
        (7.0, "unsatisfactory", False, "DM-UNSAT-1ST"),
        (16.6, "unsatisfactory", False, "DM-UNSAT-1ST"),
        (16.7, "unsatisfactory", True, "DM-URGENT-GLUCOSE-HIGH"),
        (4.0, "satisfactory", False, "DM-SATISFACTORY"),
        (3.9, "satisfactory", True, "DM-URGENT-GLUCOSE-LOW"),
    ],
)
def test_diabetes_glucose_boundaries(dm: Protocol, fpg: float, control_class: str, urgent: bool, rule: str) -> None:
    result = classify(dm, glucose(fpg), [])
    assert result.control_class == control_class
    assert result.urgent is urgent
    assert rule in result.fired_rule_ids
    assert result.next_due_in_days == (90 if control_class == "satisfactory" and not urgent else 14)


def test_diabetes_second_consecutive_unsatisfactory_refers_up(dm: Protocol) -> None:
    result = classify(dm, glucose(8.2), [glucose(7.4)])
    assert "DM-UNSAT-2X" in result.fired_rule_ids
    assert result.actions.refer_up and result.next_due_in_days == 14


@pytest.mark.parametrize(
    ("extra", "urgent", "rule"),
    [
        ({"sbp_mmhg": 179, "dbp_mmhg": 109}, False, None),
        ({"sbp_mmhg": 180}, True, "DM-URGENT-SBP"),
        ({"dbp_mmhg": 110}, True, "DM-URGENT-DBP"),
        ({"heart_rate_bpm": 101, "heart_rate_persistent": True}, True, "DM-URGENT-HEART-RATE"),
        ({"heart_rate_bpm": 100, "heart_rate_persistent": True}, False, None),
        ({"heart_rate_bpm": 120}, False, None),  # not persistent
        ({"heart_rate_persistent": True}, False, None),  # no reading
        ({"temperature_c": 39.0}, False, None),
        ({"temperature_c": 39.1}, True, "DM-URGENT-TEMPERATURE"),
        ({"symptoms": ["acetone_breath"]}, True, "DM-URGENT-SYMPTOM"),
        ({"symptoms": ["sudden_vision_loss"]}, True, "DM-URGENT-SYMPTOM"),
        ({"pregnant_or_lactating": True}, True, "DM-URGENT-PREGNANCY"),
    ],
)
def test_diabetes_urgent_referral(dm: Protocol, extra: dict[str, Any], urgent: bool, rule: str | None) -> None:
    result = classify(dm, glucose(6.5, **extra), [])
    assert result.urgent is urgent
    if rule:
        assert rule in result.fired_rule_ids
        assert result.actions.urgent_referral and result.next_due_in_days == 14


def test_diabetes_complication_and_adverse_reaction(dm: Protocol) -> None:
    assert classify(dm, glucose(6.5, new_or_worse_complication=True), []).actions.refer_up
    adr = classify(dm, glucose(6.5, adverse_reaction=True), [])
    assert adr.fired_rule_ids == ("DM-ADR", "DM-EDUCATION") and adr.next_due_in_days == 14


# --- follow-up input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sbp_mmhg", "dbp_mmhg", "adverse_reaction", "new_or_worse_complication"])
def test_missing_required_input_is_named(htn: Protocol, field: str) -> None:
    followup = bp(130, 80)
    del followup[field]
    with pytest.raises(FollowupInputError) as info:
        classify(htn, followup, [])
    assert info.value.field == field
    assert info.value.message_zh


def test_diabetes_requires_glucose(dm: Protocol) -> None:
    followup = glucose(6.0)
    del followup["fasting_glucose_mmol_l"]
    with pytest.raises(FollowupInputError) as info:
        classify(dm, followup, [])
    assert info.value.field == "fasting_glucose_mmol_l"
    assert "空腹血糖" in info.value.message_zh


def test_wrong_types_are_refused(htn: Protocol) -> None:
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(130, 80, adverse_reaction="no"), [])
    assert info.value.field == "adverse_reaction"
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(130, 80, symptoms="palpitations"), [])
    assert info.value.field == "symptoms"
    with pytest.raises(FollowupInputError):
        classify(htn, "130/80", [])  # type: ignore[arg-type]
    with pytest.raises(FollowupInputError):
        classify(htn, bp(130, 80), "previous")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["palpitation", "acetone_breath"])
def test_a_symptom_code_the_protocol_does_not_know_is_refused_naming_it(htn: Protocol, code: str) -> None:
    """Never silently ignored, even another program's code: an unrecognised emergency must not pass as none."""
    with pytest.raises(FollowupInputError) as info:
        classify(htn, bp(130, 80, symptoms=[code]), [])
    assert info.value.field == "symptoms" and info.value.code == "invalid_choice"
    assert repr(code) in info.value.message and repr(code) in info.value.message_zh


def test_impossible_value_is_refused_before_classifying(htn: Protocol) -> None:
    with pytest.raises(ImplausibleMeasurementError) as info:
        classify(htn, bp(900, 80), [])
    assert info.value.fields == ["sbp_mmhg"]


def test_classify_does_not_change_its_inputs(htn: Protocol) -> None:
    followup, previous = bp(150, 95, symptoms=["palpitations"]), [bp(150, 95, date="2025-01-01")]
    before = copy.deepcopy((followup, previous))
    classify(htn, followup, previous)
    assert (followup, previous) == before


@settings(max_examples=300, deadline=None)
@given(
    sbp=st.integers(60, 280),
    dbp_gap=st.integers(10, 120),
    previous_sbp=st.one_of(st.none(), st.integers(100, 200)),
)
def test_hypertension_classification_matches_the_standard_for_any_reading(
    sbp: int, dbp_gap: int, previous_sbp: int | None
) -> None:
    htn = load_protocol("hypertension")
    dbp = min(max(sbp - dbp_gap, 20), 160)
    previous = [] if previous_sbp is None else [bp(previous_sbp, 80)]
    result: Classification = classify(htn, bp(sbp, dbp), previous)
    not_controlled = sbp >= 140 or dbp >= 90
    urgent = sbp >= 180 or dbp >= 110
    assert result.urgent is urgent
    assert result.control_class == ("unsatisfactory" if not_controlled else "satisfactory")
    twice = not_controlled and previous_sbp is not None and previous_sbp >= 140
    assert result.actions.refer_up is twice
    assert result.actions.adjust_medication is (not_controlled and not twice)
    assert result.actions.health_education
    assert result.next_due_in_days == (14 if (not_controlled or urgent) else 90)


# --- protocol schema validation -----------------------------------------------------------------------------


def _broken(mutate: Any, code: str = "hypertension") -> ProtocolError:
    doc = raw_doc(code)
    mutate(doc)
    with pytest.raises(ProtocolError) as info:
        parse_protocol(doc, filename=f"{code}.json")
    assert info.value.file == f"{code}.json"
    return info.value


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.pop("rules"), "rules"),
        (lambda d: d.update(rule=[]), "rule"),
        (lambda d: d.update(code="htn"), "code"),
        (lambda d: d["schedule"].update(routine_interval_days="90"), "schedule.routine_interval_days"),
        (lambda d: d["schedule"].update(routine_interval_days=120), "schedule.routine_interval_days"),
        (lambda d: d["thresholds"]["sbp_urgent_mmhg"].update(value="1"), "thresholds.sbp_urgent_mmhg.value"),
        (lambda d: d["rules"][0]["when"].update(op="=>"), "rules[0].when.op"),
        (lambda d: d["rules"][0]["when"].update(threshold="sbp_urgnt_mmhg"), "rules[0].when.threshold"),
        (lambda d: d["rules"][0].update(actions=["refer_up"]), "rules[0].actions"),
        (lambda d: d["rules"][0].update(actions=["call_police", "urgent_referral"]), "rules[0].actions[0]"),
        (lambda d: d["rules"][0].update(next_due_in_days=14), "rules[0].next_due_in_days"),
        (lambda d: d["rules"][1].update(id="HTN-URGENT-SBP"), "rules[1].id"),
        (lambda d: d["rules"][0]["explain"].update(en="SBP {sbp}"), "rules[0].explain.en"),
        (lambda d: d["rules"][0]["source_text"].pop("zh"), "rules[0].source_text.zh"),
        (lambda d: d["rules"][2]["when"].update(symptom_any=["hiccups"]), "rules[2].when.symptom_any[0]"),
        (lambda d: d["rules"][0]["when"].update(item="heart_rate_bpm"), "rules[0].when.if_missing"),
        (lambda d: d["conditions"].update(bp_raised={"ref": "bp_raised"}), "conditions.bp_raised"),
        (lambda d: d["control_class_precedence"].pop(), "control_class_precedence"),
        (lambda d: d["flags"][1].update(implies="adverse_reactions"), "flags[1].implies"),
        (
            lambda d: d["variants"][0]["conditions"].update(new_cond={"always": True}),
            "variants[0].conditions.new_cond",
        ),
    ],
)
def test_schema_errors_name_the_file_and_the_key(mutate: Any, key: str) -> None:
    assert _broken(mutate).key == key


def test_a_protocol_that_classifies_nothing_is_refused() -> None:
    def drop_classes(d: dict[str, Any]) -> None:
        for rule in d["rules"]:
            rule.pop("control_class", None)

    assert _broken(drop_classes).key == "rules"


def test_unknown_or_malicious_protocol_codes_are_refused() -> None:
    with pytest.raises(ProtocolError, match="available: cancer_survivorship, cardiovascular_risk, diabetes_t2"):
        load_protocol("asthma")
    for code in ("../hypertension", "Hypertension", ""):
        with pytest.raises(ProtocolError):
            load_protocol(code)
