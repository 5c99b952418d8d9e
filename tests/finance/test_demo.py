"""The demo's money: prices and share rules everywhere work happens, charges of the demo's work, statements of the
ended months issued (the demo expert's among them, one with a correction), one price edited into a second version,
one piece of unpriced work for operations, every month reconciled to the fen, and hospital settlements issued for
the ended months but the last."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from tiercare.finance import selectors
from tiercare.finance.models import Charge, ChargePayer, ContractFeeRule, Incident, Price, Statement, UnpricedWork

pytestmark = pytest.mark.django_db


def test_the_demo_has_issued_statements_that_reconcile():
    call_command("load_demo", "--households", "30", "--seed", "3", stdout=StringIO())
    statements = Statement.objects.filter(expert__user__username="expert")
    assert statements.count() >= 2
    for s in Statement.objects.all():
        assert s.gross == sum(ln.share for ln in s.lines.all()) and s.net == s.gross - s.tax
    assert Statement.objects.filter(lines__kind="adjustment").exists()
    assert {"session", "teleconsult", "opinion", "contract"} <= set(Charge.objects.values_list("fact_kind", flat=True))
    assert Price.objects.filter(version=2).exists()
    assert UnpricedWork.objects.filter(resolved_at__isnull=True).exists()
    months = selectors.reconciliation()
    assert len(months) >= 3 and all(m.balanced for m in months)
    # settlements issued for the ended months but the last, each agreeing with its lines
    from django.utils import timezone

    from tiercare.finance.models import HospitalSettlement

    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    docs = HospitalSettlement.objects.all()
    assert docs.filter(month=(last_month - timedelta(days=1)).replace(day=1)).exists()
    assert not docs.filter(month__gte=last_month).exists()
    for d in docs:
        assert d.amount == sum(ln.amount for ln in d.lines.all()) and d.payable == d.amount - d.hospital_share
    # who pays: every charge has payer parts that add up to it; the contract fees are split by the illustrative
    # funding rules (insurance fund, public health, resident); each month's payer parts equal its charges
    assert all(m.payers_balanced for m in months)
    for charge in Charge.objects.prefetch_related("payers"):
        assert charge.payers.all() and sum(p.amount for p in charge.payers.all()) == charge.amount
    contract_payers = set(ChargePayer.objects.filter(charge__fact_kind="contract").values_list("payer", flat=True))
    assert {"insurance_fund", "public_health", "patient"} <= contract_payers
    assert ContractFeeRule.objects.exists() and all(r.illustrative for r in ContractFeeRule.objects.all())
    assert set(ChargePayer.objects.filter(charge__fact_kind="session").values_list("payer", flat=True)) == {"host"}
    # incidents: one open adverse event whose insurer is named, one dispute closed with an outcome after every step
    open_event = Incident.objects.get(kind="adverse_event", status="open")
    assert open_event.insurer and open_event.expert.user.username == "expert"
    closed = Incident.objects.get(kind="dispute", status="closed")
    assert closed.outcome == "settled" and closed.person_id is not None
    assert [t.to_status for t in closed.transitions.all()] == ["open", "insurer_notified", "under_review", "closed"]
    # the chain: every GP center's rule follows its operating mode, with a year of costs, and every month balances
    from django.utils import timezone

    from tiercare.core.models import User
    from tiercare.finance import chain
    from tiercare.finance.models import CenterCost, ShareRule

    for center in chain.centers():
        assert ShareRule.objects.get(hospital=center).center_mode == center.gp_mode
    assert CenterCost.objects.filter(voided_at__isnull=False).count() == 1
    rows = chain.chain_summary(for_user=User.objects.get(username="ops"), month=timezone.localdate())
    assert all(m.balanced for r in rows for m in r.year) and len({r.year_result for r in rows}) == len(rows) >= 2
    assert any(r.year_revenue > 0 for r in rows) and all(any(m.costs for m in r.year) for r in rows)
    # the README tour: the flagship center's lead (health_manager) opens its accounts and costs, not another's
    from django.test import Client

    lead = Client()
    lead.force_login(User.objects.get(username="health_manager"))
    flagship = next(c for c in chain.centers() if c.gp_mode == "flagship")
    other = next(c for c in chain.centers() if c.gp_mode != "flagship")
    assert lead.get(f"/finance/chain/{flagship.pk}/").status_code == 200
    assert lead.get(f"/finance/chain/{flagship.pk}/costs/").status_code == 200
    assert lead.get(f"/finance/chain/{other.pk}/").status_code == 404


def test_the_demo_has_coverage_and_illustrative_rules_the_gp_can_estimate_with():
    from datetime import date

    from django.test import Client
    from django.utils import timezone

    from tiercare.core.models import User
    from tiercare.finance.models import Coverage, ReimbursementRule

    call_command("load_demo", "--households", "30", "--seed", "3", stdout=StringIO())
    year = timezone.localdate().year
    rules = ReimbursementRule.objects.filter(year=year)
    assert {"employee", "resident", "commercial"} <= set(rules.values_list("scheme", flat=True))
    assert all(r.illustrative for r in rules)
    assert all(r.grassroots_pct > r.tertiary_pct for r in rules.exclude(scheme="commercial"))  # the tiered-care lever
    coverage = Coverage.objects.filter(scheme="employee").exclude(member_masked="").first()
    assert coverage is not None and "*" in coverage.member_masked
    c = Client()
    c.force_login(User.objects.get(username="gp"))
    r = c.get(
        f"/finance/people/{coverage.person_id}/coverage/",
        {"amount": "2000.00", "tier": "grassroots", "on": date(year, 6, 1).isoformat()},
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="insurer-pays">¥0.00' not in body and 'id="insurer-pays">' in body and "示例" in body
