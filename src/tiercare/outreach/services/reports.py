"""The session report: what happened at a held session (cases seen, surgeries and their grade, teaching,
referrals), filed by its expert or the host hospital's coordinator.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.crud import row_save
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, ExpertSession, SessionKind, SessionReport, SessionStatus
from tiercare.outreach.services.sessions import _transition


@transaction.atomic
def report_file(*, by: User, session: ExpertSession, data: dict[str, Any]) -> SessionReport:
    """The session's expert or a coordinator of the host hospital files what happened; the session becomes held.
    404 for anyone else; 409 before the session has started (its half-day's first hour, Beijing time), for a
    cancelled session, or when a report exists; 422 for a surgery grade outside 1–4 (手术分级), surgeries in a
    session that is not surgery, or per-procedure cases or referrals beyond the cases seen."""
    from tiercare.outreach.ics import session_times

    require_role(by, Role.EXPERT, Role.COORDINATOR)
    session = ExpertSession.objects.select_for_update(of=("self",)).select_related("expert").get(pk=session.pk)
    if by.role == Role.EXPERT and session.expert.user_id != by.pk:
        raise NotFound(_("No such session."))
    if by.role == Role.COORDINATOR and session.site_id not in user_organization_ids(by):
        raise NotFound(_("No such session."))
    if session_times(session)[0] > timezone.now():
        raise Conflict(_("A report can be filed once the session has started."), code="too_early")
    if SessionReport.objects.filter(session=session).exists():
        raise Conflict(_("This session already has a report."), code="already_reported")
    if session.status not in (*ACTIVE_SESSION_STATUSES,):
        raise Conflict(_("This session is no longer scheduled."), code="illegal_transition")
    data = dict(data)
    _check_report(session, data)
    _transition(session, to=SessionStatus.HELD, by=by, reason="report filed")
    report = row_save(actor=by, obj=SessionReport(session=session, filed_by=by, **data), changes=data)
    session.status = SessionStatus.HELD
    session.save(update_fields=["status", "updated_at"])
    return report


def _check_report(session: ExpertSession, data: dict[str, Any]) -> None:
    """The report's rules (ValidationFailed naming the field); ``attendees`` becomes the list's length when a list
    of attendees is given."""
    if session.kind == SessionKind.TEACHING and not data.get("teaching_topic"):
        raise ValidationFailed(
            _("teaching_topic: a teaching session names its topic."), details={"field": "teaching_topic"}
        )
    surgeries = data.get("surgeries") or []
    if surgeries and session.kind != SessionKind.SURGERY:
        raise ValidationFailed(
            _("surgeries: only a surgery session reports surgeries."), details={"field": "surgeries"}
        )
    for s in surgeries:
        if not isinstance(s.get("grade"), int) or not 1 <= s["grade"] <= 4:
            raise ValidationFailed(_("surgeries: a surgery's grade is 1, 2, 3 or 4."), details={"field": "surgeries"})
    seen = int(data.get("cases_seen") or 0)
    if sum(int(p.get("cases") or 0) for p in data.get("procedure_cases") or []) > seen:
        raise ValidationFailed(
            _("procedure_cases: the cases by procedure add up to more than the cases seen."),
            details={"field": "procedure_cases"},
        )
    if int(data.get("referred") or 0) > seen:
        raise ValidationFailed(_("referred: more patients referred than cases seen."), details={"field": "referred"})
    if data.get("attendee_list"):
        data["attendees"] = len(data["attendee_list"])
