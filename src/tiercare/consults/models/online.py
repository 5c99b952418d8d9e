"""Online follow-up consultations (在线复诊) and their e-prescriptions (issue 16, item 2).

Rules (shared/regulation/README.md §2; 互联网诊疗管理办法（试行）2018, 互联网诊疗监管细则（试行）2022):
- only a follow-up of a diagnosis already made face to face at a network institution (``diagnosis_enrollment``, with
  the day of the last face-to-face visit that confirmed it); never a first visit;
- the doctor has ≥3 years of independent practice, the consent of their institution to online practice and valid
  malpractice cover on the day, and re-authenticates (``doctor_reauth_at``) before acting in each consultation;
- a child under 6 only with a guardian present (``guardian_*``, recorded);
- the consultation stops and sends the patient to a physical visit when the condition changes, and must when what
  the patient reports meets a protocol's urgent criterion (``urgent_reported``);
- an e-prescription is signed by the doctor (sha256 of its content) and valid only after a pharmacist's review;
  no narcotic, psychotropic or other specially controlled drug; dispensing an unreviewed one is refused (service
  and check constraint);
- records are kept as outpatient records (≥15 years) and chat ≥3 years (``retain_until``; ``retention``).

Every state change is a ``Transition`` row (object_type ``online_consult`` / ``eprescription``).
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel

# 互联网诊疗监管细则（试行）2022 [S]: internet diagnosis records are outpatient e-records, kept ≥15 years
# (医疗机构病历管理规定 2013: from the last visit); text chat and audio/video ≥3 years. An operator may lengthen these
# (settings ONLINE_RECORD_RETENTION_YEARS, ONLINE_CHAT_RETENTION_YEARS); a shorter setting is raised to the law's.
LAW_RECORD_YEARS = 15
LAW_CHAT_YEARS = 3


def record_years() -> int:
    return max(LAW_RECORD_YEARS, int(getattr(settings, "ONLINE_RECORD_RETENTION_YEARS", LAW_RECORD_YEARS)))


def chat_years() -> int:
    return max(LAW_CHAT_YEARS, int(getattr(settings, "ONLINE_CHAT_RETENTION_YEARS", LAW_CHAT_YEARS)))


def years_after(years: int, start: date | None = None) -> date:
    start = start or timezone.localdate()
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def online_record_retention() -> date:
    return years_after(record_years())


def online_chat_retention() -> date:
    return years_after(chat_years())


class OnlineStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the doctor")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    SENT_TO_VISIT = "sent_to_visit", _("Stopped: sent to a visit in person")


OPEN_ONLINE = (OnlineStatus.WAITING, OnlineStatus.IN_PROGRESS)


class VisitKind(models.TextChoices):
    GP_VISIT = "gp_visit", _("A visit in person at the GP center")
    REFERRAL = "referral", _("A referral up to a hospital department")


class OnlineConsult(BaseModel):
    """A patient's online follow-up of a diagnosis made face to face (在线复诊), with their family doctor."""

    person = models.ForeignKey("people.Person", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(
        "network.Practitioner", verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="online_consults"
    )
    institution = models.ForeignKey(
        "network.Organization", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    # the diagnosis made offline: the chronic-care enrolment the patient picked, the institution where it was made
    # and the day of the last face-to-face visit that confirmed it
    diagnosis_enrollment = models.ForeignKey(
        "care.Enrollment", verbose_name=_("diagnosis"), on_delete=models.PROTECT, related_name="+"
    )
    diagnosis_label = models.CharField(_("diagnosis"), max_length=120)
    diagnosed_at = models.ForeignKey(
        "network.Organization", verbose_name=_("diagnosed at"), on_delete=models.PROTECT, related_name="+"
    )
    last_visit_on = models.DateField(_("last face-to-face visit"))
    question = models.TextField(_("question"), max_length=4000)
    guardian_present = models.BooleanField(_("guardian present"), default=False)
    guardian_name = models.CharField(_("guardian's name"), max_length=60, blank=True)
    guardian_relationship = models.CharField(_("guardian's relationship"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=OnlineStatus.choices, default=OnlineStatus.WAITING)
    doctor_reauth_at = models.DateTimeField(_("doctor re-authenticated at"), null=True, blank=True)
    urgent_reported = models.BooleanField(_("urgent criterion met"), default=False)
    urgent_rules = models.JSONField(default=list, blank=True)
    visit_kind = models.CharField(_("sent to"), max_length=20, choices=VisitKind.choices, blank=True)
    visit_by = models.DateField(_("visit by"), null=True, blank=True)
    referral_id = models.UUIDField(null=True, blank=True)
    stop_reason = models.CharField(_("reason"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(_("retain until"), default=online_record_retention)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("online follow-up consultation")
        verbose_name_plural = _("online follow-up consultations")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OnlineStatus.values), name="online_consult_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="sent_to_visit") | (~Q(stop_reason="") & ~Q(visit_kind="")),
                name="online_consult_stop_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(guardian_present=True) | (~Q(guardian_name="") & ~Q(guardian_relationship="")),
                name="online_consult_guardian_named",
            ),
        ]
        indexes = [models.Index(fields=["doctor", "status"]), models.Index(fields=["retain_until"])]

    def __str__(self) -> str:
        return f"{self.diagnosis_label} · {self.question[:30]}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ONLINE


def online_image_path(instance: OnlineMessage, filename: str) -> str:
    # never the uploader's file name: unguessable, no patient data in it
    return f"consults/online/{instance.consult_id}/{uuid.uuid4().hex}"


class OnlineMessage(BaseModel):
    """One text or image message of an online consultation (chat: kept ≥3 years), with its read receipt."""

    consult = models.ForeignKey(OnlineConsult, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_doctor = models.BooleanField(default=False)
    body = models.TextField(_("message"), max_length=4000, blank=True)
    image = models.FileField(upload_to=online_image_path, max_length=200, blank=True)
    image_name = models.CharField(max_length=200, blank=True)
    image_type = models.CharField(max_length=60, blank=True)
    image_size = models.PositiveIntegerField(default=0)
    image_sha256 = models.CharField(max_length=64, blank=True)
    reading = models.JSONField(_("reported reading"), default=dict, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    retain_until = models.DateField(_("retain until"), default=online_chat_retention)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("online consultation message")
        verbose_name_plural = _("online consultation messages")
        constraints = [
            models.CheckConstraint(
                condition=~Q(body="") | ~Q(image="") | ~Q(reading={}), name="online_message_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["retain_until"])]

    def __str__(self) -> str:
        return self.body[:40]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.consult.person_id


class PrescriptionStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Waiting for the pharmacist's review")
    APPROVED = "approved", _("Valid: approved by the pharmacist")
    RETURNED = "returned", _("Returned by the pharmacist")
    DISPENSED = "dispensed", _("Dispensed")


class EPrescription(BaseModel):
    """An e-prescription of an online consultation: written and signed by the doctor (``content_sha256`` over the
    canonical content), valid only once a pharmacist approved it; returned with a reason otherwise. Never changed
    after signing: a returned prescription is replaced by a new one."""

    consult = models.ForeignKey(OnlineConsult, on_delete=models.PROTECT, related_name="prescriptions")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("network.Organization", on_delete=models.PROTECT, related_name="+")
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    status = models.CharField(
        _("status"), max_length=20, choices=PrescriptionStatus.choices, default=PrescriptionStatus.PENDING_REVIEW
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("reason for returning"), max_length=300, blank=True)
    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispensed_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(_("retain until"), default=online_record_retention)

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("e-prescription")
        verbose_name_plural = _("e-prescriptions")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PrescriptionStatus.values), name="eprescription_status"),
            # approved, returned or dispensed only after a pharmacist's review; returned always says why
            models.CheckConstraint(
                condition=Q(status="pending_review") | (Q(reviewed_by__isnull=False) & Q(reviewed_at__isnull=False)),
                name="eprescription_reviewed",
            ),
            models.CheckConstraint(condition=~Q(status="returned") | ~Q(return_reason=""), name="eprescription_why"),
            models.CheckConstraint(
                condition=Q(dispensed_at__isnull=True) | Q(status="dispensed"), name="eprescription_dispensed"
            ),
        ]
        indexes = [models.Index(fields=["status", "institution"]), models.Index(fields=["retain_until"])]

    def __str__(self) -> str:
        return f"{_('e-prescription')} {self.signed_at:%Y-%m-%d}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def is_valid(self) -> bool:
        """Usable: approved by a pharmacist and not yet dispensed."""
        return self.status == PrescriptionStatus.APPROVED

    @property
    def lines(self) -> list[dict[str, object]]:
        return list(self.content.get("lines", []))
