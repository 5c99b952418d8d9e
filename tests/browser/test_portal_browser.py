"""Issue 16 on a phone (390×844, real Chromium): a mother signs in with an SMS code (read from the in-memory
notification backend) and her real name, sees her son's next visit as his proxy, books him a place in a public
specialist clinic and downloads its calendar file."""

from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from icalendar import Calendar
from tests.portal.conftest import TZ, make_clinic
from tests.portal.conftest import family as family  # the fixture, used by name

from tiercare.core.notify import InMemoryBackend
from tiercare.outreach.models import Booking
from tiercare.people.identity import check_char, hash_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = "13912345678"
FIRST17 = "51012919900601024"
ID_NUMBER = FIRST17 + check_char(FIRST17)


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _fits_the_phone(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_mother_signs_in_by_sms_sees_her_sons_next_visit_books_a_place_and_gets_the_ics(
    phone_page,
    cast,
    family,
    shot,
):
    page = phone_page
    mother = family.mother_person
    mother.phone, mother.id_kind, mother.id_hash = PHONE, "resident_id", hash_id(ID_NUMBER, settings.ID_HASH_KEY)
    mother.save()
    Booking.objects.create(session=family.clinic, place_number=1, person=family.child, booked_by=cast.coordinator)
    later = make_clinic(cast, days=9, places=3)
    InMemoryBackend.outbox.clear()

    page.goto("/login/")
    page.click("#sms-login")
    page.wait_for_url("**/family/login/")
    page.fill("#id_phone", PHONE)
    page.click("button[value=send]")
    page.wait_for_selector("#id_code")
    code = next(m for m in reversed(InMemoryBackend.outbox) if m.recipient == PHONE).params["code"]
    page.fill("#id_code", code)
    page.fill("#id_name", "陈丽")
    page.fill("#id_id_number", "510129199006010000")  # a wrong number: refused beside its field, the rest kept
    page.click("button[value=check]")
    assert "不符" in page.inner_text("#err_id_number")
    assert page.input_value("#id_name") == "陈丽" and page.input_value("#id_code") == code
    shot(page, "portal-sms-login-phone")
    page.fill("#id_id_number", ID_NUMBER)
    page.click("button[value=check]")
    page.wait_for_url("**/family/")

    son = page.locator(f"#member-{family.child.pk}")
    assert "陈小宝" in son.inner_text() and "监护人" in son.inner_text()  # as his proxy
    assert f"{family.clinic.date:%Y-%m-%d}" in son.locator(".visit").inner_text()  # his next visit
    assert "医保卡" in son.locator(".visit").inner_text()  # what to bring
    assert "陈强" not in page.inner_text("main")  # the husband: no proxy
    assert _fits_the_phone(page)
    shot(page, "portal-family-phone")

    page.click("nav a[href='/family/clinics/']")
    page.wait_for_url("**/family/clinics/")
    row = page.locator(f"#session-{later.pk}")
    assert "剩余3个号" in row.inner_text()
    row.locator("select[name=person]").select_option(str(family.child.pk))
    assert _fits_the_phone(page)
    shot(page, "portal-clinics-phone")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"**/family/members/{family.child.pk}/")
    booking = Booking.objects.get(session=later, person=family.child, status="active")
    assert booking.booked_by == family.mother
    assert "第1号" in page.inner_text(f"#booking-{booking.pk}")
    shot(page, "portal-member-phone")

    with page.expect_download() as download:
        page.click(f"#booking-{booking.pk} a")
    event = next(iter(Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime.combine(later.date, datetime.min.time(), TZ).replace(hour=8, minute=30)
    assert "第1号" in str(event.get("description"))
