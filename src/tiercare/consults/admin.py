"""Admin for the consults app. A signed opinion (and a signed MDT conclusion) is read-only here as everywhere; no
row of a clinical record is deleted through the admin (records are kept, not deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tiercare.consults import models as m
from tiercare.core.admin import AuditedAdmin


class RecordAdmin(AuditedAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SignedRecordAdmin(RecordAdmin):
    """A signed row is shown, never saved: the database refuses any UPDATE of it (consults migration 0003)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.signed_at is not None:
            return False
        return super().has_change_permission(request, obj)


@admin.register(m.SecondOpinion)
class SecondOpinionAdmin(SignedRecordAdmin):
    list_display = ("case", "specialty", "status", "expert", "deadline", "signed_at")
    list_filter = ("status", "specialty")
    raw_id_fields = ("case", "expert", "agreement", "signed_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.signed_at is not None:
            return [f.name for f in self.model._meta.fields]
        return ("signed_by", "signed_at", "status")


@admin.register(m.MdtMeeting)
class MdtMeetingAdmin(SignedRecordAdmin):
    list_display = ("mdt_case", "starts_at", "chair", "signed_at")
    raw_id_fields = ("mdt_case", "chair", "signed_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.signed_at is not None:
            return [f.name for f in self.model._meta.fields]
        return ("signed_by", "signed_at")


@admin.register(m.OpinionAddendum)
class OpinionAddendumAdmin(RecordAdmin):
    list_display = ("opinion", "signed_by", "signed_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Teleconsult)
class TeleconsultAdmin(RecordAdmin):
    list_display = ("case", "specialty", "priority", "status", "expert", "deadline", "outcome")
    list_filter = ("status", "priority", "outcome")
    raw_id_fields = ("case", "expert", "agreement", "filed_to")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == m.ConsultStatus.CLOSED:
            return False  # filed into the inviting institution's record; the database refuses changes
        return super().has_change_permission(request, obj)


@admin.register(m.Transition)
class TransitionAdmin(RecordAdmin):
    list_display = ("object_type", "object_id", "from_state", "to_state", "by", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
