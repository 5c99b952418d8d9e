"""Role checks shared by every app, and the one shape of every app's access functions: fetch one object by an id
from outside through a queryset the app's selectors already scoped to the user, or refuse with NotFound without
telling whether the object exists; the refusal, and a read of patients' records, go to the audit log
(``access_one``, ``refuse``). Scoping to relationships lives in each app's selectors and access modules."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_denied, audit_patient_read
from tiercare.core.errors import Forbidden, NotFound
from tiercare.core.models import ApiToken, Role, User

M = TypeVar("M", bound=Model)

STAFF_ROLES = (
    Role.OPS,
    Role.EXPERT,
    Role.COORDINATOR,
    Role.GP,
    Role.HEALTH_MANAGER,
    Role.AUDITOR,
    Role.ADMIN,
)
DIRECTORY_WRITERS = (Role.OPS, Role.ADMIN)
CARE_TEAM_ROLES = (Role.GP, Role.HEALTH_MANAGER)


def require_role(user: User, *roles: str) -> None:
    """Raise Forbidden unless ``user`` is active and holds one of ``roles``."""
    if not user.is_authenticated or not user.is_active or user.role not in roles:
        raise Forbidden(_("Your role may not do this."), details={"role": getattr(user, "role", None)})


def access_api_token_by_id(user: User, token_id: object) -> ApiToken:
    """One of ``user``'s own API tokens, or NotFound (404) — another user's token is not told apart from none."""
    try:
        pk = int(str(token_id))
    except ValueError:
        pk = None
    token = ApiToken.objects.filter(pk=pk, user=user).first() if pk is not None and user.is_authenticated else None
    if token is None:
        raise NotFound(_("No such token."))
    return token


def as_uuid(value: object) -> uuid.UUID | None:
    """An id from outside (a URL segment, a form or JSON field) as a UUID, or None when it is not one."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def refuse(
    user: User, *, object_type: str, object_id: object, reason: str, message: str, person_id: uuid.UUID | None = None
) -> NoReturn:
    """Record the refused read (``object_type``, the id as asked, at most 64 characters, and why; ``person_id`` when
    the id asked for is a person's) in its own autocommit, then raise NotFound(``message``): a hidden object and a
    missing one get the same answer."""
    audit_denied(actor=user, object_type=object_type, object_id=str(object_id)[:64], person_id=person_id, reason=reason)
    raise NotFound(message)


def access_one(
    user: User,
    qs: QuerySet[M],
    object_id: object,
    *,
    object_type: str,
    refusal: str,
    not_found: str,
    persons: Callable[[M], Iterable[Any]] | None = None,
    reason: str = "",
    id_is_person: bool = False,
) -> M:
    """The object of ``qs`` (already scoped to what ``user`` may see) whose primary key is ``object_id``.

    An id that is not a UUID, or that names nothing in ``qs``, is refused (``refuse``: an audited refusal with
    ``refusal`` as its reason, then NotFound(``not_found``)). With ``persons``, the read is audited as a read of the
    records of the patients it returns for the object (``reason`` says why). ``id_is_person``: the id asked for is a
    person's, so a refusal is recorded against that person too."""
    oid = as_uuid(object_id)
    row = qs.filter(pk=oid).first() if oid else None
    if row is None:
        refuse(
            user,
            object_type=object_type,
            object_id=object_id,
            reason=refusal,
            message=not_found,
            person_id=oid if id_is_person else None,
        )
    if persons is not None:
        audit_patient_read(
            actor=user, person_ids=persons(row), object_type=object_type, object_id=str(row.pk), reason=reason
        )
    return row
