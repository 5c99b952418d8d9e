"""Issue 15 item 7: the pure split of a patient-paid amount between insurer and patient (deductible, tier
percentage, annual cap; special-needs services self-pay): hand-computed boundaries and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiercare.finance.payers import split_payers

D = Decimal


def test_below_the_deductible_the_patient_pays_all() -> None:
    s = split_payers(D("300.00"), pct=D("90"), deductible=D("800.00"), annual_cap=D("400000.00"))
    assert (s.insurer, s.patient, s.toward_deductible) == (D("0.00"), D("300.00"), D("300.00"))


def test_exactly_at_the_deductible_the_insurer_pays_nothing_yet() -> None:
    s = split_payers(D("300.00"), pct=D("90"), deductible=D("800.00"), annual_cap=D("1000"), deductible_used=D("500"))
    assert (s.insurer, s.patient) == (D("0.00"), D("300.00"))


def test_crossing_the_deductible_only_the_part_above_is_reimbursed() -> None:
    # 1000 with 200 of the 800 deductible left: 200 toward it, 90% of 800 = 720 paid by the insurer, 280 by the patient.
    s = split_payers(D("1000.00"), pct=D("90"), deductible=D("800.00"), annual_cap=D("1e6"), deductible_used=D("600"))
    assert (s.insurer, s.patient, s.toward_deductible) == (D("720.00"), D("280.00"), D("200.00"))


def test_grassroots_reimburses_more_than_tertiary_for_the_same_price() -> None:
    kw = {"deductible": D("0"), "annual_cap": D("1e6")}
    grassroots = split_payers(D("500.00"), pct=D("90"), **kw)
    tertiary = split_payers(D("500.00"), pct=D("75"), **kw)
    assert grassroots.patient == D("50.00") and tertiary.patient == D("125.00")


def test_the_annual_cap_limits_the_insurer() -> None:
    # 80% of 1000 is 800 but only 300 of the 10000 cap is left.
    s = split_payers(D("1000.00"), pct=D("80"), deductible=D("0"), annual_cap=D("10000"), cap_used=D("9700"))
    assert (s.insurer, s.patient, s.capped) == (D("300.00"), D("700.00"), True)


def test_exactly_at_the_cap_the_insurer_is_not_cut() -> None:
    s = split_payers(D("1000.00"), pct=D("80"), deductible=D("0"), annual_cap=D("10000"), cap_used=D("9200"))
    assert (s.insurer, s.patient, s.capped) == (D("800.00"), D("200.00"), False)


def test_cap_used_up_the_patient_pays_all() -> None:
    s = split_payers(D("99.99"), pct=D("80"), deductible=D("0"), annual_cap=D("10000"), cap_used=D("12000"))
    assert (s.insurer, s.patient) == (D("0.00"), D("99.99"))


def test_rounding_to_the_fen_half_up() -> None:
    # 85% of 0.10 is 0.085 → 0.09 to the insurer, 0.01 to the patient.
    s = split_payers(D("0.10"), pct=D("85"), deductible=D("0"), annual_cap=D("100"))
    assert (s.insurer, s.patient) == (D("0.09"), D("0.01"))


def test_special_needs_is_self_pay() -> None:
    s = split_payers(D("5000.00"), pct=D("90"), deductible=D("0"), annual_cap=D("1e6"), special_needs=True)
    assert (s.insurer, s.patient) == (D("0.00"), D("5000.00"))


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        split_payers(D("-1.00"), pct=D("90"), deductible=D("0"), annual_cap=D("1"))


money = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2, allow_nan=False, allow_infinity=False)
pct = st.decimals(min_value=D("0"), max_value=D("100"), places=2, allow_nan=False, allow_infinity=False)


@given(
    amount=money,
    pct=pct,
    deductible=money,
    cap=money,
    deductible_used=money,
    cap_used=money,
    special=st.booleans(),
)
def test_parts_add_up_never_negative_cap_respected(
    amount: Decimal,
    pct: Decimal,
    deductible: Decimal,
    cap: Decimal,
    deductible_used: Decimal,
    cap_used: Decimal,
    special: bool,
) -> None:
    s = split_payers(
        amount,
        pct=pct,
        deductible=deductible,
        annual_cap=cap,
        deductible_used=deductible_used,
        cap_used=cap_used,
        special_needs=special,
    )
    assert s.insurer + s.patient == amount
    assert s.insurer >= 0 and s.patient >= 0
    assert s.insurer <= max(D("0"), cap - cap_used)
    assert s.insurer.as_tuple().exponent == -2 and s.patient.as_tuple().exponent == -2
    if special or amount <= max(D("0"), deductible - deductible_used):
        assert s.insurer == 0
    assert s.toward_deductible <= s.patient


@given(amount=money, low=pct, high=pct)
def test_a_higher_percentage_never_costs_the_patient_more(amount: Decimal, low: Decimal, high: Decimal) -> None:
    low, high = min(low, high), max(low, high)
    kw = {"deductible": D("800"), "annual_cap": D("100000")}
    assert split_payers(amount, pct=high, **kw).patient <= split_payers(amount, pct=low, **kw).patient
