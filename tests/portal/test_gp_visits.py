"""Issue 16 item 3, the GP-center half: a patient (or proxy) books a visit with their own contracted GP team from
the family's pages, in slots made from the team's weekly hours; cancels until 2 hours before; downloads the ICS; a
place once and one visit a person a day (database constraints); another family's member or team is 404, audited."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from icalendar import Calendar

from tests import factories as f
from tests.care.factories import contract, team_with
from tiercare.core.errors import Conflict, NotFound
from tiercare.core.models import AuditEvent, Role
from tiercare.portal import gp_visits
from tiercare.portal.models import GpHours, GpVisit

TZ = gp_visits.TZ


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _next_weekday(weekday: int):
    d = timezone.localdate() + timedelta(days=1)
    while d.weekday() != weekday:
        d += timedelta(days=1)
    return d


@pytest.fixture
def gp(cast):
    """Team 一组 at center A with the cast's GP, household A (张三 the patient login, a second adult with their own
    login) contracted with it; hours: Tuesday mornings, 30-minute slots, 1 place a slot."""
    other_user = f.UserFactory(username="lisi", role=Role.PATIENT)
    other = f.PersonFactory(name="张四", user=other_user, household=cast.household_a)
    team = team_with(cast.center_a, cast.gp)
    contract(cast.gp, cast.household_a, team, start=timezone.localdate() - timedelta(days=30))
    GpHours.objects.create(team=team, weekday=1, half_day="am", slot_minutes=30, places_per_slot=1)
    day = _next_weekday(1)
    return type("GP", (), {"team": team, "other_user": other_user, "other": other, "day": day})


def _at(day, hour, minute=0):
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour, minute=minute)


@pytest.mark.django_db
def test_slots_come_from_the_weekly_hours(cast, gp):
    rows = gp_visits.slots(gp.team, start=gp.day, days=1)
    assert [s.starts_at for s in rows] == [_at(gp.day, 8) + timedelta(minutes=30 * i) for i in range(7)]
    assert all(s.places == 1 and s.free == 1 for s in rows)
    assert gp_visits.slots(gp.team, start=gp.day + timedelta(days=1), days=1) == []  # Wednesday: no hours


@pytest.mark.django_db
def test_patient_books_on_the_page_sees_it_and_gets_the_ics(cast, gp):
    c = _client(cast.patient)
    page = c.get(f"/family/gp-visits/?person={cast.patient_person.pk}").content.decode()
    key = f"{gp.day.isoformat()}T08:30"
    assert key in page and gp.team.name in page
    response = c.post(
        "/family/gp-visits/", {"person": str(cast.patient_person.pk), "team": str(gp.team.pk), "slot": key}
    )
    assert response.status_code == 302 and response["Location"] == f"/family/members/{cast.patient_person.pk}/"
    visit = GpVisit.objects.get(person=cast.patient_person, status="active")
    assert visit.starts_at == _at(gp.day, 8, 30) and visit.place_number == 1 and visit.booked_by == cast.patient
    assert AuditEvent.objects.filter(action="create", object_type="portal.gpvisit", person_id=visit.person_id).exists()
    member = c.get(f"/family/members/{cast.patient_person.pk}/").content.decode()
    assert f"gp-visit-{visit.pk}" in member
    ics = c.get(f"/family/gp-visits/{visit.pk}/calendar.ics")
    assert ics.status_code == 200 and ics["Content-Type"] == "text/calendar"
    event = next(iter(Calendar.from_ical(ics.content).walk("VEVENT")))
    assert event.decoded("dtstart") == _at(gp.day, 8, 30)
    assert cast.center_a.name in str(event.get("location"))
    # the GP's day list shows it
    day_list = _client(cast.gp).get(f"/family/team/{gp.team.pk}/visits/").content.decode()
    assert f"gp-visit-{visit.pk}" in day_list and cast.patient_person.name in day_list


@pytest.mark.django_db
def test_a_full_slot_and_a_second_visit_that_day_are_refused_beside_the_field(cast, gp):
    gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=gp.team, starts_at=_at(gp.day, 9))
    with pytest.raises(Conflict) as exc:
        gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=gp.team, starts_at=_at(gp.day, 10))
    assert exc.value.code == "already_booked"
    response = _client(gp.other_user).post(
        "/family/gp-visits/",
        {"person": str(gp.other.pk), "team": str(gp.team.pk), "slot": f"{gp.day.isoformat()}T09:00"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("zh-hans"):
        assert escape(translation.gettext("No place is left at this time.")) in page
    assert 'id="slot-error"' in page
    assert GpVisit.objects.filter(person=gp.other).count() == 0
    # a time that is no slot of the team
    response = _client(gp.other_user).post(
        "/family/gp-visits/",
        {"person": str(gp.other.pk), "team": str(gp.team.pk), "slot": f"{gp.day.isoformat()}T09:10"},
    )
    with translation.override("zh-hans"):
        assert (
            escape(translation.gettext("This time is not one of the team's visiting slots."))
            in response.content.decode()
        )


@pytest.mark.django_db
def test_the_database_refuses_a_place_twice_and_two_visits_a_day(cast, gp):
    v = gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=gp.team, starts_at=_at(gp.day, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        GpVisit.objects.create(
            team=gp.team,
            person=gp.other,
            starts_at=v.starts_at,
            ends_at=v.ends_at,
            day=v.day,
            place_number=1,
            booked_by=gp.other_user,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        GpVisit.objects.create(
            team=gp.team,
            person=cast.patient_person,
            starts_at=_at(gp.day, 10),
            ends_at=_at(gp.day, 10, 30),
            day=v.day,
            place_number=1,
            booked_by=cast.patient,
        )


@pytest.mark.django_db
def test_another_familys_member_or_another_team_is_404_and_audited(cast, gp):
    team_b = team_with(cast.center_b, cast.gp_b, name="二组")
    GpHours.objects.create(team=team_b, weekday=1, half_day="am", slot_minutes=30, places_per_slot=3)
    c = _client(cast.patient)
    slot = f"{gp.day.isoformat()}T09:00"
    assert (
        c.post(
            "/family/gp-visits/", {"person": str(cast.person_b.pk), "team": str(gp.team.pk), "slot": slot}
        ).status_code
        == 404
    )
    assert (
        c.post(
            "/family/gp-visits/", {"person": str(cast.patient_person.pk), "team": str(team_b.pk), "slot": slot}
        ).status_code
        == 404
    )
    with pytest.raises(NotFound):
        gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=team_b, starts_at=_at(gp.day, 9))
    with pytest.raises(NotFound):
        gp_visits.visit_book(by=cast.patient, person=cast.person_b, team=gp.team, starts_at=_at(gp.day, 9))
    assert not GpVisit.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="care.gpteam", object_id=str(team_b.pk)).exists()
    # someone else's visit: no cancel, no ICS; the team's day list: only its own team's members
    v = gp_visits.visit_book(by=gp.other_user, person=gp.other, team=gp.team, starts_at=_at(gp.day, 9))
    stranger = f.UserFactory(username="stranger", role=Role.PATIENT)
    f.PersonFactory(name="路人", user=stranger, household=cast.household_b)
    s = _client(stranger)
    assert s.get(f"/family/gp-visits/{v.pk}/calendar.ics").status_code == 404
    assert s.post(f"/family/gp-visits/{v.pk}/cancel/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="portal.gpvisit", object_id=str(v.pk)).exists()
    assert _client(cast.gp_b).get(f"/family/team/{gp.team.pk}/visits/").status_code == 404
    v.refresh_from_db()
    assert v.status == "active"


@pytest.mark.django_db
def test_cancel_until_two_hours_before(cast, gp):
    v = gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=gp.team, starts_at=_at(gp.day, 9))
    with pytest.raises(Conflict) as exc:
        gp_visits.visit_cancel(by=cast.patient, visit=v, now=v.starts_at - timedelta(hours=1, minutes=59))
    assert exc.value.code == "too_late_to_cancel"
    assert _client(cast.patient).post(f"/family/gp-visits/{v.pk}/cancel/").status_code == 302
    v.refresh_from_db()
    assert v.status == "cancelled"
    again = gp_visits.visit_book(by=cast.patient, person=cast.patient_person, team=gp.team, starts_at=_at(gp.day, 9))
    assert again.place_number == 1


@pytest.mark.django_db
def test_the_team_keeps_its_hours_on_its_page(cast, gp):
    c = _client(cast.gp)
    response = c.post(
        f"/family/team/{gp.team.pk}/visits/",
        {"weekday": "3", "half_day": "pm", "slot_minutes": "x", "places_per_slot": "2"},
    )
    with translation.override("zh-hans"):
        assert escape(translation.gettext("Slot length: 5 to 120 minutes.")) in response.content.decode()
    assert not GpHours.objects.filter(team=gp.team, weekday=3).exists()
    c.post(
        f"/family/team/{gp.team.pk}/visits/",
        {"weekday": "3", "half_day": "pm", "slot_minutes": "20", "places_per_slot": "2"},
    )
    h = GpHours.objects.get(team=gp.team, weekday=3)
    assert (h.half_day, h.slot_minutes, h.places_per_slot) == ("pm", 20, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_patients_racing_for_the_last_place_one_wins(cast, gp):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    results: list[str] = []

    def book(user, person):
        try:
            gp_visits.visit_book(by=user, person=person, team=gp.team, starts_at=_at(gp.day, 11))
            results.append("ok")
        except Conflict as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=(cast.patient, cast.patient_person)),
        threading.Thread(target=book, args=(gp.other_user, gp.other)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "slot_full"]
    assert GpVisit.objects.filter(team=gp.team, status="active").count() == 1


@pytest.mark.django_db
def test_the_teams_worklist_links_to_its_booked_visits(cast, gp):
    page = _client(cast.gp).get(f"/care/teams/{gp.team.pk}/worklists/overdue/").content.decode()
    assert f"/family/team/{gp.team.pk}/visits/" in page


@pytest.mark.django_db
def test_the_hours_page_is_in_chinese(cast, gp):
    page = _client(cast.gp).get(f"/family/team/{gp.team.pk}/visits/").content.decode()
    assert "星期二" in page and "Tuesday" not in page and "每周门诊时间" in page
