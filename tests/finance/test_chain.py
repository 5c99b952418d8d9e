"""The GP-center chain's money (issue 15 items 3 and 6): share rules by operating mode, center costs, the chain's
accounts per center and month, the chain dashboard with the care dashboards' figures, and who may see and write
what (pages and API)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests import factories as f
from tests.care.factories import HTN_HIGH, contract, enrol, followup, team_with
from tests.finance.conftest import EPOCH, signed_contract
from tiercare.care.models import GpTeam, GpTeamMember
from tiercare.care.selectors import dashboard
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, AuditEvent, Role
from tiercare.finance import chain, services
from tiercare.finance.models import CenterCost, Charge, ChargePayer, ShareRule, UnpricedWork
from tiercare.finance.split import chain_keeps_unused, split_charge
from tiercare.finance.tax import fen

D = Decimal
NOW = "2026-12-06 10:00+08:00"
pct = st.decimals(min_value=0, max_value=30, places=2)


# --- the split by operating mode (pure) ---------------------------------------------------------------------------
@given(
    mode=st.sampled_from(["flagship", "owned", "cooperative", "managed", "franchise"]),
    amount=st.decimals(min_value=D("10.00"), max_value=D("99999.99"), places=2),
    partner=pct,
    fee=st.decimals(min_value=1, max_value=30, places=2),
    expert=pct,
    premium=st.decimals(min_value=0, max_value=5, places=2),
    has_expert=st.booleans(),
)
def test_a_charge_under_any_modes_rule_adds_up_to_the_fen_and_owned_gives_the_partner_nothing(
    mode, amount, partner, fee, expert, premium, has_expert
):
    parts = chain.rule_percentages(
        mode,
        partner_pct=partner if mode == "cooperative" else D(0),
        fee_pct=fee if mode in ("managed", "franchise") else D(0),
        expert_pct=expert,
        premium_pct=premium,
    )
    assert sum(parts.values()) == 100 and parts["platform_pct"] >= 1
    split = split_charge(
        amount,
        hospital_pct=parts["hospital_pct"],
        expert_pct=parts["expert_pct"],
        premium_pct=parts["premium_pct"],
        travel_pct=parts["travel_pct"],
        has_expert=has_expert,
        unused_to_platform=chain_keeps_unused(mode),
    )
    assert split.total == amount
    assert min(split.platform, split.hospital, split.expert, split.premium, split.travel) >= 0
    if mode in ("owned", "flagship"):
        assert split.hospital == 0
    if mode == "cooperative":  # the partner's agreed share of every charge, with or without an expert
        assert split.hospital == fen(amount * partner / 100)
    if mode in ("managed", "franchise") and has_expert:  # the fee or royalty is the chain's percentage
        assert abs(split.platform - amount * fee / 100) <= D("0.03")


def test_the_mode_fields_are_checked_with_a_message_naming_the_field():
    for mode, kwargs, field in [
        ("owned", {"partner_pct": D(10)}, "partner_pct"),
        ("cooperative", {"fee_pct": D(10)}, "fee_pct"),
        ("managed", {"fee_pct": D("0.5")}, "fee_pct"),
        ("franchise", {"fee_pct": D(50), "expert_pct": D(40), "premium_pct": D(20)}, "fee_pct"),
        ("cooperative", {"partner_pct": D(80), "expert_pct": D(20)}, "partner_pct"),
        ("galaxy", {}, "mode"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            chain.rule_percentages(mode, **kwargs)
        assert exc.value.details == {"field": field}, mode


# --- rules in the database ----------------------------------------------------------------------------------------


def _rule(cast, center, **kw):
    values = {
        "hospital": center,
        "version": 1,
        "effective_from": EPOCH,
        "platform_pct": D("78"),
        "hospital_pct": D("0"),
        "expert_pct": D("20"),
        "premium_pct": D("2"),
        "travel_pct": D("0"),
        "created_by": cast.ops,
    }
    return ShareRule.objects.create(**(values | kw))


@pytest.mark.django_db
def test_the_database_refuses_a_partner_part_on_an_owned_rule_and_a_fee_off_a_franchise(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        _rule(cast, cast.center_b, center_mode="owned", platform_pct=D("68"), hospital_pct=D("10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        _rule(cast, cast.center_a, center_mode="flagship", platform_pct=D("68"), hospital_pct=D("10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        _rule(cast, cast.center_b, center_mode="owned", monthly_fee=D("100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        _rule(cast, cast.center_b, center_mode="cooperative", monthly_fee=D("100.00"))
    _rule(cast, cast.center_b, center_mode="franchise", monthly_fee=D("100.00"))  # a franchise may


@pytest.mark.django_db
def test_a_rule_for_another_mode_is_refused_and_the_generic_rule_refuses_a_gp_center(cast):
    with pytest.raises(ValidationFailed) as exc:
        chain.center_rule_add(by=cast.ops, center=cast.center_a, mode="franchise", effective_from=EPOCH, fee_pct="6")
    assert exc.value.details == {"field": "mode"}
    assert cast.center_a.name in exc.value.message and "旗舰" in exc.value.message  # the center's actual mode
    with pytest.raises(ValidationFailed) as exc:
        services.share_rule_add(
            by=cast.ops, hospital=cast.center_a, effective_from=EPOCH, hospital_pct=0, expert_pct=20,
            premium_pct=2, travel_pct=0,
        )  # fmt: skip
    assert exc.value.details == {"field": "hospital"} and "全科中心分成" in exc.value.message
    with pytest.raises(Forbidden):
        chain.center_rule_add(by=cast.gp, center=cast.center_a, mode="flagship", effective_from=EPOCH)
    assert not ShareRule.objects.exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_rule_versions_number_on_and_work_waiting_for_a_rule_is_charged_at_once(cast):
    services.price_add(
        by=cast.ops, hospital=cast.center_a, service="package_basic", amount=D("120.00"), effective_from=EPOCH
    )
    signed = signed_contract(cast)
    services.charges_sweep()
    waiting = UnpricedWork.objects.get(fact_id=signed.pk)
    assert waiting.missing == "rule"
    first = chain.center_rule_add(
        by=cast.ops, center=cast.center_a, mode="flagship", effective_from=EPOCH, expert_pct="20", premium_pct="2"
    )
    charge = Charge.objects.get(fact_id=signed.pk)
    assert (charge.rule, charge.hospital_share, charge.platform_share, charge.premium_share) == (
        first, D("0.00"), D("117.60"), D("2.40")
    )  # fmt: skip
    second = chain.center_rule_add(by=cast.ops, center=cast.center_a, mode="flagship", effective_from=date(2026, 7, 1))
    assert (first.version, second.version, second.center_mode, second.platform_pct) == (1, 2, "flagship", D("100"))
    assert AuditEvent.objects.filter(object_type="finance.sharerule", object_id=str(second.pk)).exists()


# --- the accounts -------------------------------------------------------------------------------------------------
def _franchise(cast):
    center = f.OrganizationFactory(name="丙加盟店", gp_center=True, gp_mode="franchise", city="绵阳")
    services.price_add(by=cast.ops, hospital=center, service="package_basic", amount=D("120.00"), effective_from=EPOCH)
    services.price_add(by=cast.ops, hospital=center, service="online_consult", amount=D("33.33"), effective_from=EPOCH)
    chain.center_rule_add(
        by=cast.ops, center=center, mode="franchise", effective_from=EPOCH, fee_pct="6", monthly_fee="8000",
        expert_pct="20", premium_pct="2",
    )  # fmt: skip
    return center


def _charge(center, on, service="package_basic", kind="contract", quantity=1, expert=None):
    """A charge of made-up work at ``center``, priced and split as charging does (no payer rows: the test sets them)."""
    price, rule = services.price_in_force(center.pk, service, on), services.rule_in_force(center.pk, on)
    amount = price.amount * quantity
    parts = split_charge(
        amount, hospital_pct=rule.hospital_pct, expert_pct=rule.expert_pct, premium_pct=rule.premium_pct,
        travel_pct=rule.travel_pct, has_expert=expert is not None,
        unused_to_platform=chain_keeps_unused(rule.center_mode),
    )  # fmt: skip
    return Charge.objects.create(
        fact_kind=kind, fact_id=uuid.uuid4(), item=service, service=service, hospital=center, expert_id=expert,
        occurred_on=on, quantity=quantity, unit_price=price.amount, amount=amount, price=price, rule=rule,
        platform_share=parts.platform, hospital_share=parts.hospital, expert_share=parts.expert,
        premium_share=parts.premium, travel_share=parts.travel,
    )  # fmt: skip


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_months_accounts_balance_and_the_franchise_fee_counts_once(cast, api):
    center = _franchise(cast)
    paid = _charge(center, date(2026, 10, 3))
    ChargePayer.objects.create(charge=paid, payer="public_health", amount=D("100.00"))
    ChargePayer.objects.create(charge=paid, payer="patient", amount=D("20.00"))
    _charge(center, date(2026, 10, 20), quantity=2)  # no payer rows yet: "payer not recorded"
    _charge(center, date(2026, 10, 21), service="online_consult", kind="online", expert=cast.expert_practitioner.pk)
    # a second franchise rule version in the same month: still one fee, the one in force at the month's end
    chain.center_rule_add(
        by=cast.ops, center=center, mode="franchise", effective_from=date(2026, 10, 15), fee_pct="5",
        monthly_fee="9000", expert_pct="20", premium_pct="2",
    )  # fmt: skip
    chain.center_cost_add(by=cast.ops, center=center, month=date(2026, 10, 9), category="rent", amount="15000.00")
    chain.center_cost_add(by=cast.ops, center=center, month=date(2026, 10, 1), category="staff", amount="30000.50")
    wrong = chain.center_cost_add(by=cast.ops, center=center, month=date(2026, 10, 1), category="staff", amount="9")
    chain.center_cost_void(by=cast.ops, cost=wrong, reason="录错")

    year = chain.center_year(center, until=date(2026, 10, 31))
    assert [m.month for m in year][-1] == date(2026, 10, 1) and len(year) == 12
    oct_ = year[-1]
    charges = Charge.objects.filter(hospital=center, occurred_on__month=10)
    assert oct_.revenue == sum(c.amount for c in charges) == D("393.33")
    assert (oct_.contract_fees, oct_.services) == (D("360.00"), D("33.33"))
    assert oct_.by_payer == {"public_health": D("100.00"), "patient": D("20.00"), "not_recorded": D("240.00")}
    assert oct_.franchise_fee == D("9000.00")
    assert oct_.chain == sum(c.platform_share for c in charges) + D("9000.00")
    assert oct_.partner == sum(c.hospital_share for c in charges) - D("9000.00")
    assert oct_.balanced and oct_.revenue == oct_.chain + oct_.partner + oct_.expert + oct_.premium + oct_.travel
    assert oct_.expert == sum(c.expert_share for c in charges) > 0
    assert oct_.costs_by_category == {"rent": D("15000.00"), "staff": D("30000.50")}
    assert oct_.result == oct_.revenue - oct_.expert - oct_.premium - oct_.travel - D("45000.50")
    # a month with no charges under a franchise still counts the fee once (the franchisee owes it)
    sep = year[-2]
    assert (sep.revenue, sep.franchise_fee, sep.chain, sep.partner, sep.balanced) == (
        D("0.00"), D("8000.00"), D("8000.00"), D("-8000.00"), True
    )  # fmt: skip
    # the same money from the API, to the fen
    status, body = api(cast.ops).get(f"finance/chain/{center.pk}/months", {"until": "2026-10-31"})
    assert status == 200 and body[-1]["revenue"] == "393.33" and body[-1]["chain"] == str(oct_.chain)
    assert body[-1]["balanced"] is True and body[-1]["by_payer"]["not_recorded"] == "240.00"


@pytest.mark.django_db
def test_the_accounts_read_a_fixed_number_of_queries_however_many_centers(cast, django_assert_max_num_queries):
    centers = [cast.center_a.pk, cast.center_b.pk]
    months = chain.last_months(date(2026, 10, 1))
    with django_assert_max_num_queries(4):
        chain.center_months(centers[:1], months)
    more = [*centers, *(f.OrganizationFactory(gp_center=True).pk for _ in range(4))]
    with django_assert_max_num_queries(4):
        chain.center_months(more, months)


# --- costs --------------------------------------------------------------------------------------------------------
@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_costs_are_voided_with_a_reason_never_edited(cast):
    cost = chain.center_cost_add(
        by=cast.ops, center=cast.center_a, month=date(2026, 11, 1), category="drugs", amount="1200"
    )
    with pytest.raises(ValidationFailed) as exc:
        chain.center_cost_void(by=cast.ops, cost=cost, reason="  ")
    assert exc.value.details == {"field": "reason"}
    chain.center_cost_void(by=cast.ops, cost=cost, reason="重复录入")
    cost.refresh_from_db()
    assert cost.voided_at and cost.voided_by == cast.ops and cost.amount == D("1200.00")
    assert chain.center_year(cast.center_a, until=date(2026, 11, 1))[-1].costs == 0
    with pytest.raises(Exception) as again:
        chain.center_cost_void(by=cast.ops, cost=cost, reason="再作废")
    assert getattr(again.value, "status", None) == 409
    assert AuditEvent.objects.filter(object_type="finance.centercost", object_id=str(cost.pk)).count() == 2
    for bad, field in [("0", "amount"), ("12.345", "amount"), ("abc", "amount")]:
        with pytest.raises(ValidationFailed) as exc:
            chain.center_cost_add(by=cast.ops, center=cast.center_a, month=date(2026, 11, 1), category="rent",
                                  amount=bad)  # fmt: skip
        assert exc.value.details == {"field": field}
    with pytest.raises(ValidationFailed) as exc:
        chain.center_cost_add(by=cast.ops, center=cast.center_a, month=date(2027, 1, 1), category="rent", amount="1")
    assert exc.value.details == {"field": "month"}


# --- the dashboard ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_dashboards_care_figures_are_the_care_dashboards_for_the_centers_teams(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    contract(cast.gp, cast.household_a, team, start=date(2026, 3, 1))
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, date(2026, 3, 10))
    followup(cast.gp, e, date(2026, 6, 1), HTN_HIGH)
    b = team_with(cast.center_b, cast.gp_b, name="二组")
    contract(cast.gp_b, cast.household_b, b, start=date(2026, 3, 1))
    rows = {r.center.pk: r for r in chain.chain_summary(for_user=cast.ops, month=date(2026, 11, 1))}
    for center in (cast.center_a, cast.center_b):
        expected = dashboard(teams=GpTeam.objects.filter(center=center))
        got = rows[center.pk].care
        for key in ("contracted_residents", "on_time_percent", "bp_control_percent", "glucose_control_percent"):
            assert got[key] == expected[key], key
    assert rows[cast.center_a.pk].care["bp_control_percent"] == 0.0
    assert rows[cast.center_a.pk].care["contracted_residents"] > 0
    page = client(cast.ops).get("/finance/chain/?month=2026-11")
    body = page.content.decode()
    assert page.status_code == 200 and cast.center_a.name in body and cast.center_b.name in body
    assert 'data-chart="bar"' in body and 'id="chain-chart"' in body


# --- who may see and write what -----------------------------------------------------------------------------------
def client(user):
    c = Client()
    c.force_login(user)
    return c


def _lead(cast):
    """gp_b leads center B; gp is a GP of center A who leads nothing."""
    team_with(cast.center_a, cast.gp, name="A组")
    team = team_with(cast.center_b, cast.gp_b, name="二组")
    GpTeamMember.objects.filter(team=team, practitioner=cast.gp_b.practitioner).update(center_lead=True)
    return cast.gp_b


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_center_lead_enters_costs_of_their_center_only_and_errors_keep_what_was_typed(cast):
    lead = _lead(cast)
    mine, other = f"/finance/chain/{cast.center_b.pk}/", f"/finance/chain/{cast.center_a.pk}/"
    c = client(lead)
    home = c.get("/").content.decode()
    assert 'id="chain-lead-panel"' in home and f'href="{mine}costs/"' in home  # their workspace links there
    assert 'id="chain-lead-panel"' not in client(cast.gp).get("/").content.decode()  # not a lead: no panel
    assert c.get("/finance/chain/").url == mine  # taken to their own center
    assert c.get(mine).status_code == 200 and c.get(f"{mine}costs/").status_code == 200
    assert 'href="/finance/chain/rules/"' not in c.get(mine).content.decode()  # no link to a page they cannot open
    assert c.get(other).status_code == 404 and c.get(f"{other}costs/").status_code == 404
    assert c.post(f"{other}costs/", {"month": "2026-11", "category": "rent", "amount": "1"}).status_code == 404
    bad = c.post(f"{mine}costs/?month=2026-11", {"month": "2026-11", "category": "rent", "amount": "15000.123"})
    text = bad.content.decode()
    assert bad.status_code == 422 and 'value="15000.123"' in text and 'id="id_amount-error"' in text
    assert "最多两位小数" in text and not CenterCost.objects.exists()
    good = c.post(f"{mine}costs/?month=2026-11", {"month": "2026-11", "category": "rent", "amount": "15000.12"})
    cost = CenterCost.objects.get()
    assert good.status_code == 302 and f"#cost-{cost.pk}" in good["Location"] and cost.entered_by == lead
    month = c.get(f"{mine}?month=2026-11").content.decode()
    assert 'id="acc-cost-rent">15000.12' in month
    assert c.post(f"/finance/chain/costs/{cost.pk}/void/", {"reason": ""}).status_code == 422
    assert c.post(f"/finance/chain/costs/{cost.pk}/void/", {"reason": "录错"}).status_code == 302
    assert AuditEvent.objects.filter(object_type="finance.centercost", actor=lead).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, actor=lead, object_id=str(cast.center_a.pk)).exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_others_are_refused_and_finance_and_auditors_read_only(cast, api):
    _lead(cast)
    url = f"/finance/chain/{cast.center_b.pk}/"
    data = {"month": "2026-11", "category": "rent", "amount": "100"}
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    for reader in (finance, cast.auditor, cast.ops, cast.admin):
        c = client(reader)
        assert c.get("/finance/chain/").status_code == 200
        assert c.get(url).status_code == 200 and c.get(f"{url}costs/").status_code == 200
    for reader in (finance, cast.auditor):
        assert client(reader).post(f"{url}costs/", data).status_code == 403
        status, _ = api(reader).post(f"finance/chain/{cast.center_b.pk}/costs", {**data, "month": "2026-11-01"})
        assert status == 403
    for outsider in (cast.gp, cast.expert, cast.coordinator, cast.patient):  # gp: a GP of center A, not its lead
        c = client(outsider)
        assert c.get(url).status_code == 404 and c.post(f"{url}costs/", data).status_code == 404
        assert client(outsider).get("/finance/chain/").status_code == 403
        assert api(outsider).get(f"finance/chain/{cast.center_b.pk}/months")[0] == 404
        assert api(outsider).get("finance/chain")[0] == 403
    assert not CenterCost.objects.exists()
    status, body = api(cast.gp_b).post(f"finance/chain/{cast.center_b.pk}/costs", {**data, "month": "2026-11-20"})
    assert status == 201 and body["month"] == "2026-11-01" and body["amount"] == "100.00"
    status, body = api(cast.ops).get("finance/chain", {"month": "2026-11-01"})
    row = next(r for r in body if r["center_id"] == str(cast.center_b.pk))
    assert status == 200 and row["month"]["costs"] == "100.00" and row["mode"] == "owned"


@pytest.mark.django_db
def test_the_rules_page_adds_a_version_by_mode_and_keeps_what_was_typed_on_a_mismatch(cast):
    ops = client(cast.ops)
    data = {"center": cast.center_b.pk, "mode": "cooperative", "effective_from": "2026-01-01", "partner_pct": "35"}
    bad = ops.post("/finance/chain/rules/", data)
    text = bad.content.decode()
    assert bad.status_code == 422 and 'id="id_mode-error"' in text and 'value="35"' in text
    assert cast.center_b.name in text and not ShareRule.objects.exists()
    ok = ops.post("/finance/chain/rules/", {**data, "mode": "owned", "partner_pct": "", "expert_pct": "20"})
    rule = ShareRule.objects.get()
    assert ok.status_code == 302 and (rule.center_mode, rule.hospital_pct, rule.platform_pct) == ("owned", 0, 80)
    assert f'id="rule-{rule.pk}"' in ops.get("/finance/chain/rules/").content.decode()
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    assert client(finance).get("/finance/chain/rules/").status_code == 200
    assert client(finance).post("/finance/chain/rules/", data).status_code == 403
    # the generic shares form lists partner hospitals only
    shares = ops.get("/finance/shares/").content.decode()
    assert cast.hospital_a.name in shares.split('id="rules"')[0] and cast.center_a.name not in shares
