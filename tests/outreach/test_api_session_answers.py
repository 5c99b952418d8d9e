"""Issue 12, API parity: the expert's accept or decline of a proposed session, and the session report with the fields
the report page files (cases by procedure, surgeries with their grade, patients referred, attendees by name)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.outreach.factories import make_session, next_monday
from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.outreach.models import SessionReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def upcoming(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())


def test_the_expert_accepts_a_session(cast, api, upcoming):
    status, body = api(cast.expert).post(f"outreach/sessions/{upcoming.pk}/accept")
    assert status == 200, body
    assert body["response"] == "accepted"
    upcoming.refresh_from_db()
    assert upcoming.response == "accepted"
    assert AuditEvent.objects.filter(object_id=str(upcoming.pk), actor=cast.expert, action="update").exists()


def test_the_expert_declines_with_a_reason_and_operations_are_told(
    cast, api, upcoming, django_capture_on_commit_callbacks
):
    InMemoryBackend.outbox.clear()
    status, body = api(cast.expert).post(f"outreach/sessions/{upcoming.pk}/decline", {"reason": ""})
    assert status == 422 and "reason" in body["message"]
    with django_capture_on_commit_callbacks(execute=True):
        status, body = api(cast.expert).post(f"outreach/sessions/{upcoming.pk}/decline", {"reason": "当天有院内手术"})
    assert status == 200, body
    assert body["response"] == "declined" and body["response_reason"] == "当天有院内手术"
    upcoming.refresh_from_db()
    assert upcoming.status == "scheduled" and upcoming.response == "declined"
    told = [n for n in InMemoryBackend.outbox if n.template_code == "outreach_session_declined"]
    assert [n.recipient for n in told] == ["user:ops"]
    status, body = api(cast.expert).post(f"outreach/sessions/{upcoming.pk}/decline", {"reason": "再次"})
    assert status == 409 and body["code"] == "already_declined"


def test_only_the_sessions_expert_answers(cast, api, upcoming):
    assert api(cast.outsider).post(f"outreach/sessions/{upcoming.pk}/accept")[0] == 404
    assert api(cast.outsider).post(f"outreach/sessions/{upcoming.pk}/decline", {"reason": "x"})[0] == 404
    assert api(cast.coordinator).post(f"outreach/sessions/{upcoming.pk}/accept")[0] == 403
    upcoming.refresh_from_db()
    assert upcoming.response == "pending"


def test_a_started_session_cannot_be_answered(cast, api):
    past = make_session(cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1))
    status, body = api(cast.expert).post(f"outreach/sessions/{past.pk}/decline", {"reason": "x"})
    assert status == 409 and body["code"] == "too_late"


@pytest.fixture
def held_surgery(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1), kind="surgery")


REPORT = {
    "cases_seen": 12,
    "referred": 2,
    "teaching_topic": "腹腔镜阑尾切除要点",
    "procedure_cases": [{"procedure": "门诊", "cases": 9}],
    "surgeries": [{"procedure": "腹腔镜阑尾切除术", "grade": 3, "count": 2}],
    "attendee_list": [{"name": "王丽", "role": "护士"}, {"name": "李强", "role": "住院医师"}],
}


def test_the_coordinator_files_the_whole_report_through_the_api(cast, api, held_surgery):
    status, body = api(cast.coordinator).post(f"outreach/sessions/{held_surgery.pk}/report", REPORT)
    assert status == 201, body
    assert body["referred"] == 2 and body["attendees"] == 2
    assert body["procedures"] == ["门诊", "腹腔镜阑尾切除术"]
    report = SessionReport.objects.get(session=held_surgery)
    assert report.procedure_cases == [{"procedure": "门诊", "cases": 9}]
    assert report.surgeries == [{"procedure": "腹腔镜阑尾切除术", "grade": 3, "count": 2}]
    assert report.attendee_list == [{"name": "王丽", "role": "护士"}, {"name": "李强", "role": "住院医师"}]
    held_surgery.refresh_from_db()
    assert held_surgery.status == "held"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"surgeries": [{"procedure": "阑尾切除", "grade": 5}]}, "grade"),
        ({"surgeries": [{"procedure": "阑尾切除", "grade": "3"}]}, "grade"),
        ({"surgeries": [{"procedure": "", "grade": 3}]}, "procedure"),
        ({"procedure_cases": [{"procedure": "门诊", "cases": 20}]}, "procedure_cases"),
        ({"referred": 30}, "referred"),
        ({"attendee_list": [{"name": "王" * 41}]}, "name"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field_and_stores_nothing(cast, api, held_surgery, change, field):
    status, body = api(cast.expert).post(f"outreach/sessions/{held_surgery.pk}/report", {**REPORT, **change})
    assert status == 422 and field in body["message"], body
    assert not SessionReport.objects.exists()


def test_surgeries_only_in_a_surgery_session_and_outsiders_refused(cast, api):
    clinic = make_session(cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1))
    assert api(cast.outsider).post(f"outreach/sessions/{clinic.pk}/report", REPORT)[0] == 404
    status, body = api(cast.expert).post(f"outreach/sessions/{clinic.pk}/report", REPORT)
    assert status == 422 and "surgeries" in body["message"]
    assert not SessionReport.objects.exists()
