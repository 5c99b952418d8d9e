"""The directory's codes in words: a partnership's services and a department's specialty as the user reads them."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "services", "raw"),
    [("zh-hans", "手术、门诊、查房", "ward_round"), ("en", "Surgery, Clinic, Ward round", "ward_round")],
)
def test_a_partnerships_services_are_named(cast, language, services, raw) -> None:
    cast.partnership.services = ["surgery", "clinic", "ward_round"]
    cast.partnership.save(update_fields=["services"])
    client = Client()
    client.force_login(cast.ops)
    html = client.get(f"/directory/organizations/{cast.hospital_a.pk}/", {"lang": language}).content.decode()
    assert services in html and raw not in html
