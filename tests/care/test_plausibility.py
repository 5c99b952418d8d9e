"""Tests for tiercare.care.plausibility.

Impossible follow-up values are refused with the field named, in zh-Hans and English; possible extremes pass.
Pure and fast.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tiercare.care.plausibility import (
    RANGES,
    ImplausibleMeasurementError,
    Problem,
    bmi_kg_m2,
    check_measurements,
    raise_if_implausible,
)

# The agreed limits, restated here so that changing a constant is a deliberate act that fails this table.
EXPECTED_LIMITS = {
    "sbp_mmhg": (50, 300),
    "dbp_mmhg": (20, 200),
    "heart_rate_bpm": (20, 250),
    "fasting_glucose_mmol_l": (1.0, 60.0),
    "random_glucose_mmol_l": (1.0, 60.0),
    "cea_ug_l": (0.0, 100000.0),
    "hba1c_percent": (3.0, 20.0),
    "weight_kg": (2, 300),
    "height_cm": (40, 250),
    "waist_cm": (30, 200),
    "total_chol_mmol_l": (1.0, 20.0),
    "hdl_mmol_l": (0.1, 5.0),
    "ldl_mmol_l": (0.1, 15.0),
    "tg_mmol_l": (0.1, 100.0),
    "temperature_c": (30.0, 45.0),
}


def fields(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


def test_limits_are_the_agreed_ones() -> None:
    assert {k: (r.low, r.high) for k, r in RANGES.items()} == EXPECTED_LIMITS


@pytest.mark.parametrize("field", sorted(EXPECTED_LIMITS))
def test_each_limit_is_inclusive_and_one_step_past_it_is_refused(field: str) -> None:
    low, high = EXPECTED_LIMITS[field]
    step = 0.01 if isinstance(low, float) else 1
    assert check_measurements({field: low}) == []
    assert check_measurements({field: high}) == []
    below, above = check_measurements({field: low - step}), check_measurements({field: high + step})
    assert [(p.field, p.code) for p in below] == [(field, "too_low")]
    assert [(p.field, p.code) for p in above] == [(field, "too_high")]


def test_systolic_900_is_refused_as_a_typing_error_in_both_languages() -> None:
    (problem,) = check_measurements({"sbp_mmhg": 900, "dbp_mmhg": 80})
    assert problem.field == "sbp_mmhg"
    assert problem.value == 900
    assert "Systolic blood pressure 900 mmHg" in problem.message_en
    assert "typing error" in problem.message_en
    assert "收缩压 900 mmHg" in problem.message_zh
    assert "输入错误" in problem.message_zh


def test_a_real_extreme_passes() -> None:
    # Not a typing error: 240/130 is possible and is the protocol's business (urgent referral), not ours.
    assert check_measurements({"sbp_mmhg": 240, "dbp_mmhg": 130, "heart_rate_bpm": 180}) == []


def test_diastolic_must_be_below_systolic() -> None:
    assert check_measurements({"sbp_mmhg": 121, "dbp_mmhg": 120}) == []
    (problem,) = check_measurements({"sbp_mmhg": 120, "dbp_mmhg": 120})
    assert (problem.field, problem.code) == ("dbp_mmhg", "inconsistent")
    assert "swapped" in problem.message_en and "舒张压" in problem.message_zh
    assert fields(check_measurements({"sbp_mmhg": 80, "dbp_mmhg": 120})) == ["dbp_mmhg"]


def test_one_typing_error_is_reported_once() -> None:
    # The cross-check is skipped when one side already failed its own range.
    assert fields(check_measurements({"sbp_mmhg": 900, "dbp_mmhg": 950})) == ["sbp_mmhg", "dbp_mmhg"]


def test_bmi_is_computed_and_checked() -> None:
    assert bmi_kg_m2(70, 175) == pytest.approx(22.857, abs=0.001)
    assert check_measurements({"weight_kg": 70, "height_cm": 175}) == []
    (problem,) = check_measurements({"weight_kg": 250, "height_cm": 100})  # BMI 250
    assert (problem.field, problem.code) == ("bmi", "too_high")
    assert "weight and the height" in problem.message_en and "体重指数" in problem.message_zh
    assert fields(check_measurements({"weight_kg": 20, "height_cm": 200})) == ["bmi"]  # BMI 5


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("fasting_glucose_mmol_l", 126, "mg/dL"),  # mg/dL typed into mmol/L
        ("total_chol_mmol_l", 213, "mg/dL"),
        ("height_cm", 1.7, "centimetres"),  # metres
        ("temperature_c", 101, "°C"),  # Fahrenheit
    ],
)
def test_unit_slips_are_refused_with_a_hint(field: str, value: float, hint: str) -> None:
    (problem,) = check_measurements({field: value})
    assert problem.field == field
    assert hint in problem.message_en


def test_lipid_fractions_must_be_below_total_cholesterol() -> None:
    ok = {"total_chol_mmol_l": 5.2, "hdl_mmol_l": 1.3, "ldl_mmol_l": 3.1, "tg_mmol_l": 1.5}
    assert check_measurements(ok) == []
    assert fields(check_measurements(dict(ok, hdl_mmol_l=5.2))) == ["hdl_mmol_l"]
    assert fields(check_measurements(dict(ok, ldl_mmol_l=6.0))) == ["ldl_mmol_l"]


@pytest.mark.parametrize("value", ["120", True, math.nan, math.inf, [120], {"v": 120}])
def test_non_numbers_are_refused_as_wrong_type(value: Any) -> None:
    (problem,) = check_measurements({"sbp_mmhg": value})
    assert (problem.field, problem.code) == ("sbp_mmhg", "wrong_type")
    assert "number" in problem.message_en and "数字" in problem.message_zh


def test_missing_none_and_unknown_keys_are_not_checked() -> None:
    assert check_measurements({}) == []
    assert check_measurements({"sbp_mmhg": None, "symptoms": ["palpitations"], "adverse_reaction": False}) == []


def test_raise_if_implausible_lists_every_problem() -> None:
    raise_if_implausible({"sbp_mmhg": 130, "dbp_mmhg": 80, "fasting_glucose_mmol_l": 6.1})
    with pytest.raises(ImplausibleMeasurementError) as info:
        raise_if_implausible({"sbp_mmhg": 900, "heart_rate_bpm": 5, "weight_kg": "70"})
    assert info.value.fields == ["sbp_mmhg", "heart_rate_bpm", "weight_kg"]
    assert "sbp_mmhg" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_every_message_is_bilingual() -> None:
    data = {key: rng.high * 10 + 1 for key, rng in RANGES.items()}
    problems = check_measurements(data)
    assert sorted(fields(problems)) == sorted(RANGES)
    for p in problems:
        assert p.message_en.isascii() or "µ" in p.message_en or "°" in p.message_en or "²" in p.message_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in p.message_zh)


# --- issue 11: refuse typing errors, never a real emergency ------------------------------------------------------


def test_hyperosmolar_glucose_up_to_60_is_accepted_and_61_refused_naming_the_limit() -> None:
    from tiercare.care.plausibility import unit_questions

    assert check_measurements({"fasting_glucose_mmol_l": 60.0, "random_glucose_mmol_l": 60.0}) == []
    [p] = check_measurements({"random_glucose_mmol_l": 60.1})
    assert (p.field, p.code) == ("random_glucose_mmol_l", "too_high") and "60" in p.message_en and "60" in p.message_zh
    [q] = unit_questions({"fasting_glucose_mmol_l": 45.0})
    assert (q.field, q.likely_unit, q.converted) == ("fasting_glucose_mmol_l", "mg/dL", 2.5)
    assert "mg/dL" in q.message_en and "mg/dL" in q.message_zh


@pytest.mark.parametrize(
    ("values", "asked"),
    [
        ({"fasting_glucose_mmol_l": 33.3}, []),
        ({"fasting_glucose_mmol_l": 33.4}, ["fasting_glucose_mmol_l"]),
        ({"tg_mmol_l": 19.9}, []),
        ({"tg_mmol_l": 20.0}, ["tg_mmol_l"]),
        ({"weight_kg": 119.9}, []),
        ({"weight_kg": 120.0}, ["weight_kg"]),  # no height: may be 60 kg typed in 斤
        ({"weight_kg": 130.0, "height_cm": 165}, ["weight_kg"]),  # BMI 47.8
        ({"weight_kg": 130.0, "height_cm": 195}, []),  # BMI 34.2: a tall heavy man
        ({"fasting_glucose_mmol_l": 126}, []),  # refused outright instead (only plausible in mg/dL)
    ],
)
def test_values_possible_in_two_units_are_asked_about_at_the_threshold(values: dict, asked: list) -> None:
    from tiercare.care.plausibility import unit_questions

    assert [q.field for q in unit_questions(values)] == asked


def test_weight_in_jin_names_the_unit_in_chinese() -> None:
    from tiercare.care.plausibility import unit_questions

    [q] = unit_questions({"weight_kg": 140})
    assert q.likely_unit == "jin" and "斤" in q.message_zh and q.converted == 70.0
