"""How a charge is split by a revenue-share rule, to the fen (docs/adr/0006).

Each part but the platform's is the charge times its percentage, rounded half-up to the fen; the platform takes the
remainder, so the parts always add up to the charge. A charge with no expert (a family-doctor package) pays no expert
and no travel: those percentages go to the host (the GP center or hospital that did the work).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tiercare.finance.tax import fen

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Split:
    platform: Decimal
    hospital: Decimal
    expert: Decimal
    premium: Decimal
    travel: Decimal

    @property
    def total(self) -> Decimal:
        return self.platform + self.hospital + self.expert + self.premium + self.travel


def split_charge(
    amount: Decimal,
    *,
    hospital_pct: Decimal,
    expert_pct: Decimal,
    premium_pct: Decimal,
    travel_pct: Decimal,
    has_expert: bool = True,
) -> Split:
    """The parts of ``amount`` (yuan, two places) under the given percentages (the platform's is the rest)."""
    if not has_expert:
        hospital_pct, expert_pct, travel_pct = hospital_pct + expert_pct + travel_pct, Decimal(0), Decimal(0)
    hospital = fen(amount * hospital_pct / HUNDRED)
    expert = fen(amount * expert_pct / HUNDRED)
    premium = fen(amount * premium_pct / HUNDRED)
    travel = fen(amount * travel_pct / HUNDRED)
    return Split(amount - hospital - expert - premium - travel, hospital, expert, premium, travel)
