"""Hazard H-17: a patient the team cannot reach stays on the overdue worklist until the failed attempts a setting
names (CARE_UNREACHABLE_ATTEMPTS, default 3), each on a different day, since the last contact; and a call is never
recorded with an outcome nobody chose (the form has no default)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from tests.care.factories import HTN_OK, HX, at, contract, enrol, followup, page_client, page_text, team_with

from tiercare.care import selectors, services
from tiercare.care.models import Enrollment, OutreachCall
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def setup(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=TODAY - timedelta(days=20))
    return team, e


def unreachable(cast, e, day, hour=10):
    return services.outreach_call_record(
        by=cast.health_manager, enrollment=e, outcome="unreachable", called_at=at(day, hour)
    )


def on_list(team, e, kind, day):
    return e.pk in {x.pk for x in selectors.worklist(team=team, kind=kind, today=day)}


def test_one_unreachable_call_keeps_the_patient_on_the_worklist_until_the_third_day(cast, setup):
    team, e = setup
    first = unreachable(cast, e, TODAY)
    assert first.unreachable_attempts == 1 and not first.off_worklist
    assert not on_list(team, e, "removed", TODAY)
    assert on_list(team, e, "overdue", TODAY + timedelta(days=1))  # to be called again on another day

    again = unreachable(cast, e, TODAY, hour=16)  # a second try the same day is not a second day
    assert again.unreachable_attempts == 1 and not again.off_worklist

    second = unreachable(cast, e, TODAY + timedelta(days=1))
    assert second.unreachable_attempts == 2 and not on_list(team, e, "removed", TODAY + timedelta(days=1))

    third = unreachable(cast, e, TODAY + timedelta(days=4))
    assert third.unreachable_attempts == 3 and third.off_worklist
    e.refresh_from_db()
    assert e.outreach_removed_reason == "unreachable"
    assert on_list(team, e, "removed", TODAY + timedelta(days=5))
    assert not on_list(team, e, "overdue", TODAY + timedelta(days=5))
    event = AuditEvent.objects.filter(object_type="care.outreachcall", object_id=str(third.pk)).get()
    assert event.details["changes"] == {"outcome": "unreachable", "unreachable_attempts": 3, "off_worklist": True}


def test_a_contact_in_between_starts_the_count_again(cast, setup):
    team, e = setup
    unreachable(cast, e, TODAY)
    unreachable(cast, e, TODAY + timedelta(days=1))
    services.outreach_call_record(
        by=cast.gp, enrollment=e, outcome="call_later", called_at=at(TODAY + timedelta(days=2))
    )  # reached: asked to call back
    assert unreachable(cast, e, TODAY + timedelta(days=9)).unreachable_attempts == 1
    unreachable(cast, e, TODAY + timedelta(days=10))
    with time_machine.travel(at(TODAY + timedelta(days=11), 12), tick=False):
        followup(cast.gp, e, TODAY + timedelta(days=11), HTN_OK)  # seen at the center
    e.refresh_from_db()
    assert unreachable(cast, e, TODAY + timedelta(days=200)).unreachable_attempts == 1
    e.refresh_from_db()
    assert e.outreach_removed_reason == ""


def test_the_number_of_attempts_is_a_setting(cast, setup, settings):
    settings.CARE_UNREACHABLE_ATTEMPTS = 2
    team, e = setup
    assert not unreachable(cast, e, TODAY).off_worklist
    assert unreachable(cast, e, TODAY + timedelta(days=1)).off_worklist


def test_moved_deceased_or_transferred_still_take_the_patient_off_at_once(cast, setup):
    team, e = setup
    call = services.outreach_call_record(by=cast.gp, enrollment=e, outcome="deceased", called_at=at(TODAY))
    assert call.off_worklist
    assert on_list(team, e, "removed", TODAY)


# --- the page ------------------------------------------------------------------------------------------------------
def test_the_call_form_has_no_outcome_chosen_and_refuses_an_empty_one_beside_the_field(cast, setup):
    team, e = setup
    c = page_client(cast.gp)
    body = page_text(c.get(f"/care/teams/{team.pk}/worklists/overdue/"))
    select = body.split(f'name="call-{e.pk}-outcome"')[1].split("</select>")[0]
    assert re.search(r'<option value="" selected>', select)  # nothing preselected, 「同意就诊」 included
    assert not re.search(r'<option value="[a-z_]+" selected>', select)
    r = c.post(f"/care/enrollments/{e.pk}/calls/", {f"call-{e.pk}-outcome": "", f"call-{e.pk}-note": "未接"}, **HX)
    assert r.status_code == 422
    row = page_text(r)
    assert "请选择通话结果" in row.split('class="field-error"')[1] and 'value="未接"' in row
    assert not OutreachCall.objects.exists()


def test_an_unreachable_call_on_the_page_says_which_attempt_it_was(cast, setup):
    team, e = setup
    r = page_client(cast.health_manager).post(
        f"/care/enrollments/{e.pk}/calls/", {f"call-{e.pk}-outcome": "unreachable"}, **HX
    )
    assert r.status_code == 200
    row = page_text(r)
    assert "第 1 次未能联系上" in row and "移出" not in row.split('class="call-result"')[1].split("</p>")[0]
    assert (TODAY + timedelta(days=1)).isoformat() in row  # the reminder: call again tomorrow
    e.refresh_from_db()
    assert e.outreach_removed_reason == ""


def test_the_api_reports_the_attempts(cast, setup, api):
    team, e = setup
    status, body = api(cast.gp).post(
        f"care/enrollments/{e.pk}/calls", {"outcome": "unreachable", "called_at": at(TODAY).isoformat()}
    )
    assert status == 201 and body["unreachable_attempts"] == 1 and body["off_worklist"] is False
    status, body = api(cast.gp).post(f"care/enrollments/{e.pk}/calls", {"called_at": at(TODAY).isoformat()})
    assert status == 422 and OutreachCall.objects.count() == 1
