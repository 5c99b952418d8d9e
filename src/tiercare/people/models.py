"""Persons (patients and family members), households, consent. National IDs are stored only as a keyed hash."""

from __future__ import annotations

import uuid

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
    """What a person consents to (PIPL Art. 29: separate consent for sensitive data)."""

    DATA_PROCESSING = "data_processing", _("Processing of health data")
    SHARING = "sharing", _("Sharing with another institution")
    TELECONSULTATION = "teleconsultation", _("Remote consultation")
    REFERRAL = "referral", _("Referral")
    FAMILY_CONTRACT = "family_contract", _("Family-doctor contract")
    RESEARCH = "research", _("Research")


class Consent(BaseModel):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("scope"), max_length=30, choices=ConsentScope.choices)
    granted_to = models.ForeignKey(
        "network.Organization",
        verbose_name=_("granted to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    given_by = models.CharField(_("given by (guardian or relative)"), max_length=60, blank=True)
    text_version = models.CharField(_("notice version"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("granted_at")),
                name="consent_dates",
                violation_error_message=_("withdrawn_at: consent cannot be withdrawn before it was given."),
            )
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
