"""Expert outreach: session requests, expert availability, roster plans, expert sessions, bookings and reports.

The rules the database keeps (DESIGN.md §3):
- an expert is in at most one active session per half-day (conditional unique on active sessions);
- a place of a session is booked at most once, and a patient at most once per session (conditional uniques on
  active bookings; the booking service also locks the session row);
- every status change of a session is a SessionTransition row (who, when, from, to, why).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiercare.core.models import BaseModel


class SessionKind(models.TextChoices):
    SURGERY = "surgery", _("Surgery")
    CLINIC = "clinic", _("Clinic")
    WARD_ROUND = "ward_round", _("Ward round")
    TEACHING = "teaching", _("Teaching")


class Cadence(models.TextChoices):
    ONCE = "once", _("Once, within the window")
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Every four weeks")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class HalfDay(models.TextChoices):
    AM = "am", _("Morning")
    PM = "pm", _("Afternoon")


# Clock times of a half-day in Asia/Shanghai (a common county-hospital timetable).
HALF_DAY_HOURS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    HalfDay.AM: ((8, 30), (12, 0)),
    HalfDay.PM: ((14, 0), (17, 30)),
}


class OutreachProfile(BaseModel):
    """An expert's outreach settings: weekly session limit and home city (the origin of every trip)."""

    practitioner = models.OneToOneField(
        "network.Practitioner", on_delete=models.CASCADE, related_name="outreach_profile"
    )
    weekly_limit = models.PositiveSmallIntegerField(
        _("sessions per week at most"), default=3, validators=[MaxValueValidator(10)]
    )
    home_city = models.CharField(_("home city"), max_length=40, blank=True)
    latitude = models.FloatField(
        _("home latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Leave empty to travel from the main institution."),
    )
    longitude = models.FloatField(
        _("home longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )

    class Meta:
        ordering = ["practitioner__name"]
        constraints = [
            models.CheckConstraint(condition=Q(weekly_limit__lte=10), name="outreach_profile_weekly_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} ({self.weekly_limit}/week)"


class ExpertAvailability(BaseModel):
    """A recurring weekly half-day on which an expert can travel (weekday 0 = Monday)."""

    practitioner = models.ForeignKey(
        "network.Practitioner", on_delete=models.CASCADE, related_name="outreach_availability"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), validators=[MaxValueValidator(6)])
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)

    class Meta:
        ordering = ["practitioner", "weekday", "half_day"]
        verbose_name = _("expert availability")
        verbose_name_plural = _("expert availability")
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "weekday", "half_day"], name="availability_unique"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday"),
            models.CheckConstraint(condition=Q(half_day__in=HalfDay.values), name="availability_half_day"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.weekday} {self.half_day}"


class LeaveKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    DUTY = "duty", _("Home-hospital duty")
    WITHDRAWN = "withdrawn", _("Withdrawn from outreach")


class ExpertLeave(BaseModel):
    """Days on which an expert cannot travel: leave, home-hospital duty, or a withdrawal."""

    practitioner = models.ForeignKey("network.Practitioner", on_delete=models.CASCADE, related_name="outreach_leave")
    kind = models.CharField(_("kind"), max_length=10, choices=LeaveKind.choices, default=LeaveKind.LEAVE)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="expert_leave_dates",
                violation_error_message=_("end: the last day is before the first."),
            ),
        ]

    def covers(self, on: date) -> bool:
        return self.start <= on <= self.end


class TravelTime(BaseModel):
    """An imported travel-time matrix entry: one-way hours by road from one organization to another.

    When present it overrides the estimate from coordinates (great-circle distance × road factor ÷ speed).
    """

    origin = models.ForeignKey("network.Organization", on_delete=models.CASCADE, related_name="+")
    destination = models.ForeignKey("network.Organization", on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(_("one-way hours"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        ordering = ["origin", "destination"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "destination"], name="travel_time_unique"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="travel_time_positive"),
        ]


class SessionRequest(BaseModel):
    """A partner department asks for expert sessions: once within a window, or on a cadence over it."""

    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="session_requests")
    specialty = models.CharField(_("specialty"), max_length=30, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.ONCE)
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("to"))
    places = models.PositiveSmallIntegerField(
        _("places per session"), default=10, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    procedures = models.JSONField(_("procedures"), default=list, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1 low … 3 most important"),
    )
    preferred_experts = models.ManyToManyField("network.Practitioner", blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-priority", "window_start", "created_at"]
        verbose_name = _("session request")
        verbose_name_plural = _("session requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")),
                name="session_request_window",
                violation_error_message=_("window_end: the window ends before it starts."),
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=3), name="session_request_priority"),
            models.CheckConstraint(condition=Q(places__gte=1), name="session_request_places"),
            models.CheckConstraint(condition=Q(kind__in=SessionKind.values), name="session_request_kind"),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="session_request_cadence"),
        ]
        indexes = [models.Index(fields=["status", "window_start", "window_end"])]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_kind_display()} ({self.get_cadence_display()})"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    DISCARDED = "discarded", _("Discarded")


