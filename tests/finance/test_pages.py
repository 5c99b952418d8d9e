"""The finance pages: operations keep prices, see unpriced work and price it (the charge appears), issue a month;
the expert reads their statement and downloads it (PDF with the lines and net, xlsx); another expert gets 404,
audited; the finance role reads everything and writes nothing; the admin shows an issued statement read-only."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from tests import factories as f
from tests.finance.conftest import held_session
from tests.pdf import pdf_text
from tiercare.core.models import AuditEvent, Role
from tiercare.finance import services
from tiercare.finance.models import Charge, Price, Statement, UnpricedWork

pytestmark = pytest.mark.django_db
NOW = "2026-12-06 10:00+08:00"


def client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def month(priced):
    cast = priced
    held_session(cast, date(2026, 10, 13), cases_seen=12)
    held_session(cast, date(2026, 10, 16), kind="teaching")  # no teaching price: unpriced
    services.charges_sweep()
    return cast


def test_operations_price_unpriced_work_and_the_charge_appears(month):
    cast = month
    ops = client(cast.ops)
    work = UnpricedWork.objects.get(service="teaching")
    page = ops.get("/finance/unpriced/")
    assert page.status_code == 200 and str(work.pk) in page.content.decode()
    bad = ops.post(f"/finance/unpriced/{work.pk}/price/", {"amount": "12.345", "effective_from": "2026-10-01"})
    assert bad.status_code == 422 and "12.345" in bad.content.decode()
    assert "最多两位小数" in bad.content.decode()
    late = ops.post(f"/finance/unpriced/{work.pk}/price/", {"amount": "1500", "effective_from": "2026-10-17"})
    assert late.status_code == 422 and "该价格在工作当日尚未生效" in late.content.decode()
    assert not Price.objects.filter(service="teaching").exists()
    done = ops.post(f"/finance/unpriced/{work.pk}/price/", {"amount": "1500", "effective_from": "2026-10-01"})
    assert done.status_code == 302
    charge = Charge.objects.get(fact_id=work.fact_id)
    assert charge.amount == Decimal("1500.00") and f"#charge-{charge.pk}" in done["Location"]
    assert f'id="charge-{charge.pk}"' in ops.get("/finance/charges/?month=2026-10").content.decode()
    assert not UnpricedWork.objects.filter(resolved_at__isnull=True).exists()


def test_prices_page_adds_versions_and_refuses_others(month):
    cast = month
    data = {"hospital": cast.hospital_a.pk, "service": "clinic", "amount": "55.00", "effective_from": "2026-11-01"}
    assert client(cast.ops).post("/finance/prices/", data).status_code == 302
    assert Price.objects.filter(hospital=cast.hospital_a, service="clinic").count() == 2
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    assert client(finance).get("/finance/prices/").status_code == 200
    for user in (finance, cast.expert, cast.coordinator):
        assert client(user).post("/finance/prices/", data).status_code == 403
    assert client(cast.coordinator).get("/finance/reconciliation/").status_code == 403
    assert Price.objects.filter(hospital=cast.hospital_a, service="clinic").count() == 2


@time_machine.travel(NOW, tick=False)
def test_the_expert_reads_and_downloads_their_statement_and_no_one_else_does(month):
    cast = month
    assert client(cast.ops).post("/finance/statements/", {"month": "2026-10"}).status_code == 200
    statement = Statement.objects.get()
    expert = client(cast.expert)
    listing = expert.get("/finance/statements/").content.decode()
    assert statement.number in listing
    page = expert.get(f"/finance/statements/{statement.pk}/").content.decode()
    assert "甲县人民医院" in page and "300.00" in page and str(statement.net) in page
    pdf = expert.get(f"/finance/statements/{statement.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "2026-10-13" in text and "甲县人民医院" in text and "600.00" in text and "300.00" in text
    assert str(statement.net) in text
    xlsx = expert.get(f"/finance/statements/{statement.pk}/xlsx/")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert (
        Decimal(str(values[values.index("净额") + 5])) == statement.net if "净额" in values else statement.net in values
    )
    other = f.UserFactory(username="expert_other", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="孙其他")
    for path in ("", "pdf/", "xlsx/"):
        assert client(other).get(f"/finance/statements/{statement.pk}/{path}").status_code == 404
    assert AuditEvent.objects.filter(actor=other, action="denied", object_id=str(statement.pk)).count() == 3
    assert statement.number not in client(other).get("/finance/statements/").content.decode()
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    assert client(finance).get(f"/finance/statements/{statement.pk}/").status_code == 200
    assert (
        client(finance).post(f"/finance/statements/{statement.pk}/", {"amount": "5", "reason": "x"}).status_code == 403
    )


@time_machine.travel(NOW, tick=False)
def test_the_admin_shows_an_issued_statement_read_only(month):
    cast = month
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    admin = client(cast.admin)
    url = f"/admin/finance/statement/{statement.pk}/change/"
    assert admin.get(url).status_code == 200
    assert admin.post(url, {"net": "1.00"}).status_code == 403
    assert admin.post(f"/admin/finance/statement/{statement.pk}/delete/", {"post": "yes"}).status_code == 403
    statement.refresh_from_db()
    assert statement.net == Decimal("300.00") - statement.tax or statement.net == statement.gross - statement.tax


@time_machine.travel(NOW, tick=False)
def test_a_correction_on_the_statement_page_goes_to_the_next_statement(month):
    cast = month
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    line = statement.lines.first()
    ops = client(cast.ops)
    bad = ops.post(f"/finance/statements/{statement.pk}/", {"line": str(line.pk), "amount": "abc", "reason": "多报"})
    assert bad.status_code == 422 and "abc" in bad.content.decode()
    ok = ops.post(f"/finance/statements/{statement.pk}/", {"line": str(line.pk), "amount": "-20", "reason": "多报"})
    assert ok.status_code == 200 and "correction-saved" in ok.content.decode()
    november, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 11, 1))
    assert [(ln.kind, ln.share) for ln in november.lines.all()] == [("adjustment", Decimal("-20.00"))]


@time_machine.travel(NOW, tick=False)
def test_the_api_reads_statements_scoped_to_the_user(month, api):
    cast = month
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    status, body = api(cast.expert).get(f"finance/statements/{statement.pk}")
    assert status == 200 and body["net"] == str(statement.net) and len(body["lines"]) == 1
    assert body["lines"][0]["fact_kind"] == "session" and body["lines"][0]["share"] == "300.00"
    assert api(cast.expert).get("finance/statements")[1]["count"] == 1
    other = f.UserFactory(username="expert_other", role=Role.EXPERT)
    assert api(other).get(f"finance/statements/{statement.pk}")[0] == 404
    assert api(other).get("finance/statements")[1]["count"] == 0
    assert api(other).get("finance/charges")[0] == 403
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    status, body = api(finance).get("finance/charges", {"month": "2026-10-01"})
    assert status == 200 and body["count"] == 1 and body["items"][0]["amount"] == "600.00"
    status, body = api(finance).get("finance/reconciliation")
    assert status == 200 and body[0]["balanced"] and body[0]["amount"] == "600.00"
    assert api(finance).get("finance/unpriced")[1]["count"] == 1


def test_settlement_and_reconciliation_pages_add_up_for_the_finance_role(month):
    finance = client(f.UserFactory(username="finance", role=Role.FINANCE))
    # October: one clinic of 12 × 50.00 = 600.00; hospital A keeps 30% = 180.00 and pays the group 420.00.
    page = finance.get("/finance/settlements/?month=2026-10").content.decode()
    assert "甲县人民医院" in page and "600.00" in page and "180.00" in page and "420.00" in page
    rec = finance.get("/finance/reconciliation/").content.decode()
    assert 'data-month="2026-10"' in rec and "0.00 ✓" in rec and "✗" not in rec
    assert "unpriced-alert" in rec  # the teaching session without a price
    assert finance.get("/finance/settlements/?month=banana").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_workspace_shows_finance_to_readers_and_statements_to_the_expert(month):
    cast = month
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    home = client(cast.ops).get("/").content.decode()
    assert 'id="finance-panel"' in home and "已平衡到分" in home and "/finance/unpriced/" in home
    mine = client(cast.expert).get("/").content.decode()
    assert f"/finance/statements/{statement.pk}/" in mine and str(statement.net) in mine
    assert 'id="finance-panel"' not in client(cast.coordinator).get("/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_statement_list_costs_the_same_queries_for_one_or_many(month, django_assert_num_queries):
    cast = month
    services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    for n in range(3):
        other = f.PractitionerFactory(user=f.UserFactory(username=f"e{n}", role=Role.EXPERT), name=f"专家{n}")
        services.adjustment_add(by=cast.ops, expert=other, amount="100", reason="补发")
        services.statement_issue(by=cast.ops, expert=other, month=date(2026, 10, 1))
    finance = client(f.UserFactory(username="finance", role=Role.FINANCE))
    finance.get("/finance/statements/")  # warm the session
    with django_assert_num_queries(3):  # session, user, statements with their experts; nothing per row
        page = finance.get("/finance/statements/")
    assert page.content.decode().count("/finance/statements/") >= 4
