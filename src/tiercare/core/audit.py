"""The audit log's one writer. Every service that writes, and every access function that reads patient data, calls it.

Events are written in the caller's transaction for writes (a rolled-back write leaves no audit row claiming it
happened) and in their own autocommit for reads and refusals (a refused read must be recorded even though the
request then fails).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.context import current_request
from tiercare.core.models import AuditAction, AuditEvent, Role, User


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
    person_ids: Iterable[uuid.UUID | str] = (),
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. ``person_id``/``person_ids`` mark an event about patients' records: all of them are
    stored in the one row's ``person_ids`` (and ``person_id`` too when exactly one person is named)."""
    otype, oid = _object_ref(obj)
    info = current_request.get()
    user = actor if actor is not None and actor.is_authenticated else None
    ids = _unique_ids([person_id, *person_ids])
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        actor_role=getattr(user, "role", "") or "",
        action=action,
        object_type=(object_type or otype)[:60],
        object_id=str(object_id or oid)[:64],
        person_id=ids[0] if len(ids) == 1 else None,
        person_ids=ids,
        reason=reason[:300],
        path=info.path[:300],
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
) -> AuditEvent | None:
    """Record that ``actor`` saw these patients' records: ONE row naming them all (a GP's list of 400 is one insert,
    not 400), found again per patient by ``AuditEvent.objects.about_person`` through the index on ``person_ids``."""
    ids = _unique_ids(person_ids)
    if not ids:
        return None
    action = AuditAction.READ if object_id else AuditAction.LIST  # one object (a household of 3) vs a list
    return audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id or (ids[0] if len(ids) == 1 else "")),
        person_ids=ids,
        reason=reason,
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


def _unique_ids(values: Iterable[Any]) -> list[uuid.UUID]:
    return [pid for pid in dict.fromkeys(map(_as_uuid, values)) if pid is not None]


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


def audit_person_history(
    *, for_user: User, person_id: uuid.UUID, since: date | None = None, until: date | None = None
) -> models.QuerySet[AuditEvent]:
    """Every event about one person (who read or changed their record, when, why), newest first, for an auditor.

    Rule: auditors only; anyone else gets NotFound (the history's existence is not disclosed), and the refusal is
    recorded. ``since``/``until`` are Beijing-time calendar days, both included. The request itself is audited as a
    read of the person. Served on PostgreSQL by the GIN index on ``person_ids`` (bench/audit_history.py)."""
    from tiercare.core.errors import NotFound

    if not (for_user.is_authenticated and for_user.has_role(Role.AUDITOR)):
        audit_denied(actor=for_user, object_type="core.audit_history", object_id=str(person_id), person_id=person_id)
        raise NotFound(_("Not found."))
    qs = AuditEvent.objects.about_person(person_id)
    if since is not None:
        qs = qs.filter(at__gte=_local_midnight(since))
    if until is not None:
        qs = qs.filter(at__lt=_local_midnight(until + timedelta(days=1)))
    audit_record(
        actor=for_user,
        action=AuditAction.READ,
        object_type="core.audit_history",
        object_id=str(person_id),
        person_id=person_id,
        reason="access history",
        details={"since": str(since or ""), "until": str(until or "")},
    )
    # A list read's row names up to hundreds of persons: the history shows who, when and why, not the others named.
    qs = qs.defer("person_ids", "details")
    if connection.vendor == "postgresql":
        # Newest first, but not through the index on ``at``: the planner cannot tell how few rows one person has
        # (hundreds in ten million) and would walk every partition's ``at`` index filtering row by row (2 s on 10M
        # rows). Ordering by an expression makes it take the GIN index and sort the few hits (bench/RESULTS.md).
        return qs.order_by(RawSQL("core_auditevent.at + interval '0 seconds'", []).desc(), "-id")
    return qs.order_by("-at", "-id")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())
