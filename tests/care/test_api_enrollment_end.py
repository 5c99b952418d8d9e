"""Issue 12, API parity: ending a chronic-care enrolment with a reason, which only the center's lapsed-list page did.
The team ends it (kept, audited); a blank reason is 422 naming it; a second end is 409; another team gets 404."""

from __future__ import annotations

import pytest
from tests.care.factories import contract, enrol, second_team, team_with

from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def e(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person)


def test_the_team_ends_an_enrolment_with_a_reason(cast, api, e):
    status, body = api(cast.health_manager).post(f"care/enrollments/{e.pk}/end", {"reason": "已迁往外省"})
    assert status == 200, body
    assert body["status"] == "ended"
    e.refresh_from_db()
    assert (e.status, e.end_reason) == ("ended", "已迁往外省")
    assert AuditEvent.objects.filter(object_id=str(e.pk), actor=cast.health_manager).exists()
    status, body = api(cast.gp).post(f"care/enrollments/{e.pk}/end", {"reason": "再次"})
    assert status == 409 and body["code"] == "illegal_transition"


def test_a_blank_reason_or_another_team_is_refused(cast, api, e):
    status, body = api(cast.gp).post(f"care/enrollments/{e.pk}/end", {"reason": " "})
    assert status == 422 and "reason" in body["message"]
    second_team(cast)
    assert api(cast.gp_b).post(f"care/enrollments/{e.pk}/end", {"reason": "x"})[0] == 404
    assert api(cast.outsider).post(f"care/enrollments/{e.pk}/end", {"reason": "x"})[0] in (403, 404)
    e.refresh_from_db()
    assert e.status == "active"
