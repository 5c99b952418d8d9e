"""How a charge is split by a revenue-share rule, to the fen (docs/adr/0006).

Each part but the platform's is the charge times its percentage, rounded half-up to the fen; the platform takes the
remainder, so the parts always add up to the charge. A charge with no expert (a family-doctor package) pays no expert
and no travel: those percentages go to the host (the GP center or hospital that did the work), except at a GP center
whose rule keeps the partner's part fixed (``chain_keeps_unused``: owned, flagship and cooperative centers), where they
go to the chain (the platform), so an owned center's partner part stays 0 and a cooperative partner gets its share.
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
    unused_to_platform: bool = False,
) -> Split:
    """The parts of ``amount`` (yuan, two places) under the given percentages (the platform's is the rest). Without
    an expert, the expert's and travel's percentages go to the host, or to the platform with ``unused_to_platform``."""
    if not has_expert:
        if not unused_to_platform:
            hospital_pct += expert_pct + travel_pct
        expert_pct, travel_pct = Decimal(0), Decimal(0)
    hospital = fen(amount * hospital_pct / HUNDRED)
    expert = fen(amount * expert_pct / HUNDRED)
    premium = fen(amount * premium_pct / HUNDRED)
    travel = fen(amount * travel_pct / HUNDRED)
    return Split(amount - hospital - expert - premium - travel, hospital, expert, premium, travel)


# GP-center operating modes (network.models.GpMode) whose partner part is a fixed percentage of every charge (none,
# for owned and flagship; the agreed share, for cooperative): a charge without an expert gives the unused expert and
# travel percentages to the chain. A managed center's owner and a franchisee keep what the fee or royalty leaves.
CHAIN_KEEPS_UNUSED = ("flagship", "owned", "cooperative")


def chain_keeps_unused(center_mode: str) -> bool:
    return center_mode in CHAIN_KEEPS_UNUSED
