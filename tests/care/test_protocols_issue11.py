"""Issue 11 (clinical safety): emergency criteria complete per protocol, the cardiovascular-risk urgent and screening
pathway, survivorship re-checks, CEA and surveillance, and the age-65 target — each at its threshold, both sides."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tiercare.care.protocols import FollowupInputError, available_protocols, classify, is_eligible, load_protocol


def dm_visit(**extra: Any) -> dict[str, Any]:
    return {"fasting_glucose_mmol_l": 6.5, "sbp_mmhg": 128, "dbp_mmhg": 78, "adverse_reaction": False,
            "new_or_worse_complication": False, **extra}  # fmt: skip


def cvr_visit(sbp: int = 128, dbp: int = 78, **extra: Any) -> dict[str, Any]:
    return {"sbp_mmhg": sbp, "dbp_mmhg": dbp, "ldl_mmol_l": 2.0, "smoker": False, "adverse_reaction": False,
            "new_ascvd_event": False, **extra}  # fmt: skip


def crc_visit(on: str = "2026-07-01", **extra: Any) -> dict[str, Any]:
    return {"suspected_recurrence": False, "treatment_side_effect": False, "date": on, **extra}


# NBPHS 2017 type 2 diabetes, the urgent list as restated (shared/clinical/README.md §4).
DIABETES_URGENT_SYMPTOMS = {
    "altered_consciousness", "altered_behaviour", "acetone_breath", "palpitations", "sweating", "loss_of_appetite",
    "nausea", "vomiting", "polydipsia_polyuria", "abdominal_pain", "deep_rapid_breathing", "flushed_skin",
    "other_sudden_abnormality", "sudden_vision_loss",
}  # fmt: skip


def test_diabetes_carries_the_whole_urgent_symptom_list_with_chinese_labels() -> None:
    dm = load_protocol("diabetes_t2")
    assert set(dm.symptoms) == DIABETES_URGENT_SYMPTOMS
    assert set(dm.rule("DM-URGENT-SYMPTOM").when.codes) == DIABETES_URGENT_SYMPTOMS
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t.zh) for t in dm.symptoms.values())
    quote = dm.rule("DM-URGENT-SYMPTOM").source_text.zh
    for words in (
        "心悸",
        "出汗",
        "食欲减退",
        "恶心",
        "呕吐",
        "多饮",
        "多尿",
        "腹痛",
        "深大呼吸",
        "皮肤潮红",
        "不能处理的其他疾病",
    ):
        assert words in quote


@pytest.mark.parametrize("symptom", sorted(DIABETES_URGENT_SYMPTOMS))
def test_every_diabetes_urgent_symptom_is_urgent(symptom: str) -> None:
    dm = load_protocol("diabetes_t2")
    c = classify(dm, dm_visit(symptoms=[symptom]), [])
    assert c.urgent and "DM-URGENT-SYMPTOM" in c.fired_rule_ids and c.next_due_in_days == 14
    assert not classify(dm, dm_visit(symptoms=[]), []).urgent


@pytest.mark.parametrize(
    ("glucose", "urgent", "rule"),
    [
        (16.6, False, None),
        (16.7, True, "DM-URGENT-GLUCOSE-HIGH"),
        (4.0, False, None),
        (3.9, True, "DM-URGENT-GLUCOSE-LOW"),
    ],
)
def test_any_glucose_not_only_fasting_is_urgent_at_the_standards_levels(
    glucose: float, urgent: bool, rule: str
) -> None:
    c = classify(load_protocol("diabetes_t2"), dm_visit(random_glucose_mmol_l=glucose), [])
    assert c.urgent is urgent
    if rule:
        assert rule in c.fired_rule_ids and c.actions.urgent_referral


@pytest.mark.parametrize("code", available_protocols())
def test_every_protocol_refers_urgently_what_cannot_be_managed_here(code: str) -> None:
    protocol = load_protocol(code)
    assert "cannot_manage_locally" in protocol.flags
    visit = {
        "hypertension": {"sbp_mmhg": 128, "dbp_mmhg": 78, "age_years": 50, "adverse_reaction": False,
                         "new_or_worse_complication": False},
        "diabetes_t2": dm_visit(),
        "cardiovascular_risk": cvr_visit(),
        "cancer_survivorship": crc_visit(),
    }[code]  # fmt: skip
    assert not classify(protocol, visit, [], schedule_start="2026-01-01").urgent
    c = classify(protocol, {**visit, "cannot_manage_locally": True}, [], schedule_start="2026-01-01")
    assert c.urgent and c.actions.urgent_referral
    assert any(r.id.endswith("URGENT-UNMANAGEABLE") for r in c.fired_rules)


def test_unknown_symptom_is_refused_naming_it_in_every_protocol() -> None:
    dm = load_protocol("diabetes_t2")
    with pytest.raises(FollowupInputError) as info:
        classify(dm, dm_visit(symptoms=["hiccups"]), [])
    assert info.value.field == "symptoms" and "'hiccups'" in info.value.message and "'hiccups'" in info.value.message_zh
    with pytest.raises(FollowupInputError):  # no symptom list at all: any code is unknown
        classify(load_protocol("cardiovascular_risk"), cvr_visit(symptoms=["chest_tightness"]), [])


# --- cardiovascular risk: people enrolled by risk are untreated -------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "urgent"), [(179, 100, False), (180, 100, True), (170, 109, False), (170, 110, True)]
)
def test_cardiovascular_risk_urgent_referral_at_180_110(sbp: int, dbp: int, urgent: bool) -> None:
    c = classify(load_protocol("cardiovascular_risk"), cvr_visit(sbp, dbp), [])
    assert c.urgent is urgent and ("CVR-URGENT-BP" in c.fired_rule_ids) is urgent
    assert c.next_due_in_days == 14


@pytest.mark.parametrize(("sbp", "dbp", "raised"), [(139, 89, False), (140, 89, True), (139, 90, True)])
def test_raised_pressure_starts_the_screening_path_remeasure_within_2_weeks(sbp: int, dbp: int, raised: bool) -> None:
    c = classify(load_protocol("cardiovascular_risk"), cvr_visit(sbp, dbp), [])
    assert ("CVR-BP-SCREEN-REMEASURE" in c.fired_rule_ids) is raised
    assert c.next_due_in_days == (14 if raised else 180)
    assert not c.actions.refer_up


def test_three_raised_readings_on_different_days_refer_for_diagnosis() -> None:
    cvr = load_protocol("cardiovascular_risk")
    d1, d2 = cvr_visit(150, 92, date="2026-03-01"), cvr_visit(146, 91, date="2026-03-08")
    third = classify(cvr, cvr_visit(145, 90, date="2026-03-14"), [d1, d2])
    assert "CVR-BP-SCREEN-REFER" in third.fired_rule_ids and third.actions.refer_up and third.next_due_in_days == 14
    # two readings only, or a normal one between: not yet
    assert "CVR-BP-SCREEN-REFER" not in classify(cvr, cvr_visit(145, 90, date="2026-03-14"), [d2]).fired_rule_ids
    normal = cvr_visit(130, 80, date="2026-03-08")
    assert (
        "CVR-BP-SCREEN-REFER" not in classify(cvr, cvr_visit(145, 90, date="2026-03-14"), [d1, normal]).fired_rule_ids
    )
    # the same day twice counts once
    same_day = cvr_visit(150, 92, date="2026-03-01")
    assert (
        "CVR-BP-SCREEN-REFER" not in classify(cvr, cvr_visit(145, 90, date="2026-03-14"), [same_day, d1]).fired_rule_ids
    )


def test_diabetes_risk_gets_fasting_glucose_yearly_and_blood_pressure_6_monthly() -> None:
    cvr = load_protocol("cardiovascular_risk")
    assert cvr.routine_interval_days == 180
    assert "CVR-DM-RISK-FPG" in classify(cvr, cvr_visit(diabetes_high_risk=True), []).fired_rule_ids
    assert "CVR-DM-RISK-FPG" not in classify(cvr, cvr_visit(), []).fired_rule_ids


def test_eligibility_uses_the_rounding_the_band_shows() -> None:
    cvr = load_protocol("cardiovascular_risk")
    assert is_eligible(cvr, age_years=50, diagnosis_codes=[], risk_percent=9.96, risk_equation="china_par")
    assert not is_eligible(cvr, age_years=50, diagnosis_codes=[], risk_percent=9.94, risk_equation="china_par")


# --- cancer survivorship ----------------------------------------------------------------------------------------


def test_an_urgent_sign_is_rechecked_within_14_days_not_at_the_routine_visit() -> None:
    crc = load_protocol("cancer_survivorship")
    c = classify(crc, crc_visit(symptoms=["rectal_bleeding"]), [], schedule_start="2026-01-01")
    assert c.urgent and c.next_due_in_days == 14
    assert classify(crc, crc_visit(), [], schedule_start="2026-01-01").next_due_in_days == 90


@pytest.mark.parametrize(
    ("cea", "rule", "days"),
    [(5.0, None, 90), (5.1, "CRC-CEA-RAISED-VALUE", 30), (9.9, "CRC-CEA-RAISED-VALUE", 30), (10.0, "CRC-CEA-10", 14)],
)
def test_cea_as_a_measured_value(cea: float, rule: str | None, days: int) -> None:
    crc = load_protocol("cancer_survivorship")
    c = classify(crc, crc_visit(cea_ug_l=cea), [], schedule_start="2026-01-01")
    assert c.next_due_in_days == days
    if rule:
        assert rule in c.fired_rule_ids
    else:
        assert not any(r.startswith("CRC-CEA") for r in c.fired_rule_ids) and c.control_class == "satisfactory"
    assert (c.actions.refer_up) is (rule == "CRC-CEA-10")


def test_cea_raised_again_on_the_repeat_refers_up() -> None:
    crc = load_protocol("cancer_survivorship")
    earlier = crc_visit("2026-06-01", cea_ug_l=6.0)
    c = classify(crc, crc_visit("2026-07-01", cea_ug_l=6.5), [earlier], schedule_start="2026-01-01")
    assert "CRC-CEA-RAISED-TWICE" in c.fired_rule_ids and c.actions.refer_up


@pytest.mark.parametrize(
    ("visit_on", "flag", "due"),
    [
        ("2026-10-01", False, None),  # 9 months after surgery: colonoscopy (12 months) not yet within a visit's reach
        ("2026-10-10", False, "2027-01-05"),
        ("2026-03-01", True, "2026-04-05"),  # pre-operative colonoscopy incomplete: at 3 months
        ("2026-03-01", False, None),
        ("2028-12-01", False, "2029-01-05"),  # at 3 years
        ("2033-12-01", False, "2034-01-05"),  # then 5-yearly
    ],
)
def test_colonoscopy_due_at_1_and_3_years_then_every_5(visit_on: str, flag: bool, due: str | None) -> None:
    crc = load_protocol("cancer_survivorship")
    c = classify(crc, crc_visit(visit_on, preop_colonoscopy_incomplete=flag), [], schedule_start=date(2026, 1, 5))
    fired = {r.id: r for r in c.fired_rules}
    if due is None:
        assert "CRC-COLONOSCOPY-DUE" not in fired
    else:
        assert due in fired["CRC-COLONOSCOPY-DUE"].explanation.zh
        assert "3~6个月行肠镜" in fired["CRC-COLONOSCOPY-DUE"].source_text.zh


def test_ct_due_every_6_months_in_the_first_years_and_the_sources_are_cited() -> None:
    crc = load_protocol("cancer_survivorship")
    c = classify(crc, crc_visit("2026-06-20"), [], schedule_start=date(2026, 1, 5))
    assert "2026-07-05" in {r.id: r for r in c.fired_rules}["CRC-CT-DUE"].explanation.en
    assert "2023" in crc.source_citation and "CSCO" in crc.source_citation


# --- the age-65 target ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sbp", "klass"), [(64, 140, "unsatisfactory"), (65, 149, "satisfactory"), (65, 150, "unsatisfactory")]
)
def test_age_specific_target_is_the_default(age: int, sbp: int, klass: str) -> None:
    visit = {"sbp_mmhg": sbp, "dbp_mmhg": 85, "age_years": age, "adverse_reaction": False,
             "new_or_worse_complication": False}  # fmt: skip
    assert classify(load_protocol("hypertension"), visit, []).control_class == klass
