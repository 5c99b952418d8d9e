"""Plausibility checks for follow-up measurements: refuse values no living patient can have.

Pure Python, no Django. These are *typing-error* guards, not clinical alarms: a systolic pressure of 900 is a
slip of the keyboard and is refused; a systolic of 240 is possible and passes here (the protocol engine
decides it is an urgent referral). Each limit is inclusive, a named constant, and says why it sits where it
does; the limits are deliberately wider than any reference range so that a real extreme value is never
refused.

Keys are the follow-up's measurement keys (``sbp_mmhg``, ``fasting_glucose_mmol_l``, ...). Missing or ``None``
values are not checked (a follow-up need not measure everything; the protocol says what is required). Keys
this module does not know are ignored, so the whole follow-up dict can be passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class PlausibleRange:
    """Inclusive limits of one measurement, with its unit, labels and a hint shown when exceeded."""

    low: float
    high: float
    unit: str
    label_en: str
    label_zh: str
    hint_en: str = ""
    hint_zh: str = ""
    unit_zh: str = ""  # the unit as Chinese pages write it, where it differs (次/分 for beats/min)

    @property
    def unit_in_zh(self) -> str:
        return self.unit_zh or self.unit


_UNIT_HINT_EN = "Check for a typing error or a value entered in mg/dL instead of mmol/L."
_UNIT_HINT_ZH = "请检查是否输入错误，或误将 mg/dL 的数值填入 mmol/L。"
_TYPO_HINT_EN = "Check for a typing error."
_TYPO_HINT_ZH = "请检查是否输入错误。"

# Blood pressure: ~50 mmHg systolic is deep shock at the edge of measurability with a cuff; 300 is beyond the
# highest pressures recorded in hypertensive crises and the top of most cuff scales.
SBP_MMHG = PlausibleRange(50, 300, "mmHg", "systolic blood pressure", "收缩压", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# Diastolic: below 20 a cuff reading is not obtainable; 200 is beyond any recorded diastolic.
DBP_MMHG = PlausibleRange(20, 200, "mmHg", "diastolic blood pressure", "舒张压", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# Heart rate: 20 is extreme bradycardia (complete heart block); 250 the fastest sustained tachyarrhythmias.
HEART_RATE_BPM = PlausibleRange(
    20, 250, "beats/min", "heart rate", "心率", _TYPO_HINT_EN, _TYPO_HINT_ZH, unit_zh="次/分"
)
# Glucose: below 1.0 mmol/L is incompatible with an ambulatory visit; hyperosmolar hyperglycaemic states reach
# 40-60 mmol/L, so 60 is accepted (and is an urgent referral under the diabetes protocol from 16.7). mg/dL typed
# in the mmol/L box (e.g. 126) is refused; 33.4-60, possible in mmol/L and in mg/dL, asks the unit to be
# confirmed (UNIT_CONFIRMATION).
FASTING_GLUCOSE_MMOL_L = PlausibleRange(
    1.0, 60.0, "mmol/L", "fasting glucose", "空腹血糖", _UNIT_HINT_EN, _UNIT_HINT_ZH
)
RANDOM_GLUCOSE_MMOL_L = PlausibleRange(
    1.0, 60.0, "mmol/L", "random blood glucose", "随机血糖", _UNIT_HINT_EN, _UNIT_HINT_ZH
)
# CEA (µg/L = ng/mL): up to 100000 covers the highest values reported in metastatic disease.
CEA_UG_L = PlausibleRange(0.0, 100000.0, "µg/L", "CEA", "癌胚抗原（CEA）", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# HbA1c: below 3% is not seen outside assay interference; above 20% exceeds reported values.
HBA1C_PERCENT = PlausibleRange(3.0, 20.0, "%", "HbA1c", "糖化血红蛋白", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# Weight: 2 kg covers a small newborn (the module is adult care, but a wrong lower bound must not bite); 300
# kg covers extreme obesity.
WEIGHT_KG = PlausibleRange(2, 300, "kg", "weight", "体重", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# Height: 40 cm a newborn; 250 cm above the tallest people recorded. Metres typed in the cm box (1.7) are
# refused.
HEIGHT_CM = PlausibleRange(40, 250, "cm", "height", "身高", "Height is in centimetres.", "身高单位为厘米（cm）。")
# Waist: 30 cm below any adult waist; 200 cm beyond extreme obesity.
WAIST_CM = PlausibleRange(30, 200, "cm", "waist circumference", "腰围", _TYPO_HINT_EN, _TYPO_HINT_ZH)
# BMI (computed from weight and height): below 8 and above 100 kg/m2 are beyond the extremes reported in
# starvation and super-obesity; a BMI outside means the weight or the height is wrong.
BMI_KG_M2 = PlausibleRange(
    8, 100, "kg/m²", "body-mass index", "体重指数", "Check the weight and the height.", "请核对体重和身高。"
)
# Lipids (mmol/L). Total cholesterol 1-20: lower is not measurable in practice, higher beyond even homozygous
# familial hypercholesterolaemia in most reports. HDL 0.1-5. LDL 0.1-15 (homozygous FH can reach ~15).
# Triglycerides 0.1-100: chylomicronaemia reaches tens of mmol/L, so only gross slips (mg/dL in mmol/L) are
# refused.
TOTAL_CHOL_MMOL_L = PlausibleRange(1.0, 20.0, "mmol/L", "total cholesterol", "总胆固醇", _UNIT_HINT_EN, _UNIT_HINT_ZH)
HDL_MMOL_L = PlausibleRange(0.1, 5.0, "mmol/L", "HDL cholesterol", "高密度脂蛋白胆固醇", _UNIT_HINT_EN, _UNIT_HINT_ZH)
LDL_MMOL_L = PlausibleRange(0.1, 15.0, "mmol/L", "LDL cholesterol", "低密度脂蛋白胆固醇", _UNIT_HINT_EN, _UNIT_HINT_ZH)
TG_MMOL_L = PlausibleRange(0.1, 100.0, "mmol/L", "triglycerides", "甘油三酯", _UNIT_HINT_EN, _UNIT_HINT_ZH)
# Body temperature: 30 °C is severe hypothermia, 45 °C beyond survivable fever; Fahrenheit (e.g. 101) is
# refused.
TEMPERATURE_C = PlausibleRange(
    30.0, 45.0, "°C", "body temperature", "体温", "Temperature is in °C.", "体温单位为摄氏度（°C）。"
)

RANGES: Final[Mapping[str, PlausibleRange]] = {
    "sbp_mmhg": SBP_MMHG,
    "dbp_mmhg": DBP_MMHG,
    "heart_rate_bpm": HEART_RATE_BPM,
    "fasting_glucose_mmol_l": FASTING_GLUCOSE_MMOL_L,
    "random_glucose_mmol_l": RANDOM_GLUCOSE_MMOL_L,
    "hba1c_percent": HBA1C_PERCENT,
    "weight_kg": WEIGHT_KG,
    "height_cm": HEIGHT_CM,
    "waist_cm": WAIST_CM,
    "total_chol_mmol_l": TOTAL_CHOL_MMOL_L,
    "hdl_mmol_l": HDL_MMOL_L,
    "ldl_mmol_l": LDL_MMOL_L,
    "tg_mmol_l": TG_MMOL_L,
    "temperature_c": TEMPERATURE_C,
    "cea_ug_l": CEA_UG_L,
}
"""The measurement keys this module checks, and their limits."""


@dataclass(frozen=True)
class Problem:
    """One refused value: the ``field`` (a measurement key, or ``bmi`` for the computed BMI), a ``code``
    (``wrong_type``, ``too_low``, ``too_high`` or ``inconsistent``), the value, and the message in both
    languages.
    """

    field: str
    code: str
    value: Any
    message_en: str
    message_zh: str


class ImplausibleMeasurementError(ValueError):
    """Raised by :func:`raise_if_implausible`; ``problems`` lists every refused value, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message_en}" for p in problems))
        self.problems = problems

    @property
    def fields(self) -> list[str]:
        """The fields at fault, in the order found."""
        return [p.field for p in self.problems]


