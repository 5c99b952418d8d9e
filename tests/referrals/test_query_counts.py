"""Query counts of the referral worklist, pinned (STYLE.md: ``django_assert_num_queries``): the page and the API
cost the same number of queries for N referrals as for 2N, so an N+1 cannot come back unnoticed. A changed count
is a change to look at: when it is intended, pin the new number here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.care.factories import page_client
from tests.referrals.helpers import reach

from tiercare.people.models import Consent, ConsentScope

pytestmark = pytest.mark.django_db

# (waiting on the receiving desk: sent; and on the referring GP: back-referred)
STATES = ["sent", "accepted", "back_referred"]


def add_referrals(net, n):
    """``n`` referrals of ``n`` new residents of household A (team A's), one in each of STATES in turn."""
    for i in range(n):
        person = f.PersonFactory(household=net.cast.household_a)
        Consent.objects.create(
            person=person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
        )
        reach(net, STATES[i % len(STATES)], person=person)


WORKLIST_PAGE = {"receiver": 8, "gp": 8}
WORKLIST_API = {"receiver": 11, "gp": 11}


def _user(net, who):
    return net.receiver if who == "receiver" else net.cast.gp


@pytest.mark.parametrize("who", ["receiver", "gp"])
def test_worklist_page(net, who, django_assert_num_queries):
    client = page_client(_user(net, who))
    add_referrals(net, 3)
    with django_assert_num_queries(WORKLIST_PAGE[who]):
        r = client.get("/referrals/", {"tab": "all"})
    assert r.status_code == 200 and r.context["page"].paginator.count == 3
    add_referrals(net, 3)
    with django_assert_num_queries(WORKLIST_PAGE[who]):
        r = client.get("/referrals/", {"tab": "all"})
    assert r.status_code == 200 and r.context["page"].paginator.count == 6


@pytest.mark.parametrize("who", ["receiver", "gp"])
def test_worklist_api(net, who, api, django_assert_num_queries):
    client = api(_user(net, who))
    add_referrals(net, 3)
    with django_assert_num_queries(WORKLIST_API[who]):
        status, body = client.get("referrals", {"limit": 50})
    assert status == 200 and body["count"] == 3
    add_referrals(net, 3)
    with django_assert_num_queries(WORKLIST_API[who]):
        status, body = client.get("referrals", {"limit": 50})
    assert status == 200 and body["count"] == 6
