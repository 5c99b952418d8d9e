"""Individual income tax withheld on labour remuneration (劳务报酬所得), the rule a statement applies.

Sources, in force since 2019-01-01:
- 《中华人民共和国个人所得税法》(2018 amendment) 第六条: income from labour remuneration is reduced by 20% of the
  income; 《个人所得税法实施条例》第十四条: income of one project received continually is one payment per month
  (属于同一项目连续性收入的，以一个月内取得的收入为一次) — one monthly statement is one payment.
- 国家税务总局公告2018年第61号《个人所得税扣缴申报管理办法（试行）》第八条: the payer withholds in advance on each
  payment; 每次收入不超过四千元的，减除费用按八百元计算；每次收入四千元以上的，减除费用按收入的百分之二十计算
  (so exactly 4,000 deducts 800); the withholding rates are 附件《个人所得税预扣率表二》: taxable income up to
  20,000 at 20% (quick deduction 0), over 20,000 up to 50,000 at 30% (2,000), over 50,000 at 40% (7,000).

This is advance withholding (预扣预缴); the expert's annual reconciliation (汇算清缴) is theirs to file. Amounts are
rounded half-up to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
SMALL_PAYMENT_LIMIT = Decimal("4000")  # 每次收入不超过四千元
SMALL_PAYMENT_DEDUCTION = Decimal("800")  # 减除费用八百元
LARGE_PAYMENT_DEDUCTION_RATE = Decimal("0.20")  # 四千元以上减除百分之二十
# 个人所得税预扣率表二 (劳务报酬所得适用): (taxable income up to, rate, quick deduction); the last has no upper limit.
WITHHOLDING_BRACKETS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
)


def fen(value: Decimal) -> Decimal:
    """``value`` rounded half-up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Withholding:
    income: Decimal
    taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.income - self.tax


def labour_remuneration_withholding(income: Decimal) -> Withholding:
    """The tax withheld on one payment of labour remuneration of ``income`` yuan (a month's statement). Income of
    zero or less (a month of corrections that take back more than it pays) withholds nothing."""
    income = fen(income)
    if income <= 0:
        return Withholding(income, Decimal("0.00"), Decimal("0"), Decimal("0"), Decimal("0.00"))
    if income <= SMALL_PAYMENT_LIMIT:
        taxable = max(income - SMALL_PAYMENT_DEDUCTION, Decimal("0"))
    else:
        taxable = income * (1 - LARGE_PAYMENT_DEDUCTION_RATE)
    taxable = fen(taxable)
    for upper, rate, quick in WITHHOLDING_BRACKETS:
        if upper is None or taxable <= upper:
            return Withholding(income, taxable, rate, quick, fen(max(taxable * rate - quick, Decimal("0"))))
    raise AssertionError("the last bracket has no upper limit")
