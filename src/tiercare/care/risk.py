"""Ten-year ASCVD risk: the 2013 ACC/AHA Pooled Cohort Equations and China-PAR.

Pure Python, no Django: the API and the follow-up services call :func:`compute_risk` with the request's JSON
and store or show the :class:`RiskResult`. Every input is checked against the range its equation was published
for; anything missing, of the wrong type or out of range raises :class:`RiskInputError` naming the field. A
number is never returned for an input the equation does not cover.

Both equations have the same shape::

    risk = 1 - S0 ** exp(sum(coefficient * term) - mean)

Cholesterol may be sent in mg/dL or mmol/L. The equations are written in mg/dL; mmol/L is converted with
38.67 mg/dL per mmol/L (cholesterol, molar mass 386.65 g/mol) and the result carries a flag saying so.

Known properties of the published coefficients (they are the equations, not bugs here; see the tests):

- PCE, white men: the ln age x smoker term outweighs the smoking term from about age 78.7, so at 79 a smoker's
  estimate is very slightly *lower* than a non-smoker's.
- PCE, African-American women: from about age 71 the treated-systolic estimate is lower than the untreated one
  at the same pressure; and with low HDL and high systolic pressure the estimate falls with age.
- PCE, white women: with high total and low HDL cholesterol the estimate falls with age up to about 60.
- China-PAR, men: with the printed interaction coefficients the smoking term turns negative from about
  age 67.5 and the family-history term from about age 58.3.

Where a risk factor that is present lowers the estimate, the result carries a flag (``*_term_negative``,
``treated_sbp_below_untreated``) so that the number is not read as reassurance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

Equation = Literal["pce", "china_par"]
Sex = Literal["female", "male"]
Race = Literal["white", "african_american"]

# 1 mmol/L of cholesterol = 38.67 mg/dL (molar mass of cholesterol 386.65 g/mol). Used for total and HDL.
MG_DL_PER_MMOL_L_CHOLESTEROL: Final = 38.67


# --- errors -------------------------------------------------------------------------------------------------


class RiskInputError(ValueError):
    """An input the risk equation cannot take: missing, of the wrong type, out of the equation's range, or a
    combination the equation does not cover.

    ``field`` is the JSON key at fault (``"data"`` when the payload itself is not an object), ``message`` is
    plain English, ``message_zh`` is zh-Hans, and ``code`` is one of ``missing``, ``wrong_type``,
    ``out_of_range``, ``invalid_choice``, ``conflict`` or ``unsupported`` so that the API can map it to its
    error codes.
    """

    def __init__(self, field: str, message: str, message_zh: str = "", *, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.message_zh = message_zh or f"{field} 的值无效。"
        self.code = code


# --- result -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskBand:
    """A risk category: stable ``code`` plus the labels shown to clinicians."""

    code: str
    label_zh: str
    label_en: str


# 2019 Chinese guideline on cardiovascular risk assessment (中国心血管病风险评估和管理指南), China-PAR bands.
CHINA_PAR_MEDIUM_FROM_PERCENT: Final = 5.0  # 中危 from 5%
CHINA_PAR_HIGH_FROM_PERCENT: Final = 10.0  # 高危 from 10%
CHINA_PAR_LOW = RiskBand("low", "低危", "low")
CHINA_PAR_MEDIUM = RiskBand("medium", "中危", "medium")
CHINA_PAR_HIGH = RiskBand("high", "高危", "high")

# 2018 AHA/ACC cholesterol guideline (Grundy SM et al., Circulation 2019;139:e1082), PCE risk categories.
PCE_BORDERLINE_FROM_PERCENT: Final = 5.0
PCE_INTERMEDIATE_FROM_PERCENT: Final = 7.5
PCE_HIGH_FROM_PERCENT: Final = 20.0
PCE_LOW = RiskBand("low", "低风险", "low")
PCE_BORDERLINE = RiskBand("borderline", "临界风险", "borderline")
PCE_INTERMEDIATE = RiskBand("intermediate", "中等风险", "intermediate")
PCE_HIGH = RiskBand("high", "高风险", "high")

# Flags a result may carry (code -> (en, zh)).
FLAG_TOTAL_CHOL_FROM_MMOL_L: Final = "total_chol_converted_from_mmol_l"
FLAG_HDL_FROM_MMOL_L: Final = "hdl_converted_from_mmol_l"
FLAG_SMOKING_TERM_NEGATIVE: Final = "smoking_term_negative"
FLAG_FAMILY_HISTORY_TERM_NEGATIVE: Final = "family_history_term_negative"
FLAG_TREATED_SBP_BELOW_UNTREATED: Final = "treated_sbp_below_untreated"
FLAGS: Final[Mapping[str, tuple[str, str]]] = {
    FLAG_TOTAL_CHOL_FROM_MMOL_L: (
        "Total cholesterol was given in mmol/L and converted at 38.67 mg/dL per mmol/L.",
        "总胆固醇以 mmol/L 录入，已按 1 mmol/L = 38.67 mg/dL 换算。",
    ),
    FLAG_HDL_FROM_MMOL_L: (
        "HDL cholesterol was given in mmol/L and converted at 38.67 mg/dL per mmol/L.",
        "高密度脂蛋白胆固醇以 mmol/L 录入，已按 1 mmol/L = 38.67 mg/dL 换算。",
    ),
    FLAG_SMOKING_TERM_NEGATIVE: (
        "At this age the published equation gives smokers a slightly lower estimate than non-smokers; "
        "smoking still raises the real risk.",
        "在此年龄，公布的方程对吸烟者的估算略低于不吸烟者；吸烟实际上仍增加风险。",
    ),
    FLAG_FAMILY_HISTORY_TERM_NEGATIVE: (
        "At this age the published equation gives a family history of ASCVD a lower estimate than none; the "
        "family history still raises the real risk.",
        "在此年龄，公布的方程对有心血管病家族史者的估算低于无家族史者；家族史实际上仍增加风险。",
    ),
    FLAG_TREATED_SBP_BELOW_UNTREATED: (
        "At this age the published equation gives a treated systolic pressure a lower estimate than the same "
        "untreated pressure.",
        "在此年龄，公布的方程对服药后的收缩压的估算低于同一数值的未服药收缩压。",
    ),
}


@dataclass(frozen=True)
class RiskResult:
    """The 10-year ASCVD risk and how it was reached.

    ``risk_percent`` is unrounded; ``band`` is assigned on the value rounded to one decimal (``display``), so
    a patient shown "7.5%" is never labelled borderline. ``individual_sum`` is the equation's sum of
    coefficient x term before the mean is subtracted, kept for audit (the guideline prints it in its
    examples).
    """

    risk_percent: float
    band: RiskBand
    equation: Equation
    group: str
    individual_sum: float
    flags: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The risk as shown to people: one decimal and a percent sign."""
        return f"{round(self.risk_percent, 1):.1f}%"


