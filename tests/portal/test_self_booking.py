"""Self-booking: a patient or proxy books a place in a public specialist clinic for a member they hold, cancels
within the rules, downloads the ICS; the places and double-booking rules of outreach hold (in the database)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from icalendar import Calendar

from tests import factories as f
from tests.portal.conftest import TZ, make_clinic
from tiercare.core.errors import Conflict, NotFound
from tiercare.core.models import AuditEvent
from tiercare.outreach.models import Booking
from tiercare.outreach.services import booking_self_cancel, booking_self_create


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_mother_books_her_child_a_place_and_gets_its_ics(cast, family):
    c = _client(family.mother)
    page = c.get("/family/clinics/").content.decode()
    assert f"session-{family.clinic.pk}" in page and "剩余2个号" in page
    response = c.post(f"/family/clinics/{family.clinic.pk}/book/", {"person": str(family.child.pk)})
    assert response.status_code == 302 and response["Location"] == f"/family/members/{family.child.pk}/"
    booking = Booking.objects.get(session=family.clinic, person=family.child, status="active")
    assert booking.place_number == 1 and booking.booked_by == family.mother
    assert AuditEvent.objects.filter(
        action="create", object_type="outreach.booking", person_id=family.child.pk
    ).exists()
    member = c.get(f"/family/members/{family.child.pk}/").content.decode()
    assert f"booking-{booking.pk}" in member
    ics = c.get(f"/family/bookings/{booking.pk}/calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"] == "text/calendar"
    event = next(e for e in Calendar.from_ical(ics.content).walk("VEVENT"))
    assert event.decoded("dtstart") == datetime.combine(family.clinic.date, datetime.min.time(), TZ).replace(
        hour=8, minute=30
    )
    assert "第1号" in str(event.get("description"))


@pytest.mark.django_db
def test_twice_in_one_session_and_a_full_session_are_refused(cast, family):
    booking_self_create(by=family.mother, session=family.clinic, person=family.child)
    with pytest.raises(Conflict) as exc:
        booking_self_create(by=family.mother, session=family.clinic, person=family.child)
    assert exc.value.code == "already_booked"
    booking_self_create(by=family.mother, session=family.clinic, person=family.mother_person)
    with pytest.raises(Conflict) as exc:  # two places, both taken
        booking_self_create(by=cast.patient, session=family.clinic, person=cast.patient_person)
    assert exc.value.code == "session_full"
    response = _client(cast.patient).post(
        f"/family/clinics/{family.clinic.pk}/book/", {"person": str(cast.patient_person.pk)}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/family/clinics/"  # back to the list, with the reason shown
    with translation.override("zh-hans"):
        assert translation.gettext("No place is left in this session.") in response.content.decode()


@pytest.mark.django_db
def test_booking_for_a_member_not_held_is_404_and_nothing_is_booked(cast, family):
    c = _client(family.mother)
    for target in (family.father.pk, cast.person_b.pk, "x"):
        assert c.post(f"/family/clinics/{family.clinic.pk}/book/", {"person": str(target)}).status_code == 404
    with pytest.raises(NotFound):
        booking_self_create(by=family.mother, session=family.clinic, person=family.father)
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_only_public_clinics_are_bookable(cast, family):
    surgery = make_clinic(cast, days=8, kind="surgery")
    declined = make_clinic(cast, days=9, response="declined", response_reason="出差")
    c = _client(family.mother)
    for s in (surgery, declined):
        assert c.post(f"/family/clinics/{s.pk}/book/", {"person": str(family.child.pk)}).status_code == 404
    page = c.get("/family/clinics/").content.decode()
    assert f"session-{surgery.pk}" not in page and f"session-{declined.pk}" not in page


@pytest.mark.django_db
def test_cancel_until_24_hours_before_the_clinic(cast, family):
    b = booking_self_create(by=family.mother, session=family.clinic, person=family.child)
    start = datetime.combine(family.clinic.date, datetime.min.time(), TZ).replace(hour=8, minute=30)
    with pytest.raises(Conflict) as exc:
        booking_self_cancel(by=family.mother, booking=b, now=start - timedelta(hours=23, minutes=59))
    assert exc.value.code == "too_late_to_cancel"
    booking_self_cancel(by=family.mother, booking=b, now=start - timedelta(hours=24))
    b.refresh_from_db()
    assert b.status == "cancelled"
    # the page: a cancel by the mother, and the place is free again
    b2 = booking_self_create(by=family.mother, session=family.clinic, person=family.child)
    assert b2.place_number == 1
    response = _client(family.mother).post(f"/family/bookings/{b2.pk}/cancel/")
    assert response.status_code == 302
    b2.refresh_from_db()
    assert b2.status == "cancelled"


@pytest.mark.django_db
def test_a_proxy_whose_child_turned_18_can_no_longer_book_for_them(cast, family):
    family.proxy.valid_until = f.today() - timedelta(days=1)
    family.proxy.save()
    with pytest.raises(NotFound):
        booking_self_create(by=family.mother, session=family.clinic, person=family.child)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_families_racing_for_the_last_place_one_wins(cast, family):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    session = make_clinic(cast, days=10, places=1, half_day="pm")
    results: list[str] = []

    def book(user, person):
        try:
            booking_self_create(by=user, session=session, person=person)
            results.append("ok")
        except Conflict as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=(family.mother, family.child)),
        threading.Thread(target=book, args=(cast.patient, cast.child_person)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "session_full"]
    assert Booking.objects.filter(session=session, status="active").count() == 1
