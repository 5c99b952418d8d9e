"""Query counts of a GP's patients, pinned (STYLE.md: ``django_assert_num_queries``): the households page, the
persons API and care's households API cost the same number of queries for N households as for 2N, so an N+1
cannot come back unnoticed. (care's person rows: tests/care/test_query_counts.py.) A changed count is a change to
look at: when it is intended, pin the new number here."""

from __future__ import annotations

import pytest
from tests import factories as f
from tests.care.factories import contract, page_client, team_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def add_households(cast, team, n):
    """``n`` households of center A, two residents each (one the proxy), contracted with ``team``."""
    for _ in range(n):
        hh = f.HouseholdFactory(registered_at=cast.center_a)
        proxy = f.PersonFactory(household=hh)
        f.PersonFactory(household=hh)
        hh.proxy = proxy
        hh.save()
        contract(cast.gp, hh, team)


HOUSEHOLDS_PAGE = 7
PERSONS_API = 5
CARE_HOUSEHOLDS_API = 5


def test_households_page(cast, team, django_assert_num_queries):
    client = page_client(cast.gp)
    add_households(cast, team, 2)
    with django_assert_num_queries(HOUSEHOLDS_PAGE):
        r = client.get("/people/households/")
    assert r.status_code == 200 and r.context["page"].paginator.count == 3  # and household A, not contracted
    add_households(cast, team, 2)
    with django_assert_num_queries(HOUSEHOLDS_PAGE):
        r = client.get("/people/households/")
    assert r.status_code == 200 and r.context["page"].paginator.count == 5


def test_persons_api(cast, team, api, django_assert_num_queries):
    client = api(cast.gp)
    add_households(cast, team, 2)
    with django_assert_num_queries(PERSONS_API):
        status, body = client.get("persons", {"limit": 50})
    assert status == 200 and body["count"] == 6  # and household A's two
    add_households(cast, team, 2)
    with django_assert_num_queries(PERSONS_API):
        status, body = client.get("persons", {"limit": 50})
    assert status == 200 and body["count"] == 10


def test_care_households_api(cast, team, api, django_assert_num_queries):
    client = api(cast.gp)
    add_households(cast, team, 2)
    with django_assert_num_queries(CARE_HOUSEHOLDS_API):
        status, body = client.get("care/households", {"limit": 50})
    assert status == 200 and body["count"] == 2
    add_households(cast, team, 2)
    with django_assert_num_queries(CARE_HOUSEHOLDS_API):
        status, body = client.get("care/households", {"limit": 50})
    assert status == 200 and body["count"] == 4
