"""The placement rule: every rule an expert placed in a session breaks (``placement_problems``), asked when a
proposal is adjusted, when a plan is confirmed and when a session moves. The legal rule (DESIGN.md §3) is asked of
``practice_basis`` each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from tiercare.network.models import Organization, Practitioner
from tiercare.network.practice import practice_basis
from tiercare.outreach import planning
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    ExpertAvailability,
    ExpertLeave,
    ExpertSession,
    OutreachProfile,
    SessionKind,
)


def placement_problems(
    *,
    expert: Practitioner,
    site: Organization,
    specialty: str,
    kind: str,
    on: date,
    half_day: str,
    ignore_sessions: Iterable[Any] = (),
    others: Iterable[tuple[Any, Any, date, str]] = (),
) -> list[dict[str, str]]:
    """Every rule an expert placement breaks, as [{"code", "message"}] (empty: legal).

    The practice rule that day (``practice_basis``: basis and cover), specialty, qualification (surgery →
    qualified to operate, teaching → senior title), availability (weekly half-day, leave, duty), the day-trip
    limit, and against the confirmed sessions (minus ``ignore_sessions``) and ``others`` (expert id, site id,
    date, half-day) of the same proposal: one session per half-day, one site per day, the weekly limit.
    """
    out: list[dict[str, str]] = []
    decision = practice_basis(expert, site, on)
    if not decision.allowed:
        out.append({"code": decision.refusals[0], "message": decision.reason})
    if expert.specialty != specialty:
        out.append({"code": "specialty", "message": _("The expert's specialty is not the one requested.")})
    if kind == SessionKind.SURGERY and not expert.can_operate:
        out.append({"code": "not_surgeon", "message": _("Surgery needs an expert qualified to operate.")})
    if kind == SessionKind.TEACHING and not expert.is_senior:
        out.append({"code": "not_senior", "message": _("Teaching needs a chief or associate chief physician.")})
    if on.weekday() >= planning.WORKDAYS:
        out.append({"code": "weekend", "message": _("Sessions are held on working days.")})
    if not ExpertAvailability.objects.filter(practitioner=expert, weekday=on.weekday(), half_day=half_day).exists():
        out.append({"code": "unavailable", "message": _("The expert is not available in that half-day.")})
    if ExpertLeave.objects.filter(practitioner=expert, start__lte=on, end__gte=on).exists():
        out.append({"code": "on_leave", "message": _("The expert is on leave or on duty that day.")})
    profiles = {p.practitioner_id: p for p in OutreachProfile.objects.filter(practitioner=expert)}
    trip = planning._trip_hours([expert], [site], profiles)[(str(expert.pk), str(site.pk))]
    if trip > planning.MAX_TRIP_HOURS:
        out.append(
            {"code": "too_far", "message": _("The round trip takes %(h)s h, above the day-trip limit.") % {"h": trip}}
        )
    ignore = {str(x) for x in ignore_sessions}
    monday = on - timedelta(days=on.weekday())
    busy = [
        (str(s.site_id), s.date, s.half_day)
        for s in ExpertSession.objects.filter(
            expert=expert, status__in=ACTIVE_SESSION_STATUSES, date__gte=monday, date__lt=monday + timedelta(days=7)
        )
        if str(s.pk) not in ignore
    ]
    busy += [
        (str(sid), d, h)
        for eid, sid, d, h in others
        if str(eid) == str(expert.pk) and monday <= d < monday + timedelta(days=7)
    ]
    if any(d == on and h == half_day for _s, d, h in busy):
        out.append({"code": "half_day_taken", "message": _("The expert already has a session in that half-day.")})
    if any(d == on and s != str(site.pk) for s, d, _h in busy):
        out.append({"code": "two_sites", "message": _("The expert works at another site that day.")})
    profile = profiles.get(expert.pk)
    limit = profile.weekly_limit if profile else planning.DEFAULT_WEEKLY_LIMIT
    if len(busy) + 1 > limit:
        out.append(
            {
                "code": "week_limit",
                "message": _("The expert would pass the weekly limit of %(n)s sessions.") % {"n": limit},
            }
        )
    return out
