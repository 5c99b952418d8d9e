"""The shared kernel's data: users and roles, the base model, the audit log, API tokens, login failures."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of DESIGN.md §3. A user has exactly one; scope comes from their relationships."""

    OPS = "ops", _("Operations")
    EXPERT = "expert", _("Expert")
    COORDINATOR = "coordinator", _("Hospital coordinator")
    GP = "gp", _("General practitioner")
    HEALTH_MANAGER = "health_manager", _("Health manager")
    PATIENT = "patient", _("Patient")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    DIRECTOR = "director", _("Hospital director")
    FINANCE = "finance", _("Finance")
    PHARMACIST = "pharmacist", _("Pharmacist")


class User(AbstractUser):
    """A person who signs in. The role decides what they may do; relationships decide to whom."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        ordering = ["username"]
        constraints = [models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid")]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_ops(self) -> bool:
        return self.role == Role.OPS

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, then revoke the user's API tokens when the password, the role or ``is_active`` changed.

        This is the one place every path meets (password-change page, admin, ``set_password`` in a service, a
        deactivation): a token must not outlive the credentials or the role it was issued for. A save with
        ``update_fields`` that names none of those fields skips the check (``last_login`` on every sign-in).
        """
        update_fields = kwargs.get("update_fields")
        watched = {"password", "role", "is_active"}
        check = not self._state.adding and (update_fields is None or watched & set(update_fields))
        before = User.objects.filter(pk=self.pk).values("password", "role", "is_active").first() if check else None
        super().save(*args, **kwargs)
        if before is None:
            return
        reasons = []
        if before["password"] != self.password:
            reasons.append("password_changed")
        if before["role"] != self.role:
            reasons.append("role_changed")
        if before["is_active"] and not self.is_active:
            reasons.append("deactivated")
        if reasons:
            from tiercare.core.services import api_token_revoke_all

            api_token_revoke_all(user=self, by=None, reason=",".join(reasons))


class BaseModel(models.Model):
    """Every domain model: a UUID public id, creation and update times, an explicit order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["created_at"]


class AuditAction(models.TextChoices):
    READ = "read", _("read")
    LIST = "list", _("list")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    DENIED = "denied", _("denied")
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("login failed")
    LOGOUT = "logout", _("logout")
    EXPORT = "export", _("export")
    IMPORT = "import", _("import")
    TOKEN = "token", _("token issued")
    TOKEN_REVOKED = "token_revoked", _("token revoked")


class PersonIdsField(models.Field):
    """The persons an audit event is about, in one column of one row (a list of 400 patients is one event, not 400).

    PostgreSQL: ``uuid[]`` (16 bytes an id) with a GIN index, so ``person_ids @> ARRAY[id]`` finds a person's events
    by index. SQLite: a JSON array of hex ids, searched with ``json_each`` (one clinic's log is small).
    """

    description = "list of person UUIDs"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str:
        return "uuid[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        ids = _uuid_list(value or [])
        if connection.vendor == "postgresql":
            return ids
        return json.dumps([pid.hex for pid in ids])

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[uuid.UUID]:
        if value is None:
            return []
        if isinstance(value, str):
            value = json.loads(value)
        return _uuid_list(value)

    def to_python(self, value: Any) -> list[uuid.UUID]:
        if isinstance(value, str):
            value = json.loads(value)
        return _uuid_list(value or [])


def _uuid_list(values: Iterable[Any]) -> list[uuid.UUID]:
    return [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in values]


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")

    def about_person(self, person_id: uuid.UUID | str) -> AuditEventQuerySet:
        """Every event that names this person (a read of their record, a list that showed them, a write, a refusal).

        Served by the GIN index on ``person_ids`` on PostgreSQL; a ``json_each`` scan on SQLite."""
        pid = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
        if _vendor(self.db) == "postgresql":
            # django-stubs type extra() as returning a plain QuerySet; it returns a clone of this class.
            return self.extra(where=["person_ids @> ARRAY[%s]::uuid[]"], params=[str(pid)])  # type: ignore[return-value]
        return self.extra(  # type: ignore[return-value]
            where=["EXISTS (SELECT 1 FROM json_each(core_auditevent.person_ids) AS j WHERE j.value = %s)"],
            params=[pid.hex],
        )


def _vendor(alias: str) -> str:
    from django.db import connections

    return connections[alias].vendor


class AuditEvent(models.Model):
    """One row per read of patients' records and per write of anything: who, when, what, why. Append-only.

    A read that shows many persons (a GP's list of 400) is ONE row whose ``person_ids`` names them all; ``person_id``
    is also set when the event is about exactly one person. The ORM refuses update and delete, and database triggers
    (SQLite and PostgreSQL) refuse UPDATE and DELETE, so no code path edits or removes a row. On PostgreSQL the table
    is partitioned by month of ``at`` (core migration 0006); retention drops whole partitions older than
    ``TIERCARE_AUDIT_RETENTION_MONTHS`` (``manage.py audit_partitions``). See docs/adr/0004.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Indexes: at, (actor, at) and, on PostgreSQL, a GIN on person_ids. No index on object or person_id: each index
    # costs every audited read another insert, and "who read this person" is answered by person_ids.
    actor = models.ForeignKey(
        "core.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.UUIDField(null=True, blank=True)
    person_ids = PersonIdsField()
    reason = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=10, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


class ApiToken(models.Model):
    """A bearer token of an integration client. Only the SHA-256 of the token is stored."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_ip = models.GenericIPAddressField(_("issued to address"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    # Revocation is a recorded state, not a delete: who revoked it (None for an automatic revocation on a password,
    # role or activity change) and why.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("revoked by")
    )
    revoked_reason = models.CharField(_("revocation reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginFailure(models.Model):
    """A failed sign-in, kept for the rate limit. In the database so that every app server sees the same count."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.at:%Y-%m-%d %H:%M:%S}"


class Division(models.Model):
    """A GB/T 2260 administrative division (province, prefecture, county), loaded by a data migration."""

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=60)
    level = models.PositiveSmallIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(level__in=[1, 2, 3]), name="division_level")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"
