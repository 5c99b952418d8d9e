"""Money that anyone can trace (issue 15): price versions per partner hospital and service, charges made from facts
(a held session's report, an answered tele-consultation, a signed second opinion, a concluded MDT, a signed
family-doctor contract), each charge split by a versioned revenue-share rule, and experts' monthly statements.

Money is ``Decimal`` in yuan with two places. A charge keeps the price version and the share rule version that made
it; a fact is charged once (unique fact, kind, item), even when charge creation races (docs/adr/0006).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.care.models import Package
from tiercare.core.models import BaseModel

# The smallest price a price list takes, and the smallest platform share a rule takes: together they keep the
# platform's part (the remainder after the other parts are rounded half-up) from going below zero (docs/adr/0006).
MIN_PRICE = Decimal("10.00")
MIN_PLATFORM_PERCENT = Decimal("1.00")


def parts_add_up(name: str) -> models.CheckConstraint:
    """The database's check that the five parts of an amount (platform, hospital, expert, premium, travel) add up to
    it to the fen."""
    parts = F("platform_share") + F("hospital_share") + F("expert_share") + F("premium_share") + F("travel_share")
    return models.CheckConstraint(condition=Q(amount=Round(parts, 2)), name=name)


class Service(models.TextChoices):
    """What a price is for. Surgery is priced by its grade (手术分级, 《医疗技术临床应用管理办法》)."""

    SURGERY_1 = "surgery_1", _("Special-needs surgery, grade 1")
    SURGERY_2 = "surgery_2", _("Special-needs surgery, grade 2")
    SURGERY_3 = "surgery_3", _("Special-needs surgery, grade 3")
    SURGERY_4 = "surgery_4", _("Special-needs surgery, grade 4")
    CLINIC = "clinic", _("Expert clinic, per patient seen")
    WARD_ROUND = "ward_round", _("Ward round, per session")
    TEACHING = "teaching", _("Teaching, per session")
    TELECONSULT = "teleconsult", _("Tele-consultation")
    SECOND_OPINION = "second_opinion", _("Second opinion")
    MDT = "mdt", _("MDT, per expert")
    ONLINE_CONSULT = "online_consult", _("Online consultation")
    PACKAGE_BASIC = "package_basic", _("Family-doctor package, basic")
    PACKAGE_PERSONALISED = "package_personalised", _("Family-doctor package, personalised")


class FactKind(models.TextChoices):
    """The work a charge traces to."""

    SESSION = "session", _("Expert session")
    TELECONSULT = "teleconsult", _("Tele-consultation")
    OPINION = "opinion", _("Second opinion")
    MDT = "mdt", _("MDT")
    CONTRACT = "contract", _("Family-doctor contract")
    ONLINE = "online", _("Online follow-up consultation")


class Price(BaseModel):
    """One version of the price of a service at a partner hospital, in force from ``effective_from``.

    Editing a price adds a version; versions are never changed (a charge keeps the version it used). The price in
    force on a day is the version with the latest ``effective_from`` not after that day (the higher version wins a
    tie)."""

    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    version = models.PositiveIntegerField(_("version"))
    amount = models.DecimalField(
        _("price (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(MIN_PRICE)]
    )
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["hospital__name", "service", "-version"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "service", "version"], name="finance_price_version_once"),
            models.CheckConstraint(condition=Q(amount__gte=MIN_PRICE), name="finance_price_minimum"),
            models.CheckConstraint(condition=Q(service__in=Service.values), name="finance_price_service_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.get_service_display()} v{self.version} ¥{self.amount}"


class ShareRule(BaseModel):
    """One version of a partner hospital's revenue-share rule, in force from ``effective_from``: the percentages of a
    charge that go to the platform (the doctor group), the host hospital, the expert, the malpractice-cover premium
    and travel. They add up to 100 (database check)."""

    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    platform_pct = models.DecimalField(
        _("platform %"), max_digits=5, decimal_places=2, validators=[MinValueValidator(MIN_PLATFORM_PERCENT)]
    )
    hospital_pct = models.DecimalField(
        _("hospital %"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    expert_pct = models.DecimalField(_("expert %"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    premium_pct = models.DecimalField(
        _("malpractice premium %"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    travel_pct = models.DecimalField(_("travel %"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    # GP centers (issue 15 item 3): the operating mode the rule was written for, blank for a partner hospital. The
    # chain's part is the platform's, the partner's (cooperative partner, managed center's owner, franchisee) the
    # hospital's: owned and flagship give the partner nothing; cooperative a share; managed a management fee (the
    # platform's percentage); franchise a royalty (the platform's percentage) plus ``monthly_fee`` each month.
    center_mode = models.CharField(_("operating mode"), max_length=20, blank=True)
    monthly_fee = models.DecimalField(
        _("franchise fee per month (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(0)],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["hospital__name", "-version"]
        verbose_name = _("revenue-share rule")
        verbose_name_plural = _("revenue-share rules")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "version"], name="finance_sharerule_version_once"),
            models.CheckConstraint(
                condition=Q(
                    platform_pct__gte=MIN_PLATFORM_PERCENT,
                    hospital_pct__gte=0,
                    expert_pct__gte=0,
                    premium_pct__gte=0,
                    travel_pct__gte=0,
                ),
                name="finance_sharerule_parts_positive",
            ),
            models.CheckConstraint(
                condition=Q(
                    platform_pct=Round(
                        Decimal(100) - F("hospital_pct") - F("expert_pct") - F("premium_pct") - F("travel_pct"), 2
                    )
                ),
                name="finance_sharerule_adds_to_100",
            ),
            models.CheckConstraint(
                condition=Q(center_mode__in=["", "flagship", "owned", "cooperative", "managed", "franchise"]),
                name="finance_sharerule_mode_valid",
            ),
            # owned and flagship centers give the partner nothing; only a franchise pays a monthly fee
            models.CheckConstraint(
                condition=~Q(center_mode__in=["flagship", "owned"]) | Q(hospital_pct=0),
                name="finance_sharerule_owned_all_chain",
            ),
            models.CheckConstraint(
                condition=Q(center_mode="franchise") | Q(monthly_fee=0), name="finance_sharerule_fee_franchise_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} v{self.version}"


class Charge(BaseModel):
    """What one piece of work earns: ``quantity`` × the price version's amount, split by the share rule version.

    A fact (``fact_kind``, ``fact_id``) gives one charge per ``item`` (a surgery grade of a session's report, an
    expert of an MDT), never two: a unique constraint, so fifty racing creations store one. The parts add up to
    ``amount`` to the fen (a database check; rounding in docs/adr/0006)."""

    fact_kind = models.CharField(_("work"), max_length=20, choices=FactKind.choices)
    fact_id = models.UUIDField(_("work id"))
    item = models.CharField(max_length=60, blank=True)
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    expert = models.ForeignKey(
        "network.Practitioner",
        verbose_name=_("expert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_on = models.DateField(_("date"), db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1), MaxValueValidator(10000)])
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    price = models.ForeignKey(Price, verbose_name=_("price version"), on_delete=models.PROTECT, related_name="charges")
    rule = models.ForeignKey(
        ShareRule, verbose_name=_("share rule version"), on_delete=models.PROTECT, related_name="charges"
    )
    platform_share = models.DecimalField(_("platform"), max_digits=12, decimal_places=2)
    hospital_share = models.DecimalField(_("hospital"), max_digits=12, decimal_places=2)
    expert_share = models.DecimalField(_("expert"), max_digits=12, decimal_places=2)
    premium_share = models.DecimalField(_("malpractice premium"), max_digits=12, decimal_places=2)
    travel_share = models.DecimalField(_("travel"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-occurred_on", "created_at"]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        constraints = [
            models.UniqueConstraint(fields=["fact_kind", "fact_id", "item"], name="finance_charge_fact_once"),
            models.CheckConstraint(
                condition=Q(amount=Round(F("unit_price") * F("quantity"), 2)), name="finance_charge_amount"
            ),
            parts_add_up("finance_charge_parts_add_up"),
            models.CheckConstraint(
                condition=Q(
                    platform_share__gte=0,
                    hospital_share__gte=0,
                    expert_share__gte=0,
                    premium_share__gte=0,
                    travel_share__gte=0,
                ),
                name="finance_charge_parts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["hospital", "occurred_on"]), models.Index(fields=["expert", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.occurred_on} ¥{self.amount}"


class UnpricedWork(BaseModel):
    """A fact that found no price (or no share rule) in force on its day: operations' worklist. It is never silently
    free: once a price (or rule) is added, the charge is made and the row is resolved with it."""

    class Missing(models.TextChoices):
        PRICE = "price", _("No price in force")
        RULE = "rule", _("No revenue-share rule in force")

    fact_kind = models.CharField(_("work"), max_length=20, choices=FactKind.choices)
    fact_id = models.UUIDField(_("work id"))
    item = models.CharField(max_length=60, blank=True)
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    expert = models.ForeignKey(
        "network.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    quantity = models.PositiveIntegerField(_("quantity"))
    missing = models.CharField(_("missing"), max_length=10, choices=Missing.choices, default=Missing.PRICE)
    charge = models.OneToOneField(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["occurred_on"]
        verbose_name = _("unpriced work")
        verbose_name_plural = _("unpriced work")
        constraints = [
            models.UniqueConstraint(fields=["fact_kind", "fact_id", "item"], name="finance_unpriced_fact_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.occurred_on}"


class Statement(BaseModel):
    """An expert's issued monthly statement (阳光收入): every line itemised, gross, the individual income tax withheld
    on labour remuneration (劳务报酬所得, ``tax.labour_remuneration_withholding``), net.

    A statement is stored only when it is issued, and never changes after: the services write it once, ``save()``
    refuses a change, the admin shows it read-only, and database triggers (finance migration 0002) refuse any UPDATE
    or DELETE of it and of its lines. One statement per expert and month (unique), so issuing a month twice at once
    issues one. A correction is an adjustment line of a later statement."""

    expert = models.ForeignKey(
        "network.Practitioner", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    number = models.CharField(_("statement number"), max_length=40, unique=True)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    taxable = models.DecimalField(_("taxable income"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax withheld"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-month", "expert__name"]
        verbose_name = _("expert statement")
        verbose_name_plural = _("expert statements")
        constraints = [
            models.UniqueConstraint(fields=["expert", "month"], name="finance_statement_month_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="finance_statement_month_first_day"),
            models.CheckConstraint(condition=Q(net=Round(F("gross") - F("tax"), 2)), name="finance_statement_net"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedStatementError("an issued statement cannot be changed; add an adjustment to a later one")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise IssuedStatementError("an issued statement cannot be deleted")


class IssuedStatementError(PermissionError):
    pass


class Adjustment(BaseModel):
    """A correction of an expert's income, recorded by operations and carried by the next statement issued for the
    expert (``statement_line`` set then). Positive pays more, negative takes back."""

    expert = models.ForeignKey(
        "network.Practitioner", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)
    corrects = models.ForeignKey(
        "StatementLine",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="finance_adjustment_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} {self.reason[:40]}"


class LineKind(models.TextChoices):
    EARNING = "earning", pgettext_lazy("statement line", "Earning")
    ADJUSTMENT = "adjustment", pgettext_lazy("statement line", "Adjustment")


class StatementLine(BaseModel):
    """One line of an issued statement: a charge's expert share (date, hospital, service, the fact, gross, share) or
    an adjustment. A charge and an adjustment are each on one statement only (unique)."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=12, choices=LineKind.choices)
    charge = models.OneToOneField(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="line")
    adjustment = models.OneToOneField(Adjustment, null=True, blank=True, on_delete=models.PROTECT, related_name="line")
    occurred_on = models.DateField(_("date"))
    hospital_name = models.CharField(_("hospital"), max_length=120, blank=True)
    service = models.CharField(_("service"), max_length=30, blank=True)
    fact_kind = models.CharField(_("work"), max_length=20, blank=True)
    fact_id = models.UUIDField(null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    gross = models.DecimalField(_("charge"), max_digits=12, decimal_places=2)
    share = models.DecimalField(_("your share"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["occurred_on", "created_at"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="earning", charge__isnull=False, adjustment__isnull=True))
                | (Q(kind="adjustment", charge__isnull=True, adjustment__isnull=False)),
                name="finance_line_traces_to_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.share}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedStatementError("a line of an issued statement cannot be changed")
        super().save(*args, **kwargs)


class ChargedFact(models.Model):
    """A fact the charging has looked at (charged, sent to the unpriced worklist, or found to earn nothing, like a
    clinic that saw no patient): the sweep skips it next time. Unique, so racing sweeps record it once."""

    id = models.BigAutoField(primary_key=True)
    fact_kind = models.CharField(max_length=20, choices=FactKind.choices)
    fact_id = models.UUIDField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["fact_kind", "fact_id"], name="finance_charged_fact_once")]

    def __str__(self) -> str:
        return f"{self.fact_kind} {self.fact_id}"


