"""Issue 17 in a real browser: the triage page for a child's fever (pediatrics first) and for a baby of 0.1 years
with fever (the urgent advice), and the registrations chart drawn by ECharts for operations. Screenshots into
docs/screenshots/ (the README tour) and test-artifacts/screenshots/."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

from tiercare.triage.demo import simulate_year
from tiercare.triage.models import Episode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _triage(page, complaint: str, age: str, sex: str) -> None:
    page.goto("/triage/")
    page.fill("#id_complaint", complaint)
    page.fill("#id_age", age)
    page.select_option("#id_age_unit", "years")
    page.select_option("#id_sex", sex)
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector("#triage-answer")


def test_a_childs_fever_goes_to_pediatrics_and_a_baby_of_a_month_with_fever_to_the_emergency_department(
    page, cast, shot
):
    _triage(page, "孩子发烧三天，咳嗽", "4", "male")
    assert page.inner_text("#triage-specialties li >> nth=0") == "儿科"
    assert page.locator("#red-flags").count() == 0
    assert page.input_value("#id_complaint") == "孩子发烧三天，咳嗽"  # what was typed is kept
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot(page, "triage-child-fever"), DOCS / "triage-child-fever.png")

    _triage(page, "宝宝发烧", "0.1", "female")
    advice = page.inner_text("#red-flags")
    assert "急诊" in advice and "3个月" in advice.replace(" ", "")
    assert page.inner_text("#triage-specialties li >> nth=0") == "急诊医学科"
    shot(page, "triage-infant-fever-urgent")


def test_operations_see_the_registrations_chart_beside_the_seed(page, cast, shot):
    today = timezone.localdate()
    simulate_year(seed=7, today=today)
    for i, (center, n) in enumerate(((cast.center_a, 2), (cast.center_b, 3), (cast.center_a, 1))):
        Episode.objects.create(
            first_registration=f"real:{i}", person=cast.patient_person, center=center,
            started_on=date(today.year, today.month, 1), registrations=n, first_specialty="ent",
            treating_specialty="ent",
        )  # fmt: skip
    sign_in(page, "ops", PASSWORD)
    page.goto("/triage/registrations/")
    page.wait_for_selector("body[data-registrations-ready='1']")
    chart = page.locator("#registrations-chart")
    assert chart.locator("svg").count() == 1
    names = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('registrations-chart')).getOption()"
        ".series.map(s => s.name)"
    )
    assert set(names[:2]) == {"甲全科中心", "乙全科中心"} and "种子数据：2.6 次挂号" in names
    assert "模拟" in page.inner_text("#simulated-note")
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot(page, "registrations"), DOCS / "registrations.png")
