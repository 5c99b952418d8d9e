"""Query counts of the expert directory, pinned (STYLE.md: ``django_assert_num_queries``): the page and the API
cost the same number of queries for N experts as for 2N, with or without the "allowed at this site" filter, so an
N+1 cannot come back unnoticed. A changed count is a change to look at: when it is intended, pin the new number."""

from __future__ import annotations

import pytest
from tests import factories as f
from tests.care.factories import page_client

pytestmark = pytest.mark.django_db


def add_experts(cast, n):
    """``n`` experts of the doctor group, insured, filed at hospital A (allowed there), with a lapsed old policy."""
    for _ in range(n):
        p = f.PractitionerFactory(home_organization=cast.tertiary, doctor_group=cast.group, can_operate=True)
        f.InsurancePolicyFactory(practitioner=p)
        f.InsurancePolicyFactory(practitioner=p, lapsed=True)
        f.SiteRegistrationFactory(practitioner=p, site=cast.hospital_a)


DIRECTORY_PAGE = {"all": 7, "allowed_at": 13}
DIRECTORY_API = {"all": 3, "allowed_at": 4}


def _filters(cast, kind):
    return {"allowed_at": str(cast.hospital_a.pk)} if kind == "allowed_at" else {}


@pytest.mark.parametrize("kind", ["all", "allowed_at"])
def test_directory_page(cast, kind, django_assert_num_queries):
    client = page_client(cast.coordinator)
    add_experts(cast, 3)
    with django_assert_num_queries(DIRECTORY_PAGE[kind]):
        r = client.get("/directory/experts/", _filters(cast, kind))
    assert r.status_code == 200 and len(r.context["rows"]) == 4  # and the cast's expert
    add_experts(cast, 4)
    with django_assert_num_queries(DIRECTORY_PAGE[kind]):
        r = client.get("/directory/experts/", _filters(cast, kind))
    assert r.status_code == 200 and len(r.context["rows"]) == 8
    if kind == "allowed_at":
        assert all(row["basis"].allowed for row in r.context["rows"])


@pytest.mark.parametrize("kind", ["all", "allowed_at"])
def test_directory_api(cast, kind, api, django_assert_num_queries):
    client = api(cast.coordinator)
    params = {"experts_only": True, "limit": 50, **_filters(cast, kind)}
    add_experts(cast, 3)
    with django_assert_num_queries(DIRECTORY_API[kind]):
        status, body = client.get("practitioners", params)
    assert status == 200 and body["count"] == 4
    add_experts(cast, 4)
    with django_assert_num_queries(DIRECTORY_API[kind]):
        status, body = client.get("practitioners", params)
    assert status == 200 and body["count"] == 8
