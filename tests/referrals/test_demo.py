"""The demo hook: capacity at the 6 tertiary hospitals and referrals in every state from the GP center and a
partner hospital, moved through the services."""

from __future__ import annotations

from datetime import date

import pytest

from tiercare.demo.builder import DemoBuilder
from tiercare.referrals.demo import referrals_demo
from tiercare.referrals.models import Referral, ReservedCapacity

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_db(db):
    from tests.factories import ensure_divisions

    ensure_divisions()
    DemoBuilder(seed=7, today=date(2026, 3, 2), households=20).build()


def test_demo_referrals_cover_the_loop(demo_db):
    result = referrals_demo(seed=7, today=date(2026, 3, 2))
    assert result["referrals"] == 34 and result["desks"] == 6
    tertiary = set(ReservedCapacity.objects.values_list("department__organization__name", flat=True))
    assert len(tertiary) == 6
    states = set(Referral.objects.values_list("status", flat=True))
    assert {"draft", "sent", "accepted", "scheduled", "arrived", "treated", "back_referred", "closed"} <= states
    assert {"declined", "cancelled"} <= states
    sources = set(Referral.objects.values_list("referring_organization__tier", flat=True))
    assert sources == {"gp_center", "primary"}
    closed = Referral.objects.filter(status="closed").first()
    assert [t.action for t in closed.transitions.order_by("at", "created_at")][-1] == "confirm_receipt"
