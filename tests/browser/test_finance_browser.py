"""Issue 15 in a real browser: an expert opens their statement and downloads the PDF (its text holds the lines and
the net); another expert gets 404 (audited); operations see unpriced work, add the price there and the charge
appears."""

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
