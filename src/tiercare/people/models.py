"""Persons (patients and family members), households, consent. National IDs are stored only as a keyed hash."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiercare.core.codes import EthnicGroup
from tiercare.core.models import BaseModel
from tiercare.people.identity import ID_KIND_CHOICES


class Sex(models.TextChoices):
    """GB/T 2261.1-2003."""

    UNKNOWN = "0", _("Unknown")
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")
    UNSTATED = "9", _("Unstated")


class Person(BaseModel):
    """A resident known to the network: patient, family member, or both."""

    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnic_group = models.CharField(_("ethnic group"), max_length=2, blank=True, choices=EthnicGroup.choices)
    id_kind = models.CharField(_("ID kind"), max_length=30, choices=ID_KIND_CHOICES, blank=True)
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_last4 = models.CharField(_("ID (last 4)"), max_length=4, blank=True, editable=False)
    id_masked = models.CharField(_("ID"), max_length=24, blank=True, editable=False)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    division = models.ForeignKey(
        "core.Division",
        verbose_name=_("county (GB/T 2260)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_column="county_code",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True)
    moved_away_on = models.DateField(_("moved away on"), null=True, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["name_pinyin", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(fields=["id_kind", "id_hash"], condition=~Q(id_hash=""), name="person_unique_id"),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.id

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from tiercare.core.pinyin import name_initials, name_pinyin

        self.name_pinyin = name_pinyin(self.name)
        self.name_initials = name_initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)


class Household(BaseModel):
    """A family registered at a GP center or grassroots hospital: the unit of family-doctor care."""

    name = models.CharField(_("name"), max_length=80)
    registered_at = models.ForeignKey(
        "network.Organization",
        verbose_name=_("registered at"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    division = models.ForeignKey(
        "core.Division",
        verbose_name=_("county (GB/T 2260)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_column="county_code",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    proxy = models.ForeignKey(
        Person,
        verbose_name=_("proxy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proxy_for",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["registered_at", "name"])]

    def __str__(self) -> str:
        return self.name


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class HouseholdMember(BaseModel):
    """A person's membership of a household. A person belongs to one household at a time."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="membership")
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices, default=Relation.OTHER)

    class Meta:
        ordering = ["household", "created_at"]

    def __str__(self) -> str:
        return f"{self.person} ∈ {self.household}"


class ConsentScope(models.TextChoices):
    """What a person consents to (PIPL Art. 29: separate consent for sensitive data; Art. 23: a separate consent to
    give data to another institution)."""

    DATA_PROCESSING = "data_processing", _("Processing of health data")
    SHARING = "sharing", _("Sharing with another institution")
    TELECONSULTATION = "teleconsultation", _("Remote consultation")
    REFERRAL = "referral", _("Referral (sharing the record with the receiving hospital)")
    FAMILY_CONTRACT = "family_contract", _("Family-doctor contract")
    RESEARCH = "research", _("Research")
    MDT = "mdt", _("Multidisciplinary consultation (MDT)")
    ONLINE_CONSULTATION = "online_consultation", _("Online consultation")


# The purposes a care team records on a page (the others are kept for older rows and the API).
CONSENT_PURPOSES = (
    ConsentScope.REFERRAL,
    ConsentScope.TELECONSULTATION,
    ConsentScope.MDT,
    ConsentScope.ONLINE_CONSULTATION,
    ConsentScope.RESEARCH,
)


class ConsentSigner(models.TextChoices):
    """Who signed: the patient, or (PIPL Art. 31: a child under 14; an adult who cannot consent) a guardian, or a
    proxy the patient named."""

    PATIENT = "patient", _("The patient")
    GUARDIAN = "guardian", _("Guardian")
    PROXY = "proxy", _("Proxy")


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("Signed paper form, scanned")
    TABLET = "tablet", _("Signature on a tablet")
    SMS = "sms", _("SMS confirmation code")


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force(self, on: date | None = None) -> ConsentQuerySet:
        """Consents not withdrawn and not past their validity on ``on`` (today): the ones future sharing may rely
        on. A withdrawn or lapsed consent stays on file with what was shared under it."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(withdrawn_at__isnull=True).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def consent_document_path(instance: Consent, filename: str) -> str:
    """Never the uploader's file name: the stored name is unguessable and carries no patient data."""
    return f"consents/{instance.person_id}/{uuid.uuid4().hex}"


