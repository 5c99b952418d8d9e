"""Admin of the people app: consents are read-only here (recorded and withdrawn only through the service, which
checks the evidence and audits); opening one is audited as a read of the person."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tiercare.core.audit import audit_patient_read
from tiercare.core.http import admin_user
from tiercare.people.models import Consent


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("person", "scope", "signer", "method", "granted_at", "valid_until", "withdrawn_at")
    list_filter = ("scope", "method", "signer")
    search_fields = ("person__name_pinyin", "person__name")
    list_select_related = ("person",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit_patient_read(
                actor=admin_user(request),
                person_ids=[obj.person_id],
                object_type="people.consent",
                object_id=str(obj.pk),
                reason="admin",
            )
        return super().change_view(request, object_id, *args, **kwargs)
