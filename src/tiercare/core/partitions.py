"""Monthly partitions of the audit log on PostgreSQL: create the coming months, drop the ones past retention.

The table is partitioned by the UTC month of ``at`` (core migration 0007). A DEFAULT partition catches rows of a month
whose partition was not created in time, so an audited read never fails for want of a partition; a month whose rows
already sit in the default partition is left there (still indexed, still append-only) and reported.
Dropping a partition (``DROP TABLE``) fires no row trigger: it is the only way audit rows leave the database, and
each drop is itself recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection, transaction

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditAction

PREFIX = "core_auditevent_"


@dataclass
class PartitionReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    left_in_default: list[str] = field(default_factory=list)
    partitioned: bool = True


def _add_months(month: date, n: int) -> date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return date(y, m + 1, 1)


def _bound(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def audit_partitions_maintain(*, now: datetime, ahead: int = 3, retention_months: int | None = None) -> PartitionReport:
    """Create the partitions of this month and ``ahead`` months after it; drop every monthly partition that ends on
    or before (start of this month − ``retention_months``, default ``settings.AUDIT_RETENTION_MONTHS``).
    Does nothing on SQLite (not partitioned)."""
    report = PartitionReport()
    if connection.vendor != "postgresql":
        report.partitioned = False
        return report
    keep = settings.AUDIT_RETENTION_MONTHS if retention_months is None else retention_months
    this_month = date(now.astimezone(UTC).year, now.astimezone(UTC).month, 1)
    cutoff = _add_months(this_month, -keep)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'core_auditevent'::regclass"
        )
        existing = {row[0] for row in cur.fetchall()}
        for n in range(ahead + 1):
            month = _add_months(this_month, n)
            name = f"{PREFIX}{month:%Y%m}"
            if name in existing:
                continue
            cur.execute(
                "SELECT EXISTS (SELECT 1 FROM core_auditevent_default WHERE at >= %s AND at < %s)",
                [_bound(month), _bound(_add_months(month, 1))],
            )
            if cur.fetchone()[0]:
                report.left_in_default.append(name)
                continue
            # Identifiers are built from dates here, never from input; bounds are literals PostgreSQL requires.
            cur.execute(
                f"CREATE TABLE {name} PARTITION OF core_auditevent FOR VALUES FROM "
                f"('{_bound(month).isoformat()}') TO ('{_bound(_add_months(month, 1)).isoformat()}')"
            )
            report.created.append(name)
        for name in sorted(existing):
            suffix = name.removeprefix(PREFIX)
            if not (len(suffix) == 6 and suffix.isdigit()):
                continue
            month = date(int(suffix[:4]), int(suffix[4:]), 1)
            if _add_months(month, 1) <= cutoff:
                cur.execute(f"ALTER TABLE core_auditevent DETACH PARTITION {name}")
                cur.execute(f"DROP TABLE {name}")
                report.dropped.append(name)
        if report.dropped:
            audit_record(
                actor=None,
                action=AuditAction.DELETE,
                object_type="core.auditevent",
                reason=f"retention: {keep} months",
                details={"dropped_partitions": report.dropped, "cutoff": cutoff.isoformat()},
            )
    return report
