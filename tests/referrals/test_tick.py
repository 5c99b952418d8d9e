"""Deadlines: the periodic job marks an overdue step so that it shows on both sides' worklists without anyone
opening a page, escalates it to operations, expires lapsed referrals, and is idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from tests.referrals.helpers import reach

from tiercare.core.notify import InMemoryBackend
from tiercare.referrals.models import Referral
from tiercare.referrals.rules import DEADLINES, ESCALATE_AFTER, EXPIRE_AFTER
from tiercare.referrals.tasks import tick

pytestmark = pytest.mark.django_db

START = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))


def ids(api, user, **params):
    status, out = api(user).get("referrals", params)
    assert status == 200, out
    return [r["id"] for r in out["items"]]


def test_a_missed_acceptance_deadline_shows_as_overdue_on_both_sides_after_the_tick(
    net, api, django_capture_on_commit_callbacks
):
    InMemoryBackend.outbox.clear()
    with time_machine.travel(START, tick=False):
        ref = reach(net, "sent", urgency="priority")
        assert ref.due_at == START + DEADLINES["priority"]["accept"]
    just_before = ref.due_at - timedelta(seconds=1)
    with time_machine.travel(just_before, tick=False):
        call_command("tick")
        assert ids(api, net.cast.gp, overdue="true") == []
    with time_machine.travel(ref.due_at + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("tick")  # nobody opened a page
        assert ids(api, net.cast.gp, overdue="true") == [str(ref.pk)]  # referring side
        assert ids(api, net.receiver, overdue="true") == [str(ref.pk)]  # receiving side
        assert ids(api, net.receiver, waiting_on="me") == [str(ref.pk)]
        assert ids(api, net.cast.gp, waiting_on="me") == []
        assert ids(api, net.cast.outsider, overdue="true") == []
        assert ids(api, net.cast.ops, waiting_on="me") == []  # not yet escalated
    recipients = {n.recipient for n in InMemoryBackend.outbox if n.template_code == "referral_overdue"}
    assert recipients == {"user:gp", "user:tert_coord"}
    ref.refresh_from_db()
    assert ref.overdue_since == ref.due_at + timedelta(minutes=1)
    assert ref.transitions.filter(action="overdue", side="system").count() == 1
    with time_machine.travel(ref.due_at + ESCALATE_AFTER["priority"], tick=False):
        assert tick(timezone.now()) == {"overdue": 0, "escalated": 1, "expired": 0}
        assert tick(timezone.now()) == {"overdue": 0, "escalated": 0, "expired": 0}  # idempotent
        assert ids(api, net.cast.ops, waiting_on="me") == [str(ref.pk)]
    # accepting clears the overdue mark: a new step, a new deadline
    with time_machine.travel(ref.due_at + timedelta(hours=5), tick=False):
        net.move(Referral.objects.get(pk=ref.pk), "accept", net.receiver)
        assert ids(api, net.receiver, overdue="true") == []
    ref.refresh_from_db()
    assert ref.due_step == "arrive" and ref.overdue_since is None and ref.escalated_at is None


def test_an_unanswered_referral_expires_and_gives_back_its_place(net):
    from tests.referrals.conftest import publish

    with time_machine.travel(START, tick=False):
        publish(net, 1, timezone.localdate() + timedelta(days=20))
        ref = reach(net, "sent", green_channel=True)
        waiting = reach(net, "sent", green_channel=True)
    lapse = ref.due_at + EXPIRE_AFTER["accept"]
    with time_machine.travel(lapse - timedelta(seconds=1), tick=False):
        tick(timezone.now())
        assert Referral.objects.get(pk=ref.pk).status == "sent"
    with time_machine.travel(lapse, tick=False):
        result = tick(timezone.now())
    assert result["expired"] == 2
    assert set(Referral.objects.values_list("status", flat=True)) == {"expired"}
    assert ref.bookings.get().released_at is not None
    assert not waiting.bookings.filter(released_at__isnull=True).exists()


def test_arrived_patients_are_never_expired_only_escalated(net):
    with time_machine.travel(START, tick=False):
        ref = reach(net, "arrived")
    with time_machine.travel(START + timedelta(days=120), tick=False):
        result = tick(timezone.now())
    assert result == {"overdue": 1, "escalated": 1, "expired": 0}
    assert Referral.objects.get(pk=ref.pk).status == "arrived"


def test_arriving_today_and_back_referrals_to_receive(net, api):
    scheduled = reach(net, "scheduled")
    back = reach(net, "back_referred")
    with time_machine.travel(scheduled.scheduled_for, tick=False):
        assert ids(api, net.receiver, arriving_today="true") == [str(scheduled.pk)]
    assert ids(api, net.cast.gp, back_referrals="true") == [str(back.pk)]
    assert ids(api, net.receiver, back_referrals="true") == []
