"""GP-center visits a patient (or proxy) books themselves: slots made from the team's weekly hours (``GpHours``),
only with the person's own contracted team; a place once and one visit a person a day (database constraints, under
a row lock on the team); cancelled up to SELF_CANCEL_HOURS before; an ICS file for the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar, Event

from tiercare.care.models import ContractMember, GpTeam
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.people.models import Person
from tiercare.people.proxies import portal_person_ids
from tiercare.portal.models import GP_HALF_DAY_HOURS, GpHours, GpVisit, GpVisitStatus

TZ = ZoneInfo("Asia/Shanghai")
SELF_CANCEL_HOURS = 2
BOOKING_DAYS = 14


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    places: int
    booked: int = 0

    @property
    def free(self) -> int:
        return max(0, self.places - self.booked)

    @property
    def key(self) -> str:
        return self.starts_at.strftime("%Y-%m-%dT%H:%M")


def contracted_team(person: Person) -> GpTeam | None:
    """The GP team ``person`` is contracted with (an active member of an active contract), or None."""
    row = (
        ContractMember.objects.filter(person=person, active=True, contract__status="active", team__active=True)
        .select_related("team__center")
        .first()
    )
    return row.team if row else None


def slots(team: GpTeam, *, start: date, days: int = BOOKING_DAYS, now: datetime | None = None) -> list[Slot]:
    """The team's slots from ``start`` over ``days`` days that have not begun, each with its places booked."""
    now = now or timezone.now()
    hours = list(GpHours.objects.filter(team=team))
    out: list[Slot] = []
    for i in range(days):
        day = start + timedelta(days=i)
        for h in sorted((h for h in hours if h.weekday == day.weekday()), key=lambda h: h.half_day):
            (h1, m1), (h2, m2) = GP_HALF_DAY_HOURS[h.half_day]
            at = datetime.combine(day, time(h1, m1), tzinfo=TZ)
            end = datetime.combine(day, time(h2, m2), tzinfo=TZ)
            while at + timedelta(minutes=h.slot_minutes) <= end:
                if at > now:
                    out.append(Slot(at, at + timedelta(minutes=h.slot_minutes), h.places_per_slot))
                at += timedelta(minutes=h.slot_minutes)
    if out:
        counts: dict[datetime, int] = {}
        for s in GpVisit.objects.filter(
            team=team, status=GpVisitStatus.ACTIVE, starts_at__gte=out[0].starts_at, starts_at__lte=out[-1].starts_at
        ).values_list("starts_at", flat=True):
            counts[s] = counts.get(s, 0) + 1
        for slot in out:
            slot.booked = counts.get(slot.starts_at, 0)
    return out


def parse_slot(value: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M").replace(tzinfo=TZ)
    except (ValueError, AttributeError) as exc:
        raise ValidationFailed(_("Choose a time."), details={"field": "slot"}) from exc


def _check_patient_for(by: User, person: Person) -> None:
    require_role(by, Role.PATIENT)
    if person.pk not in portal_person_ids(by):
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="GP visit booking")
        raise NotFound(_("No such person."))


def visit_book(*, by: User, person: Person, team: GpTeam, starts_at: datetime, now: datetime | None = None) -> GpVisit:
    """Book ``person`` into the first free place of the slot starting ``starts_at`` of ``team`` (their own
    contracted team only). Under a row lock on the team; the database refuses a place twice and a second visit
    of the person that day, whatever races."""
    _check_patient_for(by, person)
    own = contracted_team(person)
    if own is None or own.pk != team.pk:
        audit_denied(actor=by, object_type="care.gpteam", object_id=str(team.pk), reason="not the person's GP team")
        raise NotFound(_("No such GP team."))
    local = starts_at.astimezone(TZ)
    match = [s for s in slots(team, start=local.date(), days=1, now=now) if s.starts_at == local]
    if not match:
        raise ValidationFailed(_("This time is not one of the team's visiting slots."), details={"field": "slot"})
    slot = match[0]
    try:
        with transaction.atomic():
            GpTeam.objects.select_for_update().get(pk=team.pk)
            if GpVisit.objects.filter(person=person, day=local.date(), status=GpVisitStatus.ACTIVE).exists():
                raise Conflict(
                    _("%(name)s already has a GP visit booked that day.") % {"name": person.name},
                    code="already_booked",
                    details={"field": "slot"},
                )
            taken = set(
                GpVisit.objects.filter(team=team, starts_at=slot.starts_at, status=GpVisitStatus.ACTIVE).values_list(
                    "place_number", flat=True
                )
            )
            free = [n for n in range(1, slot.places + 1) if n not in taken]
            if not free:
                raise Conflict(_("No place is left at this time."), code="slot_full", details={"field": "slot"})
            visit = GpVisit.objects.create(
                team=team,
                person=person,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                day=local.date(),
                place_number=free[0],
                booked_by=by,
            )
            audit_write(
                actor=by,
                action=AuditAction.CREATE,
                obj=visit,
                changes={"team": str(team.pk), "starts_at": slot.starts_at.isoformat(), "place_number": free[0]},
            )
    except IntegrityError as exc:
        raise Conflict(_("No place is left at this time."), code="slot_full", details={"field": "slot"}) from exc
    return visit


