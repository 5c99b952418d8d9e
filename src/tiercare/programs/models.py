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
        verbose_name = _("needs survey")
        verbose_name_plural = _("needs surveys")
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
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
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
        verbose_name = _("department-building program")
        verbose_name_plural = _("department-building programs")
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
        verbose_name = _("program stage change")
        verbose_name_plural = _("program stage changes")
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
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "title"]


class KpiTarget(BaseModel):
    """The target of one KPI (its code in ``definitions.kpis``) for one month of a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    kpi = models.CharField(_("KPI"), max_length=40)
    month = models.DateField(_("month"))
    value = models.DecimalField(_("target"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
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
        verbose_name = _("KPI actual")
        verbose_name_plural = _("KPI actuals")
        ordering = ["kpi", "month"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kpi", "month"], name="kpi_actual_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_actual_first_of_month"),
            models.CheckConstraint(condition=Q(value__gte=0), name="kpi_actual_not_negative"),
        ]


# --- training (三基三严 and the specialty's procedures) -------------------------------------------------------------


class Course(BaseModel):
    """A course of a program's training, teaching one item of its department's curriculum
    (``definitions.curriculum``), closed by an assessment whose pass mark (out of 100) is ``pass_mark``."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="courses")
    curriculum_item = models.CharField(_("curriculum item"), max_length=40)
    title = models.CharField(_("title"), max_length=120)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=2, default=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "curriculum_item"],
                name="course_once_per_item",
                violation_error_message=_("curriculum_item: this program already has a course on this item."),
            ),
            models.CheckConstraint(condition=Q(pass_mark__gte=0, pass_mark__lte=100), name="course_pass_mark_range"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseSession(BaseModel):
    """One session of a course on a day, with its teacher; linked to the outreach teaching session where an expert
    taught it on site."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("held on"))
    teacher = models.CharField(_("teacher"), max_length=60)
    outreach_session = models.ForeignKey(
        "outreach.ExpertSession", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["held_on", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "held_on"],
                name="course_session_once_a_day",
                violation_error_message=_("held_on: this course already has a session on this day."),
            )
        ]


class Attendance(BaseModel):
    """One staff member (a practitioner of the directory, of the program's department) at one course session."""

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="attendance")
    trainee = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "trainee"], name="attendance_once")]


class TrainingScore(BaseModel):
    """A trainee's score (0–100) in a course's assessment on a day; ``passed`` compares it with the course's pass
    mark when it was recorded."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="scores")
    trainee = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(_("taken on"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("training score")
        verbose_name_plural = _("training scores")
        ordering = ["taken_on", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "trainee", "taken_on"],
                name="training_score_once_a_day",
                violation_error_message=_("taken_on: this trainee already has a score in this course on this day."),
            ),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="training_score_range"),
        ]


def evidence_path(instance: MilestoneEvidence, filename: str) -> str:
    # the stored name is ours (a uuid); the user's file name is kept in ``name`` only
    from tiercare.core.files import EXTENSIONS

    return f"programs/evidence/{instance.milestone_id}/{instance.pk}{EXTENSIONS.get(instance.content_type, '')}"


class MilestoneEvidence(BaseModel):
    """A file proving a milestone (a photo of the rebuilt ward, the signed norms, an equipment acceptance form),
    checked like every attachment (``core.files.check_upload``) and served only through an access-checked view."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("milestone evidence")
        verbose_name_plural = _("milestone evidence")
        ordering = ["created_at"]
