"""Issue 15 item 7: who pays each charge is stored with it, the parts adding up to the charge to the fen — the host
for B2B work, the funds and the resident for a contract fee by the region's funding rule, the insurer and the
patient for an online consultation by the person's coverage and the scheme's rule at the institution's tier, with
the year's deductible and cap use summed from the stored rows; the sweep backfills older charges once; the coverage
page shows the year's charges and use."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.consults.online.conftest import online  # noqa: F401  (the online follow-up world)
from tests.consults.online.test_online_rules import ask, ready
from tests.finance.conftest import EPOCH, held_session, signed_contract
from tiercare.consults import services as consults
from tiercare.consults.models import OnlineConsult
from tiercare.core.models import AuditAction, AuditEvent
from tiercare.finance import payer_services, selectors, services
from tiercare.finance.models import Charge, ChargePayer, ContractFeeRule, Price, ReimbursementRule, ShareRule
from tiercare.network.models import Tier

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/finance/people/{}/coverage/"


def parts(charge: Charge) -> dict[str, Decimal]:
    return {p.payer: p.amount for p in ChargePayer.objects.filter(charge=charge)}


def reimbursement_rule(year: int = 2026, **kw: Any) -> ReimbursementRule:
    values = {
        "deductible": D("500.00"),
        "grassroots_pct": D("90"),
        "secondary_pct": D("80"),
        "tertiary_pct": D("60"),
        "annual_cap": D("100000.00"),
    }
    return ReimbursementRule.objects.create(region_id="510100", year=year, **({"scheme": "employee"} | values | kw))


def cover(cast: Any, scheme: str = "employee", valid_from: date = date(2025, 1, 1)) -> None:
    services.coverage_record(
        by=cast.gp, person=cast.patient_person, scheme=scheme, region_code="510104", valid_from=valid_from
    )


@pytest.fixture
def world(priced: Any, online: Any) -> SimpleNamespace:  # noqa: F811
    """A closed online consultation of the standing patient at GP center A (through the consults workflow), the
    template the other consultations of these tests copy."""
    cast = priced
    template = consults.online_close(by=cast.gp, consult=ready(cast, ask(cast, online)), summary="血压平稳。")
    secondary = f.OrganizationFactory(name="县医院", tier=Tier.SECONDARY)
    tertiary = f.OrganizationFactory(name="省医院", tertiary=True)
    return SimpleNamespace(cast=cast, template=template, secondary=secondary, tertiary=tertiary)


def online_charge(world: SimpleNamespace, amount: Decimal, on: date, hospital: Any = None) -> Charge:
    """A closed online consultation of the patient on ``on`` and its charge of ``amount`` at ``hospital`` (made
    directly: the payer parts are what is under test), without payer rows yet."""
    consult = OnlineConsult.objects.get(pk=world.template.pk)
    consult.pk = uuid.uuid4()
    consult._state.adding = True
    consult.closed_at = datetime(on.year, on.month, on.day, 10, tzinfo=SHANGHAI)
    consult.save(force_insert=True)
    hospital = hospital or world.cast.center_a
    return Charge.objects.create(
        fact_kind="online",
        fact_id=consult.pk,
        service="online_consult",
        hospital=hospital,
        occurred_on=on,
        quantity=1,
        unit_price=amount,
        amount=amount,
        price=Price.objects.first(),
        rule=ShareRule.objects.first(),
        platform_share=amount,
        hospital_share=D("0"),
        expert_share=D("0"),
        premium_share=D("0"),
        travel_share=D("0"),
    )


def charge_online(world: SimpleNamespace, amount: Decimal, on: date, hospital: Any = None) -> Charge:
    charge = online_charge(world, amount, on, hospital)
    with transaction.atomic():
        payer_services.charge_payers_record(charge)
    return charge


# --- each kind of charge ---------------------------------------------------------------------------------------
def test_b2b_work_is_paid_by_the_host(priced: Any) -> None:
    session = held_session(priced, date(2026, 10, 13), cases_seen=3)
    services.charges_sweep()
    charge = Charge.objects.get(fact_id=session.pk)
    [row] = ChargePayer.objects.filter(charge=charge)
    assert (row.payer, row.amount, row.person_id) == ("host", D("150.00"), None)
    event = AuditEvent.objects.get(object_id=str(charge.pk), reason="charge from work")
    assert event.details["payers"] == {"host": "150.00"}


def test_a_contract_fee_is_split_by_the_regions_funding_rule_found_above_the_center(priced: Any) -> None:
    cast = priced
    cover(cast)  # the household's first member: employee insurance
    ContractFeeRule.objects.create(
        region_id="510100", year=2026, package="basic", insurance_fund_pct=D("40"), public_health_pct=D("30")
    )
    contract = signed_contract(cast)
    services.charges_sweep()
    charge = Charge.objects.get(fact_id=contract.pk)
    assert charge.amount == D("120.00")
    assert parts(charge) == {"insurance_fund": D("48.00"), "public_health": D("36.00"), "patient": D("36.00")}
    fund = ChargePayer.objects.get(charge=charge, payer="insurance_fund")
    assert fund.scheme == "employee" and "510100" in fund.basis and "示例" in fund.basis


def test_a_contract_fee_without_a_funding_rule_is_the_residents_and_says_so(priced: Any) -> None:
    contract = signed_contract(priced)
    services.charges_sweep()
    [row] = ChargePayer.objects.filter(charge__fact_id=contract.pk)
    assert (row.payer, row.amount) == ("patient", D("120.00"))
    assert "签约服务费" in row.basis and "居民全额" in row.basis


def test_the_database_refuses_a_funding_rule_over_100_percent(cast: Any) -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFeeRule.objects.create(
            region_id="510100", year=2026, package="basic", insurance_fund_pct=D("70"), public_health_pct=D("40")
        )


def test_a_closed_online_consultation_is_charged_with_its_payers_through_the_sweep(world: Any) -> None:
    cast = world.cast
    cover(cast)
    reimbursement_rule(year=world.template.closed_at.astimezone(SHANGHAI).year, deductible=D("0.00"))
    services.price_add(by=cast.ops, hospital=cast.center_a, service="online_consult", amount=D("30.00"),
                       effective_from=EPOCH)  # fmt: skip
    services.charges_sweep()
    charge = Charge.objects.get(fact_id=world.template.pk)
    # a GP center is grassroots: 90 % of 30.00
    assert parts(charge) == {"insurance_fund": D("27.00"), "patient": D("3.00")}
    assert {p.person_id for p in ChargePayer.objects.filter(charge=charge)} == {cast.patient_person.pk}


# --- the year's deductible and cap, summed from the stored rows ------------------------------------------------------
def test_the_deductible_consumed_by_a_first_charge_is_seen_by_the_second_and_resets_next_year(world: Any) -> None:
    cover(world.cast)
    rule = reimbursement_rule()
    reimbursement_rule(year=2027)
    first = charge_online(world, D("300.00"), date(2026, 3, 2))
    assert parts(first) == {"patient": D("300.00")}
    assert ChargePayer.objects.get(charge=first).toward_deductible == D("300.00")
    second = charge_online(world, D("300.00"), date(2026, 4, 2))
    # 200.00 left of the deductible, then 90 % of 100.00
    assert parts(second) == {"insurance_fund": D("90.00"), "patient": D("210.00")}
    patient = ChargePayer.objects.get(charge=second, payer="patient")
    assert (patient.toward_deductible, patient.reimbursement_rule, patient.year) == (D("200.00"), rule, 2026)
    third = charge_online(world, D("300.00"), date(2026, 5, 2))
    assert parts(third) == {"insurance_fund": D("270.00"), "patient": D("30.00")}
    use = selectors.payers_year_use(person=world.cast.patient_person, year=2026, scheme="employee")
    assert (use.deductible, use.reimbursed) == (D("500.00"), D("360.00"))
    next_year = charge_online(world, D("300.00"), date(2027, 1, 10))
    assert parts(next_year) == {"patient": D("300.00")}


def test_the_tier_of_the_institution_sets_the_ratio(world: Any) -> None:
    cover(world.cast)
    reimbursement_rule(deductible=D("0.00"))
    assert parts(charge_online(world, D("100.00"), date(2026, 3, 2), world.secondary))["insurance_fund"] == D("80.00")
    assert parts(charge_online(world, D("100.00"), date(2026, 3, 3), world.tertiary))["insurance_fund"] == D("60.00")


def test_the_annual_cap_stops_the_insurer(world: Any) -> None:
    cover(world.cast)
    reimbursement_rule(deductible=D("0.00"), annual_cap=D("400.00"))
    assert parts(charge_online(world, D("300.00"), date(2026, 3, 2)))["insurance_fund"] == D("270.00")
    capped = charge_online(world, D("300.00"), date(2026, 3, 3))
    assert parts(capped) == {"insurance_fund": D("130.00"), "patient": D("170.00")}
    assert "年度最高支付限额" in ChargePayer.objects.get(charge=capped, payer="patient").basis
    assert parts(charge_online(world, D("300.00"), date(2026, 3, 4))) == {"patient": D("300.00")}


def test_without_a_rule_or_coverage_the_patient_pays_all_and_the_basis_says_why(world: Any) -> None:
    no_coverage = charge_online(world, D("300.00"), date(2026, 3, 2))
    [row] = ChargePayer.objects.filter(charge=no_coverage)
    assert (row.payer, row.amount) == ("patient", D("300.00")) and "无参保" in row.basis
    cover(world.cast)
    no_rule = charge_online(world, D("300.00"), date(2026, 3, 3))
    [row] = ChargePayer.objects.filter(charge=no_rule)
    assert (row.payer, row.amount, row.reimbursement_rule) == ("patient", D("300.00"), None)
    assert "没有报销规则" in row.basis


def test_commercial_insurance_pays_as_the_commercial_insurer(world: Any) -> None:
    cover(world.cast, scheme="commercial")
    reimbursement_rule(scheme="commercial", deductible=D("0.00"), grassroots_pct=D("60"))
    assert parts(charge_online(world, D("100.00"), date(2026, 3, 2))) == {
        "commercial": D("60.00"),
        "patient": D("40.00"),
    }


def test_special_needs_services_paid_by_a_patient_are_self_pay(world: Any) -> None:
    cover(world.cast)
    reimbursement_rule(deductible=D("0.00"))
    charge = online_charge(world, D("3000.00"), date(2026, 3, 2))
    charge.service = "surgery_3"
    [row] = payer_services._patient_rows(charge, world.cast.patient_person)
    assert (row.payer, row.amount) == ("patient", D("3000.00")) and "特需" in row.basis


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=D("10.00"), max_value=D("99999.99"), places=2),
    deductible=st.decimals(min_value=D("0.00"), max_value=D("5000.00"), places=2),
    pcts=st.tuples(*[st.decimals(min_value=D("0"), max_value=D("100"), places=2)] * 3),
    cap=st.decimals(min_value=D("0.00"), max_value=D("500000.00"), places=2),
    prior=st.lists(st.decimals(min_value=D("10.00"), max_value=D("20000.00"), places=2), max_size=3),
    tier=st.sampled_from(["center", "secondary", "tertiary"]),
)
def test_stored_parts_add_up_to_the_charge_and_are_never_negative(
    world: Any, amount: Decimal, deductible: Decimal, pcts: Any, cap: Decimal, prior: list[Decimal], tier: str
) -> None:
    hospital = {"center": world.cast.center_a, "secondary": world.secondary, "tertiary": world.tertiary}[tier]

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            cover(world.cast)
            reimbursement_rule(
                deductible=deductible,
                grassroots_pct=pcts[0],
                secondary_pct=pcts[1],
                tertiary_pct=pcts[2],
                annual_cap=cap,
            )
            for n, earlier in enumerate(prior):
                charge_online(world, earlier, date(2026, 2, 1 + n), hospital)
            charge = charge_online(world, amount, date(2026, 3, 2), hospital)
            rows = list(ChargePayer.objects.filter(charge=charge))
            assert sum(r.amount for r in rows) == charge.amount
            assert all(r.amount >= 0 and r.toward_deductible >= 0 for r in rows)
            use = selectors.payers_year_use(person=world.cast.patient_person, year=2026, scheme="employee")
            assert use.deductible <= deductible and use.reimbursed <= cap
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def a_contract(priced: Any) -> Any:
    return signed_contract(priced)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=D("10.00"), max_value=D("99999.99"), places=2),
    fund=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
    share=st.decimals(min_value=D("0"), max_value=D("1"), places=4),
)
def test_contract_fee_parts_add_up_for_any_rule(
    priced: Any, a_contract: Any, amount: Decimal, fund: Decimal, share: Decimal
) -> None:
    public = (share * (100 - fund)).quantize(D("0.01"), rounding="ROUND_DOWN")

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            ContractFeeRule.objects.create(
                region_id="510104", year=2026, package="basic", insurance_fund_pct=fund, public_health_pct=public
            )
            charge = Charge.objects.create(
                fact_kind="contract", fact_id=a_contract.pk, item="x", service="package_basic",
                hospital=priced.center_a, occurred_on=date(2026, 1, 1), quantity=1, unit_price=amount, amount=amount,
                price=Price.objects.first(), rule=ShareRule.objects.first(), platform_share=amount,
                hospital_share=0, expert_share=0, premium_share=0, travel_share=0,
            )  # fmt: skip
            payer_services.charge_payers_record(charge)
            rows = list(ChargePayer.objects.filter(charge=charge))
            assert sum(r.amount for r in rows) == amount and all(r.amount >= 0 for r in rows)
            raise Rollback
    except Rollback:
        pass


# --- older charges, and reruns -------------------------------------------------------------------------------------
def test_the_sweep_backfills_charges_without_payers_once(world: Any) -> None:
    cover(world.cast)
    reimbursement_rule()
    session = held_session(world.cast, date(2026, 10, 13), cases_seen=3)
    services.charges_sweep()
    older = [online_charge(world, D("300.00"), date(2026, 3, d)) for d in (2, 3)]  # made before payers were stored
    ChargePayer.objects.filter(charge__fact_id=session.pk).delete()
    assert services.charges_sweep()["payers_backfilled"] == 3
    assert AuditEvent.objects.filter(reason="charge payers backfilled").count() == 3
    state = sorted(ChargePayer.objects.values_list("charge_id", "payer", "amount", "toward_deductible"))
    assert parts(older[0]) == {"patient": D("300.00")}  # the older charge first consumes the deductible
    assert parts(older[1]) == {"insurance_fund": D("90.00"), "patient": D("210.00")}
    assert services.charges_sweep()["payers_backfilled"] == 0
    assert payer_services.payers_backfill() == 0
    assert sorted(ChargePayer.objects.values_list("charge_id", "payer", "amount", "toward_deductible")) == state
    assert all(m.payers_balanced for m in selectors.reconciliation())


def test_reconciliation_shows_charges_whose_payers_are_missing(world: Any) -> None:
    online_charge(world, D("300.00"), date(2026, 3, 2))
    [month] = [m for m in selectors.reconciliation() if m.month == date(2026, 3, 1)]
    assert not month.payers_balanced and month.payers_difference == D("300.00")
    c = Client()
    c.force_login(world.cast.ops)
    body = c.get("/finance/reconciliation/").content.decode()
    assert "300.00 ✗" in body
    payer_services.payers_backfill()
    assert "300.00 ✗" not in c.get("/finance/reconciliation/").content.decode()


def test_charges_page_and_api_show_the_payer_parts(priced: Any) -> None:
    session = held_session(priced, date(2026, 10, 13), cases_seen=3)
    services.charges_sweep()
    c = Client()
    c.force_login(priced.ops)
    body = c.get("/finance/charges/", {"month": "2026-10"}).content.decode()
    assert 'data-payer="host"' in body and "¥150.00" in body
    r = c.get("/api/v1/finance/charges", {"month": "2026-10-01"})
    [item] = [i for i in r.json()["items"] if i["fact_id"] == str(session.pk)]
    assert [(p["payer"], p["amount"]) for p in item["payers"]] == [("host", "150.00")]
    [month] = [m for m in c.get("/api/v1/finance/reconciliation").json() if m["month"] == "2026-10-01"]
    assert month["payers_balanced"] and month["paid_by"] == month["amount"]


# --- the coverage page -------------------------------------------------------------------------------------------
def test_the_coverage_page_shows_the_years_charges_and_use_and_estimates_from_them(world: Any) -> None:
    cast = world.cast
    cover(cast)
    reimbursement_rule()
    ContractFeeRule.objects.create(
        region_id="510100", year=2026, package="basic", insurance_fund_pct=D("40"), public_health_pct=D("30")
    )
    services.charges_sweep()
    contract = Charge.objects.get(fact_kind="contract")  # the online world's household contract
    charge_online(world, D("300.00"), date(2026, 3, 2))
    c = Client()
    c.force_login(cast.gp)
    url = URL.format(cast.patient_person.pk)
    before = AuditEvent.objects.filter(actor=cast.gp, action=AuditAction.READ).count()
    r = c.get(url, {"year": "2026"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "¥300.00" in body and "起付线" in body
    assert f'id="charge-{contract.pk}"' in body  # the household's contract fee
    assert AuditEvent.objects.filter(actor=cast.gp, action=AuditAction.READ).count() > before
    # the estimate uses the summed use: 300 of the 500 deductible paid, then 90 % of 800
    r = c.get(url, {"amount": "1000.00", "tier": "grassroots", "on": "2026-06-01"})
    body = r.content.decode()
    assert 'id="deductible-used">¥300.00' in body
    assert 'id="insurer-pays">¥720.00' in body and 'id="patient-pays">¥280.00' in body


def test_the_coverage_page_of_a_person_outside_the_users_scope_is_404_and_audited(world: Any) -> None:
    charge_online(world, D("300.00"), date(2026, 3, 2))
    c = Client()
    c.force_login(world.cast.gp_b)
    r = c.get(URL.format(world.cast.patient_person.pk), {"year": "2026"})
    assert r.status_code == 404 and "300.00" not in r.content.decode()
    assert AuditEvent.objects.filter(actor=world.cast.gp_b, action=AuditAction.DENIED).exists()
