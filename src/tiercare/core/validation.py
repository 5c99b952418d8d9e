"""Strict input types shared by every API schema and page form: clean names, plausible dates, no NUL.

One rule, two edges: the pydantic annotations (``CleanName``, ``BirthDate``, ``RecentDate``, ``PlanDate``,
``MeasuredAt``) wrap the same checks the form validators (``validate_clean_name``, ``validate_birth_date`` …) run, so
the API and the pages refuse the same input with the same message. A check that needs the record (a measurement not
before the person's birth) is the same function called by the service with the birth date.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, StrictBool, StrictFloat, StrictInt

NUL = "\x00"

# Dates: nothing in a family-doctor record predates 1900 (the oldest living resident was born after it), and
# nothing clinical is recorded for later than tomorrow (a clinic past midnight in UTC+8 against a UTC server).
EARLIEST_DATE = dt.date(1900, 1, 1)
RECORD_LOOKBACK_YEARS = 20  # a prescription, enrolment or record entered today may go back at most this far
PLAN_AHEAD_YEARS = 5  # a window, term or schedule planned today reaches at most this far ahead
CLOCK_SKEW = dt.timedelta(minutes=5)  # a device's clock ahead of the server's: a reading "now" may be this far ahead

__all__ = [
    "NUL",
    "BirthDate",
    "CleanName",
    "CleanText",
    "MeasuredAt",
    "PlanDate",
    "RecentDate",
    "StrictBool",
    "StrictFloat",
    "StrictInt",
]


def nul_message() -> str:
    return _("Text may not contain the NUL character (\\x00).")


def _today() -> dt.date:
    return timezone.localdate()


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _refused_character(value: str) -> str | None:
    """The first control or invisible formatting character (Unicode Cc/Cf: NUL, bidirectional overrides U+202A–E
    and isolates U+2066–9, zero-width joiners …) in ``value``: they make a name display as something else."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf"):
            return f"U+{ord(ch):04X}"
    return None


def clean_text(value: str) -> str:
    """Free text: no NUL (PostgreSQL cannot store it, and it truncates text in C libraries)."""
    if NUL in value:
        raise ValueError(nul_message())
    return value


def clean_name(value: str) -> str:
    """A name as people write it: not blank, no control or bidirectional-override characters; outer spaces dropped."""
    stripped = value.strip()
    if not stripped:
        raise ValueError(_("A name cannot be blank or only spaces."))
    bad = _refused_character(stripped)
    if bad:
        raise ValueError(
            _("A name cannot contain control or invisible formatting characters (%(char)s).") % {"char": bad}
        )
    return stripped


def check_birth_date(value: dt.date) -> dt.date:
    """A date of birth (or death): from 1 January 1900 to today."""
    if not EARLIEST_DATE <= value <= _today():
        raise ValueError(_("The date must lie between %(first)s and today.") % {"first": EARLIEST_DATE.isoformat()})
    return value


def check_recent_date(value: dt.date) -> dt.date:
    """A date something happened (prescribed, enrolled, signed): within the last 20 years and not after tomorrow."""
    today = _today()
    first, last = _years_from(today, -RECORD_LOOKBACK_YEARS), today + dt.timedelta(days=1)
    if not first <= value <= last:
        raise ValueError(
            _("The date must lie between %(first)s and %(last)s.")
            % {"first": first.isoformat(), "last": last.isoformat()}
        )
    return value


def check_plan_date(value: dt.date) -> dt.date:
    """A date in a plan, window or term: from 20 years back (history being corrected) to 5 years ahead."""
    today = _today()
    first, last = _years_from(today, -RECORD_LOOKBACK_YEARS), _years_from(today, PLAN_AHEAD_YEARS)
    if not first <= value <= last:
        raise ValueError(
            _("The date must lie between %(first)s and %(last)s.")
            % {"first": first.isoformat(), "last": last.isoformat()}
        )
    return value


def check_measured_at(value: dt.datetime, born: dt.date | None = None) -> dt.datetime:
    """A time something was measured: not later than now (a few minutes' clock skew allowed), not before the
    person's birth (when ``born`` is given) nor before 1 January 1900."""
    latest = timezone.now() + CLOCK_SKEW
    try:
        aware = timezone.make_aware(value) if timezone.is_naive(value) else value
        day = timezone.localtime(aware).date()
        late = aware > latest
    except (OverflowError, ValueError):  # year 1 or 9999 shifted past the calendar by a time zone
        late, day = value.year > EARLIEST_DATE.year, value.date()
    if late:
        raise ValueError(
            _("The time cannot be later than now (%(last)s, a few minutes allowed for clock differences).")
            % {"last": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M")}
        )
    if born is not None and day < born:
        raise ValueError(_("The time cannot be before the date of birth (%(born)s).") % {"born": born.isoformat()})
    if day < EARLIEST_DATE:
        raise ValueError(_("The time cannot be before %(first)s.") % {"first": EARLIEST_DATE.isoformat()})
    return value


CleanText = Annotated[str, AfterValidator(clean_text)]
CleanName = Annotated[str, AfterValidator(clean_name)]
BirthDate = Annotated[dt.date, AfterValidator(check_birth_date)]
RecentDate = Annotated[dt.date, AfterValidator(check_recent_date)]
PlanDate = Annotated[dt.date, AfterValidator(check_plan_date)]
MeasuredAt = Annotated[dt.datetime, AfterValidator(check_measured_at)]


def _form_validator(check: Callable[[Any], Any], code: str) -> Callable[[Any], None]:
    def validate(value: Any) -> None:
        if value in (None, ""):
            return
        try:
            check(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code=code) from None

    validate.__name__ = f"validate_{code}"
    return validate


# Django form validators running the same checks (forms.CharField already refuses NUL by itself).
validate_clean_name = _form_validator(clean_name, "clean_name")
validate_birth_date = _form_validator(check_birth_date, "birth_date")
validate_recent_date = _form_validator(check_recent_date, "recent_date")
validate_plan_date = _form_validator(check_plan_date, "plan_date")
validate_measured_at = _form_validator(check_measured_at, "measured_at")
