"""The outreach API: scoping (expert / coordinator / ops / outsider), bookings audited, place races, ICS feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests import factories as f
from tests.concurrency import run_together
from tests.outreach.factories import ALL_HALF_DAYS, locate, make_session, next_monday, set_availability
from tiercare.core.errors import Conflict
from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.outreach import services
from tiercare.outreach.ics import feed_for_expert, feed_for_site
from tiercare.outreach.models import Booking, ExpertSession, SessionRequest, SessionTransition
from tiercare.outreach.tasks import plan_run_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox():
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()


@pytest.fixture
def session(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=2)


def _patient_at_a(cast):
    return cast.household_hospital_a.members.first().person


def test_coordinator_requests_sessions_and_outsider_cannot(cast, api):
    monday = next_monday()
    body = {
        "department": str(cast.dept_a.pk),
        "kind": "clinic",
        "cadence": "weekly",
        "window_start": str(monday),
        "window_end": str(monday + timedelta(days=27)),
        "places": 8,
        "priority": 3,
    }
    status, data = api(cast.coordinator).post("outreach/requests", body)
    assert status == 201, data
    assert data["specialty"] == "pediatrics" and data["status"] == "open"
    req = SessionRequest.objects.get(pk=data["id"])
    assert req.requested_by == cast.coordinator
    assert AuditEvent.objects.filter(object_id=str(req.pk), action="create").exists()
    # The outsider (hospital B) cannot ask for hospital A's department: 404, nothing stored.
    status, data = api(cast.outsider).post("outreach/requests", body)
    assert status == 404 and SessionRequest.objects.count() == 1
    status, data = api(cast.outsider).get(f"outreach/requests/{req.pk}")
    assert status == 404
    # A kind the partnership does not cover is refused naming the field.
    status, data = api(cast.coordinator).post("outreach/requests", {**body, "kind": "teaching"})
    assert status == 422 and data["message"].startswith("kind")
    status, data = api(cast.coordinator).post("outreach/requests", {**body, "window_end": "2020-01-01"})
    assert status == 422
    # Ops see every open request; the coordinator cancels theirs.
    status, data = api(cast.ops).get("outreach/requests", {"status": "open"})
    assert status == 200 and data["count"] == 1
    status, data = api(cast.coordinator).post(f"outreach/requests/{req.pk}/cancel", {"reason": "no longer"})
    assert status == 200 and data["status"] == "cancelled"
    status, data = api(cast.coordinator).post(f"outreach/requests/{req.pk}/cancel", {"reason": "again"})
    assert status == 409 and data["code"] == "illegal_transition"


def test_sessions_scoped_by_role(cast, api, session):
    other_expert = f.PractitionerFactory(doctor_group=cast.group, user=f.UserFactory(username="e2", role="expert"))
    hospital_b_dept = f.DepartmentFactory(organization=cast.hospital_b)
    make_session(other_expert, hospital_b_dept, on=next_monday())
    ids = lambda user: {s["id"] for s in api(user).get("outreach/sessions")[1]["items"]}  # noqa: E731
    assert ids(cast.expert) == {str(session.pk)}
    assert ids(cast.coordinator) == {str(session.pk)}
    assert len(ids(cast.ops)) == 2
    assert ids(cast.outsider) == {str(ExpertSession.objects.get(site=cast.hospital_b).pk)}
    assert ids(cast.patient) == set()
    assert api(cast.outsider).get(f"outreach/sessions/{session.pk}")[0] == 404
    assert api(other_expert.user).get(f"outreach/sessions/{session.pk}")[0] == 404


def test_booking_scoped_audited_and_outsider_refused(cast, api, session):
    person = _patient_at_a(cast)
    status, data = api(cast.coordinator).post(
        "outreach/bookings", {"session": str(session.pk), "person": str(person.pk)}
    )
    assert status == 201, data
    assert data["place_number"] == 1
    booking = Booking.objects.get(pk=data["id"])
    assert booking.booked_by == cast.coordinator
    # Same patient twice: 409.
    status, data = api(cast.coordinator).post(
        "outreach/bookings", {"session": str(session.pk), "person": str(person.pk)}
    )
    assert status == 409 and data["code"] == "already_booked"
    # The outsider can neither book into nor read the bookings of hospital A's session.
    status, _ = api(cast.outsider).post(
        "outreach/bookings", {"session": str(session.pk), "person": str(cast.person_b.pk)}
    )
    assert status == 404
    assert api(cast.outsider).get(f"outreach/sessions/{session.pk}/bookings")[0] == 404
    assert api(cast.outsider).get(f"outreach/bookings/{booking.pk}")[0] == 404
    assert AuditEvent.objects.filter(actor=cast.outsider, action="denied").exists()
    # Ops see the count, not the patients.
    status, data = api(cast.ops).get(f"outreach/sessions/{session.pk}")
    assert status == 200 and data["booked"] == 1
    assert api(cast.ops).get(f"outreach/sessions/{session.pk}/bookings")[0] == 403
    # The coordinator and the session's expert read them, audited per patient.
    before = AuditEvent.objects.filter(person_id=person.pk, action__in=["read", "list"]).count()
    status, data = api(cast.expert).get(f"outreach/sessions/{session.pk}/bookings")
    assert status == 200 and [b["person_name"] for b in data["items"]] == [person.name]
    assert AuditEvent.objects.filter(person_id=person.pk, action__in=["read", "list"]).count() == before + 1
    # A coordinator cannot book a patient outside their care relationships.
    status, _ = api(cast.coordinator).post(
        "outreach/bookings", {"session": str(session.pk), "person": str(cast.person_b.pk)}
    )
    assert status == 404


def test_last_place_then_full(cast, session):
    person = _patient_at_a(cast)
    other = f.PersonFactory(household=cast.household_hospital_a)
    third = f.PersonFactory(household=cast.household_hospital_a)
    services.booking_create(by=cast.coordinator, session=session, person=person)
    services.booking_create(by=cast.coordinator, session=session, person=other)
    with pytest.raises(Conflict) as err:
        services.booking_create(by=cast.coordinator, session=session, person=third)
    assert err.value.code == "session_full"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_bookings_of_the_last_place_exactly_one_wins(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=1)
    coordinator2 = f.staff_user("coordinator", cast.hospital_a, username="coordinator2")
    people = [_patient_at_a(cast), f.PersonFactory(household=cast.household_hospital_a)]
    outcomes = run_together(
        [
            lambda u=u, p=p: services.booking_create(by=u, session=session, person=p)
            for u, p in zip([cast.coordinator, coordinator2], people)
        ]
    )
    assert sorted(getattr(e, "code", "won") if e is None or isinstance(e, Conflict) else repr(e) for e in outcomes) == [
        "session_full",
        "won",
    ]
    assert Booking.objects.filter(session=session, status="active").count() == 1


def test_cancel_notifies_booked_and_offers_next_session(cast, api, session, django_capture_on_commit_callbacks):
    person = _patient_at_a(cast)
    person.phone = "13800138000"
    person.save()
    services.booking_create(by=cast.coordinator, session=session, person=person)
    later = make_session(cast.expert_practitioner, cast.dept_a, on=session.date + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        status, data = api(cast.ops).post(f"outreach/sessions/{session.pk}/cancel", {"reason": "expert ill"})
    assert status == 200 and data["status"] == "cancelled" and data["sequence"] == 1
    sent = [(n.recipient, n.template_code, n.params) for n in InMemoryBackend.outbox]
    # One message each, written for its reader: the patient (with the next session offered), the expert, the
    # coordinator who booked.
    assert sorted((r, c) for r, c, _p in sent) == [
        ("13800138000", "outreach_session_cancelled"),
        ("user:coordinator", "outreach_coordinator_session_cancelled"),
        ("user:expert", "outreach_expert_session_cancelled"),
    ]
    assert next(p for r, _c, p in sent if r == "13800138000")["next_session"] == str(later.pk)
    assert SessionTransition.objects.filter(
        session=session, from_status="scheduled", to_status="cancelled", by=cast.ops, reason="expert ill"
    ).exists()
    status, data = api(cast.ops).post(f"outreach/sessions/{session.pk}/cancel", {"reason": "again"})
    assert status == 409 and data["code"] == "illegal_transition"
    status, data = api(cast.outsider).post(f"outreach/sessions/{later.pk}/cancel", {"reason": "x"})
    assert status == 404


def test_move_rechecks_rules_and_notifies(cast, api, session, django_capture_on_commit_callbacks):
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    locate(cast.tertiary, cast.hospital_a)
    person = _patient_at_a(cast)
    services.booking_create(by=cast.coordinator, session=session, person=person)
    new_day = session.date + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        status, data = api(cast.coordinator).post(
            f"outreach/sessions/{session.pk}/move", {"date": str(new_day), "half_day": "pm", "reason": "theatre busy"}
        )
    assert status == 200, data
    assert data["status"] == "moved" and data["date"] == str(new_day) and data["sequence"] == 1
    assert sorted(n.template_code for n in InMemoryBackend.outbox) == [
        "outreach_coordinator_session_moved",
        "outreach_expert_session_moved",
        "outreach_session_moved",
    ]
    # Moving onto a Saturday (no availability, not a working day) is refused with the rule named.
    saturday = session.date + timedelta(days=5)
    status, data = api(cast.coordinator).post(
        f"outreach/sessions/{session.pk}/move", {"date": str(saturday), "half_day": "am", "reason": "x"}
    )
    assert status == 422 and data["code"] == "illegal_assignment"
    # Moving to a day the expert's cover has lapsed: refused by the practice rule.
    cast.expert_practitioner.insurance_policies.update(valid_to=new_day + timedelta(days=1))
    status, data = api(cast.coordinator).post(
        f"outreach/sessions/{session.pk}/move",
        {"date": str(new_day + timedelta(days=2)), "half_day": "am", "reason": "x"},
    )
    assert status == 422
    assert "no_malpractice_cover" in [p["code"] for p in data["details"]["problems"]]


def test_ics_feed_parses_with_shanghai_times_stable_uid_and_sequence(cast, client, session):
    feed = feed_for_expert(cast.expert_practitioner)
    response = client.get(f"/outreach/ics/expert/{feed.token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    ev = events[0]
    start = ev.decoded("dtstart")
    assert start == datetime.combine(
        session.date, datetime.min.time().replace(hour=8, minute=30), tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert start.utcoffset() == timedelta(hours=8)
    assert ev["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert ev.decoded("dtend").hour == 12
    uid = str(ev["uid"])
    assert int(ev["sequence"]) == 0
    services.session_cancel(by=cast.ops, session=session, reason="weather")
    ev2 = Calendar.from_ical(client.get(f"/outreach/ics/expert/{feed.token}.ics").content).walk("VEVENT")[0]
    assert str(ev2["uid"]) == uid and int(ev2["sequence"]) == 1 and str(ev2["status"]) == "CANCELLED"
    # Site feed; an unknown token is 404.
    site_feed = feed_for_site(cast.hospital_a)
    assert len(Calendar.from_ical(client.get(f"/outreach/ics/site/{site_feed.token}.ics").content).walk("VEVENT")) == 1
    assert client.get("/outreach/ics/expert/not-a-token.ics").status_code == 404
    assert client.get(f"/outreach/ics/site/{feed.token}.ics").status_code == 404


def test_report_holds_the_session(cast, api, session):
    import time_machine

    with time_machine.travel(
        datetime.combine(session.date, datetime.min.time().replace(hour=18), tzinfo=ZoneInfo("Asia/Shanghai"))
    ):
        status, data = api(cast.outsider).post(f"outreach/sessions/{session.pk}/report", {"cases_seen": 3})
        assert status == 404
        status, data = api(cast.expert).post(
            f"outreach/sessions/{session.pk}/report", {"cases_seen": 12, "procedures": [], "complications": ""}
        )
        assert status == 201, data
        session.refresh_from_db()
        assert session.status == "held"
        assert SessionTransition.objects.filter(session=session, to_status="held").exists()
        status, data = api(cast.expert).post(f"outreach/sessions/{session.pk}/report", {"cases_seen": 1})
        assert status == 409


def test_plan_api_adjust_and_confirm(cast, api, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    monday = next_monday()
    SessionRequest.objects.create(
        department=cast.dept_a,
        specialty="pediatrics",
        kind="clinic",
        window_start=monday,
        window_end=monday + timedelta(days=4),
        requested_by=cast.coordinator,
    )
    assert api(cast.coordinator).post("outreach/plans", {"start": str(monday), "weeks": 1, "seconds": 1})[0] == 403
    status, run = api(cast.ops).post("outreach/plans", {"start": str(monday), "weeks": 1, "seconds": 1})
    assert status == 202 and run["status"] == "queued", run
    plan_run_task.call(run["id"])  # the task worker's part
    run = api(cast.ops).get(f"outreach/plan-runs/{run['id']}")[1]
    status, plan = api(cast.ops).get(run["plan_url"])
    assert status == 200 and run["status"] == "done", run
    assert len(plan["assignments"]) == 1 and plan["uncovered"] == []
    a = plan["assignments"][0]
    # Adjust onto a Saturday: refused, naming the rule.
    saturday = monday + timedelta(days=5)
    status, data = api(cast.ops).patch(f"outreach/plans/{plan['id']}/assignments/{a['id']}", {"date": str(saturday)})
    assert status == 422
    new_day = monday + timedelta(days=2)
    status, data = api(cast.ops).patch(
        f"outreach/plans/{plan['id']}/assignments/{a['id']}", {"date": str(new_day), "half_day": "pm"}
    )
    assert status == 200 and data["date"] == str(new_day)
    status, sessions = api(cast.ops).post(f"outreach/plans/{plan['id']}/confirm")
    assert status == 200 and len(sessions) == 1
    assert sessions[0]["basis"] == "filing" and sessions[0]["date"] == str(new_day)
    assert api(cast.ops).post(f"outreach/plans/{plan['id']}/confirm")[0] == 409
