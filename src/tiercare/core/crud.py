"""The one way a service stores a row: validate it fully, save it in a transaction, audit it.

Model validation (field validators, choices, check and unique constraints through ``full_clean``) turns into a
ValidationFailed whose message names the field, so the API and the pages say the same specific thing, and nothing is
half-written: each call is one transaction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction

from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, User

M = TypeVar("M", bound=models.Model)
# Model field names that the API calls by another name.
API_NAMES = {"division": "county_code"}


def validation_failed(exc: DjangoValidationError) -> ValidationFailed:
    """A ValidationFailed naming the first field at fault, with every field's messages in ``details``."""
    if hasattr(exc, "error_dict"):
        details = {API_NAMES.get(f, f): [str(m) for m in msgs] for f, msgs in exc.message_dict.items()}
    else:
        details = {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}
    field, messages = next(iter(details.items()))
    prefix = "" if field == NON_FIELD_ERRORS else f"{field}: "
    return ValidationFailed(f"{prefix}{messages[0]}", details={"fields": details})


def changed_fields(obj: models.Model, data: dict[str, Any]) -> dict[str, Any]:
    """Apply ``data`` to ``obj`` and return {field: [old, new]} for those that changed."""
    changes: dict[str, Any] = {}
    for name, value in data.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [old, value]
            setattr(obj, name, value)
    return changes


def row_save(*, actor: User | None, obj: M, changes: dict[str, Any] | None = None, reason: str = "") -> M:
    """Validate and save ``obj`` (new or changed) and audit it, in one transaction."""
    adding = obj._state.adding
    try:
        obj.full_clean()
    except DjangoValidationError as exc:
        raise validation_failed(exc) from exc
    try:
        with transaction.atomic():
            obj.save()
            audit_write(
                actor=actor,
                action=AuditAction.CREATE if adding else AuditAction.UPDATE,
                obj=obj,
                changes=changes if changes is not None else {},
                reason=reason,
            )
    except IntegrityError as exc:
        # full_clean checked the constraints; only a concurrent write gets here.
        raise Conflict("This conflicts with a record saved at the same moment; reload and try again.") from exc
    return obj
