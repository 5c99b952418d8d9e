"""An expert's calendar as the MDT slot finder sees it: when they are busy and in which hours they meet.

Busy (``slots.Candidate.busy``):
- their other MDT meetings;
- their outreach sessions (scheduled or moved), for the half-day's clock times (outreach.models.HALF_DAY_HOURS)
  widened by the one-way travel from their home to the session's site and back (outreach.planning's trip hours: an
  imported travel time, else the distance by road); a site whose distance is unknown takes the whole day;
- their leave (``ExpertLeave`` of kind leave), whole local days. Home-hospital duty and a withdrawal from outreach
  stop travel, not a video meeting, so they do not make an expert busy here.

Hours (``slots.Candidate.hours``): working hours (Monday to Friday 08:00–18:00) plus the weekend or evening windows
the expert marked (``MeetingHours``); the expert marks and removes their own here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults import slots
from tiercare.consults.models import MdtParticipant, MeetingHours
from tiercare.core.audit import audit_write
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Practitioner


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, slots.SHANGHAI)


def _session_busy(experts: list[Practitioner], first: date, last: date) -> dict[Any, list[slots.Interval]]:
    from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, HALF_DAY_HOURS, ExpertSession, OutreachProfile
    from tiercare.outreach.planning import MAX_TRIP_HOURS, _trip_hours

    sessions = list(
        ExpertSession.objects.filter(
            expert__in=experts, status__in=ACTIVE_SESSION_STATUSES, date__gte=first, date__lte=last
        ).select_related("site")
    )
    out: dict[Any, list[slots.Interval]] = defaultdict(list)
    if not sessions:
        return out
    travellers = [p for p in experts if any(s.expert_id == p.pk for s in sessions)]
    sites = list({s.site_id: s.site for s in sessions}.values())
    profiles = {p.practitioner_id: p for p in OutreachProfile.objects.filter(practitioner__in=travellers)}
    trips = _trip_hours(travellers, sites, profiles)
    for s in sessions:
        round_trip = trips.get((str(s.expert_id), str(s.site_id)), MAX_TRIP_HOURS * 10)
        (h0, m0), (h1, m1) = HALF_DAY_HOURS[s.half_day]
        if round_trip >= MAX_TRIP_HOURS * 10:  # distance unknown: away for the day
            out[s.expert_id].append((_local(s.date, time(0)), _local(s.date, time(0)) + slots.ONE_DAY))
            continue
        one_way = timedelta(hours=round_trip / 2)
        out[s.expert_id].append((_local(s.date, time(h0, m0)) - one_way, _local(s.date, time(h1, m1)) + one_way))
    return out


def _leave_busy(experts: list[Practitioner], first: date, last: date) -> dict[Any, list[slots.Interval]]:
    from tiercare.outreach.models import ExpertLeave, LeaveKind

    out: dict[Any, list[slots.Interval]] = defaultdict(list)
    for leave in ExpertLeave.objects.filter(
        practitioner__in=experts, kind=LeaveKind.LEAVE, start__lte=last, end__gte=first
    ):
        out[leave.practitioner_id].append((_local(leave.start, time(0)), _local(leave.end, time(0)) + slots.ONE_DAY))
    return out


def calendars(
    experts: list[Practitioner], *, earliest: datetime, last_day: date
) -> dict[Any, tuple[tuple[slots.Interval, ...], tuple[slots.Window, ...]]]:
    """For each expert (by pk): their busy intervals from ``earliest`` to the end of ``last_day`` and their weekly
    meeting hours."""
    first = timezone.localdate(earliest) - timedelta(days=1)  # a session the evening before may reach into the day
    busy: dict[Any, list[slots.Interval]] = defaultdict(list)
    for part in MdtParticipant.objects.filter(practitioner__in=experts, meeting__ends_at__gt=earliest).select_related(
        "meeting"
    ):
        busy[part.practitioner_id].append((part.meeting.starts_at, part.meeting.ends_at))
    for extra in (_session_busy(experts, first, last_day + timedelta(days=1)), _leave_busy(experts, first, last_day)):
        for pk, intervals in extra.items():
            busy[pk].extend(intervals)
    hours: dict[Any, list[slots.Window]] = defaultdict(list)
    for row in MeetingHours.objects.filter(practitioner__in=experts):
        hours[row.practitioner_id].append((row.weekday, row.start, row.end))
    return {p.pk: (tuple(sorted(busy[p.pk])), slots.WORKING_HOURS + tuple(hours[p.pk])) for p in experts}


# --- the expert's own meeting hours -----------------------------------------------------------------------------------
def _own_practitioner(by: User) -> Practitioner:
    practitioner = getattr(by, "practitioner", None)
    if by.role != Role.EXPERT or practitioner is None:
        raise Forbidden(_("Only an expert marks their own meeting hours."))
    return practitioner


def meeting_hours_add(*, by: User, weekday: int, start: time, end: time) -> MeetingHours:
    """The expert marks a weekly window in which they will join MDT meetings outside working hours. Refused
    (ValidationFailed, naming the field) for an unknown weekday, an end not after the start, or a window starting
    at the same time on the same day as one already marked (the database's unique constraint decides under races).
    """
    practitioner = _own_practitioner(by)
    if weekday not in range(7):
        raise ValidationFailed(_("weekday: choose a day of the week."), details={"field": "weekday"})
    if end <= start:
        raise ValidationFailed(_("end: the end is not after the start."), details={"field": "end"})
    row = MeetingHours(practitioner=practitioner, weekday=weekday, start=start, end=end)
    try:
        with transaction.atomic():
            row.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"weekday": weekday})
    except IntegrityError as exc:
        raise ValidationFailed(
            _("start: you already marked hours starting then on that day."), details={"field": "start"}
        ) from exc
    return row


@transaction.atomic
def meeting_hours_remove(*, by: User, row: MeetingHours) -> None:
    practitioner = _own_practitioner(by)
    if row.practitioner_id != practitioner.pk:
        raise Forbidden(_("Only an expert marks their own meeting hours."))
    audit_write(actor=by, action=AuditAction.DELETE, obj=row, changes={"weekday": row.weekday})
    row.delete()
