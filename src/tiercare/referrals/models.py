"""Referrals up and back down (双向转诊), green-channel reserved capacity and its queue, idempotency keys.

A Referral is shaped so that it can fill the WS 445-2014 part 16 referral record (转诊(院)记录): the patient
(``person``), the referral date (``sent_at``), the referring institution and doctor (``referring_organization``,
``referring_practitioner``: 转出医疗机构 / 转诊医师), the receiving institution and department
(``receiving_organization``, ``receiving_department``: 转入医疗机构 / 科室), the reason for referral (``reason``:
转诊原因), the diagnosis (``diagnosis_code/system/version/text``: 疾病诊断编码 and name, as strings per
CONVENTIONS.md §Clinical codes) and the summary of the illness and of tests and treatment so far (``summary``:
病情摘要 / 主要检查结果 / 治疗经过). The back-referral adds the discharge summary and care plan (``discharge_summary``,
``care_plan``: 出院小结 / 康复与随访建议). The field names are ours; the FHIR mapping (ServiceRequest) lives in fhir/.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.core.models import BaseModel


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    PRIORITY = "priority", _("Priority")
    EMERGENCY = "emergency", _("Emergency")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SCHEDULED = "scheduled", _("Scheduled")
    ARRIVED = "arrived", _("Arrived")
    TREATED = "treated", _("Treated")
    BACK_REFERRED = "back_referred", _("Back-referred")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", pgettext_lazy("referral status", "Expired")


OPEN_STATUSES = (
    Status.DRAFT,
    Status.SENT,
    Status.ACCEPTED,
    Status.SCHEDULED,
    Status.ARRIVED,
    Status.TREATED,
    Status.BACK_REFERRED,
)
TERMINAL_STATUSES = (Status.DECLINED, Status.CLOSED, Status.CANCELLED, Status.EXPIRED)


class CapacityKind(models.TextChoices):
    CLINIC = "clinic", _("Clinic place")
    BED = "bed", _("Bed")
    SURGERY = "surgery", _("Surgery slot")


class ReservedCapacity(BaseModel):
    """Places a tertiary department reserves for green-channel referrals on one day (绿色通道预留号源/床位).

    ``alliance`` set: the places are the quota of that alliance agreement (``quota_percent`` of ``total_places``
    when published that way) and only referrals between its members may book them; unset: open to every
    referral in the network.
    """

    department = models.ForeignKey(
        "network.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=CapacityKind.choices)
    places = models.PositiveIntegerField(_("reserved places"))
    total_places = models.PositiveIntegerField(_("the department's places that day"), null=True, blank=True)
    alliance = models.ForeignKey(
        "network.Alliance",
        verbose_name=_("alliance"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quota_percent = models.DecimalField(
        _("quota (%)"), max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "department"]
        verbose_name = _("reserved capacity")
        verbose_name_plural = _("reserved capacity")
        constraints = [
            models.UniqueConstraint(fields=["department", "date", "kind"], name="capacity_unique_day"),
            models.CheckConstraint(condition=Q(kind__in=CapacityKind.values), name="capacity_kind_valid"),
            models.CheckConstraint(
                condition=Q(total_places__isnull=True) | Q(places__lte=models.F("total_places")),
                name="capacity_within_total",
                violation_error_message=_("places: more places reserved than the department has."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.date} {self.kind} ×{self.places}"


class CapacityQueue(BaseModel):
    """The green-channel queue of one department for one kind of place. Its row is the lock every booking takes."""

    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=CapacityKind.choices)
    next_seq = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["department", "kind"]
        constraints = [models.UniqueConstraint(fields=["department", "kind"], name="capacity_queue_unique")]


class Referral(BaseModel):
    """One referral up (上转) from a grassroots hospital or GP center to a tertiary department or a named expert,
    and back down (下转). Only services change ``status``, by the table in ``transitions.py``."""

    person = models.ForeignKey("people.Person", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    reason = models.TextField(_("reason for referral"))
    summary = models.TextField(_("summary of illness, tests and treatment"), blank=True)
    diagnosis_code = models.CharField(_("diagnosis code"), max_length=40, blank=True)
    diagnosis_system = models.CharField(_("diagnosis code system"), max_length=60, blank=True)
    diagnosis_version = models.CharField(_("diagnosis code version"), max_length=20, blank=True)
    diagnosis_text = models.CharField(_("diagnosis"), max_length=200)

    referring_organization = models.ForeignKey(
        "network.Organization", verbose_name=_("referring organization"), on_delete=models.PROTECT, related_name="+"
    )
    referring_practitioner = models.ForeignKey(
        "network.Practitioner", verbose_name=_("referring doctor"), on_delete=models.PROTECT, related_name="+"
    )
    receiving_organization = models.ForeignKey(
        "network.Organization", verbose_name=_("receiving organization"), on_delete=models.PROTECT, related_name="+"
    )
    receiving_department = models.ForeignKey(
        "network.Department", verbose_name=_("receiving department"), on_delete=models.PROTECT, related_name="+"
    )
    named_expert = models.ForeignKey(
        "network.Practitioner",
        verbose_name=_("named expert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expert_practice_basis = models.CharField(_("expert's legal basis at the site"), max_length=30, blank=True)
    expert_practice_reference = models.CharField(_("reference of the basis"), max_length=120, blank=True)
    expert_practice_on = models.DateField(_("basis checked for"), null=True, blank=True)
    consent = models.ForeignKey(
        "people.Consent", verbose_name=_("patient's consent"), on_delete=models.PROTECT, related_name="+"
    )
    alliance = models.ForeignKey(
        "network.Alliance",
        verbose_name=_("alliance"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    green_channel = models.BooleanField(_("green channel"), default=False)
    capacity_kind = models.CharField(
        _("kind of place"), max_length=10, choices=CapacityKind.choices, default=CapacityKind.CLINIC
    )
    wanted_from = models.DateField(_("wanted from"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    treated_at = models.DateTimeField(_("treated"), null=True, blank=True)
    back_referred_at = models.DateTimeField(_("back-referred"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("declined, cancelled or expired"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    discharge_summary = models.TextField(_("discharge summary"), blank=True)
    care_plan = models.TextField(_("care plan"), blank=True)
    back_referral_to = models.ForeignKey(
        "network.Practitioner",
        verbose_name=_("back-referred to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    due_step = models.CharField(_("step due"), max_length=20, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to operations"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="referral_status_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="referral_urgency_valid"),
            models.CheckConstraint(
                condition=~Q(status=Status.DECLINED) | ~Q(decline_reason=""),
                name="referral_declined_has_reason",
                violation_error_message=_("reason: a declined referral needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.BACK_REFERRED, Status.CLOSED])
                | (~Q(discharge_summary="") & ~Q(care_plan="")),
                name="referral_back_referral_documents",
                violation_error_message=_(
                    "discharge_summary: a back-referral needs a discharge summary and care plan."
                ),
            ),
            models.CheckConstraint(
                condition=Q(named_expert__isnull=True) | ~Q(expert_practice_basis=""),
                name="referral_expert_basis_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["referring_organization", "status"]),
            models.Index(fields=["receiving_organization", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.receiving_department} ({self.status})"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CapacityBooking(BaseModel):
    """One reserved place held by one referral. Place numbers are unique per capacity day while held, and a
    referral holds at most one place: both enforced by the database, so a race cannot double-book."""

    capacity = models.ForeignKey(ReservedCapacity, on_delete=models.PROTECT, related_name="bookings")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="bookings")
    place_no = models.PositiveIntegerField()
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["capacity__date", "place_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["capacity", "place_no"], condition=Q(released_at__isnull=True), name="booking_place_once"
            ),
            models.UniqueConstraint(
                fields=["referral"], condition=Q(released_at__isnull=True), name="booking_one_per_referral"
            ),
            models.CheckConstraint(condition=Q(place_no__gte=1), name="booking_place_positive"),
        ]


class QueueStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SERVED = "served", _("Given a place")
    LEFT = "left", _("Left the queue")


class QueueEntry(BaseModel):
    """A green-channel referral waiting for a reserved place, in arrival order (``seq``)."""

    queue = models.ForeignKey(CapacityQueue, on_delete=models.PROTECT, related_name="entries")
    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="queue_entry")
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=QueueStatus.choices, default=QueueStatus.WAITING)
    expected_date = models.DateField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queue", "seq"]
        constraints = [models.UniqueConstraint(fields=["queue", "seq"], name="queue_entry_seq_unique")]


class ReferralTransition(BaseModel):
    """Every move of a referral: who (and on which side), when, from, to, why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=12)
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "created_at"]


ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/dicom": ".dcm",
}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


class ReferralAttachment(BaseModel):
    """A file from the case file sent with the referral (report, image). Stored through Django's storage."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="referrals/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.referral.person_id


class IdempotencyKey(BaseModel):
    """A client's key for one create request: a retry with the same key and body gets the same referral."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    referral = models.ForeignKey(Referral, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]
