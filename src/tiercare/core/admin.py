from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tiercare.core.audit import audit_write
from tiercare.core.http import admin_user
from tiercare.core.models import ApiToken, AuditAction, AuditEvent, User
from tiercare.core.services import api_token_revoke


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete through the admin is written to the audit log like any service write."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data.get(name) for name in (form.changed_data or [])}
        audit_write(
            actor=admin_user(request),
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            changes=changes,
            reason="admin",
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        audit_write(actor=admin_user(request), action=AuditAction.DELETE, obj=obj, reason="admin")
        super().delete_model(request, obj)


@admin.register(User)
class TiercareUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("tiercare", {"fields": ("role", "display_name")}))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = {n: str(form.cleaned_data.get(n)) for n in (form.changed_data or []) if "password" not in n}
        audit_write(
            actor=admin_user(request),
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are seen (never their secret, which is not stored) and revoked, not edited or deleted."""

    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "last_used_ip", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix", "label")
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke_selected"]

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_selected(self, request: HttpRequest, queryset: models.QuerySet[ApiToken]) -> None:
        by = admin_user(request)
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=by, reason="admin")
            count += 1
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
