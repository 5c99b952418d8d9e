"""Models of the care app: family-doctor contracts, chronic-care enrolments, follow-ups, worklist state.

Rules held by the database (regulation/README.md §4, clinical/README.md):
- one active contracted team per resident (conditional unique on ``ContractMember``),
- one active enrolment per person and protocol (conditional unique on ``Enrollment``),
- a contract ends after it starts; a long prescription is 1..84 days (check constraints).
The one-year minimum term, the 4-week/12-week prescription rules and the panel cap are checked by the services,
which give the specific message.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.core.models import BaseModel


class TeamRole(models.TextChoices):
    GP = "gp", _("Family doctor")
    NURSE = "nurse", _("Community nurse")
    HEALTH_MANAGER = "health_manager", _("Health manager")


class GpTeam(BaseModel):
    """A family-doctor team at a GP center: a family doctor, a nurse and a health manager."""

    center = models.ForeignKey("network.Organization", on_delete=models.PROTECT, related_name="gp_teams")
    name = models.CharField(_("name"), max_length=80)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["center__name", "name"]
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="care_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class GpTeamMember(BaseModel):
    """A practitioner in a team, with the hours a week they give to the team's contracted residents."""

    team = models.ForeignKey(GpTeam, on_delete=models.CASCADE, related_name="members")
    practitioner = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="gp_teams")
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    hours_per_week = models.DecimalField(_("hours a week"), max_digits=4, decimal_places=1, default=40)
    active = models.BooleanField(_("active"), default=True)
    # The center's lead (its lead GP or health manager): owns the center's residents whose contract lapsed and the
    # referral suggestions that passed their deadline, until another team takes them (issue 11).
    center_lead = models.BooleanField(_("lead of the center"), default=False)

    class Meta:
        ordering = ["team", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "practitioner"], condition=Q(active=True), name="care_team_member_once"
            ),
            models.CheckConstraint(condition=Q(role__in=TeamRole.values), name="care_team_member_role"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} ({self.role}) @ {self.team}"


class Package(models.TextChoices):
    BASIC = "basic", _("Basic")
    PERSONALISED = "personalised", _("Personalised")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renewed")
    TERMINATED = "terminated", _("Terminated")
    EXPIRED = "expired", pgettext_lazy("contract status", "Expired")


class CareContract(BaseModel):
    """A household's family-doctor contract with one team, for a term (≥ 1 year) and a service package."""

    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="care_contracts")
    team = models.ForeignKey(GpTeam, on_delete=models.PROTECT, related_name="contracts")
    package = models.CharField(_("service package"), max_length=20, choices=Package.choices, default=Package.BASIC)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=20, choices=ContractStatus.choices, default="active")
    renewal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_by"
    )
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="care_contract_dates"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="care_contract_status"),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="active"),
                name="care_contract_one_active_per_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} × {self.team} ({self.start}–{self.end})"


class ContractEvent(BaseModel):
    """A recorded transition of a contract: signed, member added/removed, renewed, terminated, expired."""

    contract = models.ForeignKey(CareContract, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]


