"""On PostgreSQL, with real connections racing: fifty charge creations for the same fact store one charge per line;
issuing the same expert's month from several requests at once issues one statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from tests.concurrency import race
from tests.finance.conftest import held_session
from tiercare.finance import services
from tiercare.finance.models import Charge, ChargedFact, Statement, StatementLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_fifty_concurrent_charge_creations_for_one_fact_store_one_charge(priced):
    session = held_session(
        priced,
        date(2026, 10, 14),
        kind="surgery",
        surgeries=[{"procedure": "腹腔镜胆囊切除", "grade": 3, "count": 2}, {"procedure": "x", "grade": 4, "count": 1}],
    )
    charged = []
    race(50, lambda i: charged.append(len(services.charges_for_fact(fact_kind="session", fact_id=session.pk).charged)))
    assert sum(charged) == 2
    assert sorted(Charge.objects.filter(fact_id=session.pk).values_list("item", "amount")) == [
        ("grade_3", Decimal("6000.00")),
        ("grade_4", Decimal("5000.00")),
    ]
    assert ChargedFact.objects.filter(fact_id=session.pk).count() == 1


@time_machine.travel("2026-12-06 10:00+08:00", tick=False)
def test_issuing_the_same_month_at_once_issues_one(priced):
    held_session(priced, date(2026, 10, 13), cases_seen=12)
    held_session(priced, date(2026, 10, 20), cases_seen=3)
    services.charges_sweep()
    results = []
    race(
        8,
        lambda i: results.append(
            services.statement_issue(by=priced.ops, expert=priced.expert_practitioner, month=date(2026, 10, 1))
        ),
    )
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 2
    assert sum(1 for _s, new in results if new) == 1
    assert {s.pk for s, _new in results} == {Statement.objects.get().pk}
