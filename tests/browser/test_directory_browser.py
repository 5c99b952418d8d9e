"""Each role's main path in a real browser: sign in, filter experts, switch language, the overview chart."""

import pytest
from playwright.sync_api import expect
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def experts(cast):
    for i in range(4):
        p = f.PractitionerFactory(
            name=f"钱肿瘤{i}", specialty="oncology", home_organization=cast.tertiary, doctor_group=cast.group
        )
        f.InsurancePolicyFactory(practitioner=p, expiring=(i == 0))
    return cast


def test_ops_filters_experts_switches_language_and_sees_the_chart(page, experts, shot):
    sign_in(page, "ops", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto("/directory/experts/")
    assert page.inner_text("h1") == "医生集团专家"  # Chinese by default
    assert page.locator("#expert-table tbody tr").count() == 5
    page.select_option("#id_specialty", "oncology")  # htmx swaps the table in place
    # expect() polls without evaluating a string (the Content-Security-Policy forbids eval, also to Playwright).
    expect(page.locator("#expert-table tbody tr")).to_have_count(4)
    names = page.locator("#expert-table tbody tr td:first-child").all_inner_texts()
    assert all(n.startswith("钱肿瘤") for n in names)
    assert "specialty=oncology" in page.url  # the filter is in the address, so it can be shared
    page.check("#id_insurance_expiring")
    expect(page.locator("#expert-table tbody tr")).to_have_count(1)
    shot(page, "experts-zh")

    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Experts of the doctor group" in page.inner_text("h1")
    page.goto("/directory/overview/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#chart-specialty svg").count() == 1
    assert page.inner_text("#count-experts") == "5"
    shot(page, "overview-en")


def test_gp_sees_own_households_and_is_refused_another_centers(page, cast, shot):
    sign_in(page, "gp", PASSWORD)
    page.goto("/people/households/")
    rows = page.locator("table tbody tr").all_inner_texts()
    assert len(rows) == 1 and "张家" in rows[0]
    page.click("text=张家")
    assert "张小明" in page.inner_text("table")
    shot(page, "household-gp")
    response = page.goto(f"/people/households/{cast.household_b.pk}/")
    assert response.status == 404
    assert "王五" not in page.content()


def test_wrong_password_shows_a_message(page, cast):
    page.goto("/login/")
    page.fill("#id_username", "gp")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").count() == 1
