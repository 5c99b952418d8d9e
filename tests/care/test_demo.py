"""The care demo hook builds a team at the flagship center with contracts, enrolments and follow-ups."""

from __future__ import annotations

from datetime import date

import pytest
from tests import factories as f

from tiercare.care import selectors
from tiercare.care.demo import care_demo
from tiercare.care.models import Enrollment, FollowUp, GpTeam

pytestmark = pytest.mark.django_db


def test_care_demo(cast):
    for n in range(30):
        hh = f.HouseholdFactory(registered_at=cast.center_a)
        f.PersonFactory(household=hh, birth_date=date(1950 + n % 20, 3, 1))
    summary = care_demo(seed=2024, today=date(2026, 6, 1))
    team = GpTeam.objects.get()
    assert team.center == cast.center_a and summary["contracts"] == 31
    assert summary["enrollments"] == Enrollment.objects.count() > 0
    assert FollowUp.objects.count() == summary["followups"] > summary["enrollments"]
    assert Enrollment.objects.filter(next_due_on__isnull=False).count() == summary["enrollments"]
    assert selectors.worklist(team=team, kind="overdue", today=date(2026, 6, 1)).exists()
    assert list(selectors.user_team_ids(cast.gp)) == [team.pk]
