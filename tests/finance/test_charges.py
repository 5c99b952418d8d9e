"""Charges from facts: each fact kind makes its lines at the price and share rule in force on its day; a rerun
changes nothing; a fact with no price goes to the unpriced worklist and is charged once a price is added; a price
edit is a new version and earlier charges keep theirs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.finance.conftest import (
    EPOCH,
    answered_teleconsult,
    concluded_mdt,
    held_session,
    signed_contract,
    signed_opinion,
)
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.finance import services
from tiercare.finance.models import Charge, Price, UnpricedWork
from tiercare.finance.tasks import charge_sweep_task, tick

pytestmark = pytest.mark.django_db
D = Decimal


def _state() -> list[tuple]:
    return sorted(
        Charge.objects.values_list("fact_kind", "fact_id", "item", "amount", "expert_share", "price_id", "rule_id")
    )


def test_a_held_clinic_charges_per_patient_seen_split_by_the_rule(priced):
    cast = priced
    session = held_session(cast, date(2026, 10, 13), cases_seen=12)
    result = services.charges_sweep()
    assert result["charged"] == 1
    charge = Charge.objects.get(fact_id=session.pk)
    # 12 × 50.00 = 600.00: hospital 30% 180.00, expert 50% 300.00, premium 3% 18.00, travel 7% 42.00, platform 60.00
    assert (charge.service, charge.quantity, charge.amount) == ("clinic", 12, D("600.00"))
    assert (charge.hospital_share, charge.expert_share, charge.premium_share, charge.travel_share) == (
        D("180.00"),
        D("300.00"),
        D("18.00"),
        D("42.00"),
    )
    assert charge.platform_share == D("60.00")
    assert charge.expert_id == cast.expert_practitioner.pk and charge.hospital_id == cast.hospital_a.pk
    assert AuditEvent.objects.filter(object_type="finance.charge", object_id=str(charge.pk)).exists()


def test_a_surgery_session_charges_each_grade_by_its_count(priced):
    cast = priced
    session = held_session(
        cast,
        date(2026, 10, 14),
        kind="surgery",
        cases_seen=3,
        surgeries=[
            {"procedure": "腹腔镜胆囊切除", "grade": 3, "count": 2},
            {"procedure": "胰十二指肠切除", "grade": 4, "count": 1},
        ],
    )
    charge_sweep_task.enqueue()
    lines = {c.item: (c.service, c.quantity, c.amount) for c in Charge.objects.filter(fact_id=session.pk)}
    assert lines == {"grade_3": ("surgery_3", 2, D("6000.00")), "grade_4": ("surgery_4", 1, D("5000.00"))}


def test_consults_and_contracts_charge_at_the_inviting_institution(priced, case, mdt):
    cast = priced
    tc = answered_teleconsult(cast, case)
    op = signed_opinion(cast, case)
    contract = signed_contract(cast)
    mdt = concluded_mdt(cast, mdt)
    services.charges_sweep()
    tc_charge = Charge.objects.get(fact_id=tc.pk)
    assert (tc_charge.service, tc_charge.amount, tc_charge.hospital_id) == (
        "teleconsult",
        D("300.00"),
        cast.center_a.pk,
    )
    assert Charge.objects.get(fact_id=op.pk).amount == D("600.00")
    package = Charge.objects.get(fact_id=contract.pk)
    # No expert on a family-doctor package at a flagship center: the expert's percentage goes to the chain (the
    # platform), the partner's part stays 0 (98% to the chain, 2% premium).
    assert (package.service, package.expert_id, package.expert_share) == ("package_basic", None, D("0.00"))
    assert (package.hospital_share, package.premium_share, package.platform_share) == (
        D("0.00"),
        D("2.40"),
        D("117.60"),
    )
    # The MDT's site is hospital A, which has no MDT price: one unpriced line per participating expert.
    participants = list(mdt.meeting.participants.values_list("practitioner_id", flat=True))
    unpriced = UnpricedWork.objects.filter(fact_id=mdt.pk, resolved_at__isnull=True)
    assert sorted(u.expert_id for u in unpriced) == sorted(participants) and len(participants) == 2
    assert not Charge.objects.filter(fact_id=mdt.pk).exists()


def test_rerunning_the_sweep_changes_nothing(priced, case):
    cast = priced
    held_session(cast, date(2026, 10, 13), cases_seen=4)
    answered_teleconsult(cast, case)
    first = services.charges_sweep()
    before = _state()
    assert first["charged"] == 2
    assert services.charges_sweep() == {"facts": 0, "charged": 0, "unpriced": 0, "payers_backfilled": 0}
    from tiercare.finance.models import ChargedFact

    for fact_kind, fact_id, *_ in before:
        ChargedFact.objects.filter(fact_id=fact_id).delete()  # forget that it was looked at: still no second charge
        services.charges_for_fact(fact_kind=fact_kind, fact_id=fact_id)
    assert _state() == before
    assert tick(None)["charged"] == 0


def test_unpriced_work_is_charged_once_a_price_is_added(priced):
    cast = priced
    session = held_session(cast, date(2026, 10, 15), kind="teaching")
    services.charges_sweep()
    work = UnpricedWork.objects.get(fact_id=session.pk)
    assert (work.service, work.missing, work.resolved_at) == ("teaching", "price", None)
    assert not Charge.objects.filter(fact_id=session.pk).exists()
    services.price_add(
        by=cast.ops, hospital=cast.hospital_a, service="teaching", amount=D("1500.00"), effective_from=EPOCH
    )
    work.refresh_from_db()
    charge = Charge.objects.get(fact_id=session.pk)
    assert work.charge == charge and work.resolved_at is not None and charge.amount == D("1500.00")


def test_a_price_in_force_later_does_not_cover_earlier_work(priced):
    cast = priced
    session = held_session(cast, date(2026, 10, 15), kind="teaching")
    services.charges_sweep()
    services.price_add(
        by=cast.ops, hospital=cast.hospital_a, service="teaching", amount=D("1500.00"), effective_from=date(2026, 11, 1)
    )
    assert not Charge.objects.filter(fact_id=session.pk).exists()
    assert UnpricedWork.objects.get(fact_id=session.pk).resolved_at is None


def test_editing_a_price_makes_a_version_and_charges_keep_theirs(priced):
    cast = priced
    first = held_session(cast, date(2026, 10, 13), cases_seen=2)
    services.charges_sweep()
    v1 = Price.objects.get(hospital=cast.hospital_a, service="clinic")
    v2 = services.price_add(
        by=cast.ops, hospital=cast.hospital_a, service="clinic", amount=D("60.00"), effective_from=date(2026, 10, 20)
    )
    assert (v1.version, v2.version) == (1, 2)
    second = held_session(cast, date(2026, 10, 27), cases_seen=2)
    services.charges_sweep()
    assert Charge.objects.get(fact_id=first.pk).price == v1
    assert Charge.objects.get(fact_id=first.pk).amount == D("100.00")
    assert Charge.objects.get(fact_id=second.pk).price == v2
    assert Charge.objects.get(fact_id=second.pk).amount == D("120.00")
    # A correction on the same effective date is a further version that wins from then on.
    v3 = services.price_add(
        by=cast.ops, hospital=cast.hospital_a, service="clinic", amount=D("65.00"), effective_from=date(2026, 10, 20)
    )
    assert services.price_in_force(cast.hospital_a.pk, "clinic", date(2026, 10, 27)) == v3
    assert services.price_in_force(cast.hospital_a.pk, "clinic", date(2026, 10, 19)) == v1


def test_only_operations_keep_prices_and_amounts_are_checked(priced):
    cast = priced
    for user in (cast.expert, cast.coordinator, cast.auditor):
        with pytest.raises(Forbidden):
            services.price_add(
                by=user, hospital=cast.hospital_a, service="clinic", amount=D("60"), effective_from=EPOCH
            )
    for bad in ("abc", "9.99", "12.345", "-5", "NaN", "1e30"):
        with pytest.raises(ValidationFailed) as exc:
            services.price_add(
                by=cast.ops, hospital=cast.hospital_a, service="clinic", amount=bad, effective_from=EPOCH
            )
        assert exc.value.details == {"field": "amount"}
    with pytest.raises(ValidationFailed):
        services.price_add(by=cast.ops, hospital=cast.hospital_a, service="massage", amount="60", effective_from=EPOCH)
    with pytest.raises(ValidationFailed):
        services.share_rule_add(
            by=cast.ops,
            hospital=cast.hospital_a,
            effective_from=EPOCH,
            hospital_pct="50",
            expert_pct="50",
            premium_pct="0",
            travel_pct="0",
        )


def test_manage_py_tick_charges_new_work(priced):
    from io import StringIO

    from django.core.management import call_command

    session = held_session(priced, date(2026, 10, 13), cases_seen=3)
    out = StringIO()
    call_command("tick", stdout=out)
    assert Charge.objects.get(fact_id=session.pk).amount == D("150.00")
    assert "'finance': {'facts': 1, 'charged': 1, 'unpriced': 0, 'payers_backfilled': 0}" in out.getvalue()
