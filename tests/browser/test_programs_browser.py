"""Issue 14 in a real browser: a coordinator enters a month's actuals and the program's chart shows them (ECharts
drawn from the page's json_script data, no inline script)."""

import pytest
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.programs.factories import make_program, month_start

from tiercare.programs.models import KpiActual

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_coordinator_enters_a_months_actuals_and_the_chart_shows_them(page, cast, shot):
    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner, stage="building")
    month = month_start(1)
    sign_in(page, "coordinator", PASSWORD)
    page.goto(f"/programs/{program.pk}/")
    page.click("#enter-actuals")
    page.wait_for_url(f"**/programs/{program.pk}/actuals/")
    page.select_option("#id_month", month.isoformat())
    page.fill("#id_neonates_admitted", "-1")
    page.click("#actuals-form button[type=submit]")
    assert "0" in page.inner_text("#id_neonates_admitted-error")  # refused beside the field
    page.fill("#id_neonates_admitted", "17")
    page.click("#actuals-form button[type=submit]")
    page.wait_for_url(f"**/programs/{program.pk}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert KpiActual.objects.get(program=program, kpi="neonates_admitted").value == 17
    assert page.inner_text(f"table[data-kpi='neonates_admitted'] td[data-month='{month:%Y-%m}']") == "17.00"
    chart = page.locator("#chart-neonates_admitted")
    assert chart.locator("svg").count() == 1
    assert "新生儿收治人数" in chart.inner_text()
    # the line of actuals has a point for the month: ECharts' tooltip names the value on hover
    values = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-neonates_admitted')).getOption().series[1].data"
    )
    assert values[1] == 17
    shot(page, "programs-program-actuals-zh")
