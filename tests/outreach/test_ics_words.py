"""The calendar feed's description is in words, in Chinese for a calendar app (which sends no language): the number
of places and the legal basis by name, never the basis code or English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from tests.outreach.factories import make_session
from tiercare.outreach.ics import feed_for_expert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "description"), [("", "名额 6 个；执业依据：省内备案 BA-7"),
                                                    ("?lang=en", "6 places; legal basis: Filing (备案) in the "
                                                     "same province BA-7")])  # fmt: skip
def test_the_feed_describes_the_session_in_words(cast, query, description) -> None:
    make_session(
        cast.expert_practitioner, cast.dept_a, on=timezone.localdate() + timedelta(days=3), places=6,
        basis_reference="BA-7",
    )  # fmt: skip
    feed = feed_for_expert(cast.expert_practitioner)
    response = Client().get(f"/outreach/ics/expert/{feed.token}.ics{query}")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["description"]) == description
    assert "filing" not in str(event["description"])
