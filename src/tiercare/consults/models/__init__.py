"""Hard cases: the case file, tele-consultations, second opinions and MDT cases and meetings.

Rules (shared/regulation/README.md §3, §6): a case carries the patient's written consent to remote consultation
(recorded by the inviting side); the invited expert's institution and the inviting institution have a written
cooperation agreement; the invited expert has ≥3 years of independent practice; the opinion is filed into the
inviting side's record; records are kept ≥15 years and chat/audio ≥3 years (``retain_until`` on every row, set from
the RETENTION constants below).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel

# Retention (远程医疗/互联网诊疗监管细则 2022, [S]; 医疗机构病历管理规定 2013: outpatient records ≥15 years).
# Configuration, not law in code: an operator may lengthen these; the code never shortens below them.
RETENTION_RECORD_YEARS = 15  # case file, opinions, conclusions: managed as outpatient e-records
RETENTION_CHAT_YEARS = 3  # text chat and audio/video of a consultation
# Invited doctors need ≥3 years of independent clinical practice
# (远程医疗服务管理规范 2018 [S]; 互联网诊疗管理办法 Art. 25).
MIN_INDEPENDENT_PRACTICE_YEARS = 3
# Answer deadlines per priority (hours). Champlain BASE's median answer is 21 h (Ann Fam Med 2018).
ROUTINE_DEADLINE_HOURS = 72
URGENT_DEADLINE_HOURS = 24
# Reminder to the expert and escalation to operations, as a share of the time allowed.
REMIND_AT_FRACTION = 0.5
ESCALATE_AT_FRACTION = 0.8


def retain_until(years: int, start: date | None = None) -> date:
    start = start or timezone.localdate()
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def record_retention() -> date:
    return retain_until(RETENTION_RECORD_YEARS)


def chat_retention() -> date:
    return retain_until(RETENTION_CHAT_YEARS)


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


DEADLINE_HOURS: dict[str, int] = {Priority.ROUTINE: ROUTINE_DEADLINE_HOURS, Priority.URGENT: URGENT_DEADLINE_HOURS}


def deadline_for(priority: str, start: Any) -> Any:
    return start + timedelta(hours=DEADLINE_HOURS[priority])


class Case(BaseModel):
    """A patient's hard case: the structured summary a grassroots doctor, GP or the patient submits."""

    person = models.ForeignKey("people.Person", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey("people.Consent", verbose_name=_("consent"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requesting_practitioner = models.ForeignKey(
        "network.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requesting_org = models.ForeignKey(
        "network.Organization", verbose_name=_("inviting institution"), on_delete=models.PROTECT, related_name="+"
    )
    coordinated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField(_("question"), max_length=4000)
    history = models.TextField(_("history"), max_length=8000, blank=True)
    findings = models.TextField(_("findings"), max_length=8000, blank=True)
    current_treatment = models.TextField(_("current treatment"), max_length=4000, blank=True)
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.person} · {self.question[:40]}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    # Never the uploader's file name: the stored name is unguessable and carries no patient data.
    return f"consults/{instance.case_id}/{uuid.uuid4().hex}"


class CaseAttachment(BaseModel):
    """A PDF, image or lab report of a case, stored through Django's storage API (S3-compatible in production).

    Served only through the access-checked view, never from MEDIA_URL."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.case.person_id


class Outcome(models.TextChoices):
    ADVICE_ONLY = "advice_only_referral_avoided", _("Advice only, referral avoided")
    REFERRAL_NEEDED = "referral_needed", _("Referral needed")
    MORE_INFORMATION = "more_information_needed", _("More information needed")


class ConsultStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("Waiting for an expert")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CONSULT = (ConsultStatus.UNASSIGNED, ConsultStatus.ASSIGNED, ConsultStatus.ANSWERED)


class AssignedWork(BaseModel):
    """What tele-consultations and second opinions share: a specialty, an expert, a legal basis, a deadline."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    specialty = models.CharField(_("specialty"), max_length=30)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    expert = models.ForeignKey(
        "network.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("legal basis"), max_length=30, blank=True)
    basis_reference = models.CharField(_("basis reference"), max_length=120, blank=True)
    agreement = models.ForeignKey(
        "network.SupportAgreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateTimeField(_("deadline"))
    first_answer_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        abstract = True

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.case.person_id

    def is_late(self, now: Any = None) -> bool:
        return self.first_answer_at is None and (now or timezone.now()) > self.deadline


class Teleconsult(AssignedWork):
    """A grassroots doctor's or GP's question to an expert (远程会诊 / eConsult)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="teleconsults")
    status = models.CharField(
        _("status"), max_length=20, choices=ConsultStatus.choices, default=ConsultStatus.UNASSIGNED
    )
    outcome = models.CharField(_("outcome"), max_length=40, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    filed_to = models.ForeignKey(
        "network.Organization",
        verbose_name=_("filed into the record of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["deadline"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ConsultStatus.values), name="teleconsult_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="teleconsult_closed_has_outcome"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["expert", "status"])]

    def __str__(self) -> str:
        return f"{_('Tele-consultation')} {self.case}"

    @property
    def kind_label(self) -> str:
        return str(_("Tele-consultation"))

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("consults:teleconsult", args=[self.pk])


class ConsultMessage(BaseModel):
    """One message of a tele-consultation's thread (chat: kept ≥3 years)."""

    teleconsult = models.ForeignKey(Teleconsult, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=8000)
    retain_until = models.DateField(_("retain until"), default=chat_retention)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:40]


class OpinionStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("Waiting for an expert")
    ASSIGNED = "assigned", _("Assigned")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_OPINION = (OpinionStatus.UNASSIGNED, OpinionStatus.ASSIGNED)


class SignedOpinionError(PermissionError):
    pass


class SecondOpinion(AssignedWork):
    """An expert's written opinion on a diagnosis or treatment plan. Immutable once signed; corrections are addenda.

    Immutability is enforced four times: the services refuse, ``save()`` refuses, the admin shows it read-only, and
    database triggers (migration 0003) refuse any UPDATE or DELETE of a signed row, whatever the column."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="opinions")
    status = models.CharField(
        _("status"), max_length=20, choices=OpinionStatus.choices, default=OpinionStatus.UNASSIGNED
    )
    text = models.TextField(_("opinion"), max_length=20000, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        ordering = ["deadline"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OpinionStatus.values), name="opinion_status_valid"),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | (Q(signed_by__isnull=False) & ~Q(text="")),
                name="opinion_signed_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Second opinion')} {self.case}"

    @property
    def kind_label(self) -> str:
        return str(_("Second opinion"))

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("consults:opinion", args=[self.pk])

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise SignedOpinionError("a signed opinion cannot be changed; add an addendum")
        super().save(*args, **kwargs)


class OpinionAddendum(BaseModel):
    """A signed correction or addition to a signed opinion (the opinion itself never changes). Append-only: database
    triggers (migration 0003) refuse UPDATE and DELETE."""

    opinion = models.ForeignKey(SecondOpinion, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("addendum"), max_length=8000)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        ordering = ["signed_at"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SignedOpinionError("a signed addendum cannot be changed")
        super().save(*args, **kwargs)


class MdtStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    CONCLUDED = "concluded", _("Concluded")
    CANCELLED = "cancelled", _("Cancelled")


class MdtCase(BaseModel):
    """A case that needs several specialties together."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="mdt_cases")
    specialties = models.JSONField(_("specialties"), default=list)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("network.Organization", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    deadline = models.DateTimeField(_("meet before"))
    status = models.CharField(_("status"), max_length=20, choices=MdtStatus.choices, default=MdtStatus.REQUESTED)
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        ordering = ["deadline"]
        constraints = [models.CheckConstraint(condition=Q(status__in=MdtStatus.values), name="mdt_status_valid")]

    def __str__(self) -> str:
        return f"MDT {self.case}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.case.person_id


class ConclusionAction(models.TextChoices):
    NONE = "", _("None")
    CARE_PLAN = "care_plan", _("Care plan back to the GP")
    REFERRAL = "referral", _("Referral up")


class MdtMeeting(BaseModel):
    """The meeting of an MDT case: one per case, booked once even under races (unique mdt_case).

    Signed (``signed_at``) no earlier than ``starts_at``; once signed, no column changes and the row is never deleted
    (``save()`` and database triggers, migration 0003)."""

    mdt_case = models.OneToOneField(MdtCase, on_delete=models.PROTECT, related_name="meeting")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    chair = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    video_link = models.URLField(_("video link"), blank=True)
    minutes = models.TextField(_("minutes"), max_length=20000, blank=True)
    conclusion = models.TextField(_("conclusion"), max_length=8000, blank=True)
    action = models.CharField(_("next step"), max_length=20, choices=ConclusionAction.choices, blank=True)
    care_plan = models.TextField(_("care plan"), max_length=8000, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(_("retain until"), default=record_retention)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="mdt_meeting_times"),
        ]

    def __str__(self) -> str:
        return f"MDT {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.mdt_case.case.person_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise SignedOpinionError("a signed MDT conclusion cannot be changed")
        super().save(*args, **kwargs)


class MdtParticipant(BaseModel):
    """An expert at an MDT meeting, for one specialty, with the legal basis recorded.

    An expert is never booked into two MDT meetings starting at the same time (unique practitioner + starts_at)."""

    meeting = models.ForeignKey(MdtMeeting, on_delete=models.CASCADE, related_name="participants")
    practitioner = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    specialty = models.CharField(max_length=30)
    starts_at = models.DateTimeField()
    basis = models.CharField(max_length=30, blank=True)
    basis_reference = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["specialty"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "practitioner"], name="mdt_participant_once"),
            models.UniqueConstraint(fields=["practitioner", "starts_at"], name="mdt_participant_no_double_booking"),
        ]


