"""Monthly audit partitions on PostgreSQL: the coming months are created, months past retention dropped (the drop
recorded), rows in the partitioned table still append-only; SQLite is left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditEvent
from tiercare.core.partitions import audit_partitions_maintain

pytestmark = pytest.mark.django_db


def _partitions() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'core_auditevent'::regclass"
        )
        return {r[0] for r in cur.fetchall()}


@pytest.mark.postgres
def test_creates_ahead_and_drops_exactly_past_retention(cast):
    with connection.cursor() as cur:
        for month, end in (("202001", "2020-02-01"), ("202002", "2020-03-01")):
            cur.execute(
                f"CREATE TABLE core_auditevent_{month} PARTITION OF core_auditevent "
                f"FOR VALUES FROM ('{month[:4]}-{month[4:]}-01 00:00+00') TO ('{end} 00:00+00')"
            )
    old = audit_record(actor=cast.ops, action="read", object_type="x", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE id = %s", [old.pk])  # the trigger holds on partitions
    # Now = 2030-08-15, retention 126 months: cutoff 2020-02-01; January 2020 ends on it (dropped), February not.
    report = audit_partitions_maintain(now=datetime(2030, 8, 15, tzinfo=UTC), ahead=2, retention_months=126)
    assert report.dropped == ["core_auditevent_202001"]
    assert report.created == ["core_auditevent_203008", "core_auditevent_203009", "core_auditevent_203010"]
    assert {"core_auditevent_202002", "core_auditevent_203008"} <= _partitions()
    assert "core_auditevent_202001" not in _partitions()
    assert AuditEvent.objects.filter(action="delete", object_type="core.auditevent").exists()
    again = audit_partitions_maintain(now=datetime(2030, 8, 15, tzinfo=UTC), ahead=2, retention_months=126)
    assert again.created == [] and again.dropped == []


@pytest.mark.postgres
def test_a_month_already_in_the_default_partition_is_left_there(cast):
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_auditevent (at, actor_username, actor_role, action, object_type, object_id, reason, "
            "path, method, details) VALUES ('2031-05-03 00:00+00', '', '', 'read', 'x', '', '', '', '', '{}')"
        )
    report = audit_partitions_maintain(now=datetime(2031, 5, 1, tzinfo=UTC), ahead=0, retention_months=180)
    assert report.left_in_default == ["core_auditevent_203105"] and report.created == []


def test_only_postgresql_is_partitioned():
    report = audit_partitions_maintain(now=datetime(2030, 1, 1, tzinfo=UTC), ahead=0)
    assert report.partitioned is (connection.vendor == "postgresql")


@pytest.mark.postgres
def test_connections_run_with_jit_off_and_custom_plans():
    """JIT compilation took 48 of the 50 ms of a person's access history on 10 M audit rows (bench/audit_history.py),
    and a generic plan of a team's worklist walked the whole network: the app's connections switch JIT off and plan
    every prepared statement for its values (settings DB_JIT, DB_PLAN_CACHE_MODE)."""
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        assert cur.fetchone()[0] == "off"
        cur.execute("SHOW plan_cache_mode")
        assert cur.fetchone()[0] == "force_custom_plan"
