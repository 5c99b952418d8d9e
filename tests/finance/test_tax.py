"""Withholding on labour remuneration (劳务报酬所得) at each boundary, figures computed by hand in the comments
(国家税务总局公告2018年第61号 第八条 and 预扣率表二; see tiercare/finance/tax.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tiercare.finance.tax import labour_remuneration_withholding

D = Decimal

CASES = [
    # income, taxable, tax
    ("0.00", "0.00", "0.00"),  # nothing paid, nothing withheld
    ("-150.00", "0.00", "0.00"),  # a month of corrections that takes back: nothing withheld
    ("800.00", "0.00", "0.00"),  # 800 − 800 = 0
    ("800.01", "0.01", "0.00"),  # 0.01 × 20% = 0.002 → 0.00
    ("1000.00", "200.00", "40.00"),  # 1000 − 800 = 200; × 20% = 40
    ("4000.00", "3200.00", "640.00"),  # ≤ 4,000: 4000 − 800 = 3200; × 20% = 640
    ("4000.01", "3200.01", "640.00"),  # > 4,000: 4000.01 × 80% = 3200.008 → 3200.01; × 20% = 640.002 → 640.00
    ("4500.00", "3600.00", "720.00"),  # 4500 × 80% = 3600; × 20% = 720 (less than 3700 × 20% under the 800 rule)
    ("25000.00", "20000.00", "4000.00"),  # 25000 × 80% = 20000, the top of 20%: 4000
    ("25000.05", "20000.04", "4000.01"),  # 20000.04 × 30% − 2000 = 6000.012 − 2000 = 4000.012 → 4000.01
    ("30000.00", "24000.00", "5200.00"),  # 24000 × 30% − 2000 = 7200 − 2000 = 5200
    ("62500.00", "50000.00", "13000.00"),  # 50000 × 30% − 2000 = 13000, the top of 30%
    ("62500.05", "50000.04", "13000.02"),  # 50000.04 × 40% − 7000 = 20000.016 − 7000 = 13000.016 → 13000.02
    ("100000.00", "80000.00", "25000.00"),  # 80000 × 40% − 7000 = 32000 − 7000 = 25000
]


@pytest.mark.parametrize(("income", "taxable", "tax"), CASES)
def test_withholding_at_each_boundary(income, taxable, tax):
    w = labour_remuneration_withholding(D(income))
    assert (w.taxable, w.tax) == (D(taxable), D(tax))
    assert w.net == D(income) - D(tax) if D(income) > 0 else w.tax == 0


def test_rates_and_quick_deductions_by_bracket():
    assert (
        labour_remuneration_withholding(D("25000.00")).rate,
        labour_remuneration_withholding(D("25000.00")).quick_deduction,
    ) == (D("0.20"), 0)
    assert labour_remuneration_withholding(D("25000.05")).quick_deduction == D("2000")
    assert labour_remuneration_withholding(D("62500.05")).quick_deduction == D("7000")
