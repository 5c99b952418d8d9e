"""SMS reminders to patients and their proxies (issue 16): a follow-up due, a clinic appointment, a referral
appointment, the visit owed after a back-referral, a medicine running out. Sent by the periodic job
(``portal.tasks.tick``, `manage.py tick`) through the notification backend with the approved templates of
``data/sms_templates.json``; never in quiet hours (PORTAL_QUIET_HOURS, local time); never to a person who opted out
(the choice is recorded, and the reminder is recorded as not sent). Each reminder is recorded once under its key
(unique in the database), so a tick run twice sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from tiercare.care.forms import program_name
from tiercare.care.models import Enrollment, MedicationRecord
from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify
from tiercare.network.models import Organization
from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, Booking, BookingStatus
from tiercare.people.models import Person, Proxy
from tiercare.portal.content import check, template_for
from tiercare.portal.models import ReminderKind, ReminderOptOut, ReminderSent, ReminderStatus
from tiercare.referrals.models import Referral, Status

DEFAULT_QUIET_HOURS = (21, 8)  # no SMS from 21:00 to 08:00 local time
FOLLOWUP_NOTICE_DAYS = 3  # a follow-up is announced this many days before it is due
REFILL_NOTICE_DAYS = 3
BACK_REFERRAL_VISIT_DAYS = 14  # the GP visit owed after a back-referral, when the referral names no due day


def quiet_hours() -> tuple[int, int]:
    start, end = getattr(settings, "PORTAL_QUIET_HOURS", DEFAULT_QUIET_HOURS)
    return int(start), int(end)


def in_quiet_hours(now: datetime) -> bool:
    start, end = quiet_hours()
    hour = timezone.localtime(now).hour
    return hour >= start or hour < end if start > end else start <= hour < end


@dataclass
class Due:
    person: Person
    kind: str
    key: str
    params: dict[str, Any]


def _center_name(person: Person) -> str:
    membership = getattr(person, "membership", None)
    return membership.household.registered_at.name if membership is not None else ""


def _persons(ids: set[Any]) -> dict[Any, Person]:
    return {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids, archived=False, deceased_on__isnull=True).select_related(
            "membership__household__registered_at"
        )
    }


def due_reminders(now: datetime) -> Iterator[Due]:
    """What is to be announced at ``now`` (zh-Hans words: the SMS goes out in Chinese)."""
    today = timezone.localdate(now)
    tomorrow = today + timedelta(days=1)
    enrollments = list(
        Enrollment.objects.active().filter(
            next_due_on__gte=today, next_due_on__lte=today + timedelta(FOLLOWUP_NOTICE_DAYS)
        )
    )
    bookings = list(
        Booking.objects.filter(
            status=BookingStatus.ACTIVE, session__status__in=ACTIVE_SESSION_STATUSES, session__date=tomorrow
        ).select_related("session__site", "session__department")
    )
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    referrals = list(
        Referral.objects.filter(
            status=Status.SCHEDULED, scheduled_for__gte=start, scheduled_for__lt=start + timedelta(days=1)
        ).select_related("receiving_organization", "receiving_department")
    )
    back = list(
        Referral.objects.filter(status=Status.BACK_REFERRED, back_referred_at__isnull=False).select_related(
            "referring_organization"
        )
    )
    refills = [
        m
        for m in MedicationRecord.objects.filter(
            prescribed_on__gte=today - timedelta(days=400), prescribed_on__lte=today
        )
        if today <= m.prescribed_on + timedelta(days=m.supply_days) <= today + timedelta(days=REFILL_NOTICE_DAYS)
    ]
    persons = _persons(
        {e.person_id for e in enrollments}
        | {b.person_id for b in bookings}
        | {r.person_id for r in referrals + back}
        | {m.person_id for m in refills}
    )
    with translation.override("zh-hans"):
        for e in enrollments:
            if (p := persons.get(e.person_id)) is not None and e.next_due_on is not None:
                yield Due(
                    p,
                    ReminderKind.FOLLOWUP_DUE,
                    f"followup:{e.pk}:{e.next_due_on}",
                    {
                        "name": p.name,
                        "program": program_name(e.protocol_code),
                        "date": _day(e.next_due_on),
                        "place": _center_name(p),
                    },
                )
        for b in bookings:
            if (p := persons.get(b.person_id)) is not None:
                s = b.session
                yield Due(
                    p,
                    ReminderKind.APPOINTMENT,
                    f"appointment:{b.pk}",
                    {
                        "name": p.name,
                        "date": _day(s.date),
                        "half_day": str(s.get_half_day_display()),
                        "place": s.site.name,
                        "department": s.department.name,
                        "number": b.place_number,
                    },
                )
        for r in referrals:
            if (p := persons.get(r.person_id)) is not None and r.scheduled_for is not None:
                local = timezone.localtime(r.scheduled_for)
                yield Due(
                    p,
                    ReminderKind.REFERRAL_APPOINTMENT,
                    f"referral:{r.pk}:{local.date()}",
                    {
                        "name": p.name,
                        "time": f"{_day(local.date())} {local:%H:%M}",
                        "place": r.receiving_organization.name,
                        "department": r.receiving_department.name,
                    },
                )
        for r in back:
            if (p := persons.get(r.person_id)) is not None and r.back_referred_at is not None:
                by = (
                    timezone.localdate(r.due_at)
                    if r.due_at
                    else timezone.localdate(r.back_referred_at) + timedelta(days=BACK_REFERRAL_VISIT_DAYS)
                )
                place: Organization = r.referring_organization  # the GP center or hospital that referred up
                yield Due(
                    p,
                    ReminderKind.BACK_REFERRAL_VISIT,
                    f"back_referral:{r.pk}",
                    {"name": p.name, "place": place.name, "date": _day(by)},
                )
        for m in refills:
            if (p := persons.get(m.person_id)) is not None:
                yield Due(
                    p,
                    ReminderKind.MEDICATION_REFILL,
                    f"refill:{m.pk}",
                    {
                        "name": p.name,
                        "drug": m.drug_name,
                        "date": _day(m.prescribed_on + timedelta(days=m.supply_days)),
                        "place": _center_name(p),
                    },
                )


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def recipients(person: Person, on: date) -> list[str]:
    """Who gets a reminder about ``person``: their mobile, else those who hold an in-force proxy for them."""
    if person.phone:
        return [person.phone]
    holders = Proxy.objects.in_force(on).filter(person=person).exclude(holder__phone="")
    return list(dict.fromkeys(holders.values_list("holder__phone", flat=True)))


def opted_out_ids(ids: set[Any]) -> set[Any]:
    return set(
        ReminderOptOut.objects.filter(person_id__in=ids, withdrawn_at__isnull=True).values_list("person_id", flat=True)
    )


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[7:]


def send_due(now: datetime) -> dict[str, int]:
    """Send what is due at ``now`` (nothing in quiet hours). Returns counts by outcome."""
    counts = {"sent": 0, "opted_out": 0, "no_phone": 0, "quiet_hours": 0}
    if in_quiet_hours(now):
        counts["quiet_hours"] = 1
        return counts
    due = [d for d in due_reminders(now) if not ReminderSent.objects.filter(key=d.key).exists()]
    out = opted_out_ids({d.person.pk for d in due})
    today = timezone.localdate(now)
    for d in due:
        template = template_for(d.kind)
        phones = [] if d.person.pk in out else recipients(d.person, today)
        status = (
            ReminderStatus.OPTED_OUT
            if d.person.pk in out
            else (ReminderStatus.SENT if phones else ReminderStatus.NO_PHONE)
        )
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    person=d.person,
                    kind=d.kind,
                    key=d.key,
                    template_code=template.code,
                    status=status,
                    phones_masked=",".join(_mask(p) for p in phones)[:100],
                    sent_at=now,
                )
        except IntegrityError:  # another tick recorded it first
            continue
        for phone in phones:
            notify(phone, template.code, check(d.params, template))
        counts[status] += 1
    return counts


def opt_out(*, by: User, person: Person, via: str = "family_page") -> ReminderOptOut:
    """Record that ``person`` wants no SMS reminders (the caller resolved ``person`` through an access function:
    the patient, their proxy, or their care team)."""
    require_role(by, Role.PATIENT, Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)
    try:
        with transaction.atomic():
            row = ReminderOptOut.objects.create(person=person, recorded_by=by, via=via, recorded_at=timezone.now())
            audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"via": via})
    except IntegrityError as exc:
        raise Conflict(translation.gettext("Reminders are already switched off."), code="already_opted_out") from exc
    return row


def opt_in(*, by: User, person: Person) -> ReminderOptOut:
    require_role(by, Role.PATIENT, Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)
    with transaction.atomic():
        row = ReminderOptOut.objects.select_for_update().filter(person=person, withdrawn_at__isnull=True).first()
        if row is None:
            raise Conflict(translation.gettext("Reminders are already on."), code="not_opted_out")
        row.withdrawn_at = timezone.now()
        row.withdrawn_by = by
        row.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=row, changes={"withdrawn_at": row.withdrawn_at})
    return row