def band_for(equation: Equation, risk_percent: float) -> RiskBand:
    """Return the risk band of ``risk_percent`` for ``equation``, judged on the one-decimal display value.

    China-PAR: 2019 Chinese guideline on cardiovascular risk assessment (<5 低危, 5-9.9 中危, >=10 高危).
    PCE: 2018 AHA/ACC cholesterol guideline (<5 low, 5-7.4 borderline, 7.5-19.9 intermediate, >=20 high).
    """
    shown = round(risk_percent, 1)
    if equation == "china_par":
        if shown >= CHINA_PAR_HIGH_FROM_PERCENT:
            return CHINA_PAR_HIGH
        if shown >= CHINA_PAR_MEDIUM_FROM_PERCENT:
            return CHINA_PAR_MEDIUM
        return CHINA_PAR_LOW
    if shown >= PCE_HIGH_FROM_PERCENT:
        return PCE_HIGH
    if shown >= PCE_INTERMEDIATE_FROM_PERCENT:
        return PCE_INTERMEDIATE
    if shown >= PCE_BORDERLINE_FROM_PERCENT:
        return PCE_BORDERLINE
    return PCE_LOW


# --- input ranges -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRange:
    """An inclusive range an equation accepts, with the unit and the zh-Hans label used in messages."""

    low: float
    high: float
    unit: str
    label_en: str
    label_zh: str

    def in_mmol_l(self) -> InputRange:
        """The same cholesterol range in mmol/L, limits rounded to the 2 decimals labs report."""
        return InputRange(
            round(self.low / MG_DL_PER_MMOL_L_CHOLESTEROL, 2),
            round(self.high / MG_DL_PER_MMOL_L_CHOLESTEROL, 2),
            "mmol/L",
            self.label_en,
            self.label_zh,
        )


