"""50 green-channel referrals racing for 10 reserved places on PostgreSQL: exactly 10 booked, 40 queued in
arrival order, none lost; and the same Idempotency-Key sent twice at once creates one referral."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.concurrency import race
from tests.referrals.conftest import publish

from tiercare.referrals.models import CapacityBooking, QueueEntry, Referral
from tiercare.referrals.services import referral_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_fifty_referrals_for_ten_places(net):
    cap = publish(net, 10, timezone.localdate())
    cast = net.cast

    answers = {}

    def refer(i):
        result = referral_create(
            by=cast.gp,
            person=cast.patient_person,
            receiving_department=net.dept,
            reason=f"并发{i}",
            diagnosis_text="d",
            green_channel=True,
        )
        answers[result.referral.pk] = result.green

    race(50, refer)
    assert Referral.objects.count() == 50
    held = CapacityBooking.objects.filter(released_at__isnull=True)
    assert held.count() == 10
    assert sorted(held.values_list("place_no", flat=True)) == list(range(1, 11))
    assert set(held.values_list("capacity", flat=True)) == {cap.pk}
    entries = list(QueueEntry.objects.order_by("seq").select_related("referral"))
    assert [e.seq for e in entries] == list(range(1, 41))  # 40 queued, positions without gaps
    # in arrival order: each queued referral was sent after the one ahead of it
    sent = [e.referral.sent_at for e in entries]
    assert sent == sorted(sent)
    booked_sent = Referral.objects.filter(bookings__in=held).values_list("sent_at", flat=True)
    assert max(booked_sent) < min(sent)  # the first ten to arrive got the places
    # each client was told its true position
    assert [answers[e.referral_id]["queued"]["position"] for e in entries] == list(range(1, 41))
    # 10 places a day published: positions 1–10 expect tomorrow, 11–20 the day after, …
    today = timezone.localdate()
    expected = [(today + timedelta(days=1 + (p - 1) // 10)).isoformat() for p in range(1, 41)]
    assert [answers[e.referral_id]["queued"]["expected_date"] for e in entries] == expected
    booked_ids = set(held.values_list("referral_id", flat=True))
    queued_ids = {e.referral_id for e in entries}
    assert booked_ids.isdisjoint(queued_ids) and len(booked_ids | queued_ids) == 50  # none lost


def test_same_key_at_the_same_moment_creates_one_referral(net):
    cast = net.cast
    results = []

    def refer(i):
        result = referral_create(
            by=cast.gp,
            person=cast.patient_person,
            receiving_department=net.dept,
            reason="同一请求",
            diagnosis_text="d",
            idempotency_key="same-key",
            payload_hash="h",
        )
        results.append(result)

    race(4, refer)
    assert Referral.objects.count() == 1
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert {r.referral.pk for r in results} == {Referral.objects.get().pk}
