"""The family's side: SMS sign-in codes and real-name checks; reminder templates, reminders sent and opt-outs;
education texts per program."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel


class LoginCode(BaseModel):
    """A sign-in code sent by SMS to a mobile number. Only a keyed hash of the code is kept; it expires, is used
    once and allows a few wrong tries. The rows are also the rate limit's memory (per number and per address)."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["ip", "created_at"])]


class RealNameCheck(BaseModel):
    """A passed real-name check (实名核验) of a person at sign-in: the name and ID number typed matched the person
    on file. The number typed is not kept."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()
    method = models.CharField(max_length=20, default="sms_id_number")

    class Meta:
        ordering = ["-checked_at"]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id