# PCE ranges: the 2013 ACC/AHA guideline's risk calculator (Goff 2014, and the ASCVD Risk Estimator).
PCE_AGE = InputRange(40, 79, "years", "age", "年龄")
PCE_TOTAL_CHOL = InputRange(130, 320, "mg/dL", "total cholesterol", "总胆固醇")
PCE_HDL = InputRange(20, 100, "mg/dL", "HDL cholesterol", "高密度脂蛋白胆固醇")
PCE_SBP = InputRange(90, 200, "mmHg", "systolic blood pressure", "收缩压")

# China-PAR: derived in people aged 35-74 (Yang 2016). The paper prints no calculator ranges for the other
# inputs; these are tiercare's choices, kept to adult values a general Chinese cohort covers so the log-linear
# terms are not extrapolated far: systolic as PCE's 90-200 mmHg; total cholesterol 80-400 mg/dL (2.07-10.34
# mmol/L); HDL 20-120 mg/dL (0.52-3.10 mmol/L); waist 50-150 cm. Revisit if the China-PAR group publishes
# calculator limits.
CHINA_PAR_AGE = InputRange(35, 74, "years", "age", "年龄")
CHINA_PAR_TOTAL_CHOL = InputRange(80, 400, "mg/dL", "total cholesterol", "总胆固醇")
CHINA_PAR_HDL = InputRange(20, 120, "mg/dL", "HDL cholesterol", "高密度脂蛋白胆固醇")
CHINA_PAR_SBP = InputRange(90, 200, "mmHg", "systolic blood pressure", "收缩压")
CHINA_PAR_WAIST = InputRange(50, 150, "cm", "waist circumference", "腰围")


# --- coefficients -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PceCoefficients:
    """One sex/race group of the Pooled Cohort Equations (a zero is a term not in that group's model)."""

    ln_age: float
    ln_age_sq: float
    ln_tc: float
    ln_age_x_ln_tc: float
    ln_hdl: float
    ln_age_x_ln_hdl: float
    ln_treated_sbp: float
    ln_age_x_ln_treated_sbp: float
    ln_untreated_sbp: float
    ln_age_x_ln_untreated_sbp: float
    smoker: float
    ln_age_x_smoker: float
    diabetes: float
    mean: float
    baseline_survival: float