def bmi_kg_m2(weight_kg: float, height_cm: float) -> float:
    """Body-mass index, weight (kg) / height (m) squared."""
    height_m = height_cm / 100.0
    return weight_kg / (height_m * height_m)


def check_measurements(measurements: Mapping[str, Any]) -> list[Problem]:
    """Return every implausible value in ``measurements`` (empty when all is plausible).

    Checks, in order: each known key is a number (not a string or a boolean) within its range; diastolic below
    systolic; the BMI computed from weight and height; HDL and LDL each below total cholesterol. A cross-check
    runs only when both of its values passed their own range check, so that one typing error is reported once.
    """
    problems: list[Problem] = []
    ok: dict[str, float] = {}
    for key, rng in RANGES.items():
        value = measurements.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(
                Problem(
                    key,
                    "wrong_type",
                    value,
                    f"{rng.label_en.capitalize()} must be a number in {rng.unit}; got {value!r}.",
                    f"{rng.label_zh}必须是以 {rng.unit_in_zh} 为单位的数字，收到 {value!r}。",
                )
            )
            continue
        if value < rng.low or value > rng.high:
            problems.append(_out_of_range(key, value, rng))
            continue
        ok[key] = float(value)

    if "sbp_mmhg" in ok and "dbp_mmhg" in ok and ok["dbp_mmhg"] >= ok["sbp_mmhg"]:
        problems.append(
            Problem(
                "dbp_mmhg",
                "inconsistent",
                ok["dbp_mmhg"],
                f"Diastolic {ok['dbp_mmhg']:g} mmHg must be lower than systolic {ok['sbp_mmhg']:g} mmHg; "
                "were the two swapped?",
                f"舒张压 {ok['dbp_mmhg']:g} mmHg 必须低于收缩压 {ok['sbp_mmhg']:g} mmHg，是否填反了？",
            )
        )
    if "weight_kg" in ok and "height_cm" in ok:
        bmi = bmi_kg_m2(ok["weight_kg"], ok["height_cm"])
        if not BMI_KG_M2.low <= bmi <= BMI_KG_M2.high:
            problems.append(_out_of_range("bmi", round(bmi, 1), BMI_KG_M2))
    for part in ("hdl_mmol_l", "ldl_mmol_l"):
        if part in ok and "total_chol_mmol_l" in ok and ok[part] >= ok["total_chol_mmol_l"]:
            rng = RANGES[part]
            problems.append(
                Problem(
                    part,
                    "inconsistent",
                    ok[part],
                    f"{rng.label_en.capitalize()} {ok[part]:g} mmol/L must be lower than total cholesterol "
                    f"{ok['total_chol_mmol_l']:g} mmol/L.",
                    f"{rng.label_zh} {ok[part]:g} mmol/L 必须低于总胆固醇 {ok['total_chol_mmol_l']:g} mmol/L。",
                )
            )
    return problems


