"""Pages (ops board, expert calendar, coordinator, session) and re-planning after an expert drops out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.outreach.factories import ALL_HALF_DAYS, locate, make_expert, make_request, next_monday, set_availability
from tiercare.core.notify import InMemoryBackend
from tiercare.network.practice import practice_basis
from tiercare.outreach import services
from tiercare.outreach.models import Booking, ExpertSession, LeaveKind

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def planned(cast):
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    monday = next_monday()
    make_request(cast.dept_a, cast.coordinator, start=monday, priority=3)
    plan = services.plan_create(by=cast.ops, start=monday, weeks=1, seconds=0.5)
    return plan


def test_pages_render_for_their_roles(cast, planned):
    ops = _client(cast.ops)
    page = ops.get("/outreach/plan/")
    assert page.status_code == 200 and "plan-grids" in page.content.decode()
    assignment = planned.assignments.get()
    grid = ops.post(
        f"/outreach/plan/{planned.pk}/assignments/{assignment.pk}/", {"action": "remove"}, HTTP_HX_REQUEST="true"
    )
    assert grid.status_code == 200
    planned.refresh_from_db()
    assert planned.assignments.count() == 0 and planned.uncovered[-1]["reason"] == "removed"
    assert _client(cast.coordinator).get("/outreach/plan/").status_code == 403
    assert _client(cast.expert).get("/outreach/calendar/").status_code == 200
    assert _client(cast.coordinator).get("/outreach/requests/").status_code == 200
    assert _client(cast.gp).get("/outreach/requests/").status_code == 403


def test_session_page_books_and_audits(cast):
    from tests.outreach.factories import make_session
    from tiercare.core.models import AuditEvent

    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    person = cast.household_hospital_a.members.first().person
    c = _client(cast.coordinator)
    assert c.post(f"/outreach/sessions/{session.pk}/", {"action": "book", "person": str(person.pk)}).status_code == 302
    assert Booking.objects.filter(session=session, person=person, status="active").exists()
    page = c.get(f"/outreach/sessions/{session.pk}/")
    assert page.status_code == 200 and person.name in page.content.decode()
    assert AuditEvent.objects.filter(actor=cast.coordinator, person_id=person.pk, object_type="outreach.booking")
    assert _client(cast.outsider).get(f"/outreach/sessions/{session.pk}/").status_code == 404


def test_replan_after_expert_drops_out_keeps_the_rest(cast, django_capture_on_commit_callbacks):
    InMemoryBackend.outbox.clear()
    locate(cast.tertiary, cast.hospital_a)
    monday = next_monday()
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    stand_in = make_expert(cast.group, sites=[cast.hospital_a], home_organization=cast.tertiary)
    set_availability(stand_in, [(w, "am") for w in range(5)], weekly_limit=1)
    make_request(
        cast.dept_a, cast.coordinator, start=monday, end=monday + timedelta(days=11), cadence="weekly", priority=3
    )
    plan = services.plan_create(by=cast.ops, start=monday, weeks=2, seconds=0.5)
    sessions = services.plan_confirm(by=cast.ops, plan=plan)
    assert len(sessions) == 2
    # The week-1 session's patient must hear about any change.
    week1 = min(sessions, key=lambda s: s.date)
    person = cast.household_hospital_a.members.first().person
    services.booking_create(by=cast.coordinator, session=week1, person=person)
    dropped = week1.expert
    services.leave_add(
        by=cast.ops, practitioner=dropped, kind=LeaveKind.WITHDRAWN, start=monday, end=monday + timedelta(days=4)
    )
    replan = services.replan_create(by=cast.ops, start=monday, weeks=2, seconds=0.5)
    assert replan.is_replan
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_confirm(by=cast.ops, plan=replan)
    active = ExpertSession.objects.filter(status__in=["scheduled", "moved"]).order_by("date")
    assert active.count() == 2
    for s in active:
        assert practice_basis(s.expert, s.site, s.date).allowed
        assert not (s.expert_id == dropped.pk and s.date <= monday + timedelta(days=4))
    # The week-2 session was not touched; the week-1 one went to the other expert, the patient kept a place.
    week2 = max(sessions, key=lambda s: s.date)
    week2.refresh_from_db()
    assert week2.status == "scheduled" and week2.sequence == 0
    replacement = active.get(date__lt=monday + timedelta(days=7))
    other = cast.expert_practitioner if dropped == stand_in else stand_in
    assert replacement.expert == other and replacement.replaces_id == week1.pk
    assert Booking.objects.filter(session=replacement, person=person, status="active").exists()
    assert any(n.template_code == "outreach_session_moved" for n in InMemoryBackend.outbox)


def test_workspace_panel_per_role(cast, planned):
    from tests.outreach.factories import make_session

    make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    assert "outreach-panel" in _client(cast.ops).get("/").content.decode()
    assert "outreach-panel" in _client(cast.expert).get("/").content.decode()
    assert "outreach-panel" in _client(cast.coordinator).get("/").content.decode()
    assert "outreach-panel" not in _client(cast.patient).get("/").content.decode()
