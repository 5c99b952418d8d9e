"""The one way a service stores a row: validate it fully, save it in a transaction, audit it.

Model validation (field validators, choices, check and unique constraints through ``full_clean``) turns into a
ValidationFailed whose message names the field, so the API and the pages say the same specific thing, and nothing is
half-written: each call is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, router, transaction

from tiercare.core.audit import audit_write
from tiercare.core.context import forget_request_memo
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
    """Validate and save ``obj`` (new or changed) and audit it, in one transaction.

    Fields, choices and unique constraints are checked before the write (``full_clean``); check constraints are
    left to the database, which enforces them anyway, and a violation is answered with the constraint's own message
    (``full_clean`` would have asked the database the same question, one query and two savepoints per constraint).
    """
    forget_request_memo()
    adding = obj._state.adding
    # A new row's generated primary key needs no uniqueness query; a collision would still be refused below.
    exclude = {obj._meta.pk.name} if adding else set()
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
        _validate_unique_constraints(obj, exclude)
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
        check = _violated_check(obj, exc)
        if check is not None:
            raise validation_failed(DjangoValidationError(check.get_violation_error_message())) from exc
        # full_clean checked the unique constraints; only a concurrent write gets here.
        raise Conflict("This conflicts with a record saved at the same moment; reload and try again.") from exc
    return obj


def _validate_unique_constraints(obj: models.Model, exclude: set[str]) -> None:
    """``Model.validate_constraints`` without the check constraints (see :func:`row_save`)."""
    errors: dict[str, Any] = {}
    using = router.db_for_write(type(obj), instance=obj)
    for model_class, constraints in obj.get_constraints():
        for constraint in constraints:
            if isinstance(constraint, models.CheckConstraint):
                continue
            try:
                # django-stubs lack BaseConstraint.validate (Django 4.1+).
                constraint.validate(model_class, obj, exclude=exclude, using=using)  # type: ignore[attr-defined]
            except DjangoValidationError as exc:
                fields: Sequence[str] = getattr(constraint, "fields", ())
                if getattr(exc, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(exc)
                else:
                    errors = exc.update_error_dict(errors)
    if errors:
        raise DjangoValidationError(errors)


def _violated_check(obj: models.Model, exc: IntegrityError) -> models.CheckConstraint | None:
    """The check constraint of ``obj``'s model the database named in ``exc`` (PostgreSQL and SQLite both name it)."""
    text = str(exc)
    for _model_class, constraints in obj.get_constraints():
        for constraint in constraints:
            if isinstance(constraint, models.CheckConstraint) and constraint.name in text:
                return constraint
    return None
