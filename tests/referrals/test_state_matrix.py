"""Every state × every action, on the referral page and through the API, against the table in rules.py: the page
offers an action exactly when the table allows it to the user's side from that state, and both channels accept
exactly those moves; every other one is refused (409 with the state and what it allows, the page saying why, in
Chinese) and changes nothing. A treated or back-referred referral can no longer be cancelled."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.referrals.helpers import reach

from tiercare.referrals.models import OPEN_STATUSES, Referral, ReferralTransition, Status
from tiercare.referrals.rules import PAGE_ACTIONS, TRANSITIONS, Side

pytestmark = pytest.mark.django_db

# A visit a week ahead: in the future, and within the year a referral may be scheduled ahead.
VISIT_DAY = (timezone.localdate() + timedelta(days=7)).isoformat()
BODY = {
    "decline": {"reason": "床位已满"},
    "cancel": {"reason": "家属要求"},
    "escalate": {"reason": "催办"},
    "schedule": {"scheduled_for": f"{VISIT_DAY}T09:00"},
    "back_refer": {"discharge_summary": "出院小结", "care_plan": "随访计划"},
}
API_BODY = {**BODY, "schedule": {"scheduled_for": f"{VISIT_DAY}T09:00:00+08:00"}}


def actor(net, action):
    """The user whose side the table names for ``action`` (operations escalate)."""
    if action == "escalate":
        return net.cast.ops
    sides = TRANSITIONS[action].sides
    return net.receiver if Side.RECEIVING in sides else net.cast.gp


def side_of(net, user):
    return {net.receiver: Side.RECEIVING, net.cast.gp: Side.REFERRING, net.cast.ops: Side.OPS}[user]


def allowed_by_table(state, action, side):
    """Read straight from rules.TRANSITIONS (escalate: operations, any open state)."""
    if action == "escalate":
        return side == Side.OPS and state in OPEN_STATUSES
    move = TRANSITIONS[action]
    return state in move.sources and side in move.sides


def page_client(user):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def offered_on_page(client, ref):
    body = client.get(f"/referrals/{ref.pk}/").content.decode()
    return set(re.findall(r'<input type="hidden" name="action" value="([a-z_]+)">', body))


@pytest.mark.parametrize("state", Status.values)
@pytest.mark.parametrize("user_key", ["receiver", "gp", "ops"])
def test_the_page_offers_exactly_what_the_table_allows(net, state, user_key):
    ref = reach(net, state)
    user = {"receiver": net.receiver, "gp": net.cast.gp, "ops": net.cast.ops}[user_key]
    side = side_of(net, user)
    expected = {a for a in PAGE_ACTIONS if allowed_by_table(state, a, side)}
    assert offered_on_page(page_client(user), ref) == expected


@pytest.mark.parametrize("channel", ["api", "page"])
@pytest.mark.parametrize("action", PAGE_ACTIONS)
@pytest.mark.parametrize("state", Status.values)
def test_every_state_and_action_is_accepted_only_where_the_table_allows(net, api, state, action, channel):
    ref = reach(net, state)
    user = actor(net, action)
    allowed = allowed_by_table(state, action, side_of(net, user))
    moves_before = ReferralTransition.objects.filter(referral=ref).count()
    if channel == "api":
        status, body = api(user).post(f"referrals/{ref.pk}/transitions", {"action": action, **API_BODY.get(action, {})})
    else:
        response = page_client(user).post(f"/referrals/{ref.pk}/move/", {"action": action, **BODY.get(action, {})})
        status, body = response.status_code, html.unescape(response.content.decode())
    stored = Referral.objects.get(pk=ref.pk)
    if allowed:
        assert status == (200 if channel == "api" else 302), body
        target = TRANSITIONS[action].target if action != "escalate" else state
        assert stored.status == target
        assert ReferralTransition.objects.filter(referral=ref).count() > moves_before
        return
    assert stored.status == state
    assert ReferralTransition.objects.filter(referral=ref).count() == moves_before
    if channel == "api":
        assert status == 409, body
        assert body["code"] == "illegal_transition"
        assert body["details"]["state"] == state
        assert action not in body["details"]["allowed_actions"]
        assert body["message"] and action not in body["message"]  # the move named as people say it, not its code
    else:
        assert status == 409
        refusal = body.split('id="refused"')[1].split("</div>")[0]
        assert "此阶段不能" in refusal or "只有进行中的转诊才能升级" in refusal
        assert action not in refusal
        assert f'name="action" value="{action}"' not in body  # and the page no longer offers it


@pytest.mark.parametrize("state", ["arrived", "treated", "back_referred", "closed"])
@pytest.mark.parametrize("who", ["gp", "ops"])
def test_a_referral_the_patient_arrived_for_cannot_be_cancelled(net, api, state, who):
    ref = reach(net, state)
    user = net.cast.gp if who == "gp" else net.cast.ops
    status, body = api(user).post(f"referrals/{ref.pk}/transitions", {"action": "cancel", "reason": "误操作"})
    assert status == 409 and body["code"] == "illegal_transition"
    response = page_client(user).post(f"/referrals/{ref.pk}/move/", {"action": "cancel", "reason": "误操作"})
    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    assert "不能“取消转诊”" in text and "已取消" not in text.split('id="refused"')[1].split("</div>")[0]
    assert Referral.objects.get(pk=ref.pk).status == state
    assert not Referral.objects.get(pk=ref.pk).cancel_reason


def test_the_other_side_is_refused_with_403_and_told_who_does_it(net, api):
    ref = reach(net, "sent")
    status, body = api(net.cast.gp).post(f"referrals/{ref.pk}/transitions", {"action": "accept"})
    assert status == 403 and body["code"] == "not_your_side"
    assert "accept" not in body["message"]
    response = page_client(net.cast.gp).post(f"/referrals/{ref.pk}/move/", {"action": "accept"})
    assert response.status_code == 403
    assert "由接收方操作" in html.unescape(response.content.decode())
    assert Referral.objects.get(pk=ref.pk).status == "sent"


def test_escalating_twice_is_refused_and_no_longer_offered(net, api):
    ref = reach(net, "sent")
    assert api(net.cast.ops).post(f"referrals/{ref.pk}/transitions", {"action": "escalate"})[0] == 200
    status, body = api(net.cast.ops).post(f"referrals/{ref.pk}/transitions", {"action": "escalate"})
    assert status == 409 and body["code"] == "already_escalated"
    assert "escalate" not in offered_on_page(page_client(net.cast.ops), ref)
    assert ReferralTransition.objects.filter(referral=ref, action="escalate").count() == 1


def test_the_api_lists_the_allowed_actions_as_the_page_offers_them(net, api):
    for state in ("sent", "scheduled", "treated"):
        ref = reach(net, state)
        for user in (net.receiver, net.cast.gp, net.cast.ops):
            status, body = api(user).get(f"referrals/{ref.pk}")
            assert status == 200
            assert set(body["allowed_actions"]) == offered_on_page(page_client(user), ref)