class RosterPlan(BaseModel):
    """An optimiser proposal for a horizon: assignments (PlanAssignment), the uncovered requests with reasons."""

    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    is_replan = models.BooleanField(_("re-plan"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.PROPOSED)
    objective = models.FloatField(_("objective"), default=0)
    bound = models.FloatField(_("proven bound"), null=True, blank=True)
    seconds = models.FloatField(_("solve seconds"), default=0)
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    uncovered = models.JSONField(_("uncovered requests"), default=list, blank=True)
    instance = models.JSONField(_("solver instance"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster plan")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="roster_plan_dates"),
            models.CheckConstraint(
                condition=Q(status="confirmed", confirmed_at__isnull=False) | ~Q(status="confirmed"),
                name="roster_plan_confirmed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end} ({self.status})"


class PlanRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanRun(BaseModel):
    """One request to plan (or re-plan) a horizon, run by the task worker (outreach/tasks.py), never in a web
    process: queued → running (progress 0–100 from the solver's callback) → done (``plan`` is the result) or
    failed (``error`` says why)."""

    start = models.DateField(_("first day"))
    weeks = models.PositiveSmallIntegerField(_("weeks"))
    seconds = models.FloatField(_("solve seconds"))
    is_replan = models.BooleanField(_("re-plan"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=PlanRunStatus.choices, default=PlanRunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, validators=[MaxValueValidator(100)])
    plan = models.ForeignKey(RosterPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(_("error"), blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("planning run")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="plan_run_progress_max"),
            models.CheckConstraint(
                condition=Q(status="done", plan__isnull=False) | ~Q(status="done"), name="plan_run_done_has_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start} +{self.weeks}w ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (PlanRunStatus.DONE, PlanRunStatus.FAILED)


class PlanAssignment(BaseModel):
    """One proposed session of a plan. In a re-plan, ``session`` is the confirmed session it keeps or moves."""

    plan = models.ForeignKey(RosterPlan, on_delete=models.CASCADE, related_name="assignments")
    request = models.ForeignKey(SessionRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    occurrence = models.PositiveSmallIntegerField(default=0)
    session = models.ForeignKey("ExpertSession", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("network.Organization", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    places = models.PositiveSmallIntegerField(default=10)
    priority = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["date", "half_day", "site"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "expert", "date", "half_day"], name="plan_assignment_half_day"),
            models.UniqueConstraint(
                fields=["plan", "request", "occurrence"],
                condition=Q(request__isnull=False),
                name="plan_assignment_request_once",
            ),
        ]


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MOVED = "moved", _("Moved")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")


ACTIVE_SESSION_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.MOVED)


class ExpertResponse(models.TextChoices):
    """The expert's answer to a session operations placed them in (a decline asks operations to re-plan)."""

    PENDING = "pending", _("Awaiting the expert's answer")
    ACCEPTED = "accepted", _("Accepted by the expert")
    DECLINED = "declined", _("Declined by the expert")


# The one table of allowed session moves (STYLE.md: statuses move only by an explicit table).
SESSION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SessionStatus.SCHEDULED: (SessionStatus.MOVED, SessionStatus.CANCELLED, SessionStatus.HELD),
    SessionStatus.MOVED: (SessionStatus.MOVED, SessionStatus.CANCELLED, SessionStatus.HELD),
    SessionStatus.CANCELLED: (),
    SessionStatus.HELD: (),
}


class ExpertSession(BaseModel):
    """A confirmed expert visit (专家下沉: 坐诊, 手术, 查房, 带教) at a licensed institution, with bookable places.

    ``response`` is the expert's answer (pending → accepted or declined with a reason; a declined session stays
    scheduled until operations re-plan it, and the re-plan treats the expert as unavailable that day).
    ``basis``/``basis_reference`` are the legal basis ``practice_basis`` gave at confirmation (or at the last move).
    ``sequence`` counts the changes calendar subscribers have seen (ICS SEQUENCE).
    """

    expert = models.ForeignKey("network.Practitioner", on_delete=models.PROTECT, related_name="expert_sessions")
    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="expert_sessions")
    site = models.ForeignKey("network.Organization", on_delete=models.PROTECT, related_name="expert_sessions")
    date = models.DateField(_("date"), db_index=True)
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    places = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1), MaxValueValidator(200)])
    procedures = models.JSONField(_("procedures"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    basis = models.CharField(_("legal basis"), max_length=30)
    basis_reference = models.CharField(_("basis reference"), max_length=120, blank=True)
    request = models.ForeignKey(
        SessionRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    occurrence = models.PositiveSmallIntegerField(null=True, blank=True)
    plan = models.ForeignKey(RosterPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    sequence = models.PositiveIntegerField(default=0)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response = models.CharField(
        _("expert's answer"), max_length=10, choices=ExpertResponse.choices, default=ExpertResponse.PENDING
    )
    response_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "half_day"]
        verbose_name = _("expert session")
        verbose_name_plural = _("expert sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "date", "half_day"],
                condition=Q(status__in=["scheduled", "moved"]),
                name="session_expert_half_day_once",
                violation_error_message=_("expert: this expert already has a session in that half-day."),
            ),
            models.UniqueConstraint(
                fields=["request", "occurrence"],
                condition=Q(status__in=["scheduled", "moved"], request__isnull=False),
                name="session_request_occurrence_once",
            ),
            models.CheckConstraint(condition=Q(places__gte=1), name="session_places"),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_valid"),
            models.CheckConstraint(condition=~Q(basis=""), name="session_has_basis"),
            models.CheckConstraint(
                condition=~Q(response="declined") | ~Q(response_reason=""), name="session_decline_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["site", "date"]), models.Index(fields=["expert", "date"])]

    def __str__(self) -> str:
        return f"{self.expert} @ {self.site} {self.date} {self.half_day}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATUSES


class SessionTransition(BaseModel):
    """One status change of a session: who, when, from, to, why (and what changed, for a move)."""

    session = models.ForeignKey(ExpertSession, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]

    @property
    def from_label(self) -> str:
        return str(SessionStatus(self.from_status).label) if self.from_status in SessionStatus.values else ""

    @property
    def to_label(self) -> str:
        return str(SessionStatus(self.to_status).label) if self.to_status in SessionStatus.values else self.to_status


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class Booking(BaseModel):
    """A patient in a numbered place of a session. A place is never booked twice (database constraint)."""

    session = models.ForeignKey(ExpertSession, on_delete=models.PROTECT, related_name="bookings")
    place_number = models.PositiveSmallIntegerField(_("place"))
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="outreach_bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.ACTIVE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "place_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "place_number"],
                condition=Q(status="active"),
                name="outreach_booking_place_once",
                violation_error_message=_("place_number: this place is already booked."),
            ),
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(status="active"),
                name="outreach_booking_person_once",
                violation_error_message=_("person: this patient already has a place in this session."),
            ),
            models.CheckConstraint(condition=Q(place_number__gte=1), name="outreach_booking_place_positive"),
        ]

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id


class SessionReport(BaseModel):
    """What happened at a session: cases seen (in all, and per procedure), surgeries with their grade (手术分级
    1–4, 《医疗技术临床应用管理办法》), patients referred up, complications, teaching (topic, each attendee).

    ``procedure_cases``: [{"procedure", "cases"}]; ``surgeries``: [{"procedure", "grade" 1–4, "count"}];
    ``attendee_list``: [{"name", "role"}] (``attendees`` is its length when the list is given).
    """

    session = models.OneToOneField(ExpertSession, on_delete=models.PROTECT, related_name="report")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cases_seen = models.PositiveIntegerField(_("cases seen"), default=0, validators=[MaxValueValidator(1000)])
    procedures = models.JSONField(_("procedures done"), default=list, blank=True)
    complications = models.TextField(_("complications"), blank=True)
    teaching_topic = models.CharField(_("teaching topic"), max_length=200, blank=True)
    attendees = models.PositiveIntegerField(_("attendees"), default=0, validators=[MaxValueValidator(1000)])
    notes = models.TextField(_("notes"), blank=True)
    procedure_cases = models.JSONField(_("cases by procedure"), default=list, blank=True)
    surgeries = models.JSONField(_("surgeries"), default=list, blank=True)
    referred = models.PositiveIntegerField(_("patients referred"), default=0, validators=[MaxValueValidator(1000)])
    attendee_list = models.JSONField(_("attendees by name"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]


class FeedKind(models.TextChoices):
    EXPERT = "expert", _("Expert")
    SITE = "site", _("Site")


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(BaseModel):
    """An ICS subscription: an unguessable token per expert or per site (calendar apps send no session)."""

    kind = models.CharField(max_length=10, choices=FeedKind.choices)
    practitioner = models.OneToOneField(
        "network.Practitioner", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    organization = models.OneToOneField(
        "network.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="expert", practitioner__isnull=False, organization__isnull=True)
                | Q(kind="site", organization__isnull=False, practitioner__isnull=True),
                name="calendar_feed_owner",
            ),
        ]
