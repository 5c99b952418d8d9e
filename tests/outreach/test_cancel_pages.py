"""Issue 12: a coordinator withdraws an open session request and gives back a patient's place from the pages (before,
only the API could); an outsider gets 404 and nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests import factories as f
from tests.outreach.factories import make_request, make_session, next_monday
from tiercare.core.models import AuditEvent
from tiercare.outreach.models import Booking

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_coordinator_withdraws_an_open_request(cast):
    req = make_request(cast.dept_a, cast.coordinator, start=f.today() + timedelta(days=7))
    c = _client(cast.coordinator)
    page = c.get("/outreach/requests/").content.decode()
    assert f"/outreach/requests/{req.pk}/cancel/" in page
    r = c.post(f"/outreach/requests/{req.pk}/cancel/", {"reason": "科室改期"}, follow=True)
    assert r.redirect_chain[-1][0] == "/outreach/requests/"
    assert "申请已撤回" in r.content.decode()
    req.refresh_from_db()
    assert req.status == "cancelled"
    assert AuditEvent.objects.filter(object_id=str(req.pk), actor=cast.coordinator, reason="科室改期").exists()
    # once withdrawn the page offers nothing, and a second post is refused in words, not a bare error page
    assert f"/outreach/requests/{req.pk}/cancel/" not in r.content.decode()
    again = c.post(f"/outreach/requests/{req.pk}/cancel/", follow=True)
    assert "只有待处理的申请可以取消" in again.content.decode()


def test_an_outsider_cannot_withdraw_a_request(cast):
    req = make_request(cast.dept_a, cast.coordinator, start=f.today() + timedelta(days=7))
    assert _client(cast.outsider).post(f"/outreach/requests/{req.pk}/cancel/").status_code == 404
    assert _client(cast.gp).post(f"/outreach/requests/{req.pk}/cancel/").status_code in (403, 404)
    req.refresh_from_db()
    assert req.status == "open"


def test_the_coordinator_gives_back_a_place(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=2)
    person = cast.household_hospital_a.members.first().person
    booking = Booking.objects.create(session=session, place_number=1, person=person, booked_by=cast.coordinator)
    c = _client(cast.coordinator)
    assert f"/outreach/bookings/{booking.pk}/cancel/" in c.get(f"/outreach/sessions/{session.pk}/").content.decode()
    # the expert sees the names but does not cancel bookings
    expert_page = _client(cast.expert).get(f"/outreach/sessions/{session.pk}/").content.decode()
    assert f"/outreach/bookings/{booking.pk}/cancel/" not in expert_page
    r = c.post(f"/outreach/bookings/{booking.pk}/cancel/", {"reason": "患者已住院"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/outreach/sessions/{session.pk}/"
    html = r.content.decode()
    assert "预约已取消" in html and 'id="booked-count">0 / 2' in html
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at is not None
    assert AuditEvent.objects.filter(object_id=str(booking.pk), action="update", reason="患者已住院").exists()


def test_an_outsider_or_the_expert_cannot_cancel_a_booking(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=2)
    person = cast.household_hospital_a.members.first().person
    booking = Booking.objects.create(session=session, place_number=1, person=person, booked_by=cast.coordinator)
    assert _client(cast.outsider).post(f"/outreach/bookings/{booking.pk}/cancel/").status_code == 404
    assert _client(cast.expert).post(f"/outreach/bookings/{booking.pk}/cancel/").status_code in (403, 404)
    booking.refresh_from_db()
    assert booking.status == "active"