class Consent(BaseModel):
    """A person's consent for one purpose: who signed (the patient, or a guardian or proxy and their relationship),
    how (a scanned signed paper, a tablet signature, an SMS confirmation code), when and until when.

    Withdrawal sets ``withdrawn_at``: future sharing for the purpose is refused, what was shared under the consent
    before stays (records point at the consent, which is never deleted)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("purpose"), max_length=30, choices=ConsentScope.choices)
    granted_to = models.ForeignKey(
        "network.Organization",
        verbose_name=_("granted to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    signer = models.CharField(_("signed by"), max_length=10, choices=ConsentSigner.choices, default="patient")
    given_by = models.CharField(_("given by (guardian or relative)"), max_length=60, blank=True)
    signer_relation = models.CharField(_("relationship to the patient"), max_length=30, blank=True)
    method = models.CharField(_("how it was given"), max_length=10, choices=ConsentMethod.choices, blank=True)
    document = models.FileField(_("document"), upload_to=consent_document_path, max_length=200, blank=True)
    document_type = models.CharField(max_length=60, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    sms_phone_masked = models.CharField(max_length=11, blank=True)
    text_version = models.CharField(_("notice version"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("granted_at")),
                name="consent_dates",
                violation_error_message=_("withdrawn_at: consent cannot be withdrawn before it was given."),
            ),
            models.CheckConstraint(
                condition=Q(signer="patient") | ~Q(given_by="") & ~Q(signer_relation=""),
                name="consent_signer_named",
                violation_error_message=_("given_by: name the guardian or proxy who signed, and their relationship."),
            ),
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def in_force_on(self, day: date) -> bool:
        return self.withdrawn_at is None and (self.valid_until is None or self.valid_until >= day)


class ConsentSmsCode(BaseModel):
    """A confirmation code sent by SMS to the patient's (or signer's) phone; entering it on the consent form proves
    the holder of that phone agreed. Only a keyed hash of the code is kept; it expires and is used once."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=30, choices=ConsentScope.choices)
    phone = models.CharField(max_length=11)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]


class ProxyKind(models.TextChoices):
    """Who acts for whom (民法典 Art. 27: parents are a minor's guardians; Art. 28 and 33: an adult's guardian or
    the person they appoint in writing)."""

    GUARDIAN = "guardian", _("Guardian of a child")
    ADULT_CHILD = "adult_child", _("Adult child of an elderly parent")
    AUTHORISED = "authorised", _("Person authorised in writing")


class ProxyEvidence(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    HOUSEHOLD_REGISTER = "household_register", _("Household register (户口簿)")
    POWER_OF_ATTORNEY = "power_of_attorney", _("Signed authorisation")
    COURT_ORDER = "court_order", _("Court or committee appointment of a guardian")


class ProxyQuerySet(models.QuerySet["Proxy"]):
    def in_force(self, on: date | None = None) -> ProxyQuerySet:
        """Proxies not revoked whose validity covers ``on`` (today). A guardian's proxy of a child ends the day
        before the child's 18th birthday (``valid_until`` is capped when it is recorded) unless renewed."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class Proxy(BaseModel):
    """A recorded relationship by which ``holder`` sees and acts for ``person`` on the family's own pages: its kind,
    the evidence shown (kind and reference), and its validity. Never deleted: revoked, or left to lapse."""

    holder = models.ForeignKey(Person, verbose_name=_("proxy"), on_delete=models.PROTECT, related_name="proxies_held")
    person = models.ForeignKey(Person, verbose_name=_("for"), on_delete=models.PROTECT, related_name="proxies")
    kind = models.CharField(_("relationship"), max_length=20, choices=ProxyKind.choices)
    evidence_kind = models.CharField(_("evidence"), max_length=30, choices=ProxyEvidence.choices)
    evidence_reference = models.CharField(_("evidence reference"), max_length=120)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    renewed_at = models.DateTimeField(_("renewed at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ProxyQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-created_at"]
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(holder=models.F("person")),
                name="proxy_not_self",
                violation_error_message=_("holder: a person cannot be their own proxy."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="proxy_dates",
                violation_error_message=_("valid_until: the proxy cannot end before it starts."),
            ),
            models.CheckConstraint(condition=Q(kind__in=ProxyKind.values), name="proxy_kind_valid"),
            models.CheckConstraint(condition=~Q(evidence_reference=""), name="proxy_has_evidence"),
            models.UniqueConstraint(
                fields=["holder", "person"],
                condition=Q(revoked_at__isnull=True),
                name="proxy_one_open_per_pair",
                violation_error_message=_("person: this proxy is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} → {self.person}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    def in_force_on(self, day: date) -> bool:
        return (
            self.revoked_at is None and self.valid_from <= day and (self.valid_until is None or self.valid_until >= day)
        )
