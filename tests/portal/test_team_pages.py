"""The care team records, renews and revokes proxies through a page (errors beside the field, input kept); a GP of
another center gets 404; the person page links there."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tests import factories as f
from tiercare.people.models import Proxy

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_gp_records_a_guardian_proxy_then_revokes_it(cast):
    baby = f.PersonFactory(name="张小宝", birth_date=date(2024, 5, 1), household=cast.household_a)
    c = _client(cast.gp)
    assert f"/family/team/persons/{baby.pk}/proxies/" in c.get(f"/people/persons/{baby.pk}/").content.decode()
    url = f"/family/team/persons/{baby.pk}/proxies/"
    page = c.post(
        url,
        {
            "holder": str(cast.patient_person.pk),
            "kind": "guardian",
            "evidence_kind": "birth_certificate",
            "evidence_reference": "",
            "action": "record",
        },
    ).content.decode()
    assert "evidence_reference" in page and not Proxy.objects.filter(person=baby).exists()
    response = c.post(
        url,
        {
            "holder": str(cast.patient_person.pk),
            "kind": "guardian",
            "evidence_kind": "birth_certificate",
            "evidence_reference": "出生医学证明 R1",
            "action": "record",
        },
    )
    assert response.status_code == 302
    row = Proxy.objects.get(person=baby)
    assert row.valid_until == date(2042, 4, 30) and row.recorded_by == cast.gp
    c.post(url, {"proxy": str(row.pk), "action": "revoke", "reason": "监护变更"})
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoke_reason == "监护变更"


def test_a_guardian_proxy_of_an_adult_is_refused_beside_the_field(cast):
    adult = f.PersonFactory(name="张成人", birth_date=date(1995, 1, 1), household=cast.household_a)
    page = (
        _client(cast.gp)
        .post(
            f"/family/team/persons/{adult.pk}/proxies/",
            {
                "holder": str(cast.patient_person.pk),
                "kind": "guardian",
                "evidence_kind": "birth_certificate",
                "evidence_reference": "出生医学证明 R2",
                "action": "record",
            },
        )
        .content.decode()
    )
    assert "书面授权" in page and "出生医学证明 R2" in page  # the reason in Chinese, the input kept
    assert not Proxy.objects.filter(person=adult).exists()


def test_another_centers_gp_and_the_patient_cannot_open_it(cast):
    url = f"/family/team/persons/{cast.child_person.pk}/proxies/"
    assert _client(cast.gp_b).get(url).status_code == 404
    assert _client(cast.patient).get(url).status_code == 403