# Goff DC Jr et al., 2013 ACC/AHA Guideline on the Assessment of Cardiovascular Risk, Circulation
# 2014;129(25 Suppl 2):S49-73, Appendix 7 Table A. Means and S0 to 4 decimals as in public implementations
# (the table prints -29.18 / 86.61 / 61.18 / 19.54 and 0.9665 / 0.9533 / 0.9144 / 0.8954); the African-American
# women's coefficients likewise to 4 decimals (the table prints 17.114, 0.940, -18.920, ...): with the printed ones
# a published all-factors case is missed by 0.21 percentage point (tests/care/test_risk_published_cases.py).
PCE_COEFFICIENTS: Final[Mapping[tuple[Sex, Race], PceCoefficients]] = {
    ("female", "white"): PceCoefficients(
        ln_age=-29.799, ln_age_sq=4.884, ln_tc=13.540, ln_age_x_ln_tc=-3.114, ln_hdl=-13.578,
        ln_age_x_ln_hdl=3.149, ln_treated_sbp=2.019, ln_age_x_ln_treated_sbp=0.0, ln_untreated_sbp=1.957,
        ln_age_x_ln_untreated_sbp=0.0, smoker=7.574, ln_age_x_smoker=-1.665, diabetes=0.661,
        mean=-29.1817, baseline_survival=0.96652,
    ),
    ("female", "african_american"): PceCoefficients(
        ln_age=17.1141, ln_age_sq=0.0, ln_tc=0.9396, ln_age_x_ln_tc=0.0, ln_hdl=-18.9196,
        ln_age_x_ln_hdl=4.4748, ln_treated_sbp=29.2907, ln_age_x_ln_treated_sbp=-6.4321, ln_untreated_sbp=27.8197,
        ln_age_x_ln_untreated_sbp=-6.0873, smoker=0.6908, ln_age_x_smoker=0.0, diabetes=0.8738,
        mean=86.6081, baseline_survival=0.95334,
    ),
    ("male", "white"): PceCoefficients(
        ln_age=12.344, ln_age_sq=0.0, ln_tc=11.853, ln_age_x_ln_tc=-2.664, ln_hdl=-7.990,
        ln_age_x_ln_hdl=1.769, ln_treated_sbp=1.797, ln_age_x_ln_treated_sbp=0.0, ln_untreated_sbp=1.764,
        ln_age_x_ln_untreated_sbp=0.0, smoker=7.837, ln_age_x_smoker=-1.795, diabetes=0.658,
        mean=61.1816, baseline_survival=0.91436,
    ),
    ("male", "african_american"): PceCoefficients(
        ln_age=2.469, ln_age_sq=0.0, ln_tc=0.302, ln_age_x_ln_tc=0.0, ln_hdl=-0.307,
        ln_age_x_ln_hdl=0.0, ln_treated_sbp=1.916, ln_age_x_ln_treated_sbp=0.0, ln_untreated_sbp=1.809,
        ln_age_x_ln_untreated_sbp=0.0, smoker=0.549, ln_age_x_smoker=0.0, diabetes=0.645,
        mean=19.5425, baseline_survival=0.89536,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ChinaParCoefficients:
    """One sex of China-PAR, untreated-systolic path (a zero is a term not in that sex's model)."""

    ln_age: float
    ln_untreated_sbp: float
    ln_tc: float
    ln_hdl: float
    ln_waist: float
    smoker: float
    diabetes: float
    north: float
    urban: float
    family_history: float
    ln_age_x_ln_untreated_sbp: float
    ln_age_x_smoker: float
    ln_age_x_family_history: float
    mean: float
    baseline_survival: float


# Yang X et al., Predicting the 10-Year Risks of Atherosclerotic Cardiovascular Disease in Chinese Population:
# The China-PAR Project, Circulation 2016;134:1430-1440, Supplemental Tables 1-2.
# Men: the printed 2-decimal coefficients reproduce the paper's Table 2 examples ~6% high, so ln age, ln SBP,
# ln TC, ln HDL, ln waist and ln age x ln SBP are the continuous values back-derived from the paper's
# coefficient x value column (shared/clinical/README.md section 2); S10 0.9707 from the Supplemental Table 2
# formula.
# Women: printed coefficients; S10 is printed as 0.99, which gives results a third too low; 0.9851 is solved
# from the paper's own worked example (individual sum 119.22 for the woman aged 60) and reproduces Table 2.
CHINA_PAR_COEFFICIENTS: Final[Mapping[Sex, ChinaParCoefficients]] = {
    "male": ChinaParCoefficients(
        ln_age=31.96604, ln_untreated_sbp=26.14876, ln_tc=0.62090, ln_hdl=-0.69373, ln_waist=-0.71200,
        smoker=3.96, diabetes=0.36, north=0.48, urban=-0.16, family_history=6.22,
        ln_age_x_ln_untreated_sbp=-5.73074, ln_age_x_smoker=-0.94, ln_age_x_family_history=-1.53,
        mean=140.68, baseline_survival=0.9707,
    ),
    "female": ChinaParCoefficients(
        ln_age=24.87, ln_untreated_sbp=19.98, ln_tc=0.06, ln_hdl=-0.22, ln_waist=1.48,
        smoker=0.49, diabetes=0.57, north=0.54, urban=0.0, family_history=0.0,
        ln_age_x_ln_untreated_sbp=-4.36, ln_age_x_smoker=0.0, ln_age_x_family_history=0.0,
        mean=117.26, baseline_survival=0.9851,
    ),
}  # fmt: skip


# --- entry point --------------------------------------------------------------------------------------------


def compute_risk(data: Mapping[str, Any]) -> RiskResult:
    """Compute 10-year ASCVD risk from the API's JSON object.

    Keys: ``equation`` (``"pce"`` or ``"china_par"``), ``sex`` (``"female"``/``"male"``), ``race``
    (``"white"``/``"african_american"``, PCE only), ``age_years``, ``total_chol_mg_dl`` or
    ``total_chol_mmol_l``, ``hdl_mg_dl`` or ``hdl_mmol_l``, ``sbp_mmhg``, ``bp_treated``, ``current_smoker``,
    ``diabetes``; China-PAR also ``waist_cm`` and ``north`` (north of the Yangtze), and for men ``urban`` and
    ``family_history_ascvd`` (not in the women's model, so ignored for women). Numbers are JSON numbers (not
    strings, not booleans); yes/no inputs are JSON booleans. Keys the chosen equation does not use are
    ignored.

    Raises :class:`RiskInputError` naming the field when an input is missing, of the wrong type, outside the
    equation's range, given in both units, or (China-PAR) when blood pressure is treated.
    """
    if not isinstance(data, Mapping):
        raise RiskInputError(
            "data",
            "The risk request must be a JSON object.",
            "风险评估请求必须是 JSON 对象。",
            code="wrong_type",
        )
    equation = _choice(data, "equation", ("pce", "china_par"), "equation", "风险方程")
    if equation == "pce":
        return _compute_pce(data)
    return _compute_china_par(data)


def _compute_pce(data: Mapping[str, Any]) -> RiskResult:
    """2013 ACC/AHA Pooled Cohort Equations (Goff DC Jr et al., Circulation 2014;129(25 Suppl 2):S49-73).

    Hard ASCVD (coronary death, non-fatal myocardial infarction, fatal or non-fatal stroke) over 10 years, for
    people aged 40-79 without ASCVD, in four sex/race groups; inputs within the guideline calculator's ranges
    (total cholesterol 130-320 mg/dL, HDL 20-100 mg/dL, systolic 90-200 mmHg). The treated and untreated
    systolic coefficients are alternatives chosen by ``bp_treated``.
    """
    sex = _choice(data, "sex", ("female", "male"), "sex", "性别")
    race = _choice(data, "race", ("white", "african_american"), "race", "种族")
    age = _number(data, "age_years", PCE_AGE)
    flags: list[str] = []
    tc, _ = _cholesterol(data, "total_chol", PCE_TOTAL_CHOL, FLAG_TOTAL_CHOL_FROM_MMOL_L, flags)
    hdl, hdl_key = _cholesterol(data, "hdl", PCE_HDL, FLAG_HDL_FROM_MMOL_L, flags)
    _hdl_below_total(hdl_key, hdl, tc)
    sbp = _number(data, "sbp_mmhg", PCE_SBP)
    treated = _boolean(data, "bp_treated", "treated for high blood pressure", "正在服用降压药")
    smoker = _boolean(data, "current_smoker", "current smoker", "目前吸烟")
    diabetes = _boolean(data, "diabetes", "diabetes", "糖尿病")

    c = PCE_COEFFICIENTS[(sex, race)]
    ln_age, ln_tc, ln_hdl, ln_sbp = math.log(age), math.log(tc), math.log(hdl), math.log(sbp)
    treated_sbp_term = (c.ln_treated_sbp + c.ln_age_x_ln_treated_sbp * ln_age) * ln_sbp
    untreated_sbp_term = (c.ln_untreated_sbp + c.ln_age_x_ln_untreated_sbp * ln_age) * ln_sbp
    sbp_term = treated_sbp_term if treated else untreated_sbp_term
    smoking_term = c.smoker + c.ln_age_x_smoker * ln_age
    if treated and treated_sbp_term < untreated_sbp_term:
        flags.append(FLAG_TREATED_SBP_BELOW_UNTREATED)
    if smoker and smoking_term < 0:
        flags.append(FLAG_SMOKING_TERM_NEGATIVE)
    individual_sum = (
        c.ln_age * ln_age
        + c.ln_age_sq * ln_age**2
        + (c.ln_tc + c.ln_age_x_ln_tc * ln_age) * ln_tc
        + (c.ln_hdl + c.ln_age_x_ln_hdl * ln_age) * ln_hdl
        + sbp_term
        + smoking_term * smoker
        + c.diabetes * diabetes
    )
    risk = _survival_risk_percent(individual_sum, c.mean, c.baseline_survival)
    return RiskResult(risk, band_for("pce", risk), "pce", f"pce_{race}_{sex}", individual_sum, tuple(flags))


def _compute_china_par(data: Mapping[str, Any]) -> RiskResult:
    """China-PAR 10-year ASCVD risk (Yang X et al., Circulation 2016;134:1430-1440, Supplemental Table 1).

    Derived in Chinese adults aged 35-74 without ASCVD. Men use the continuous coefficients back-derived from
    the paper's worked example and S10 0.9707; women the printed coefficients with S10 0.9851 (see
    ``CHINA_PAR_COEFFICIENTS``). Ranges other than age are tiercare's (see ``CHINA_PAR_*`` constants).

    Treated systolic pressure is refused (``RiskInputError`` on ``bp_treated``, code ``unsupported``): the
    treated-systolic coefficients are not printed in the sources tiercare has, and putting a treated pressure
    through the untreated terms would most likely under-estimate risk (treatment means the untreated pressure
    was higher; in the PCE the treated terms give the higher estimate in every group except African-American
    women past about 71), which is the unsafe direction. This is decided, not forgotten: add the treated terms
    here once they are read from the paper's supplement.
    """
    sex = _choice(data, "sex", ("female", "male"), "sex", "性别")
    age = _number(data, "age_years", CHINA_PAR_AGE)
    flags: list[str] = []
    tc, _ = _cholesterol(data, "total_chol", CHINA_PAR_TOTAL_CHOL, FLAG_TOTAL_CHOL_FROM_MMOL_L, flags)
    hdl, hdl_key = _cholesterol(data, "hdl", CHINA_PAR_HDL, FLAG_HDL_FROM_MMOL_L, flags)
    _hdl_below_total(hdl_key, hdl, tc)
    sbp = _number(data, "sbp_mmhg", CHINA_PAR_SBP)
    if _boolean(data, "bp_treated", "treated for high blood pressure", "正在服用降压药"):
        raise RiskInputError(
            "bp_treated",
            "China-PAR cannot be computed for a person taking blood-pressure medicine: the equation's "
            "treated-systolic coefficients are not available to tiercare, and using the untreated ones would "
            "under-estimate the risk.",
            "正在服用降压药者暂不能计算 China-PAR：tiercare 尚无该方程治疗后收缩压的系数，"
            "若按未治疗系数计算会低估风险。",
            code="unsupported",
        )
    waist = _number(data, "waist_cm", CHINA_PAR_WAIST)
    smoker = _boolean(data, "current_smoker", "current smoker", "目前吸烟")
    diabetes = _boolean(data, "diabetes", "diabetes", "糖尿病")
    north = _boolean(data, "north", "lives north of the Yangtze", "居住在长江以北")
    if sex == "male":
        urban = _boolean(data, "urban", "lives in a city", "城市居民")
        family = _boolean(data, "family_history_ascvd", "family history of ASCVD", "动脉粥样硬化性心血管病家族史")
    else:  # not in the women's model
        urban = family = False

    c = CHINA_PAR_COEFFICIENTS[sex]
    ln_age = math.log(age)
    smoking_term = c.smoker + c.ln_age_x_smoker * ln_age
    family_term = c.family_history + c.ln_age_x_family_history * ln_age
    if smoker and smoking_term < 0:
        flags.append(FLAG_SMOKING_TERM_NEGATIVE)
    if family and family_term < 0:
        flags.append(FLAG_FAMILY_HISTORY_TERM_NEGATIVE)
    individual_sum = (
        c.ln_age * ln_age
        + (c.ln_untreated_sbp + c.ln_age_x_ln_untreated_sbp * ln_age) * math.log(sbp)
        + c.ln_tc * math.log(tc)
        + c.ln_hdl * math.log(hdl)
        + c.ln_waist * math.log(waist)
        + smoking_term * smoker
        + c.diabetes * diabetes
        + c.north * north
        + c.urban * urban
        + family_term * family
    )
    risk = _survival_risk_percent(individual_sum, c.mean, c.baseline_survival)
    return RiskResult(risk, band_for("china_par", risk), "china_par", f"china_par_{sex}", individual_sum, tuple(flags))


def _survival_risk_percent(individual_sum: float, mean: float, baseline_survival: float) -> float:
    """``100 * (1 - S0 ** exp(sum - mean))``, computed as ``-expm1`` so small risks keep their precision."""
    return -100.0 * math.expm1(math.exp(individual_sum - mean) * math.log(baseline_survival))


# --- field readers ------------------------------------------------------------------------------------------


def _present(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) is not None


def _missing(key: str, label_en: str, label_zh: str) -> RiskInputError:
    return RiskInputError(key, f"{label_en.capitalize()} is required.", f"请填写{label_zh}。", code="missing")


def _choice(
    data: Mapping[str, Any], key: str, allowed: tuple[str, ...], label_en: str, label_zh: str
) -> Any:  # returns one of `allowed`; typed Any so callers can narrow to their Literal
    if not _present(data, key):
        raise _missing(key, label_en, label_zh)
    value = data[key]
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(f'"{a}"' for a in allowed)
        raise RiskInputError(
            key,
            f"{label_en.capitalize()} must be one of {choices}; got {value!r}.",
            f"{label_zh}必须是 {choices} 之一，收到 {value!r}。",
            code="invalid_choice",
        )
    return value


def _boolean(data: Mapping[str, Any], key: str, label_en: str, label_zh: str) -> bool:
    if not _present(data, key):
        raise RiskInputError(
            key, f'"{label_en}" (yes/no) is required.', f"请填写“{label_zh}”（是/否）。", code="missing"
        )
    value = data[key]
    if not isinstance(value, bool):
        raise RiskInputError(
            key,
            f'"{label_en}" must be true or false; got {value!r}.',
            f"“{label_zh}”必须为 true 或 false，收到 {value!r}。",
            code="wrong_type",
        )
    return value


def _as_number(key: str, value: Any, label_en: str, label_zh: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RiskInputError(
            key,
            f"{label_en.capitalize()} must be a number; got {value!r}.",
            f"{label_zh}必须是数字，收到 {value!r}。",
            code="wrong_type",
        )
    return float(value)


def _check_range(key: str, value: float, rng: InputRange) -> float:
    if not rng.low <= value <= rng.high:
        raise RiskInputError(
            key,
            f"{rng.label_en.capitalize()} {value:g} {rng.unit} is outside the range this equation was "
            f"published for ({rng.low:g}-{rng.high:g} {rng.unit}); no risk is given.",
            f"{rng.label_zh} {value:g} {rng.unit} 超出该方程的适用范围"
            f"（{rng.low:g}–{rng.high:g} {rng.unit}），不予计算。",
            code="out_of_range",
        )
    return value


def _number(data: Mapping[str, Any], key: str, rng: InputRange) -> float:
    if not _present(data, key):
        raise _missing(key, rng.label_en, rng.label_zh)
    return _check_range(key, _as_number(key, data[key], rng.label_en, rng.label_zh), rng)


def _cholesterol(
    data: Mapping[str, Any], base: str, rng_mg_dl: InputRange, flag: str, flags: list[str]
) -> tuple[float, str]:
    """Read ``<base>_mg_dl`` or ``<base>_mmol_l`` (exactly one); return the value in mg/dL and the key used.

    The range is checked in the unit sent, with the mmol/L limits rounded to 2 decimals (so 3.36 mmol/L, which
    is 129.9 mg/dL, is accepted at PCE's 130 mg/dL limit rather than refused over a rounding artefact).
    """
    key_mg, key_mmol = f"{base}_mg_dl", f"{base}_mmol_l"
    has_mg, has_mmol = _present(data, key_mg), _present(data, key_mmol)
    if has_mg and has_mmol:
        raise RiskInputError(
            key_mmol,
            f"{rng_mg_dl.label_en.capitalize()} was given both in mg/dL and in mmol/L; send one.",
            f"{rng_mg_dl.label_zh}同时以 mg/dL 和 mmol/L 提交，请只提交一种单位。",
            code="conflict",
        )
    if has_mmol:
        rng = rng_mg_dl.in_mmol_l()
        value = _check_range(key_mmol, _as_number(key_mmol, data[key_mmol], rng.label_en, rng.label_zh), rng)
        flags.append(flag)
        return value * MG_DL_PER_MMOL_L_CHOLESTEROL, key_mmol
    if has_mg:
        return _number(data, key_mg, rng_mg_dl), key_mg
    raise RiskInputError(
        key_mg,
        f"{rng_mg_dl.label_en.capitalize()} is required ({key_mg} or {key_mmol}).",
        f"请填写{rng_mg_dl.label_zh}（{key_mg} 或 {key_mmol}）。",
        code="missing",
    )


def _hdl_below_total(hdl_key: str, hdl_mg_dl: float, tc_mg_dl: float) -> None:
    if hdl_mg_dl >= tc_mg_dl:
        raise RiskInputError(
            hdl_key,
            "HDL cholesterol must be lower than total cholesterol (HDL is part of it); check the units.",
            "高密度脂蛋白胆固醇应低于总胆固醇（前者是后者的一部分），请核对数值和单位。",
            code="out_of_range",
        )


# --- when a stored risk may still be used -------------------------------------------------------------------

# A ten-year risk is re-assessed at least yearly; older than this it is not used for eligibility or ordering
# (issue 11; the 2019 Chinese guideline's own re-assessment interval was not read, so this is tiercare's choice,
# kept as a named constant for the clinical safety officer to revise).
RISK_MAX_AGE_DAYS: Final = 365
EQUATION_AGE_RANGES: Final[Mapping[str, InputRange]] = {"china_par": CHINA_PAR_AGE, "pce": PCE_AGE}


@dataclass(frozen=True)
class UsableRiskWindow:
    """``risk_staleness`` as date bounds, for a database filter (worklist ordering): a risk of ``equation`` may be
    used on ``today`` when it was computed on or after ``computed_since`` and the person was born after
    ``born_after`` and on or before ``born_on_or_before`` (their age today within the equation's range)."""

    computed_since: Any
    born_after: Any
    born_on_or_before: Any


def _years_before(d: Any, years: int) -> Any:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February: the birthday is not reached until 1 March in a common year
        return d.replace(year=d.year - years, day=28)


def usable_risk_window(*, equation: str, today: Any) -> UsableRiskWindow:
    """The bounds within which a stored risk of ``equation`` is not stale on ``today`` (``risk_staleness`` == "")."""
    rng = EQUATION_AGE_RANGES[equation]
    return UsableRiskWindow(
        computed_since=today - timedelta(days=RISK_MAX_AGE_DAYS),
        born_after=_years_before(today, int(rng.high) + 1),
        born_on_or_before=_years_before(today, int(rng.low)),
    )


def risk_staleness(*, equation: str, computed_on: Any, age_now: int | None, today: Any) -> str:
    """Why a stored risk may no longer be used: ``"older_than_12_months"``, ``"age_outside_equation"`` (the
    person's age today is outside the equation's derivation range), or ``""`` when it may be used. ``computed_on``
    and ``today`` are dates."""
    if (today - computed_on).days > RISK_MAX_AGE_DAYS:
        return "older_than_12_months"
    rng = EQUATION_AGE_RANGES.get(equation)
    if rng is not None and (age_now is None or not rng.low <= age_now <= rng.high):
        return "age_outside_equation"
    return ""
