"""On PostgreSQL, with real connections racing: several charges of the same person made at once consume the year's
deductible once in total (each waits on the person's row before summing the stored use); backfills racing over the
same charges store one set of payer parts per charge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from tests.concurrency import race
from tests.consults.online.conftest import online  # noqa: F401  (the online follow-up world)
from tests.finance.test_charge_payers import cover, online_charge, reimbursement_rule, world  # noqa: F401
from tiercare.finance import payer_services
from tiercare.finance.models import ChargePayer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
D = Decimal


def test_concurrent_charges_of_one_person_consume_the_deductible_once(world):  # noqa: F811
    cover(world.cast)
    reimbursement_rule(deductible=D("500.00"))
    charges = [online_charge(world, D("300.00"), date(2026, 3, 2 + i)) for i in range(6)]

    def work(i: int) -> None:
        with transaction.atomic():
            payer_services.charge_payers_record(charges[i])

    race(6, work)
    rows = ChargePayer.objects.filter(charge__in=charges)
    assert sum(r.toward_deductible for r in rows) == D("500.00")
    # 1800 in all: 500 deductible, then 90 % of 1300 = 1170 reimbursed
    assert sum(r.amount for r in rows if r.payer == "insurance_fund") == D("1170.00")
    for charge in charges:
        assert sum(r.amount for r in rows if r.charge_id == charge.pk) == charge.amount


def test_racing_backfills_store_one_set_of_payer_parts(world):  # noqa: F811
    cover(world.cast)
    reimbursement_rule(deductible=D("500.00"))
    charges = [online_charge(world, D("300.00"), date(2026, 3, 2 + i)) for i in range(3)]
    race(4, lambda i: payer_services.payers_backfill())
    rows = ChargePayer.objects.filter(charge__in=charges)
    assert sum(r.toward_deductible for r in rows) == D("500.00")
    assert all(sum(r.amount for r in rows if r.charge_id == c.pk) == c.amount for c in charges)
    assert rows.count() == 5  # the first: the patient's only; the others: the fund's and the patient's
