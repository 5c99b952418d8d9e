"""Triage's tables: the requests counted for the per-address rate limit (no complaint is stored), the triages a
front desk recorded for a patient (their first choice), and the episodes of care the collector counts the
registrations of (issue 17: the seed's 2.6 registrations before the right doctor, measured)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel


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


class TriageUse(BaseModel):
    """A triage a front desk (GP center, coordinator) ran for a known patient: its first choice and whether it was
    urgent. The collector links it to the episode whose first registration follows within
    ``TRIAGE_LEADS_DAYS``; the complaint itself is not stored."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    first_specialty = models.CharField(_("triage's first choice"), max_length=30)
    urgent = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["person", "at"])]

    def __str__(self) -> str:
        return f"{self.first_specialty} {self.at:%Y-%m-%d}"


class Scenario(models.TextChoices):
    REAL = "real", _("Counted from registrations")
    WITHOUT_TRIAGE = "without_triage", _("Simulated, without triage")
    WITH_TRIAGE = "with_triage", _("Simulated, with triage")


class Episode(BaseModel):
    """One episode of care: from a patient's first registration for a complaint to the department that treated
    it, with the number of registrations (bookings, referrals, GP-center visits) on the way.

    Real episodes are written by the collector (``services.episodes_collect``, run by ``manage.py tick``) from the
    other apps' facts, keyed by their first registration (``first_registration``, e.g. ``booking:<id>``): collecting
    twice changes nothing. Simulated episodes (the demo) have no patient and say so in ``scenario``."""

    first_registration = models.CharField(max_length=80, unique=True)
    scenario = models.CharField(max_length=20, choices=Scenario.choices, default=Scenario.REAL)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey(
        "network.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_on = models.DateField(_("first registration"), db_index=True)
    ended_on = models.DateField(_("treated"), null=True, blank=True)
    registrations = models.PositiveSmallIntegerField(_("registrations"))
    first_specialty = models.CharField(_("first department registered"), max_length=30)
    treating_specialty = models.CharField(_("treating department"), max_length=30, blank=True)
    triage_first = models.CharField(_("triage's first choice"), max_length=30, blank=True)

    class Meta:
        ordering = ["-started_on"]
        indexes = [models.Index(fields=["scenario", "started_on"]), models.Index(fields=["person", "started_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(registrations__gte=1), name="triage_episode_registrations_positive"),
            models.CheckConstraint(condition=Q(scenario__in=Scenario.values), name="triage_episode_scenario_valid"),
            models.CheckConstraint(
                condition=Q(scenario="real", person__isnull=False) | (~Q(scenario="real") & Q(person__isnull=True)),
                name="triage_episode_real_has_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_registration} ({self.registrations})"
