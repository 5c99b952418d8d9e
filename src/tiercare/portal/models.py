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
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
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
        verbose_name = _("real-name check")
        verbose_name_plural = _("real-name checks")
        ordering = ["-checked_at"]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class ReminderKind(models.TextChoices):
    FOLLOWUP_DUE = "followup_due", _("Follow-up due")
    APPOINTMENT = "appointment", _("Clinic appointment")
    REFERRAL_APPOINTMENT = "referral_appointment", _("Referral appointment")
    BACK_REFERRAL_VISIT = "back_referral_visit", _("Visit owed after a back-referral")
    MEDICATION_REFILL = "medication_refill", _("Medicine refill")
    EDUCATION = "education", _("Health reading")


class ReminderStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    OPTED_OUT = "opted_out", _("Not sent: opted out")
    NO_PHONE = "no_phone", _("Not sent: no mobile number")


class ReminderSent(BaseModel):
    """One reminder about one person for one occasion (``key``: the follow-up's due day, the booking, the referral
    step…), sent or not and why. The key is unique: a reminder goes out once, however often the tick runs."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=ReminderKind.choices)
    key = models.CharField(max_length=120, unique=True)
    template_code = models.CharField(max_length=60)
    status = models.CharField(max_length=20, choices=ReminderStatus.choices)
    phones_masked = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SMS reminder")
        verbose_name_plural = _("SMS reminders")
        ordering = ["-sent_at"]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class ReminderOptOut(BaseModel):
    """A person's recorded choice to receive no SMS reminders (about them), who recorded it, how, and when it was
    withdrawn (reminders resume). One open opt-out per person."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=20, default="family_page")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("reminder opt-out")
        verbose_name_plural = _("reminder opt-outs")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(withdrawn_at__isnull=True), name="portal_one_open_opt_out"
            )
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class EducationSent(BaseModel):
    """An education text (``data/education.json``, by topic id) the care team sent to a person; the family reads
    it on their page (``read_at`` when first opened)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    topic_id = models.CharField(max_length=40)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("health text sent")
        verbose_name_plural = _("health texts sent")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["person", "topic_id"], name="portal_education_once_per_person")]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class HalfDay(models.TextChoices):
    AM = "am", _("Morning")
    PM = "pm", _("Afternoon")


# When a GP center's half-days run (local time): visits are slots inside these hours.
GP_HALF_DAY_HOURS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "am": ((8, 0), (11, 30)),
    "pm": ((14, 0), (17, 0)),
}


class GpHours(BaseModel):
    """A GP team's weekly visiting hours, as data: on this weekday's half-day the team sees patients in slots of
    ``slot_minutes``, ``places_per_slot`` patients a slot. Patients book these slots on the family's pages."""

    team = models.ForeignKey("care.GpTeam", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    places_per_slot = models.PositiveSmallIntegerField(_("places per slot"), default=2)

    class Meta:
        verbose_name = _("GP visiting hours")
        verbose_name_plural = _("GP visiting hours")
        ordering = ["team", "weekday", "half_day"]
        constraints = [
            models.UniqueConstraint(fields=["team", "weekday", "half_day"], name="portal_gp_hours_once"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="portal_gp_hours_weekday"),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5, places_per_slot__gte=1), name="portal_gp_hours_positive"
            ),
        ]


class GpVisitStatus(models.TextChoices):
    ACTIVE = "active", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class GpVisit(BaseModel):
    """A person's booked visit with their contracted GP team: one place of one slot. The database refuses a place
    twice and a second active visit of the same person on the same day."""

    team = models.ForeignKey("care.GpTeam", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    day = models.DateField(_("day"))  # the local date of starts_at
    place_number = models.PositiveSmallIntegerField(_("place"))
    status = models.CharField(max_length=20, choices=GpVisitStatus.choices, default=GpVisitStatus.ACTIVE)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("GP visit booking")
        verbose_name_plural = _("GP visit bookings")
        ordering = ["starts_at", "place_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "starts_at", "place_number"],
                condition=models.Q(status="active"),
                name="portal_gp_visit_place_once",
            ),
            models.UniqueConstraint(
                fields=["person", "day"], condition=models.Q(status="active"), name="portal_gp_visit_one_a_day"
            ),
            models.CheckConstraint(condition=models.Q(place_number__gte=1), name="portal_gp_visit_place_positive"),
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id
