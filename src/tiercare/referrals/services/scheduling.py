"""Scheduling and arrival: the visit time a schedule sets (given, or the reserved place's day) and the reason a
patient marked arrived before their scheduled day needs.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.errors import ValidationFailed
from tiercare.referrals import selectors
from tiercare.referrals.models import Referral

# When the page or the API gives no time for a visit booked on a reserved place: this time of the place's day.
DEFAULT_VISIT_TIME = time(8, 0)
# A visit time typed to the minute is "now" for this long (a page's datetime field has no seconds).
SCHEDULE_GRACE = timedelta(minutes=5)
# A referral is a visit within weeks, not years: a time further ahead than this is a typing error (e.g. year 2062).
SCHEDULE_HORIZON = timedelta(days=366)


def _visit_time(ref: Referral, scheduled_for: datetime | None, at: datetime) -> datetime:
    """The visit time a schedule sets: the one given, or, when none is given and the referral holds a reserved place,
    that place's day at DEFAULT_VISIT_TIME. Never a time already past (ValidationFailed on ``scheduled_for``)."""
    if scheduled_for is None:
        booking = selectors.active_booking(ref)
        if booking is None:
            raise ValidationFailed(
                _("scheduled_for: give the day and time the patient should come."),
                code="visit_time_missing",
                details={"field": "scheduled_for"},
            )
        scheduled_for = timezone.make_aware(datetime.combine(booking.capacity.date, DEFAULT_VISIT_TIME))
    elif timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
    if scheduled_for < at - SCHEDULE_GRACE:
        raise ValidationFailed(
            _("scheduled_for: %(when)s has already passed; give a day and time from now on.")
            % {"when": timezone.localtime(scheduled_for).strftime("%Y-%m-%d %H:%M")},
            code="visit_time_past",
            details={"field": "scheduled_for"},
        )
    if scheduled_for > at + SCHEDULE_HORIZON:
        raise ValidationFailed(
            _("scheduled_for: %(when)s is more than a year ahead; give the day and time of the visit.")
            % {"when": timezone.localtime(scheduled_for).strftime("%Y-%m-%d %H:%M")},
            code="visit_time_too_far",
            details={"field": "scheduled_for"},
        )
    return scheduled_for


def _early_arrival(ref: Referral, reason: str, at: datetime) -> dict[str, Any]:
    """A patient marked arrived before their scheduled day needs the desk's reason (an override, kept in the
    transition and its audit event); on or after the day none is asked. Days are the network's local days."""
    if ref.scheduled_for is None:
        return {}
    day = timezone.localdate(ref.scheduled_for)
    if timezone.localdate(at) >= day:
        return {}
    if not reason.strip():
        raise ValidationFailed(
            _("reason: the patient is scheduled for %(day)s; say why they are marked arrived before that day.")
            % {"day": day.isoformat()},
            code="early_arrival_reason",
            details={"field": "reason", "scheduled_day": day.isoformat()},
        )
    return {"arrived_before_scheduled_day": day.isoformat(), "override_reason": reason[:300]}
