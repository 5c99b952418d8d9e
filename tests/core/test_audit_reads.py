"""Every read that shows a person writes an audit row: the contract (API), the household and contract lists (API) and
the households page name each member of what they show, in one row; a refused read is recorded too."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.care.factories import contract, team_with

from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_contract(cast):
    return contract(cast.gp, cast.household_a, team_with(cast.center_a, cast.gp))


def _last(actor, object_type):
    return AuditEvent.objects.filter(actor=actor, object_type=object_type).order_by("-id").first()


def test_contract_detail_is_audited_for_every_member_and_refused_for_an_outsider(cast, api, signed_contract):
    status, body = api(cast.gp).get(f"care/contracts/{signed_contract.pk}")
    assert status == 200, body
    event = _last(cast.gp, "care.carecontract")
    assert event.action == "read" and event.object_id == str(signed_contract.pk)
    assert cast.patient_person.pk in event.person_ids
    assert AuditEvent.objects.about_person(cast.patient_person.pk).filter(actor=cast.gp).exists()
    assert api(cast.gp_b).get(f"care/contracts/{signed_contract.pk}")[0] == 404
    assert AuditEvent.objects.filter(actor=cast.gp_b, action="denied", object_type="care.carecontract").exists()


def test_contract_list_is_one_audit_row_naming_the_members(cast, api, signed_contract):
    before = AuditEvent.objects.count()
    status, body = api(cast.gp).get("care/contracts")
    assert status == 200 and body["count"] == 1
    assert AuditEvent.objects.count() == before + 1
    assert cast.patient_person.pk in _last(cast.gp, "care.carecontract").person_ids


@pytest.mark.parametrize("path", ["households", "care/households"])
def test_household_lists_are_audited(cast, api, signed_contract, path):
    before = AuditEvent.objects.count()
    status, body = api(cast.gp).get(path)
    assert status == 200 and body["count"] >= 1
    assert AuditEvent.objects.count() == before + 1
    assert cast.patient_person.pk in _last(cast.gp, "people.household").person_ids


def test_an_empty_list_writes_no_read_row(cast, api):
    before = AuditEvent.objects.count()
    assert api(cast.gp_b).get("care/contracts")[1]["count"] == 0
    assert AuditEvent.objects.count() == before


def test_households_page_is_audited(cast, signed_contract):
    client = Client()
    client.force_login(cast.gp)
    response = client.get("/people/households/")
    assert response.status_code == 200 and "张家" in response.content.decode()
    event = _last(cast.gp, "people.household")
    assert event.reason == "households page" and cast.patient_person.pk in event.person_ids