# --- incidents and disputes (医疗安全险 / 医患纠纷) ------------------------------------------------------------------
class IncidentKind(models.TextChoices):
    ADVERSE_EVENT = "adverse_event", _("Adverse event")
    DISPUTE = "dispute", _("Patient dispute")


class IncidentSource(models.TextChoices):
    """The work an incident arose from."""

    SESSION = "session", _("Expert session")
    CASE = "case", _("Consultation case")
    REFERRAL = "referral", _("Referral")


class IncidentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("incident", "Open")
    INSURER_NOTIFIED = "insurer_notified", _("Insurer notified")
    UNDER_REVIEW = "under_review", _("Under review")
    CLOSED = "closed", pgettext_lazy("incident", "Closed")


class IncidentOutcome(models.TextChoices):
    NO_LIABILITY = "no_liability", _("No liability found")
    SETTLED = "settled", _("Settled by agreement")
    COMPENSATED = "compensated", _("Compensated by the insurer")
    MEDIATED = "mediated", _("Resolved by mediation")
    WITHDRAWN = "withdrawn", _("Withdrawn by the patient")


class Incident(BaseModel):
    """An adverse event or a patient dispute about an expert's work: the session, consultation case or referral it
    arose from (exactly one), the host hospital, the expert, optionally the patient, and the malpractice insurer named
    on the expert's policy valid on the day it happened. Only ``services`` change ``status`` (open → insurer notified
    → under review → closed with an outcome), each step kept in ``IncidentTransition``."""

    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    source_kind = models.CharField(_("arose from"), max_length=10, choices=IncidentSource.choices)
    session = models.ForeignKey(
        "outreach.ExpertSession", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey("consults.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    expert = models.ForeignKey(
        "network.Practitioner", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("patient"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("occurred on"))
    summary = models.TextField(_("what happened"), max_length=4000)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    insurer = models.CharField(_("insurer"), max_length=80, blank=True)
    policy_number = models.CharField(_("policy number"), max_length=60, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=IncidentOutcome.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(
                condition=(Q(source_kind="session", session__isnull=False, case__isnull=True, referral__isnull=True))
                | (Q(source_kind="case", session__isnull=True, case__isnull=False, referral__isnull=True))
                | (Q(source_kind="referral", session__isnull=True, case__isnull=True, referral__isnull=False)),
                name="finance_incident_one_source",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", outcome__gt="") | (~Q(status="closed") & Q(outcome="")),
                name="finance_incident_outcome_when_closed",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="finance_incident_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"

    @property
    def audit_person_id(self) -> Any:
        return self.person_id

    @property
    def source(self) -> Any:
        return self.session or self.case or self.referral


class IncidentTransition(BaseModel):
    """One step of an incident: who moved it, when, from which state to which, and why."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=IncidentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


# --- patient payers (医保 / 商保 / 自费) ----------------------------------------------------------------------------
class Scheme(models.TextChoices):
    """Who pays a patient's part of a charge."""

    EMPLOYEE = "employee", _("Urban employee basic medical insurance")
    RESIDENT = "resident", _("Urban-rural resident medical insurance")
    COMMERCIAL = "commercial", _("Commercial health insurance")
    SELF_PAY = "self_pay", _("Self-pay")


class InstitutionTier(models.TextChoices):
    """The level of the institution where a service is given: reimbursement is higher the lower the level."""

    GRASSROOTS = "grassroots", _("Grassroots (GP center, township)")
    SECONDARY = "secondary", _("Secondary (county hospital)")
    TERTIARY = "tertiary", _("Tertiary hospital")


class Coverage(BaseModel):
    """A person's coverage under one scheme in one pooling region (GB/T 2260 division), valid from ``valid_from`` to
    ``valid_to`` (inclusive; open when blank). The member number is kept only masked and as a keyed hash, like
    identity numbers. Two coverages of the same scheme of a person never overlap (checked under a lock on the
    person by ``services.coverage_record``; the same start day twice is refused by the database)."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="coverages"
    )
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    region = models.ForeignKey(
        "core.Division",
        verbose_name=_("scheme region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_column="region_code",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    member_hash = models.CharField(max_length=64, blank=True, editable=False)
    member_masked = models.CharField(_("member number"), max_length=40, blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["person", "scheme", "-valid_from"]
        verbose_name = _("coverage")
        verbose_name_plural = _("coverages")
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme", "valid_from"], name="finance_coverage_one_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="finance_coverage_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.valid_from}"

    @property
    def audit_person_id(self) -> Any:
        return self.person_id

    def covers(self, on: Any) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def _ratio_field(label: Any) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )


class ReimbursementRule(BaseModel):
    """How a scheme reimburses in one pooling region for one year, kept as data: the deductible (起付线) the patient
    pays first each year, the percentage reimbursed above it by institution tier, and the annual cap on what the
    insurer pays. ``illustrative`` rules (the demo's) are examples, not any region's official policy. Special-needs
    services (特需) are never reimbursed."""

    region = models.ForeignKey(
        "core.Division",
        verbose_name=_("scheme region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_column="region_code",
    )
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    deductible = models.DecimalField(
        _("deductible (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    grassroots_pct = _ratio_field(_("reimbursed at grassroots (%)"))
    secondary_pct = _ratio_field(_("reimbursed at secondary (%)"))
    tertiary_pct = _ratio_field(_("reimbursed at tertiary (%)"))
    annual_cap = models.DecimalField(
        _("annual cap (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    illustrative = models.BooleanField(_("illustrative, not official"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["region", "scheme", "-year"]
        verbose_name = _("reimbursement rule")
        verbose_name_plural = _("reimbursement rules")
        constraints = [
            models.UniqueConstraint(fields=["region", "scheme", "year"], name="finance_reimbursement_rule_once"),
            models.CheckConstraint(
                condition=Q(grassroots_pct__gte=0, grassroots_pct__lte=100)
                & Q(secondary_pct__gte=0, secondary_pct__lte=100)
                & Q(tertiary_pct__gte=0, tertiary_pct__lte=100)
                & Q(deductible__gte=0, annual_cap__gte=0),
                name="finance_reimbursement_rule_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_scheme_display()} {self.year}"

    def pct_for(self, tier: str) -> Decimal:
        return {
            InstitutionTier.GRASSROOTS: self.grassroots_pct,
            InstitutionTier.SECONDARY: self.secondary_pct,
            InstitutionTier.TERTIARY: self.tertiary_pct,
        }[InstitutionTier(tier)]


class ContractFeeRule(BaseModel):
    """Who funds a family-doctor contract fee (签约服务费) in one region for one year and one service package, kept as
    data: the medical insurance fund's and the basic public health funds' percentages; the resident pays the rest.
    Found at the GP center's county, else the prefecture or province above it. ``illustrative`` rules (the demo's)
    are examples, not any region's official policy."""

    region = models.ForeignKey(
        "core.Division",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_column="region_code",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    package = models.CharField(_("service package"), max_length=20, choices=Package.choices)
    insurance_fund_pct = _ratio_field(_("medical insurance fund (%)"))
    public_health_pct = _ratio_field(_("basic public health funds (%)"))
    illustrative = models.BooleanField(_("illustrative, not official"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["region", "-year", "package"]
        verbose_name = _("contract fee rule")
        verbose_name_plural = _("contract fee rules")
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "package"], name="finance_contract_fee_rule_once"),
            models.CheckConstraint(
                condition=Q(insurance_fund_pct__gte=0, insurance_fund_pct__lte=100)
                & Q(public_health_pct__gte=0, public_health_pct__lte=100)
                & Q(insurance_fund_pct__lte=100 - F("public_health_pct")),
                name="finance_contract_fee_rule_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year} {self.get_package_display()}"

    @property
    def resident_pct(self) -> Decimal:
        return Decimal(100) - self.insurance_fund_pct - self.public_health_pct


# --- who paid a charge, and the GP-center chain's accounts (issue 15 items 6 and 7) ------------------------------
class Payer(models.TextChoices):
    """Who pays (part of) a charge."""

    HOST = "host", _("Host institution")
    INSURANCE_FUND = "insurance_fund", _("Medical insurance fund")
    PUBLIC_HEALTH = "public_health", _("Basic public health funds")
    COMMERCIAL = "commercial", _("Commercial insurer")
    PATIENT = "patient", _("Patient")


class ChargePayer(BaseModel):
    """One payer's part of a charge, stored when the charge is made: the parts of a charge add up to it to the fen
    (the service writes them together; ``selectors`` and the tests check the sum). ``person`` and ``year`` are whose
    coverage year the part used, so the year's deductible and cap use are summed from these rows, never typed."""

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="payers")
    payer = models.CharField(_("payer"), max_length=20, choices=Payer.choices)
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    toward_deductible = models.DecimalField(
        _("toward the deductible"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    reimbursement_rule = models.ForeignKey(
        ReimbursementRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["charge", "payer"]
        verbose_name = _("charge payer")
        verbose_name_plural = _("charge payers")
        constraints = [
            models.UniqueConstraint(fields=["charge", "payer"], name="finance_chargepayer_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="finance_chargepayer_not_negative"),
            models.CheckConstraint(condition=Q(payer__in=Payer.values), name="finance_chargepayer_payer_valid"),
        ]
        indexes = [models.Index(fields=["person", "year"], name="finance_chargepayer_year")]

    def __str__(self) -> str:
        return f"{self.get_payer_display()} ¥{self.amount}"


class CostCategory(models.TextChoices):
    STAFF = "staff", _("Staff")
    RENT = "rent", _("Rent and utilities")
    DRUGS = "drugs", _("Drugs and consumables")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", _("Other")


class CenterCost(BaseModel):
    """A cost a GP center enters for a month. Never edited: a wrong entry is voided with a reason (kept, audited)
    and entered again."""

    center = models.ForeignKey(
        "network.Organization", verbose_name=_("GP center"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    category = models.CharField(_("category"), max_length=20, choices=CostCategory.choices)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    class Meta:
        ordering = ["-month", "category", "created_at"]
        verbose_name = _("center cost")
        verbose_name_plural = _("center costs")
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="finance_centercost_month_first_day"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_centercost_positive"),
            models.CheckConstraint(
                condition=Q(category__in=CostCategory.values), name="finance_centercost_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""), name="finance_centercost_void_reason"
            ),
        ]
        indexes = [models.Index(fields=["center", "month"], name="finance_centercost_month")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.month:%Y-%m} {self.get_category_display()} ¥{self.amount}"


# --- issued host-hospital settlements (结算单) ---------------------------------------------------------------------
class HospitalSettlement(BaseModel):
    """A partner hospital's (or GP center's) settlement of a month, issued once and never changed, like an expert
    statement: the charges of the month or earlier on no settlement yet, itemised, with the hospital's share and what
    it pays the group (``payable`` = ``amount`` − ``hospital_share``). A charge is on one settlement only; a charge
    that arrives after its month was settled is carried by the next settlement of that hospital."""

    hospital = models.ForeignKey(
        "network.Organization", verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    number = models.CharField(_("settlement number"), max_length=40, unique=True)
    count = models.PositiveIntegerField(_("charges"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    hospital_share = models.DecimalField(_("hospital's share"), max_digits=14, decimal_places=2)
    expert_share = models.DecimalField(_("experts"), max_digits=14, decimal_places=2)
    platform_share = models.DecimalField(_("platform"), max_digits=14, decimal_places=2)
    premium_share = models.DecimalField(_("malpractice premium"), max_digits=14, decimal_places=2)
    travel_share = models.DecimalField(_("travel"), max_digits=14, decimal_places=2)
    payable = models.DecimalField(_("pays the group"), max_digits=14, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-month", "hospital__name"]
        verbose_name = _("hospital settlement")
        verbose_name_plural = _("hospital settlements")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "month"], name="finance_settlement_month_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="finance_settlement_month_first_day"),
            models.CheckConstraint(
                condition=Q(payable=Round(F("amount") - F("hospital_share"), 2)), name="finance_settlement_payable"
            ),
            parts_add_up("finance_settlement_parts_add_up"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedStatementError("an issued settlement cannot be changed; a later settlement carries corrections")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise IssuedStatementError("an issued settlement cannot be deleted")


class SettlementLine(BaseModel):
    """One charge of an issued settlement (a charge is on one settlement only: unique)."""

    settlement = models.ForeignKey(HospitalSettlement, on_delete=models.PROTECT, related_name="lines")
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="settlement_line")
    occurred_on = models.DateField(_("date"))
    service = models.CharField(_("service"), max_length=30)
    fact_kind = models.CharField(_("work"), max_length=20)
    fact_id = models.UUIDField()
    expert_name = models.CharField(_("expert"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    hospital_share = models.DecimalField(_("hospital's share"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["occurred_on", "created_at"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedStatementError("a line of an issued settlement cannot be changed")
        super().save(*args, **kwargs)
