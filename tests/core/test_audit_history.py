"""One row per audited read naming all its persons; a person's whole access history for the auditor (API and page,
Beijing dates, names, paging that keeps the filters); the audit log refuses UPDATE and DELETE in the database."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tiercare.core.audit import audit_patient_read, audit_record
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")


def test_a_list_read_is_one_row_found_again_for_each_person(cast):
    others = [uuid.uuid4() for _ in range(399)]
    before = AuditEvent.objects.count()
    audit_patient_read(actor=cast.gp, person_ids=[cast.patient_person.pk, *others], object_type="people.person")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "list" and len(event.person_ids) == 400 and event.person_id is None
    assert list(AuditEvent.objects.about_person(others[-1])) == [event]
    assert list(AuditEvent.objects.about_person(cast.patient_person.pk)) == [event]
    assert not AuditEvent.objects.about_person(uuid.uuid4()).exists()


def test_a_single_read_names_its_person_in_both_columns(cast):
    audit_patient_read(actor=cast.gp, person_ids=[cast.patient_person.pk], object_type="people.person", object_id="x")
    event = AuditEvent.objects.latest("id")
    assert event.action == "read" and event.person_id == cast.patient_person.pk
    assert event.person_ids == [cast.patient_person.pk]


def test_the_database_refuses_update_and_delete_of_audit_rows(cast):
    event = audit_record(actor=cast.ops, action="read", object_type="x", object_id="1", person_id=uuid.uuid4())
    for sql in (
        "UPDATE core_auditevent SET reason = 'tampered' WHERE id = %s",
        "UPDATE core_auditevent SET person_ids = %s WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        empty = "{}" if connection.vendor == "postgresql" else "[]"
        params = [event.pk] if sql.count("%s") == 1 else [empty, event.pk]
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.reason == "" and len(stored.person_ids) == 1


@pytest.fixture
def history(cast):
    """Three reads of the patient: the last second of 1 Mar (Beijing), the first second of 2 Mar, the first of 4 Mar."""
    cast.gp.display_name = "李医生"
    cast.gp.save(update_fields=["display_name"])
    times = [datetime(2026, 3, 1, 23, 59, 59, tzinfo=BJ), datetime(2026, 3, 2, 0, 0, 0, tzinfo=BJ),
             datetime(2026, 3, 4, 0, 0, 0, tzinfo=BJ)]  # fmt: skip
    for at in times:
        with time_machine.travel(at, tick=False):
            audit_patient_read(actor=cast.gp, person_ids=[cast.patient_person.pk, uuid.uuid4()], object_type="p")
    return times


def test_auditor_gets_the_history_by_beijing_days_with_names_and_the_request_is_audited(cast, api, history):
    url = f"audit/persons/{cast.patient_person.pk}/history"
    status, body = api(cast.auditor).get(url, {"since": "2026-03-02", "until": "2026-03-03"})
    assert status == 200, body
    assert body["person_name"] == "张三" and body["count"] == 1
    [item] = body["items"]
    assert item["at"] == "2026-03-02T00:00:00+08:00" and item["actor"] == "李医生" and item["action"] == "list"
    status, body = api(cast.auditor).get(url, {"since": "2026-03-01", "until": "2026-03-01"})
    assert body["count"] == 1 and body["items"][0]["at"] == "2026-03-01T23:59:59+08:00"
    assert (
        AuditEvent.objects.filter(
            actor=cast.auditor, object_type="core.audit_history", object_id=str(cast.patient_person.pk)
        ).count()
        == 2
    )
    # Everything, newest first, paged; the auditor's own reads are part of the history.
    status, body = api(cast.auditor).get(url, {"limit": 2, "offset": 0})
    assert body["count"] == 6 and [i["object_type"] for i in body["items"]] == ["core.audit_history"] * 2
    status, body = api(cast.auditor).get(url, {"since": "2026-03-03", "until": "2026-03-02"})
    assert status == 422


@pytest.mark.parametrize("who", ["gp", "admin", "ops", "patient", "outsider"])
def test_anyone_but_an_auditor_gets_404_and_the_refusal_is_recorded(cast, api, history, who):
    user = getattr(cast, who)
    status, body = api(user).get(f"audit/persons/{cast.patient_person.pk}/history")
    assert status == 404 and body["code"] == "not_found"
    assert AuditEvent.objects.filter(actor=user, action="denied", object_type="core.audit_history").exists()
    client = Client()
    client.force_login(user)
    assert client.get(f"/audit/persons/{cast.patient_person.pk}/").status_code == 404


def test_unknown_person_is_404_for_the_auditor(cast, api):
    assert api(cast.auditor).get(f"audit/persons/{uuid.uuid4()}/history")[0] == 404


def test_history_page_names_beijing_times_and_keeps_filters_across_pages(cast, history):
    for _ in range(60):
        audit_patient_read(actor=cast.gp, person_ids=[cast.patient_person.pk], object_type="p", object_id="1")
    client = Client()
    client.force_login(cast.auditor)
    response = client.get(f"/audit/persons/{cast.patient_person.pk}/", {"since": "2026-03-01"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "张三" in text and "李医生" in text
    assert "since=2026-03-01&page=2" in text  # 63 events: page 2 keeps the filter
    response = client.get(f"/audit/persons/{cast.patient_person.pk}/", {"since": "2026-03-02", "until": "2026-03-02"})
    text = response.content.decode()
    assert "2026-03-02 00:00:00" in text and "2026-03-01 23:59:59" not in text
    response = client.get(f"/audit/persons/{cast.patient_person.pk}/", {"since": "yesterday"})
    assert response.status_code == 200 and 'value="yesterday"' in response.content.decode()
