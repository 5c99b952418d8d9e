"""Green-channel capacity: a referral books one reserved place or queues with a position and an expected date;
released and newly published places go to the head of the queue; alliance quotas set the places."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.referrals.conftest import publish
from tests.referrals.helpers import reach

from tiercare.network.models import Alliance, AllianceMembership
from tiercare.referrals.models import CapacityBooking, QueueEntry, ReservedCapacity
from tiercare.referrals.selectors import expected_date

pytestmark = pytest.mark.django_db


def test_green_referral_books_a_place_or_queues_with_an_expected_date(net, api):
    today = timezone.localdate()
    publish(net, 1, today)
    publish(net, 2, today + timedelta(days=2))
    client = api(net.cast.gp)
    body = {
        "person": str(net.cast.patient_person.pk),
        "receiving_department": str(net.dept.pk),
        "reason": "r",
        "diagnosis_text": "d",
        "green_channel": True,
    }
    outs = [client.post("referrals", body)[1] for _ in range(4)]
    assert [o["reservation"]["date"] if o["reservation"] else None for o in outs] == [
        today.isoformat(),
        (today + timedelta(days=2)).isoformat(),
        (today + timedelta(days=2)).isoformat(),
        None,
    ]
    assert [o["reservation"]["place"] for o in outs[:3]] == [1, 1, 2]
    # 3 places over 3 published days → 1 a day: the first in the queue expects the day after the last one
    assert outs[3]["queue"] == {"position": 1, "expected_date": (today + timedelta(days=3)).isoformat()}
    assert CapacityBooking.objects.filter(released_at__isnull=True).count() == 3


def test_a_released_place_goes_to_the_head_of_the_queue(net):
    publish(net, 1)
    holder = net.create(green_channel=True).referral
    first = net.create(green_channel=True).referral
    second = net.create(green_channel=True).referral
    assert [e.referral_id for e in QueueEntry.objects.order_by("seq")] == [first.pk, second.pk]
    net.move(holder, "decline", net.receiver, reason="需转心外科")
    assert CapacityBooking.objects.get(released_at__isnull=True).referral == first
    entry = QueueEntry.objects.get(referral=first)
    assert entry.status == "served"
    assert first.transitions.filter(action="place_assigned").exists()
    # the next released place (cancellation in the queue-served referral) goes to the second
    net.move(first, "cancel", net.cast.gp, reason="已在外院就诊")
    assert CapacityBooking.objects.get(released_at__isnull=True).referral == second


def test_leaving_the_queue_moves_everyone_up(net):
    publish(net, 1)
    net.create(green_channel=True)
    first = net.create(green_channel=True).referral
    second = net.create(green_channel=True).referral
    net.move(first, "cancel", net.cast.gp, reason="不需要了")
    from tiercare.referrals.services import green_status

    assert green_status(second)["queued"]["position"] == 1


def test_newly_published_places_serve_the_queue(net, api):
    publish(net, 1)
    net.create(green_channel=True)
    waiting = net.create(green_channel=True).referral
    tomorrow = timezone.localdate() + timedelta(days=1)
    status, out = api(net.receiver).post(
        "referrals/capacity", {"department": str(net.dept.pk), "date": tomorrow.isoformat(), "places": 2}
    )
    assert status == 201, out
    assert out["booked"] == 1 and out["places"] == 2
    assert CapacityBooking.objects.get(referral=waiting).capacity.date == tomorrow


def test_capacity_is_published_by_the_department_or_ops_only(net, api):
    data = {"department": str(net.dept.pk), "date": timezone.localdate().isoformat(), "places": 3}
    for user in (net.cast.gp, net.other_receiver, net.cast.outsider):
        status, out = api(user).post("referrals/capacity", data)
        assert status == 403, user
    assert api(net.cast.ops).post("referrals/capacity", data)[0] == 201
    past = {**data, "date": (timezone.localdate() - timedelta(days=1)).isoformat()}
    assert api(net.cast.ops).post("referrals/capacity", past)[1]["details"]["field"] == "date"


def test_places_cannot_drop_below_those_booked(net):
    publish(net, 2)
    net.create(green_channel=True)
    net.create(green_channel=True)
    from tiercare.core.errors import Conflict

    with pytest.raises(Conflict):
        publish(net, 1)
    assert ReservedCapacity.objects.get().places == 2


def test_alliance_quota_sets_the_places_and_only_members_book_them(net, api):
    alliance = Alliance.objects.create(name="示例医联体", kind="city_group", referral_quota_percent=Decimal("12.5"))
    for org in (net.cast.tertiary, net.cast.center_a):
        AllianceMembership.objects.create(alliance=alliance, organization=org, valid_from=date(2020, 1, 1))
    data = {"department": str(net.dept.pk), "date": timezone.localdate().isoformat(), "total_places": 20}
    status, out = api(net.receiver).post("referrals/capacity", {**data, "alliance": str(alliance.pk)})
    assert status == 201 and out["places"] == 3 and out["quota_percent"] == 12.5  # ceil(20 × 12.5 %)
    status, out = api(net.receiver).post("referrals/capacity", {**data, "alliance": str(alliance.pk), "places": 2})
    assert status == 422 and out["details"]["required"] == 3
    member = net.create(green_channel=True).referral  # from center_a, an alliance member
    assert member.alliance == alliance and CapacityBooking.objects.filter(referral=member).exists()
    from tiercare.people.models import Consent

    person = net.cast.person_b
    Consent.objects.create(person=person, scope="referral", granted_at=timezone.now() - timedelta(days=1))
    outsider = net.create(by=net.cast.gp_b, person=person, green_channel=True).referral  # center_b: not a member
    assert outsider.alliance is None
    assert not CapacityBooking.objects.filter(referral=outsider).exists()
    assert QueueEntry.objects.get(referral=outsider).status == "waiting"


def test_expected_date_is_none_without_published_capacity(net):
    assert expected_date(net.dept.pk, "bed", 1) is None
    ref = reach(net, "sent", green_channel=True, capacity_kind="bed")
    from tiercare.referrals.services import green_status

    assert green_status(ref) == {"queued": {"position": 1, "expected_date": None}}
