"""Issue 15 items 3 and 6 in a real browser: operations open the chain dashboard and see the GP centers compared
(table and charts); a center's lead enters a month's cost with a bad amount, sees the error beside the field with
what they typed kept, corrects it and sees the cost in the month's accounts."""

import pytest
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.care.factories import team_with
from tests.factories import PASSWORD

from tiercare.care.models import GpTeamMember
from tiercare.finance import chain
from tiercare.finance.models import CenterCost

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_operations_compare_the_centers_and_a_lead_enters_a_cost(page, cast, shot):
    month = chain.month_start(f.today())
    chain.center_cost_add(by=cast.ops, center=cast.center_a, month=month, category="staff", amount="42000.00")
    team = team_with(cast.center_b, cast.gp_b, name="二组")
    GpTeamMember.objects.filter(team=team, practitioner=cast.gp_b.practitioner).update(center_lead=True)

    sign_in(page, "ops", PASSWORD)
    page.goto("/finance/")
    page.click("#finance-tabs a[href='/finance/chain/']")
    page.wait_for_selector("body[data-charts-ready='1']")
    table = page.locator("#chain-centers").inner_text()
    assert cast.center_a.name in table and cast.center_b.name in table
    assert "-42000.00" in page.locator(f"#center-{cast.center_a.pk}").inner_text()  # its result: costs, no revenue
    assert page.locator("#chart-revenue svg").count() == 1 and page.locator("#chart-result svg").count() == 1
    shot(page, "finance-chain-dashboard-zh")

    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)
    page.goto("/finance/chain/")  # a lead is taken to their own center
    page.wait_for_url(f"**/finance/chain/{cast.center_b.pk}/")
    assert page.locator("#chain-tabs a[href='/finance/chain/']").count() == 0  # no links to pages they cannot open
    page.click("#chain-tabs a:has-text('成本')")
    page.fill("#id_month", f"{month:%Y-%m}")
    page.select_option("#id_category", "rent")
    page.fill("#id_amount", "15000.123")
    page.fill("#id_note", "十月房租")
    page.click("#cost-form button.primary")
    error = page.locator("#id_amount-error")
    error.wait_for()
    assert "最多两位小数" in error.inner_text()
    assert page.input_value("#id_amount") == "15000.123" and page.input_value("#id_note") == "十月房租"
    assert not CenterCost.objects.filter(center=cast.center_b).exists()
    page.fill("#id_amount", "15000.12")
    page.click("#cost-form button.primary")
    page.wait_for_selector("#costs td:has-text('十月房租')")
    assert page.locator("#acc-cost-rent").inner_text() == "15000.12"
    assert page.locator("#acc-costs").inner_text() == "15000.12"
    shot(page, "finance-chain-costs-zh")
    assert page.goto(f"/finance/chain/{cast.center_a.pk}/").status == 404
