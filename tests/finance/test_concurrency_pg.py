"""On PostgreSQL, with real connections racing: fifty charge creations for the same fact store one charge per line;
issuing the same expert's month (or the same hospital's settlement) from several requests at once issues one."""

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


@time_machine.travel("2026-12-06 10:00+08:00", tick=False)
def test_settling_the_same_hospital_month_at_once_issues_one(priced):
    from tiercare.finance.models import HospitalSettlement, SettlementLine

    held_session(priced, date(2026, 10, 13), cases_seen=12)
    held_session(priced, date(2026, 10, 20), cases_seen=3)
    services.charges_sweep()
    results = []
    race(
        8,
        lambda i: results.append(
            services.settlement_issue(by=priced.ops, hospital=priced.hospital_a, month=date(2026, 10, 1))
        ),
    )
    assert HospitalSettlement.objects.count() == 1 and SettlementLine.objects.count() == 2
    assert sum(1 for _s, new in results if new) == 1


def test_racing_moves_of_one_incident_pass_once(cast):
    from datetime import timedelta

    from django.utils import timezone

    from tests.outreach.factories import make_session
    from tiercare.core.errors import Conflict
    from tiercare.finance.models import Incident, IncidentTransition

    session = make_session(cast.expert_practitioner, cast.dept_a, on=timezone.localdate() - timedelta(days=2))
    incident = services.incident_record(
        by=cast.ops, kind="dispute", source=session, occurred_on=session.date, summary="家属投诉"
    )
    refused = []

    def work(i):
        try:
            services.incident_move(by=cast.ops, incident=incident, to="insurer_notified", reason=f"报案{i}")
        except Conflict:
            refused.append(i)

    race(8, work)
    assert len(refused) == 7
    assert Incident.objects.get().status == "insurer_notified"
    assert IncidentTransition.objects.filter(to_status="insurer_notified").count() == 1


def test_overlapping_coverage_recorded_at_once_is_stored_once(cast):
    from tiercare.core.errors import Conflict
    from tiercare.finance.models import Coverage

    refused = []

    def one(i):
        try:
            services.coverage_record(
                by=cast.gp,
                person=cast.patient_person,
                scheme="resident",
                region_code="510129",
                valid_from=date(2026, 1 + i % 6, 1),  # different starts: only the lock on the person keeps one
            )
        except Conflict:
            refused.append(i)

    race(12, one)
    assert Coverage.objects.filter(person=cast.patient_person, scheme="resident").count() == 1
    assert len(refused) == 11
