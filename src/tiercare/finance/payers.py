"""Who pays a patient-paid amount: the insurer or the patient (issue 15 item 7). Pure: no Django, no database.

The year's deductible (起付线) is paid by the patient first; of what is above it the insurer pays the scheme's
percentage for the institution's tier, rounded half-up to the fen, but never more than what is left of its annual
cap; the patient pays the rest. Special-needs services (特需) and self-pay are all the patient's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tiercare.finance.tax import fen

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PayerSplit:
    insurer: Decimal
    patient: Decimal
    toward_deductible: Decimal  # the part of the patient's share that consumed the deductible
    capped: bool  # the insurer's part was cut by the annual cap

    @property
    def total(self) -> Decimal:
        return self.insurer + self.patient


def split_payers(
    amount: Decimal,
    *,
    pct: Decimal,
    deductible: Decimal,
    annual_cap: Decimal,
    deductible_used: Decimal = ZERO,
    cap_used: Decimal = ZERO,
    special_needs: bool = False,
) -> PayerSplit:
    """Split ``amount`` (yuan, two places, not negative) between insurer and patient. ``pct`` is the reimbursement
    percentage (0–100) for the institution's tier; ``deductible_used`` and ``cap_used`` are what the person already
    consumed of this year's deductible and of the insurer's annual cap."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    amount = fen(amount)
    if special_needs:
        return PayerSplit(ZERO, amount, ZERO, False)
    toward_deductible = min(amount, max(ZERO, deductible - deductible_used))
    reimbursable = fen(min(max(pct, ZERO), HUNDRED) * (amount - toward_deductible) / HUNDRED)
    cap_left = max(ZERO, annual_cap - cap_used)
    insurer = min(reimbursable, cap_left)
    return PayerSplit(insurer, amount - insurer, fen(toward_deductible), insurer < reimbursable)
