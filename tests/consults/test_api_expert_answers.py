"""Issue 12, API parity: what the expert does from the tele-consultation, opinion and meeting-hours pages, through the
API — ask for more information, decline with a reason, mark MDT meeting hours — each refused to anyone else."""

from __future__ import annotations

from datetime import time

import pytest

from tiercare.consults import services
from tiercare.consults.models import ConsultMessage, MeetingHours, Outcome, Transition
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def tc(cast, net, case):
    return services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")


def test_expert_asks_for_more_information_and_the_thread_stays_open(cast, net, tc, api):
    status, body = api(tc.expert.user).post(f"consults/teleconsults/{tc.pk}/more-information", {"body": "请补充胸片"})
    assert status == 201, body
    assert body["body"] == "请补充胸片"
    tc.refresh_from_db()
    assert tc.status == "answered" and tc.first_answer_at is not None and tc.closed_at is None
    assert Transition.objects.filter(object_id=tc.pk, reason=Outcome.MORE_INFORMATION).exists()
    # the requester replies in the same thread
    assert api(cast.gp).post(f"consults/teleconsults/{tc.pk}/messages", {"body": "胸片已上传"})[0] == 201


def test_only_the_assigned_expert_asks_for_more_and_an_empty_question_is_refused(cast, net, tc, api):
    before = ConsultMessage.objects.count()
    assert api(cast.gp).post(f"consults/teleconsults/{tc.pk}/more-information", {"body": "?"})[0] == 403
    assert api(cast.gp_b).post(f"consults/teleconsults/{tc.pk}/more-information", {"body": "?"})[0] == 404
    status, body = api(tc.expert.user).post(f"consults/teleconsults/{tc.pk}/more-information", {"body": "  "})
    assert status == 422 and "body" in body["message"]
    assert ConsultMessage.objects.count() == before


def test_expert_declines_a_teleconsult_and_it_goes_to_another_expert(cast, net, tc, api):
    first = tc.expert
    status, body = api(first.user).post(f"consults/teleconsults/{tc.pk}/decline", {"reason": "本周出差"})
    assert status == 200, body
    tc.refresh_from_db()
    assert tc.expert_id != first.pk
    assert body["id"] == str(tc.pk)
    assert AuditEvent.objects.filter(object_id=str(tc.pk), actor=first.user).exists()


def test_decline_needs_a_reason_and_is_refused_to_others(cast, net, tc, api):
    first = tc.expert
    status, body = api(first.user).post(f"consults/teleconsults/{tc.pk}/decline", {"reason": ""})
    assert status == 422 and "reason" in body["message"]
    assert api(cast.outsider).post(f"consults/teleconsults/{tc.pk}/decline", {"reason": "x"})[0] == 404
    assert api(cast.gp).post(f"consults/teleconsults/{tc.pk}/decline", {"reason": "x"})[0] == 403
    tc.refresh_from_db()
    assert tc.expert_id == first.pk


def test_an_answered_teleconsult_cannot_be_declined(cast, net, tc, api):
    api(tc.expert.user).post(f"consults/teleconsults/{tc.pk}/more-information", {"body": "请补充胸片"})
    status, body = api(tc.expert.user).post(f"consults/teleconsults/{tc.pk}/decline", {"reason": "x"})
    assert status == 409 and body["code"] == "illegal_transition"


def test_expert_declines_an_opinion(cast, net, case, api):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    first = op.expert
    assert api(cast.outsider).post(f"consults/opinions/{op.pk}/decline", {"reason": "x"})[0] == 404
    status, body = api(first.user).post(f"consults/opinions/{op.pk}/decline", {"reason": "不是我的亚专业"})
    assert status == 200, body
    op.refresh_from_db()
    assert op.expert_id != first.pk


def test_expert_marks_lists_and_removes_meeting_hours(cast, net, api):
    status, body = api(cast.expert).post("consults/meeting-hours", {"weekday": 5, "start": "09:00", "end": "12:00"})
    assert status == 201, body
    row = MeetingHours.objects.get(pk=body["id"])
    assert (row.practitioner, row.weekday, row.start, row.end) == (cast.expert_practitioner, 5, time(9), time(12))
    assert api(cast.expert).get("consults/meeting-hours")[1] == [body]
    # another expert sees none of them and cannot remove them
    for outsider in (net.expert2, cast.outsider):
        assert api(outsider).client.delete(f"/api/v1/consults/meeting-hours/{row.pk}").status_code == 404
        assert api(outsider).get("consults/meeting-hours")[1] == []
    assert MeetingHours.objects.filter(pk=row.pk).exists()
    response = api(cast.expert).client.delete(f"/api/v1/consults/meeting-hours/{row.pk}")
    assert response.status_code == 204
    assert not MeetingHours.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"weekday": 7, "start": "09:00", "end": "12:00"}, "weekday"),
        ({"weekday": "5", "start": "09:00", "end": "12:00"}, "weekday"),
        ({"weekday": 5, "start": "12:00", "end": "09:00"}, "end"),
        ({"weekday": 5, "start": "9 点", "end": "12:00"}, "start"),
    ],
)
def test_bad_meeting_hours_are_refused_naming_the_field(cast, api, payload, field):
    status, body = api(cast.expert).post("consults/meeting-hours", payload)
    assert status == 422 and field in body["message"], body
    assert not MeetingHours.objects.exists()


def test_only_an_expert_marks_meeting_hours(cast, api):
    assert api(cast.gp).post("consults/meeting-hours", {"weekday": 5, "start": "09:00", "end": "12:00"})[0] == 403
    assert not MeetingHours.objects.exists()
