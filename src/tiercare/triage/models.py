"""Triage's one table: the requests counted for the per-address rate limit (no complaint is stored)."""

from django.db import models
from django.utils import timezone


class TriageRequest(models.Model):
    """One triage asked from an address, kept for the rate limit. In the database, like the sign-in failures, so
    that every app server counts the same; rows older than the window are deleted as new ones come."""

    id = models.BigAutoField(primary_key=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["ip", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.ip} {self.at:%Y-%m-%d %H:%M:%S}"