class ContractMember(BaseModel):
    """A resident enrolled under a contract. One active contracted team per resident at a time (DB-enforced)."""

    contract = models.ForeignKey(CareContract, on_delete=models.CASCADE, related_name="enrolled")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_memberships")
    team = models.ForeignKey(GpTeam, on_delete=models.PROTECT, related_name="+")  # = contract.team, for scoping
    active = models.BooleanField(default=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(active=True), name="care_one_active_team_per_resident"
            )
        ]
        # A team's residents as an index-only scan: the team's patient list, worklists and scope are driven from
        # here, so their cost follows the team, not the network (bench/RESULTS.md, "GP patient list").
        indexes = [models.Index(fields=["team", "active", "person"], name="care_member_team_person")]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class DrugClass(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    TOXIC = "toxic", _("Toxic drug")
    RADIOACTIVE = "radioactive", _("Radioactive drug")
    PRECURSOR = "precursor", _("Precursor chemical")
    NARCOTIC = "narcotic", _("Narcotic")
    PSYCHOTROPIC_I = "psychotropic_1", _("Class I psychotropic")
    PSYCHOTROPIC_II = "psychotropic_2", _("Class II psychotropic")
    ANTIMICROBIAL = "antimicrobial", _("Antimicrobial")
    SPECIAL_STORAGE = "special_storage", _("Needs special storage")


class MedicationRecord(BaseModel):
    """A prescription for a contracted chronic patient; long prescriptions within 长期处方管理规范 (2021)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_medications")
    drug_name = models.CharField(_("drug"), max_length=120)
    drug_class = models.CharField(_("drug class"), max_length=20, choices=DrugClass.choices, default="ordinary")
    dose = models.CharField(_("dose"), max_length=120, blank=True)
    supply_days = models.PositiveSmallIntegerField(_("days supplied"))
    prescribed_on = models.DateField(_("prescribed on"))
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assessment = models.TextField(_("assessment (beyond 4 weeks)"), blank=True)
    patient_confirmed_at = models.DateTimeField(_("patient confirmed"), null=True, blank=True)
    tb_or_fungal = models.BooleanField(_("chronic TB or fungal infection"), default=False)

    class Meta:
        ordering = ["-prescribed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(supply_days__gte=1, supply_days__lte=84),
                name="care_medication_supply_max_12_weeks",
            )
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class ControlClass(models.TextChoices):
    SATISFACTORY = "satisfactory", _("Satisfactory")
    UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")
    ADVERSE_REACTION = "adverse_reaction", _("Adverse drug reaction")
    COMPLICATION = "complication", _("Complication")
    # A glucose at or below the protocol's low urgent threshold (NBPHS 2017: ≤3.9 mmol/L) is never "controlled".
    HYPOGLYCAEMIA = "hypoglycaemia", _("Hypoglycaemia")


class OutreachOutcome(models.TextChoices):
    AGREED_TO_VISIT = "agreed_to_visit", _("Agreed to visit")
    CALL_LATER = "call_later", _("Call later")
    UNREACHABLE = "unreachable", _("Unreachable")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED = "transferred", _("Transferred elsewhere")


REMOVING_OUTCOMES = ("unreachable", "moved", "deceased", "transferred")


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def active(self) -> EnrollmentQuerySet:
        return self.filter(status=EnrollmentStatus.ACTIVE)


class Enrollment(BaseModel):
    """A person in a chronic-care program under one protocol; carries the recomputed worklist state.

    ``next_due_on``, ``control_class``, ``last_followup_on`` and the risk fields are derived from the follow-ups
    (set by ``followup_record`` and recomputed in bulk by ``enrollments_recompute``).
    """

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_enrollments")
    protocol_code = models.CharField(_("protocol"), max_length=40)
    protocol_version = models.CharField(_("protocol version at enrolment"), max_length=40)
    protocol_sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=EnrollmentStatus.choices, default="active")
    enrolled_on = models.DateField(_("enrolled on"))
    # Where a protocol's follow-up interval changes with time (cancer survivorship: 3-monthly for 2 years, ...), the
    # years count from this day, e.g. the end of treatment; from the enrolment when empty.
    schedule_from = models.DateField(_("intervals count from"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    # derived worklist state
    next_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)
    control_class = models.CharField(max_length=20, choices=ControlClass.choices, blank=True)
    last_followup_on = models.DateField(null=True, blank=True)
    risk_percent = models.FloatField(null=True, blank=True)
    previous_risk_percent = models.FloatField(null=True, blank=True)
    risk_rose = models.BooleanField(default=False)
    controlled = models.BooleanField(null=True)  # BP <140/90 (hypertension) or FPG <7.0 (diabetes) at the latest
    # A follow-up owed by a date because of a referral or back-referral (NBPHS: follow up within 2 weeks), set on
    # ``followup_owed_since``. Until a follow-up on or after that day is filed, the due date is never later than it,
    # whatever the recompute derives from earlier follow-ups.
    followup_owed_by = models.DateField(null=True, blank=True)
    followup_owed_since = models.DateField(null=True, blank=True)
    # Why it is owed (``OwedReason``): a referral, the NBPHS hypertension screening path (re-measure within 2 weeks)
    # or an alarm sign's urgent re-check (14 days). The team's "screening overdue" worklist lists the latter two once
    # their date has passed (hazard log H-16).
    followup_owed_reason = models.CharField(max_length=20, blank=True)
    # outreach state
    outreach_removed_reason = models.CharField(max_length=20, choices=OutreachOutcome.choices, blank=True)
    remind_after = models.DateField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "protocol_code"], condition=Q(status="active"), name="care_enrollment_once"
            )
        ]
        indexes = [models.Index(fields=["status", "next_due_on"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.protocol_code}"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class FollowUp(BaseModel):
    """One face-to-face follow-up: what was measured when (clinical time), how the protocol classified it.

    ``measured_at`` is clinical time; ``created_at`` is when it was filed. The protocol version and the sha256
    of the protocol text it was classified under are stored so that a protocol change is visible.
    Follow-ups filed in error are voided with a reason, never deleted.
    """

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="followups")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_followups")
    measured_at = models.DateTimeField(_("measured at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    measurements = models.JSONField(default=dict)
    control_class = models.CharField(max_length=20, choices=ControlClass.choices)
    urgent = models.BooleanField(default=False)
    fired_rules = models.JSONField(default=list)  # [{"id", "explanation_en", "explanation_zh", "source_*"}]
    actions = models.JSONField(default=list)
    next_due_on = models.DateField()
    was_due_on = models.DateField(null=True, blank=True)  # the due date this follow-up answered
    on_time = models.BooleanField(default=True)
    controlled = models.BooleanField(null=True)
    protocol_version = models.CharField(max_length=40)
    protocol_sha256 = models.CharField(max_length=64)
    risk_percent = models.FloatField(null=True, blank=True)
    risk_band = models.CharField(max_length=20, blank=True)
    # issue 11: a stored risk carries its equation and inputs (its date is measured_at)
    risk_equation = models.CharField(max_length=20, blank=True)
    risk_inputs = models.JSONField(default=dict, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-measured_at"]
        indexes = [models.Index(fields=["enrollment", "-measured_at"])]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id

    @property
    def fired_rule_ids(self) -> list[str]:
        return [r["id"] for r in self.fired_rules]


class OwedReason(models.TextChoices):
    REFERRAL = "referral", _("Referral follow-up")
    SCREENING = "screening", _("Blood-pressure screening re-measurement")
    URGENT_RECHECK = "urgent_recheck", _("Urgent re-check")


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    TAKEN = "taken", _("Referral made")
    DISMISSED = "dismissed", _("Dismissed")


class ReferralSuggestion(BaseModel):
    """A follow-up's call for a referral up. The team takes it (``services.suggestion_refer`` makes the referral and
    links it here) or dismisses it with a reason. Care never imports referrals' code: the link is a foreign key by
    app label and the referral is made through care's seam, which referrals registers (``care.referral_maker``)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_referral_suggestions")
    # The follow-up that called for it; none for a referral made directly (not from a suggestion) that the receiving
    # side declined, cancelled or let expire: it comes back to the team as an open suggestion with the reason.
    followup = models.OneToOneField(
        FollowUp, null=True, blank=True, on_delete=models.PROTECT, related_name="referral_suggestion"
    )
    urgent = models.BooleanField(default=False)
    rule_ids = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=SuggestionStatus.choices, default="open")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="care_suggestions"
    )
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(_("reason for dismissing"), max_length=300, blank=True)
    # The day by which the team must act (urgent: the next working day; routine: 14 days), and when it was
    # escalated to the center's lead because it passed (``services.suggestions_escalate``).
    due_on = models.DateField(_("act by"), null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The department the rule that fired points to (``services.SUGGESTED_SPECIALTY``), e.g. cardiology.
    specialty = models.CharField(_("suggested department"), max_length=40, blank=True)
    # A referral made from it that was declined, cancelled or expired brings the suggestion back open, with why.
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("why the referral came back"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SuggestionStatus.values), name="care_suggestion_status"),
            # a suggestion marked taken names the referral made from it
            models.CheckConstraint(
                condition=~Q(status=SuggestionStatus.TAKEN) | Q(referral__isnull=False),
                name="care_suggestion_taken_has_referral",
            ),
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class OutreachCall(BaseModel):
    """A phone call to an overdue patient and its outcome, which sets the next reminder or removes them."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="outreach_calls")
    called_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=20, choices=OutreachOutcome.choices)
    note = models.CharField(max_length=300, blank=True)
    remind_after = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-called_at"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=OutreachOutcome.values), name="care_call_outcome")
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.enrollment.person_id


class RecomputeRun(BaseModel):
    """One bulk recompute per local day started by the tick (idempotent tick), and what it did."""

    day = models.DateField(unique=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    enrollments = models.PositiveIntegerField(default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-day"]


class ProtocolVariantDecision(BaseModel):
    """A center's recorded clinical decision to turn a protocol variant on or off (issue 11: the ≥65 hypertension
    target <150/90, on by default as the NBPHS 3rd edition prints it). Rows are kept, never edited: the latest row
    for a center and variant applies; who decided, when and why stay on record (and in the audit log)."""

    center = models.ForeignKey("network.Organization", on_delete=models.PROTECT, related_name="care_variant_decisions")
    protocol_code = models.CharField(max_length=40)
    variant = models.CharField(max_length=60)
    enabled = models.BooleanField()
    reason = models.CharField(_("reason"), max_length=500)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-created_at"]
        indexes = [models.Index(fields=["center", "protocol_code", "variant", "-decided_at"])]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="care_variant_decision_has_reason")]


class HomeReading(BaseModel):
    """A blood pressure or glucose a patient with hypertension or diabetes measured at home and reported themselves
    (issue 16, item 5), between visits. Checked like a follow-up's measurements (``plausibility``), marked
    self-reported (always: a check constraint), and never a face-to-face follow-up: it is not a ``FollowUp``, so it
    never moves the enrolment's due date, control class or adherence. When the protocol's urgent criterion is met
    (``urgent``, with the rules that fired) it is an item on the team's "home readings to act on" worklist until a
    team member marks it handled (``handled_at``, with a note)."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="care_home_readings")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="home_readings")
    measured_at = models.DateTimeField(_("measured at"))
    measurements = models.JSONField(default=dict)
    self_reported = models.BooleanField(_("self-reported"), default=True, editable=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # where it came from: the patient's readings page, or a message of an online consultation
    source = models.CharField(max_length=20, default="home")
    urgent = models.BooleanField(default=False)
    fired_rules = models.JSONField(default=list)  # [{"id", "explanation_en", "explanation_zh"}]
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_note = models.CharField(_("what was done"), max_length=300, blank=True)

    class Meta:
        ordering = ["-measured_at"]
        verbose_name = _("home reading")
        verbose_name_plural = _("home readings")
        indexes = [models.Index(fields=["urgent", "handled_at"], name="care_home_reading_open")]
        constraints = [
            models.CheckConstraint(condition=Q(self_reported=True), name="care_home_reading_self_reported"),
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True) | ~Q(handled_note=""), name="care_home_reading_handled_note"
            ),
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id
