"""Calls to overdue patients: the outcome, the next reminder, and when an unreachable patient leaves the worklist.

Agreed to visit: remind in 30 days; call later: 7 days; moved, deceased, transferred: off the worklist with that
reason. Unreachable: off the worklist only after ``settings.CARE_UNREACHABLE_ATTEMPTS`` failed calls on different
days since the last contact (hazard H-17).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import REMOVING_OUTCOMES, Enrollment, OutreachCall, OutreachOutcome
from tiercare.care.services.membership import _require_resident_team
from tiercare.core.audit import audit_write
from tiercare.core.errors import ValidationFailed
from tiercare.core.models import AuditAction, User

# Outreach outcomes → days until the next reminder (issue 6 §5).
REMIND_AGREED_TO_VISIT_DAYS = 30
REMIND_CALL_LATER_DAYS = 7


def outreach_call_record(
    *, by: User, enrollment: Enrollment, outcome: str, called_at: datetime, note: str = ""
) -> OutreachCall:
    """Record a call to an overdue patient. Agreed to visit → remind again if not seen in 30 days; call later
    → 7 days; moved, deceased, transferred → off the worklist with that reason (still counted).

    Unreachable → try again on another day (reminder the next day); the patient comes off the worklist only when
    ``settings.CARE_UNREACHABLE_ATTEMPTS`` (default 3) unreachable calls on different local days have been made
    since the last contact (the latest follow-up, or a call that reached them) — hazard H-17: one missed call must
    not end the outreach of an uncontrolled patient. The call returned carries ``unreachable_attempts`` (that count)
    and ``off_worklist``."""
    if outcome not in OutreachOutcome.values:
        raise ValidationFailed(_("outcome: unknown outcome."), details={"field": "outcome"})
    _require_resident_team(by, enrollment.person_id, _("Only the resident's contracted team records calls."))
    day = timezone.localdate(called_at)
    remind = None
    if outcome == OutreachOutcome.AGREED_TO_VISIT:
        remind = day + timedelta(days=REMIND_AGREED_TO_VISIT_DAYS)
    elif outcome == OutreachOutcome.CALL_LATER:
        remind = day + timedelta(days=REMIND_CALL_LATER_DAYS)
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)  # attempts are counted one call at a time
        call = OutreachCall.objects.create(
            enrollment=e,
            called_at=called_at,
            by=by,
            outcome=outcome,
            note=note[:300],
            remind_after=remind,
        )
        attempts = unreachable_attempts(e) if outcome == OutreachOutcome.UNREACHABLE else 0
        removed = ""
        if outcome == OutreachOutcome.UNREACHABLE:
            if attempts >= settings.CARE_UNREACHABLE_ATTEMPTS:
                removed = outcome
            else:
                remind = day + timedelta(days=1)  # the next attempt counts only on another day
                call.remind_after = remind
                call.save(update_fields=["remind_after", "updated_at"])
        elif outcome in REMOVING_OUTCOMES:
            removed = outcome
        Enrollment.objects.filter(pk=e.pk).update(
            remind_after=None if removed else remind, outreach_removed_reason=removed
        )
        changes: dict[str, Any] = {"outcome": outcome}
        if outcome == OutreachOutcome.UNREACHABLE:
            changes |= {"unreachable_attempts": attempts, "off_worklist": bool(removed)}
        audit_write(actor=by, action=AuditAction.CREATE, obj=call, changes=changes)
    call.unreachable_attempts = attempts  # type: ignore[attr-defined]
    call.attempts_needed = settings.CARE_UNREACHABLE_ATTEMPTS  # type: ignore[attr-defined]
    call.off_worklist = bool(removed)  # type: ignore[attr-defined]
    return call


def unreachable_attempts(enrollment: Enrollment) -> int:
    """The failed attempts to reach the patient since the last contact: the local days with an "unreachable" call
    after the latest follow-up day and after the latest call that reached them (any other outcome)."""
    calls = OutreachCall.objects.filter(enrollment=enrollment)
    reached = (
        calls.exclude(outcome=OutreachOutcome.UNREACHABLE).order_by("-called_at").values_list("called_at", flat=True)
    ).first()
    failed = calls.filter(outcome=OutreachOutcome.UNREACHABLE)
    if reached is not None:
        failed = failed.filter(called_at__gt=reached)
    days = {timezone.localdate(at) for at in failed.values_list("called_at", flat=True)}
    if enrollment.last_followup_on is not None:
        days = {d for d in days if d > enrollment.last_followup_on}
    return len(days)
