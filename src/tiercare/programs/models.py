"""Department building (学科建设帮扶): needs-survey campaigns and assessments, the partner pipeline (a program's
stage, each move a transition row), the one-year plan (workstreams, milestones) and KPI targets and actuals by
month. The survey template and the KPI definitions are data (``programs/definitions.py``); rows store their codes
and the template's version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel


class SurveyCampaign(BaseModel):
    """A survey over many departments with one template; its assessments are ranked by need and feasibility."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    template_code = models.CharField(_("template"), max_length=40)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Assessment(BaseModel):
    """One department's answers to a template, with the score's parts (``parts``: [{item, need, feasibility}])
    stored at the time of scoring and the totals as their sums."""

    campaign = models.ForeignKey(
        SurveyCampaign, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="assessments")
    template_code = models.CharField(_("template"), max_length=40)
    template_version = models.CharField(_("template version"), max_length=20)
    template_sha256 = models.CharField(max_length=64)
    answers = models.JSONField(_("answers"), default=dict)
    parts = models.JSONField(_("score parts"), default=list)
    need = models.PositiveIntegerField(_("need"), default=0)
    feasibility = models.PositiveIntegerField(_("feasibility"), default=0)
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-assessed_on", "-created_at"]

    @property
    def total(self) -> int:
        return self.need + self.feasibility


class Stage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ASSESSED = "assessed", _("Assessed")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    BUILDING = "building", _("Building")
    EVALUATED = "evaluated", _("Evaluated")
    GRADUATED = "graduated", _("Graduated")
    ENDED = "ended", _("Ended")


class Program(BaseModel):
    """A department-building program for one partner department: its place in the pipeline (``stage``), its lead
    expert, the assessment it starts from and its first month (the one-year plan runs 12 months from ``start``)."""

    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="programs")
    title = models.CharField(_("title"), max_length=120)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECT)
    lead_expert = models.ForeignKey(
        "network.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="led_programs"
    )
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("first month"))
    kpi_codes = models.JSONField(_("KPIs"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["department__organization__name", "department__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=~Q(stage__in=["graduated", "ended"]),
                name="program_one_open_per_department",
                violation_error_message=_("department: this department already has an open program."),
            ),
            models.CheckConstraint(condition=Q(start__day=1), name="program_start_first_of_month"),
        ]

    def __str__(self) -> str:
        return self.title


class ProgramTransition(BaseModel):
    """One move of a program through the pipeline: who, when (``created_at``), from, to, why."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]


class Workstream(models.TextChoices):
    LAYOUT = "layout", _("Room layout")
    EQUIPMENT = "equipment", _("Equipment")
    NORMS = "norms", _("Rules and norms")
    TRAINING = "training", _("Staff training")
    SERVICE = "service", _("New services")


class Milestone(BaseModel):
    """A dated step of the plan in one workstream, with its owner; done when ``done_on`` is set."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="milestones")
    workstream = models.CharField(_("workstream"), max_length=20, choices=Workstream.choices)
    title = models.CharField(_("title"), max_length=200)
    owner = models.CharField(_("owner"), max_length=60)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "title"]


class KpiTarget(BaseModel):
    """The target of one KPI (its code in ``definitions.kpis``) for one month of a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    kpi = models.CharField(_("KPI"), max_length=40)
    month = models.DateField(_("month"))
    value = models.DecimalField(_("target"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["kpi", "month"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kpi", "month"], name="kpi_target_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_target_first_of_month"),
        ]


class KpiActual(BaseModel):
    """An entered actual of one KPI for one month (derived KPIs are computed from their source, never stored)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="actuals")
    kpi = models.CharField(_("KPI"), max_length=40)
    month = models.DateField(_("month"))
    value = models.DecimalField(_("actual"), max_digits=10, decimal_places=2)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["kpi", "month"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kpi", "month"], name="kpi_actual_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_actual_first_of_month"),
            models.CheckConstraint(condition=Q(value__gte=0), name="kpi_actual_not_negative"),
        ]
