"""The audit log's one writer. Every service that writes, and every access function that reads patient data, calls it.

Events are written in the caller's transaction for writes (a rolled-back write leaves no audit row claiming it
happened) and in their own autocommit for reads and refusals (a refused read must be recorded even though the
request then fails).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from tiercare.core.context import current_request
from tiercare.core.models import AuditAction, AuditEvent, User


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    person_id: uuid.UUID | str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. ``person_id`` marks an event about a patient's record."""
    otype, oid = _object_ref(obj)
    info = current_request.get()
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        actor_role=getattr(user, "role", "") or "",
        action=action,
        object_type=object_type or otype,
        object_id=str(object_id or oid)[:64],
        person_id=person_id,
        reason=reason[:300],
        path=info.path,
        method=info.method,
        ip=info.ip,
        details=details or {},
    )


def audit_write(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Record a create/update/delete of ``obj`` inside the current transaction."""
    person_id = getattr(obj, "audit_person_id", None)
    return audit_record(
        actor=actor,
        action=action,
        obj=obj,
        person_id=person_id,
        reason=reason,
        details={"changes": _jsonable(changes or {})},
    )


def audit_patient_read(
    *, actor: User, person_ids: Iterable[uuid.UUID], object_type: str, object_id: str = "", reason: str = ""
) -> None:
    """Record that ``actor`` saw these patients' records. One row per patient, so each patient's history is complete."""
    ids = [pid for pid in dict.fromkeys(map(_as_uuid, person_ids)) if pid is not None]
    if not ids:
        return
    info = current_request.get()
    action = AuditAction.READ if len(ids) == 1 and object_id else AuditAction.LIST
    shared = [
        connection.ops.adapt_datetimefield_value(timezone.now()), actor.pk, actor.username, actor.role, action,
        object_type, reason[:300], info.path[:300], info.method, connection.ops.adapt_ipaddressfield_value(info.ip),
    ]  # fmt: skip
    object_ids = [str(object_id or pid)[:64] for pid in ids]
    # The table name and column list are constants of this module; every value is a bound parameter.
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = "at, actor_id, actor_username, actor_role, action, object_type, reason, path, method, ip, details"
    insert = f"INSERT INTO {table} ({columns}, object_id, person_id) "
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One statement, one round trip, atomic on its own: a list of 400 patients costs one INSERT.
            cur.execute(
                insert + "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}'::jsonb, x.oid, x.pid "
                "FROM unnest(%s::varchar[], %s::uuid[]) AS x(oid, pid)",
                [*shared, object_ids, ids],
            )
        else:
            with transaction.atomic():
                cur.executemany(
                    insert + "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}', %s, %s)",
                    [[*shared, oid, pid.hex] for oid, pid in zip(object_ids, ids, strict=True)],
                )


def audit_denied(
    *, actor: User | None, object_type: str, object_id: str = "", person_id: Any = None, reason: str = ""
) -> None:
    """Record a refused request, outside any transaction that is about to roll back."""
    audit_record(
        actor=actor,
        action=AuditAction.DENIED,
        object_type=object_type,
        object_id=object_id,
        person_id=_as_uuid(person_id),
        reason=reason,
    )


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)
