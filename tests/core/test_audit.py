"""The audit log is append-only: not through the ORM, not through SQL, not through the admin."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_orm_refuses_changes(cast):
    event = audit_record(actor=cast.ops, action="read", object_type="x", object_id="1")
    event.reason = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_database_refuses_update(cast):
    event = audit_record(actor=cast.ops, action="read", object_type="x", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_admin_shows_the_log_read_only(cast):
    event = audit_record(actor=cast.ops, action="read", object_type="x", object_id="1")
    client = Client()
    client.force_login(cast.admin)
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200
    response = client.post(f"/admin/core/auditevent/{event.pk}/change/", {"reason": "tampered"})
    assert response.status_code == 403
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_auditor_page_and_refusal_for_others(cast):
    audit_record(actor=cast.ops, action="read", object_type="people.person", object_id="1")
    client = Client()
    client.force_login(cast.auditor)
    assert client.get("/audit/").status_code == 200
    client.force_login(cast.gp)
    assert client.get("/audit/").status_code == 403
