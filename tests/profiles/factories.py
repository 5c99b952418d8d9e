"""Completed encounters for the profiles tests: a held session (with its report) and a booking in it; a review."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests.outreach.factories import make_session
from tiercare.outreach.models import Booking, SessionReport, SessionStatus
from tiercare.profiles.models import EncounterKind, Review


def held_session(
    expert: Any,
    department: Any,
    *,
    days_ago: int = 10,
    cases: int = 12,
    topic: str = "",
    attendees: int = 0,
    kind: str = "clinic",
    half_day: str = "am",
) -> Any:
    """A session of ``expert`` held ``days_ago`` days ago at ``department``, with its report."""
    session = make_session(
        expert, department, on=timezone.localdate() - timedelta(days=days_ago), kind=kind, half_day=half_day
    )
    session.status = SessionStatus.HELD
    session.save(update_fields=["status"])
    SessionReport.objects.create(
        session=session,
        filed_by=expert.user or department.organization.staff_roles.first(),
        cases_seen=cases,
        teaching_topic=topic,
        attendees=attendees,
    )
    return session


def booking(session: Any, person: Any, by: Any, *, place: int | None = None) -> Booking:
    place = place or (session.bookings.count() + 1)
    return Booking.objects.create(session=session, place_number=place, person=person, booked_by=by)


def review(b: Booking, *, by: Any, stars: int = 5, text: str = "看得很仔细。") -> Review:
    """A review stored directly (for page tests); the service's rules are tested in test_reviews.py."""
    return Review.objects.create(
        expert=b.session.expert,
        person=b.person,
        written_by=by,
        kind=EncounterKind.SESSION,
        booking=b,
        encounter_on=b.session.date,
        stars=stars,
        text=text,
    )


def today() -> date:
    return timezone.localdate()