def raise_if_implausible(measurements: Mapping[str, Any]) -> None:
    """Raise :class:`ImplausibleMeasurementError` listing every problem :func:`check_measurements` finds."""
    problems = check_measurements(measurements)
    if problems:
        raise ImplausibleMeasurementError(problems)


def _out_of_range(key: str, value: float, rng: PlausibleRange) -> Problem:
    too_high = value > rng.high
    side_en = f"above the highest plausible {rng.high:g}" if too_high else f"below the lowest plausible {rng.low:g}"
    side_zh = f"高于可能的最高值 {rng.high:g}" if too_high else f"低于可能的最低值 {rng.low:g}"
    return Problem(
        key,
        "too_high" if too_high else "too_low",
        value,
        f"{rng.label_en.capitalize()} {value:g} {rng.unit} is {side_en} {rng.unit}. {rng.hint_en}".strip(),
        f"{rng.label_zh} {value:g} {rng.unit_in_zh} {side_zh} {rng.unit_in_zh}。{rng.hint_zh}",
    )


# --- values possible in two units: ask, never refuse ----------------------------------------------------------


@dataclass(frozen=True)
class UnitQuestion:
    """A value possible as typed but also as another unit's number (a real extreme, or a slip): ``field``, the
    ``likely_unit`` it may have been typed in, the ``converted`` value in the field's unit, and the messages."""

    field: str
    value: float
    likely_unit: str
    converted: float
    message_en: str
    message_zh: str


