"""Issue 15 in a real browser: an expert opens their statement and downloads the PDF (its text holds the lines and
the net); another expert gets 404 (audited); operations see unpriced work, add the price there and the charge
appears; a GP sees who pays the household's contract fee and estimates from the year's stored use."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.finance.conftest import held_session, price_everything
from tests.pdf import pdf_text

from tiercare.core.models import AuditEvent, Role
from tiercare.finance import services
from tiercare.finance.models import Charge, UnpricedWork

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "finance-statement.png"


def _last_month():
    return services.month_start(services.month_start(f.today()) - timedelta(days=1))


@pytest.fixture
def priced(cast):
    return price_everything(cast)


@pytest.fixture
def issued(priced):
    cast = priced
    month = _last_month()
    held_session(cast, month.replace(day=9), cases_seen=12)
    held_session(
        cast,
        month.replace(day=16),
        kind="surgery",
        cases_seen=2,
        surgeries=[{"procedure": "腹腔镜胆囊切除术", "grade": 3, "count": 1}],
    )
    services.charges_sweep()
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=month)
    return statement


def test_an_expert_opens_their_statement_and_downloads_the_pdf(page, priced, issued, shot):
    statement = issued
    sign_in(page, "expert", PASSWORD)
    page.click("header nav a[href='/finance/statements/']")
    page.click(f"#statements a[href='/finance/statements/{statement.pk}/']")
    page.wait_for_selector("#statement-lines")
    assert page.inner_text("#net") == str(statement.net)
    rows = page.locator("#statement-lines tbody tr").all_inner_texts()
    assert len(rows) == 2 and "甲县人民医院" in rows[0] and "300.00" in rows[0] and "1500.00" in rows[1]
    path = shot(page, "finance-statement-zh")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENSHOT)
    with page.expect_download() as download:
        page.click("#download-pdf")
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert statement.number in text and "甲县人民医院" in text
    assert "600.00" in text and "300.00" in text and "3000.00" in text and "1500.00" in text
    assert str(statement.net) in text and str(statement.tax) in text


def test_another_expert_cannot_open_it(page, priced, issued):
    statement = issued
    other = f.UserFactory(username="expert_other", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="孙其他")
    sign_in(page, "expert_other", PASSWORD)
    page.goto("/finance/statements/")
    assert statement.number not in page.inner_text("#statements")
    response = page.goto(f"/finance/statements/{statement.pk}/")
    assert response.status == 404
    assert statement.number not in page.content()
    assert AuditEvent.objects.filter(actor=other, action="denied", object_id=str(statement.pk)).exists()


def test_operations_price_unpriced_work_and_watch_the_charge_appear(page, priced, shot):
    cast = priced
    session = held_session(cast, _last_month().replace(day=12), kind="teaching")
    services.charges_sweep()
    work = UnpricedWork.objects.get(fact_id=session.pk)
    sign_in(page, "ops", PASSWORD)
    page.goto("/finance/reconciliation/")
    page.click("#unpriced-alert a")
    row = page.locator(f"#unpriced-{work.pk}")
    assert "带教" in row.inner_text()
    row.locator("input[name=amount]").fill("1500")
    shot(page, "finance-unpriced-zh")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/finance/charges/**")
    charge = Charge.objects.get(fact_id=session.pk)
    assert "1500.00" in page.inner_text(f"#charge-{charge.pk}")
    page.goto("/finance/unpriced/")
    assert page.locator(f"#unpriced-{work.pk}").count() == 0


def test_the_gp_sees_who_pays_the_households_contract_fee_and_estimates_from_the_years_use(page, priced, shot):
    from datetime import date
    from decimal import Decimal

    from tests.finance.conftest import signed_contract

    from tiercare.finance.models import ContractFeeRule, ReimbursementRule

    cast = priced
    year = f.today().year
    services.coverage_record(
        by=cast.gp, person=cast.patient_person, scheme="employee", region_code="510104", valid_from=date(year, 1, 1)
    )
    ReimbursementRule.objects.create(
        region_id="510100", scheme="employee", year=year, deductible=Decimal("500.00"), grassroots_pct=Decimal("90"),
        secondary_pct=Decimal("80"), tertiary_pct=Decimal("60"), annual_cap=Decimal("100000.00"),
    )  # fmt: skip
    ContractFeeRule.objects.create(
        region_id="510100",
        year=year,
        package="basic",
        insurance_fund_pct=Decimal("40"),
        public_health_pct=Decimal("30"),
    )
    contract = signed_contract(cast, start=date(year, 1, 1))
    services.charges_sweep()
    charge = Charge.objects.get(fact_id=contract.pk)
    sign_in(page, "gp", PASSWORD)
    page.goto(f"/finance/people/{cast.patient_person.pk}/coverage/?year={year}")
    row = page.inner_text(f"#charge-{charge.pk}")
    assert "医保基金" in row and "¥48.00" in row and "基本公共卫生经费" in row and "¥36.00" in row
    page.fill("input[name=amount]", "1000.00")
    page.fill("input[name=on]", date(year, 6, 1).isoformat())
    page.click("#estimate-form button[type=submit]")
    page.wait_for_selector("#estimate")
    assert page.inner_text("#deductible-used") == "¥0.00"
    assert page.inner_text("#insurer-pays") == "¥450.00"  # 500 deductible, then 90 % of 500
    shot(page, "finance-coverage-payers-zh")
