from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.http import HttpRequest

from tiercare.core.audit import audit_write
from tiercare.core.models import AuditAction, AuditEvent, User


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete through the admin is written to the audit log like any service write."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data.get(name) for name in (form.changed_data or [])}
        audit_write(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            changes=changes,
            reason="admin",
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        audit_write(actor=request.user, action=AuditAction.DELETE, obj=obj, reason="admin")
        super().delete_model(request, obj)


@admin.register(User)
class TiercareUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("tiercare", {"fields": ("role", "display_name")}))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = {n: str(form.cleaned_data.get(n)) for n in (form.changed_data or []) if "password" not in n}
        audit_write(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            changes=changes,
            reason="admin",
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log cannot be added to, changed or deleted from the admin."""

    list_display = (
        "at",
        "actor_username",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "person_id",
        "ip",
    )
    list_filter = ("action", "actor_role", "object_type")
    search_fields = ("actor_username", "object_id", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
