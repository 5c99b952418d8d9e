"""The network directory: organizations, departments, practitioners, where they may practise, and on what basis."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.core.models import BaseModel


class Tier(models.TextChoices):
    TERTIARY = "tertiary", _("Tertiary hospital")
    SECONDARY = "secondary", _("Secondary hospital")
    PRIMARY = "primary", _("Grassroots hospital")
    GP_CENTER = "gp_center", _("GP center")


class OrgKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    DOCTOR_GROUP = "doctor_group", _("Doctor group")
    GP_CENTER = "gp_center", _("GP center")


class GpMode(models.TextChoices):
    FLAGSHIP = "flagship", _("Flagship")
    OWNED = "owned", _("Owned")
    COOPERATIVE = "cooperative", _("Cooperative")
    MANAGED = "managed", _("Managed")
    FRANCHISE = "franchise", _("Franchise")


class OrgStatus(models.TextChoices):
    OPERATING = "operating", _("In operation")
    PREPARING = "preparing", _("In preparation")
    CLOSED = "closed", pgettext_lazy("organization status", "Closed")


class Specialty(models.TextChoices):
    """The controlled list of specialties (科室专业). Codes are stable; labels are translated."""

    PEDIATRICS = "pediatrics", _("Pediatrics")
    NEONATOLOGY = "neonatology", _("Neonatology")
    GYNECOLOGY = "gynecology", _("Gynecology")
    OBSTETRICS = "obstetrics", _("Obstetrics")
    GYNECOLOGIC_ONCOLOGY = "gynecologic_oncology", _("Gynecologic oncology")
    ONCOLOGY = "oncology", _("Oncology")
    INTERNAL_MEDICINE = "internal_medicine", _("Internal medicine")
    CARDIOLOGY = "cardiology", _("Cardiology")
    ENDOCRINOLOGY = "endocrinology", _("Endocrinology")
    RESPIRATORY = "respiratory", _("Respiratory medicine")
    GASTROENTEROLOGY = "gastroenterology", _("Gastroenterology")
    NEPHROLOGY = "nephrology", _("Nephrology")
    NEUROLOGY = "neurology", _("Neurology")
    GENERAL_PRACTICE = "general_practice", _("General practice")
    SURGERY = "surgery", _("General surgery")
    ORTHOPEDICS = "orthopedics", _("Orthopedics")
    UROLOGY = "urology", _("Urology")
    ANESTHESIOLOGY = "anesthesiology", _("Anesthesiology")
    EMERGENCY = "emergency", _("Emergency medicine")
    RADIOLOGY = "radiology", _("Radiology")
    PATHOLOGY = "pathology", _("Pathology")
    OPHTHALMOLOGY = "ophthalmology", _("Ophthalmology")
    ENT = "ent", _("Otolaryngology")
    DERMATOLOGY = "dermatology", _("Dermatology")
    PSYCHIATRY = "psychiatry", _("Psychiatry")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    TCM = "tcm", _("Traditional Chinese medicine")


class Title(models.TextChoices):
    """Professional titles (职称). Chief and associate chief are the senior titles (高级职称)."""

    CHIEF = "chief", _("Chief physician")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician")
    ATTENDING = "attending", _("Attending physician")
    RESIDENT = "resident", _("Resident physician")
    NURSE = "nurse", _("Nurse")
    HEALTH_MANAGER = "health_manager", _("Health manager")
    STAFF = "staff", _("Administrative staff")


SENIOR_TITLES = (Title.CHIEF, Title.ASSOCIATE_CHIEF)


class Organization(BaseModel):
    """A hospital, a GP center, or the doctor group. Only licensed institutions host clinical acts."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)
    gp_mode = models.CharField(_("operating mode"), max_length=20, choices=GpMode.choices, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=OrgStatus.choices, default=OrgStatus.OPERATING)
    license_number = models.CharField(_("practice licence number"), max_length=60, blank=True)
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    county = models.CharField(_("county"), max_length=40, blank=True)
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
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OrgKind.values), name="org_kind_valid"),
            # A GP center is exactly the gp_center tier and has an operating mode; nothing else has a mode.
            models.CheckConstraint(
                condition=(Q(kind="gp_center", tier="gp_center") & ~Q(gp_mode=""))
                | (~Q(kind="gp_center") & ~Q(tier="gp_center") & Q(gp_mode="")),
                name="org_gp_center_consistent",
                violation_error_message=_(
                    "gp_mode: a GP center has the gp_center tier and an operating mode; "
                    "other organizations have neither."
                ),
            ),
            # The doctor group is a contracting entity, not a hospital: it has no tier.
            models.CheckConstraint(
                condition=~Q(kind="doctor_group") | Q(tier=""),
                name="org_doctor_group_no_tier",
                violation_error_message=_("tier: the doctor group is not a hospital and has no tier."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="hospital") | ~Q(tier=""),
                name="org_hospital_has_tier",
                violation_error_message=_("tier: a hospital needs a tier."),
            ),
        ]
        indexes = [models.Index(fields=["tier", "kind"]), models.Index(fields=["province", "city", "county"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_licensed_institution(self) -> bool:
        """Can clinical acts happen here? Hospitals and GP centers hold a licence; the doctor group does not."""
        return self.kind != OrgKind.DOCTOR_GROUP and self.status != OrgStatus.CLOSED


class Department(BaseModel):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=80)
    specialty = models.CharField(_("specialty"), max_length=30, choices=Specialty.choices, db_index=True)
    beds = models.PositiveIntegerField(_("beds"), default=0)

    class Meta:
        ordering = ["organization__name", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="department_unique_name"),
            models.CheckConstraint(condition=Q(specialty__in=Specialty.values), name="department_specialty_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.name}"


class Practitioner(BaseModel):
    """A doctor, nurse, health manager or coordinator. Experts of the doctor group have a home (main) institution."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioner",
    )
    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    sex = models.CharField(
        _("sex"),
        max_length=1,
        choices=[("0", _("unknown")), ("1", _("male")), ("2", _("female")), ("9", _("unstated"))],
        default="0",
    )
    title = models.CharField(_("title"), max_length=20, choices=Title.choices)
    specialty = models.CharField(_("specialty"), max_length=30, choices=Specialty.choices, blank=True, db_index=True)
    other_specialties = models.JSONField(_("other specialties"), default=list, blank=True)
    license_number = models.CharField(_("practising certificate number"), max_length=40, blank=True)
    independent_practice_since = models.DateField(_("independent practice since"), null=True, blank=True)
    can_operate = models.BooleanField(_("qualified to operate"), default=False)
    home_organization = models.ForeignKey(
        Organization,
        verbose_name=_("main institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="home_practitioners",
    )
    home_department = models.ForeignKey(
        Department,
        verbose_name=_("home department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    doctor_group = models.ForeignKey(
        Organization,
        verbose_name=_("doctor group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_experts",
        limit_choices_to={"kind": OrgKind.DOCTOR_GROUP},
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_pinyin", "name"]
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        constraints = [
            models.CheckConstraint(condition=Q(title__in=Title.values), name="practitioner_title_valid"),
            models.UniqueConstraint(
                fields=["license_number"], condition=~Q(license_number=""), name="practitioner_license_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_senior(self) -> bool:
        return self.title in SENIOR_TITLES

    @property
    def specialties(self) -> list[str]:
        return [s for s in [self.specialty, *self.other_specialties] if s]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from tiercare.core.pinyin import name_initials, name_pinyin

        self.name_pinyin = name_pinyin(self.name)
        self.name_initials = name_initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)


class StaffRole(models.TextChoices):
    EXPERT = "expert", _("Visiting expert")
    PHYSICIAN = "physician", _("Physician")
    COORDINATOR = "coordinator", _("Coordinator")
    GP = "gp", _("General practitioner")
    NURSE = "nurse", _("Nurse")
    HEALTH_MANAGER = "health_manager", _("Health manager")
    OPS = "ops", _("Operations")
    PHARMACIST = "pharmacist", _("Pharmacist")


class PractitionerRole(BaseModel):
    """A practitioner working at an organization (and department) in a role, over a period."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="roles")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff_roles")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    valid_from = models.DateField(_("valid from"), default=date.today)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="practitioner_role_dates",
                violation_error_message=_("valid_to: the end date is before the start date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} @ {self.organization} ({self.role})"


class RegistrationKind(models.TextChoices):
    """How a site is on a doctor's licence (医师执业注册管理办法 2017, regional registration)."""

    MAIN = "main", _("Main institution registration")
    FILING = "filing", _("Filing (备案) in the same province")
    ADDED = "added", _("Added registration in another province")


class SiteRegistration(BaseModel):
    """Multi-site practice registration (多点执业): a practitioner may practise at a site between two dates."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="site_registrations")
    site = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="site_registrations")
    kind = models.CharField(_("kind"), max_length=10, choices=RegistrationKind.choices, default=RegistrationKind.FILING)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    scope = models.CharField(_("scope of practice"), max_length=120, blank=True)
    reference = models.CharField(_("filing reference"), max_length=60, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("site registration")
        verbose_name_plural = _("site registrations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="site_registration_dates",
                violation_error_message=_("valid_to: the end date is before the start date."),
            ),
            models.CheckConstraint(condition=Q(kind__in=RegistrationKind.values), name="site_registration_kind"),
        ]
        indexes = [models.Index(fields=["site", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.practitioner} @ {self.site} {self.valid_from}–{self.valid_to or '…'}"

    def is_valid_on(self, on: date) -> bool:
        return not self.revoked and self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


class InsurancePolicy(BaseModel):
    """Malpractice cover (医疗责任险) of one practitioner."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="insurance_policies")
    insurer = models.CharField(_("insurer"), max_length=80)
    number = models.CharField(_("policy number"), max_length=60)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    cover_amount = models.DecimalField(_("cover amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-valid_to"]
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "number"], name="insurance_unique_number"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="insurance_dates",
                violation_error_message=_("valid_to: the cover ends before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(cover_amount__gt=0),
                name="insurance_cover_positive",
                violation_error_message=_("cover_amount: the cover amount must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.number}"

    def is_valid_on(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to


class ServiceKind(models.TextChoices):
    SURGERY = "surgery", _("Surgery")
    CLINIC = "clinic", _("Clinic")
    WARD_ROUND = "ward_round", _("Ward round")
    TEACHING = "teaching", _("Teaching")
    CONSULTATION = "consultation", _("Consultation")


class Partnership(BaseModel):
    """A partner department (合作科室) under contract with the doctor group."""

    doctor_group = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="partnerships",
        limit_choices_to={"kind": OrgKind.DOCTOR_GROUP},
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="partnerships")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    contract_reference = models.CharField(_("contract reference"), max_length=60, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="partnership_dates"
            ),
            models.UniqueConstraint(fields=["doctor_group", "department", "start"], name="partnership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor_group} × {self.department}"

    def is_active_on(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


class AllianceKind(models.TextChoices):
    CITY_GROUP = "city_group", _("Urban medical group")
    COUNTY_COMMUNITY = "county_community", _("County medical community")
    SPECIALTY = "specialty", _("Specialty alliance")
    TELEMEDICINE = "telemedicine", _("Telemedicine network")


class Alliance(BaseModel):
    """A medical alliance (医联体). Practising at a member institution needs no filing (医师法 Art. 18)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AllianceKind.choices)
    lead = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    referral_quota_percent = models.DecimalField(
        _("reserved referral capacity (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Set per alliance agreement: no national figure exists."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AllianceMembership(BaseModel):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="alliance_memberships")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["alliance__name"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "organization", "valid_from"], name="alliance_member_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="alliance_member_dates",
                violation_error_message=_("valid_to: the end date is before the start date."),
            ),
        ]


class AgreementKind(models.TextChoices):
    PAIRED_ASSISTANCE = "paired_assistance", _("Paired assistance (对口支援)")
    ASSISTANCE = "assistance", _("Support (帮扶)")
    TRUSTEESHIP = "trusteeship", _("Trusteeship (托管)")
    TELEMEDICINE = "telemedicine", _("Telemedicine cooperation")


class SupportAgreement(BaseModel):
    """A signed agreement by which one institution supports another; a legal basis for its doctors' visits."""

    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    supporting = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="agreements_given")
    supported = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="agreements_received")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reference = models.CharField(pgettext_lazy("agreement", "reference"), max_length=60, blank=True)
    liability_terms = models.TextField(_("liability split"), blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="support_agreement_dates",
                violation_error_message=_("valid_to: the end date is before the start date."),
            ),
            models.CheckConstraint(
                condition=~Q(supporting=models.F("supported")),
                name="support_agreement_two_orgs",
                violation_error_message=_("supported: an institution cannot support itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supporting} → {self.supported} ({self.kind})"


class Invitation(BaseModel):
    """An invited consultation (会诊邀请): a site invites a named practitioner for a period."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="invitations")
    site = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invitations")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    reference = models.CharField(pgettext_lazy("invitation", "reference"), max_length=60, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="invitation_dates",
                violation_error_message=_("valid_to: the end date is before the start date."),
            )
        ]


class ImportKind(models.TextChoices):
    """The sheets the directory's Excel import and export know."""

    EXPERTS = "experts", _("Experts")
    REGISTRATIONS = "registrations", _("Site registrations")
    INSURANCE = "insurance", _("Insurance policies")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    CONFIRMED = "confirmed", _("Confirmed")
    DISCARDED = "discarded", _("Discarded")


class ImportBatch(BaseModel):
    """An uploaded Excel sheet between preview and confirmation.

    ``rows`` holds the good rows' parsed values ([{"row": excel row, "values": {column key: JSON value}}]),
    written to the directory only at confirmation; ``errors`` the reasons of the bad rows ([{"row", "field",
    "reason"}]); ``rejected`` the bad rows' cells as uploaded ([{"row", "cells": {column key: value}}]) so that
    they can be downloaded, fixed and uploaded again.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    rows = models.JSONField(_("good rows"), default=list, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_batch_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_batch_status_valid"),
            models.CheckConstraint(
                condition=Q(status="confirmed", confirmed_at__isnull=False)
                | (~Q(status="confirmed") & Q(confirmed_at__isnull=True)),
                name="import_batch_confirmed_at",
            ),
        ]
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} ({self.status})"


class OnlinePracticeConsent(BaseModel):
    """The consent of the institution where a practitioner is registered to their online follow-up practice
    (在线复诊): 互联网诊疗管理办法（试行）2018 Art. 25 [P, reproduced]; 医师法 2021 Art. 30 [P]. Valid from a day,
    until a day (or open), unless revoked; an online consultation is held only on a day it is valid."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="online_consents")
    organization = models.ForeignKey(
        Organization, verbose_name=_("consenting institution"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference of the consent"), max_length=120, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("online-practice consent")
        verbose_name_plural = _("online-practice consents")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="online_consent_dates",
                violation_error_message=_("valid_to: the consent ends before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} @ {self.organization}"

    def is_valid_on(self, on: date) -> bool:
        return self.revoked_at is None and self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)