class Transition(BaseModel):
    """Every state change of a tele-consultation, opinion or MDT case: who, when, from, to, why."""

    object_type = models.CharField(max_length=30)
    object_id = models.UUIDField(db_index=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]


class MeetingHours(BaseModel):
    """A weekly window outside working hours (Monday to Friday 08:00–18:00) in which an expert will join an MDT
    meeting: a Saturday morning, a weekday evening. Marked by the expert; without one, the slot finder proposes no
    weekend or night time for them (slots.WORKING_HOURS)."""

    practitioner = models.ForeignKey("network.Practitioner", on_delete=models.CASCADE, related_name="mdt_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("MDT meeting hours")
        verbose_name_plural = _("MDT meeting hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="mdt_hours_weekday"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="mdt_hours_times",
                violation_error_message=_("end: the end is not after the start."),
            ),
            models.UniqueConstraint(
                fields=["practitioner", "weekday", "start"],
                name="mdt_hours_once",
                violation_error_message=_("start: you already marked hours starting then on that day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


# Online follow-up consultations live in their own module (this one passed 600 lines); re-exported here.
from tiercare.consults.models.online import (  # noqa: E402
    OPEN_ONLINE,
    EPrescription,
    OnlineConsult,
    OnlineMessage,
    OnlineStatus,
    PrescriptionStatus,
    VisitKind,
)

__all__ = [
    "OPEN_ONLINE",
    "EPrescription",
    "OnlineConsult",
    "OnlineMessage",
    "OnlineStatus",
    "PrescriptionStatus",
    "VisitKind",
]
