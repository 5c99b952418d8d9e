"""The audit log's one writer. Every service that writes, and every access function that reads patient data, calls it.

Events are written in the caller's transaction for writes (a rolled-back write leaves no audit row claiming it
happened) and in their own autocommit for reads and refusals (a refused read must be recorded even though the
request then fails).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

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
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return
    info = current_request.get()
    action = AuditAction.READ if len(ids) == 1 and object_id else AuditAction.LIST
    rows = [
        AuditEvent(
            actor=actor,
            actor_username=actor.username,
            actor_role=actor.role,
            action=action,
            object_type=object_type,
            object_id=str(object_id or pid),
            person_id=pid,
            reason=reason[:300],
            path=info.path,
            method=info.method,
            ip=info.ip,
        )
        for pid in ids
    ]
    with transaction.atomic():
        AuditEvent.objects.bulk_create(rows, batch_size=500)


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
