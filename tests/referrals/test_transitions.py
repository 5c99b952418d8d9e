"""The state machine through the API: every illegal move answers 409 with the current state, every legal one is
recorded as a transition and in the audit log, and only the side the table names may make it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.referrals.helpers import STEP_ACTION, reach

from tiercare.core.models import AuditEvent
from tiercare.referrals.models import Referral, ReferralTransition, Status
from tiercare.referrals.rules import TRANSITIONS, USER_ACTIONS, Side

pytestmark = pytest.mark.django_db

# A visit a week ahead: in the future, and within the year a referral may be scheduled ahead.
VISIT_DAY = (timezone.localdate() + timedelta(days=7)).isoformat()
BODY = {
    "decline": {"reason": "床位已满"},
    "cancel": {"reason": "家属要求"},
    "schedule": {"scheduled_for": f"{VISIT_DAY}T09:00:00+08:00"},
    "back_refer": {"discharge_summary": "出院小结", "care_plan": "随访计划"},
}


def actor(net, action):
    sides = TRANSITIONS[action].sides
    return net.receiver if Side.RECEIVING in sides else net.cast.gp


@pytest.mark.parametrize("state", Status.values)
def test_every_illegal_move_answers_409_with_the_current_state(net, api, state):
    ref = reach(net, state)
    assert ref.status == state
    illegal = [a for a in USER_ACTIONS if state not in TRANSITIONS[a].sources]
    assert illegal, state
    for action in illegal:
        status, body = api(actor(net, action)).post(
            f"referrals/{ref.pk}/transitions", {"action": action, **BODY.get(action, {})}
        )
        assert status == 409, (state, action, body)
        assert body["code"] == "illegal_transition"
        assert body["details"]["state"] == state and action not in body["details"]["allowed_actions"]
        assert body["message"]
    ref.refresh_from_db()
    assert ref.status == state


LEGAL = [(a, s) for a in USER_ACTIONS for s in TRANSITIONS[a].sources]


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_every_legal_move_is_recorded_and_audited(net, api, action, state):
    ref = reach(net, state)
    user = actor(net, action)
    status, body = api(user).post(f"referrals/{ref.pk}/transitions", {"action": action, **BODY.get(action, {})})
    assert status == 200, body
    target = TRANSITIONS[action].target
    assert body["status"] == target
    ref.refresh_from_db()
    assert ref.status == target
    row = ReferralTransition.objects.filter(referral=ref, action=action).get()
    assert (row.from_status, row.to_status, row.by) == (state, target, user)
    event = AuditEvent.objects.filter(
        object_type="referrals.referral", object_id=str(ref.pk), actor=user, action="update"
    ).first()
    assert event is not None and event.details["changes"]["status"] == [state, target]
    assert event.person_id == net.cast.patient_person.pk


@pytest.mark.parametrize("action", ["accept", "decline", "schedule"])
def test_the_referring_side_may_not_do_the_receiving_sides_moves(net, api, action):
    ref = reach(net, "accepted" if action == "schedule" else "sent")
    status, body = api(net.cast.gp).post(f"referrals/{ref.pk}/transitions", {"action": action, **BODY.get(action, {})})
    assert status == 403 and body["code"] == "not_your_side"
    assert Referral.objects.get(pk=ref.pk).status == ref.status


def test_ops_may_cancel_and_escalate_but_not_accept(net, api):
    ref = reach(net, "sent")
    assert api(net.cast.ops).post(f"referrals/{ref.pk}/transitions", {"action": "accept"})[0] == 403
    status, body = api(net.cast.ops).post(f"referrals/{ref.pk}/transitions", {"action": "escalate", "reason": "催办"})
    assert status == 200 and body["escalated_at"]
    status, body = api(net.cast.ops).post(f"referrals/{ref.pk}/transitions", {"action": "cancel", "reason": "重复"})
    assert status == 200 and body["status"] == "cancelled"
    assert body["reason"] is None  # ops see status, not clinical content


def test_decline_needs_a_reason_and_back_referral_needs_its_documents(net, api):
    ref = reach(net, "sent")
    status, body = api(net.receiver).post(f"referrals/{ref.pk}/transitions", {"action": "decline"})
    assert status == 422 and body["details"]["field"] == "reason"
    treated = reach(net, "treated")
    status, body = api(net.receiver).post(
        f"referrals/{treated.pk}/transitions", {"action": "back_refer", "discharge_summary": "出院小结"}
    )
    assert status == 422 and body["details"]["field"] == "care_plan"
    assert Referral.objects.get(pk=treated.pk).status == "treated"


def test_the_whole_loop_closes_only_when_the_referring_side_confirms(net, api, monkeypatch):
    from tiercare.referrals import services

    hooked = []
    monkeypatch.setattr(services.transitions, "on_back_referral", lambda referral: hooked.append(referral.pk))
    ref = reach(net, "back_referred")
    assert hooked == [ref.pk]
    assert ref.back_referral_to == net.cast.gp.practitioner
    # the receiving side cannot close the loop for the referring side
    assert api(net.receiver).post(f"referrals/{ref.pk}/transitions", {"action": "confirm_receipt"})[0] == 403
    status, body = api(net.cast.gp).post(f"referrals/{ref.pk}/transitions", {"action": "confirm_receipt"})
    assert status == 200 and body["status"] == "closed" and body["closed_at"]
    status, timeline = api(net.cast.gp).get(f"referrals/{ref.pk}/transitions")
    assert [t["action"] for t in timeline] == ["create", "send", *[STEP_ACTION[s][0] for s in STEP_ACTION]]
