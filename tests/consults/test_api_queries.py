"""List endpoints cost the same number of queries for one row as for many (no N+1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiercare.consults import services
from tiercare.network.models import Practitioner

pytestmark = pytest.mark.django_db


def queries(api, user, path):
    with CaptureQueriesContext(connection) as ctx:
        status, body = api(user).get(path)
    assert status == 200, body
    return len(ctx.captured_queries), body["count"]


def add_work(cast, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_sign(by=cast.expert, opinion=op, text="意见")
    services.opinion_addendum(by=cast.expert, opinion=op, text="补充")
    services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    mdt = services.mdt_create(
        by=cast.gp, case=case, specialties=["pediatrics", "cardiology"], deadline=timezone.now() + timedelta(days=3)
    )
    [p, *_] = services.mdt_propose(mdt=mdt, limit=1)
    experts = {s: Practitioner.objects.get(pk=k) for s, k in p.experts.items()}
    services.mdt_book(by=cast.gp, mdt=mdt, starts_at=p.starts_at, experts=experts)


PATHS = ["consults/opinions", "consults/teleconsults", "consults/mdt", "consults/cases"]


def test_list_queries_do_not_grow_with_rows(cast, net, case, api):
    add_work(cast, case)
    one = {path: queries(api, cast.gp, path) for path in PATHS}
    for _ in range(2):
        add_work(cast, services.case_create(by=cast.gp, person=cast.patient_person, question="再问"))
    for path in PATHS:
        many, n3 = queries(api, cast.gp, path)
        assert n3 > one[path][1], path
        assert many == one[path][0], path
