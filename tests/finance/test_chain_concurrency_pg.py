"""On PostgreSQL, with real connections racing: a center's cost voided from several requests at once is voided
once (one reason kept, one audit row); share-rule versions of one center added at once never share a number."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.concurrency import race
from tiercare.core.errors import Conflict
from tiercare.core.models import AuditEvent
from tiercare.finance import chain
from tiercare.finance.models import CenterCost, ShareRule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@time_machine.travel("2026-12-06 10:00+08:00", tick=False)
def test_racing_voids_of_one_cost_void_it_once(cast):
    cost = chain.center_cost_add(by=cast.ops, center=cast.center_a, month=date(2026, 11, 1), category="rent",
                                 amount="15000.00")  # fmt: skip
    refused = []

    def work(i):
        try:
            chain.center_cost_void(by=cast.ops, cost=cost, reason=f"录错{i}")
        except Conflict:
            refused.append(i)

    race(8, work)
    cost.refresh_from_db()
    assert len(refused) == 7 and cost.voided_at is not None and cost.void_reason.startswith("录错")
    assert (
        AuditEvent.objects.filter(object_type="finance.centercost", object_id=str(cost.pk), action="update").count()
        == 1
    )
    assert CenterCost.objects.count() == 1


def test_rule_versions_added_at_once_never_share_a_number(cast):
    refused = []

    def work(i):
        try:
            chain.center_rule_add(
                by=cast.ops, center=cast.center_a, mode="flagship", effective_from=date(2026, 1, 1 + i),
                expert_pct=str(10 + i),
            )  # fmt: skip
        except Conflict:
            refused.append(i)

    race(8, work)
    versions = list(ShareRule.objects.filter(hospital=cast.center_a).values_list("version", flat=True))
    assert len(versions) == len(set(versions)) == 8 - len(refused) >= 1
