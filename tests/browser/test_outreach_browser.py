"""A hospital coordinator's outreach path in a real browser: see the expert's upcoming session at their hospital,
open it, book a patient through the form; a coordinator of another hospital gets the not-found page."""

import pytest
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.outreach.factories import make_session, next_monday

from tiercare.outreach.models import Booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def session(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=3)


def test_coordinator_books_a_patient_into_a_session_and_an_outsider_cannot_see_it(page, cast, session, shot):
    person = cast.household_hospital_a.members.get().person
    sign_in(page, "coordinator", PASSWORD)
    page.goto("/outreach/requests/")
    assert page.inner_text("h1") == "特需服务"
    assert "即将开展的特需服务" in page.inner_text("body")
    row = page.locator(f"tr:has(a[href='/outreach/sessions/{session.pk}/'])")
    assert "赵专家" in row.inner_text() and "0 / 3" in row.inner_text()

    row.locator("a").click()
    page.wait_for_url(f"**/outreach/sessions/{session.pk}/")
    assert cast.hospital_a.name in page.inner_text("h1")
    assert "0 / 3" in page.inner_text(".cards")
    page.fill("#id_person_search", person.name)  # the patient picker searches; it never lists the first 200
    page.locator(f"#id_person-results [data-picker-value='{person.pk}']").click()
    page.fill("input[name=note]", "复诊")
    page.click("button:has-text('预约名额')")
    page.wait_for_selector(f"table td:has-text('{person.name}')")
    assert "1 / 3" in page.inner_text(".cards")
    shot(page, "outreach-session-booked-zh")

    booking = Booking.objects.get(session=session)
    assert booking.person_id == person.pk and booking.status == "active" and booking.note == "复诊"
    assert booking.place_number == 1

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    page.goto("/outreach/requests/")
    assert page.locator(f"a[href='/outreach/sessions/{session.pk}/']").count() == 0
    response = page.goto(f"/outreach/sessions/{session.pk}/")
    assert response.status == 404
    assert page.inner_text("h1") == "无法完成此操作"  # the not-found page, in Chinese
    assert person.name not in page.content()