def visit_cancel(*, by: User, visit: GpVisit, now: datetime | None = None) -> GpVisit:
    """The patient (or proxy) cancels up to SELF_CANCEL_HOURS before the visit; later, refused with the reason."""
    _check_patient_for(by, visit.person)
    if (now or timezone.now()) > visit.starts_at - timedelta(hours=SELF_CANCEL_HOURS):
        raise Conflict(
            _("A visit can be cancelled here until %(hours)s hours before it; call the center instead.")
            % {"hours": SELF_CANCEL_HOURS},
            code="too_late_to_cancel",
        )
    with transaction.atomic():
        locked = GpVisit.objects.select_for_update().get(pk=visit.pk)
        if locked.status != GpVisitStatus.ACTIVE:
            raise Conflict(_("This visit is already cancelled."), code="illegal_transition")
        locked.status = GpVisitStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        audit_write(
            actor=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": ["active", "cancelled"]},
            reason="cancelled by the patient",
        )
    return locked


def render_visit(visit: GpVisit) -> bytes:
    """One visit as an ICS file (names the center and the team, not the patient's diagnosis)."""
    cal = Calendar()
    cal.add("prodid", "-//tiercare//gp visit//ZH")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", f"gp-visit-{visit.pk}@tiercare")
    ev.add("dtstamp", visit.updated_at.astimezone(ZoneInfo("UTC")))
    ev.add("dtstart", visit.starts_at.astimezone(TZ))
    ev.add("dtend", visit.ends_at.astimezone(TZ))
    center = visit.team.center
    ev.add("summary", _("GP visit · %(center)s · %(team)s") % {"center": center.name, "team": visit.team.name})
    ev.add("location", " ".join(x for x in (center.name, center.address) if x))
    ev.add("description", _("Place %(n)s") % {"n": visit.place_number})
    ev.add("status", "CONFIRMED")
    cal.add_component(ev)
    return bytes(cal.to_ical())


def active_visits(*, person_ids: list[Any], since: datetime | None = None) -> Any:
    return (
        GpVisit.objects.filter(
            person_id__in=person_ids, status=GpVisitStatus.ACTIVE, starts_at__gte=since or timezone.now()
        )
        .select_related("team__center", "person")
        .order_by("starts_at")
    )


WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


def _int(value: object, field: str, low: int, high: int, message: str) -> int:
    try:
        n = int(str(value).strip())
    except ValueError as exc:
        raise ValidationFailed(message, details={"field": field}) from exc
    if not low <= n <= high:
        raise ValidationFailed(message, details={"field": field})
    return n


def hours_set(
    *, by: User, team: GpTeam, weekday: object, half_day: object, slot_minutes: object, places: object
) -> None:
    """A team member (the caller resolved ``team`` through care.access) sets one weekday half-day of the team's
    visiting hours; 0 places removes it. Audited."""
    require_role(by, Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)
    day = _int(weekday, "weekday", 0, 6, _("Choose a weekday."))
    if half_day not in GP_HALF_DAY_HOURS:
        raise ValidationFailed(_("Choose morning or afternoon."), details={"field": "half_day"})
    n = _int(places, "places_per_slot", 0, 20, _("Places per slot: a whole number from 0 to 20."))
    minutes = _int(slot_minutes, "slot_minutes", 5, 120, _("Slot length: 5 to 120 minutes."))
    with transaction.atomic():
        if n == 0:
            GpHours.objects.filter(team=team, weekday=day, half_day=half_day).delete()
            audit_write(actor=by, action=AuditAction.DELETE, obj=team, changes={"hours": [day, half_day]})
            return
        row, _created = GpHours.objects.update_or_create(
            team=team, weekday=day, half_day=half_day, defaults={"slot_minutes": minutes, "places_per_slot": n}
        )
        audit_write(actor=by, action=AuditAction.UPDATE, obj=team, changes={"hours": [day, half_day, minutes, n]})


def team_visits(*, team: GpTeam) -> Any:
    """The team's booked visits from today on (the day list)."""
    start = datetime.combine(timezone.localdate(), time(0, 0), tzinfo=TZ)
    return (
        GpVisit.objects.filter(team=team, status=GpVisitStatus.ACTIVE, starts_at__gte=start)
        .select_related("person")
        .order_by("starts_at", "place_number")
    )