@dataclass(frozen=True)
class AmbiguousZone:
    """From ``low`` (inclusive) to the field's plausible maximum, a value may be in ``other_unit``; dividing by
    ``factor`` gives the field's unit."""

    low: float
    other_unit: str
    other_unit_zh: str
    factor: float


MG_DL_PER_MMOL_L_GLUCOSE: Final = 18.0  # glucose, molar mass 180 g/mol
MG_DL_PER_MMOL_L_TRIGLYCERIDE: Final = 88.57
JIN_PER_KG: Final = 2.0  # 1 斤 = 0.5 kg
# Glucose above 33.3 mmol/L (the top of most glucometers' range) is also 33-60 mg/dL (1.9-3.3 mmol/L:
# hypoglycaemia); triglycerides of 20-100 mmol/L (chylomicronaemia) are also ordinary mg/dL values; a weight of
# 120 kg or more is also 60+ kg typed in 斤 (jin). Each is possible: the page asks, it never refuses.
UNIT_CONFIRMATION: Final[Mapping[str, AmbiguousZone]] = {
    "fasting_glucose_mmol_l": AmbiguousZone(33.4, "mg/dL", "mg/dL", MG_DL_PER_MMOL_L_GLUCOSE),
    "random_glucose_mmol_l": AmbiguousZone(33.4, "mg/dL", "mg/dL", MG_DL_PER_MMOL_L_GLUCOSE),
    "tg_mmol_l": AmbiguousZone(20.0, "mg/dL", "mg/dL", MG_DL_PER_MMOL_L_TRIGLYCERIDE),
    "weight_kg": AmbiguousZone(120.0, "jin", "斤", JIN_PER_KG),
}


def unit_questions(measurements: Mapping[str, Any]) -> list[UnitQuestion]:
    """The plausible values that may have been typed in another unit (:data:`UNIT_CONFIRMATION`); the caller asks
    the user to confirm them (API ``confirm_units``) before storing. Values :func:`check_measurements` refuses are
    not asked about. With a height, a weight is asked about only when the BMI it gives is 35 or more."""
    out: list[UnitQuestion] = []
    for key, zone in UNIT_CONFIRMATION.items():
        value = measurements.get(key)
        rng = RANGES[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        if not zone.low <= value <= rng.high:
            continue
        height = measurements.get("height_cm")
        tall_enough = (
            isinstance(height, (int, float))
            and not isinstance(height, bool)
            and HEIGHT_CM.low <= height <= HEIGHT_CM.high
            and bmi_kg_m2(value, height) < 35
        )
        if key == "weight_kg" and tall_enough:  # a heavy but tall person: not a 斤 slip
            continue
        converted = round(value / zone.factor, 1)
        out.append(
            UnitQuestion(
                key,
                float(value),
                zone.other_unit,
                converted,
                f"{rng.label_en.capitalize()} {value:g} {rng.unit} is possible but unusual; if it was measured in "
                f"{zone.other_unit} it is {converted:g} {rng.unit}. Confirm that {value:g} is in {rng.unit}.",
                f"{rng.label_zh} {value:g} {rng.unit} 可能但少见；若为 {zone.other_unit_zh} 则相当于 "
                f"{converted:g} {rng.unit}。请确认 {value:g} 的单位是 {rng.unit}。",
            )
        )
    return out
