"""Property tests (Hypothesis): every charge's parts add up to it to the fen, none is negative, each rounded part
is within half a fen of its exact share; over random facts, prices and rules, charging twice changes nothing and a
month's reconciliation balances to the fen (docs/adr/0006)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiercare.finance import selectors, services
from tiercare.finance.facts import FactLine
from tiercare.finance.models import Charge
from tiercare.finance.split import split_charge

D = Decimal
amounts = st.decimals(min_value=D("10.00"), max_value=D("999999.99"), places=2)
pct = st.decimals(min_value=D("0"), max_value=D("99"), places=2)


@st.composite
def rules(draw):
    """Four percentages leaving the platform at least 1%."""
    parts = [draw(pct) for _ in range(4)]
    total = sum(parts)
    if total > 99:
        parts = [(p * D(99) / total).quantize(D("0.01"), rounding="ROUND_DOWN") for p in parts]
    return parts


@given(amount=amounts, parts=rules(), has_expert=st.booleans())
def test_parts_add_up_to_the_charge_to_the_fen(amount, parts, has_expert):
    hospital, expert, premium, travel = parts
    s = split_charge(
        amount, hospital_pct=hospital, expert_pct=expert, premium_pct=premium, travel_pct=travel, has_expert=has_expert
    )
    assert s.total == amount
    assert min(s.platform, s.hospital, s.expert, s.premium, s.travel) >= 0
    for value in (s.platform, s.hospital, s.expert, s.premium, s.travel):
        assert value == value.quantize(D("0.01"))
    if has_expert:
        assert abs(s.expert - amount * expert / 100) <= D("0.005")
        assert abs(s.hospital - amount * hospital / 100) <= D("0.005")
    else:
        assert s.expert == 0 and s.travel == 0


def test_half_a_fen_rounds_up_and_the_platform_takes_the_remainder():
    # 10.10 × 5% = 0.505 → 0.51 each for hospital, expert, premium and travel; the platform: 10.10 − 2.04 = 8.06.
    s = split_charge(D("10.10"), hospital_pct=D(5), expert_pct=D(5), premium_pct=D(5), travel_pct=D(5))
    assert (s.hospital, s.expert, s.premium, s.travel, s.platform) == (
        D("0.51"),
        D("0.51"),
        D("0.51"),
        D("0.51"),
        D("8.06"),
    )


facts = st.lists(
    st.tuples(
        st.sampled_from(["clinic", "surgery_3", "ward_round", "teleconsult"]),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=0, max_value=59),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=facts, prices=st.lists(amounts, min_size=4, max_size=4), parts=rules())
def test_random_facts_prices_and_rules_charge_once_and_reconcile(cast, facts, prices, parts):
    with transaction.atomic():
        hospital, expert, premium, travel = parts
        services.share_rule_add(
            by=cast.ops,
            hospital=cast.hospital_a,
            effective_from=date(2026, 1, 1),
            hospital_pct=hospital,
            expert_pct=expert,
            premium_pct=premium,
            travel_pct=travel,
        )
        for service, price in zip(["clinic", "surgery_3", "ward_round", "teleconsult"], prices, strict=True):
            services.price_add(
                by=cast.ops, hospital=cast.hospital_a, service=service, amount=price, effective_from=date(2026, 1, 1)
            )
        lines = [
            FactLine(
                fact_kind="session",
                fact_id=uuid.uuid4(),
                item=service,
                service=service,
                hospital_id=cast.hospital_a.pk,
                expert_id=cast.expert_practitioner.pk if i % 3 else None,
                occurred_on=date(2026, 9, 1) + timedelta(days=day),
                quantity=qty,
                description="",
            )
            for i, (service, qty, day) in enumerate(facts)
        ]
        first = services.charge_lines(lines)
        snapshot = sorted(Charge.objects.values_list("fact_id", "item", "amount", "platform_share", "expert_share"))
        second = services.charge_lines(lines)
        assert len(first.charged) == len(lines) and second.charged == [] and second.already == len(lines)
        assert sorted(Charge.objects.values_list("fact_id", "item", "amount", "platform_share", "expert_share")) == (
            snapshot
        )
        for c in Charge.objects.all():
            assert c.platform_share + c.hospital_share + c.expert_share + c.premium_share + c.travel_share == c.amount
        for month in selectors.reconciliation():
            assert month.balanced, month
            assert month.amount == month.platform + month.hospital + month.expert + month.premium + month.travel
        assert sum(m.amount for m in selectors.reconciliation()) == sum(c.amount for c in Charge.objects.all())
        transaction.set_rollback(True)
