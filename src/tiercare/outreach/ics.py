"""ICS calendar feeds (RFC 5545, ``icalendar``): one per expert and one per partner site.

Calendar apps subscribe by URL without a session, so each feed has an unguessable token (CalendarFeed). Events
carry TZID Asia/Shanghai, a UID stable per session, a SEQUENCE bumped by every change (move, cancel), and a
cancelled session stays in the feed as STATUS:CANCELLED so that subscribed calendars remove it. Feeds name no
patient.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tiercare.network.models import Organization, Practitioner
from tiercare.network.practice import basis_label
from tiercare.outreach.models import HALF_DAY_HOURS, CalendarFeed, ExpertSession, FeedKind, SessionKind

TZ = ZoneInfo("Asia/Shanghai")
PAST_DAYS = 90


def feed_for_expert(practitioner: Practitioner) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(kind=FeedKind.EXPERT, practitioner=practitioner)
    return feed


def feed_for_site(site: Organization) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(kind=FeedKind.SITE, organization=site)
    return feed


def session_times(session: ExpertSession) -> tuple[datetime, datetime]:
    (h1, m1), (h2, m2) = HALF_DAY_HOURS[session.half_day]
    return (
        datetime.combine(session.date, time(h1, m1), tzinfo=TZ),
        datetime.combine(session.date, time(h2, m2), tzinfo=TZ),
    )


def _description(session: ExpertSession) -> str:
    """「名额 12 个；执业依据：增加注册 BA-1」 in the feed's language (zh-Hans for a calendar app, which sends no
    language), never the basis code."""
    text = _("%(places)s places; legal basis: %(basis)s %(reference)s") % {
        "places": session.places,
        "basis": basis_label(session.basis),
        "reference": session.basis_reference,
    }
    return text.strip()


def _event(session: ExpertSession) -> Event:
    start, end = session_times(session)
    ev = Event()
    ev.add("uid", f"outreach-session-{session.pk}@tiercare")
    ev.add("sequence", session.sequence)
    ev.add("dtstamp", session.updated_at.astimezone(ZoneInfo("UTC")))
    ev.add("last-modified", session.updated_at.astimezone(ZoneInfo("UTC")))
    ev.add("dtstart", start)
    ev.add("dtend", end)
    kind = str(dict(SessionKind.choices).get(session.kind, session.kind))
    ev.add("summary", f"{kind} · {session.site.name} · {session.department.name} · {session.expert.name}")
    ev.add("location", " ".join(x for x in (session.site.name, session.site.address) if x))
    ev.add("description", _description(session))
    ev.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
    return ev


def render_feed(feed: CalendarFeed) -> bytes:
    since = timezone.localdate() - timedelta(days=PAST_DAYS)
    qs: QuerySet[ExpertSession] = ExpertSession.objects.filter(date__gte=since).select_related(
        "site", "department", "expert"
    )
    if feed.kind == FeedKind.EXPERT:
        qs = qs.filter(expert_id=feed.practitioner_id)
        owner: Practitioner | Organization | None = feed.practitioner
    else:
        qs = qs.filter(site_id=feed.organization_id)
        owner = feed.organization
    # the table's check constraint: an expert's feed has its practitioner, a site's feed its organization
    name = f"tiercare · {owner.name if owner is not None else ''}"
    cal = Calendar()
    cal.add("prodid", "-//tiercare//outreach//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for session in qs.order_by("date", "half_day"):
        cal.add_component(_event(session))
    cal.add_missing_timezones()
    return cal.to_ical()


def render_booking(session: ExpertSession, place_number: int) -> bytes:
    """One patient's place in a session as a calendar file to download (the family's page): the session's event
    with the place number; the UID is the place's own, so a re-download replaces it rather than adding a copy."""
    cal = Calendar()
    cal.add("prodid", "-//tiercare//outreach//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    ev = _event(session)
    ev["uid"] = f"outreach-booking-{session.pk}-{place_number}@tiercare"
    ev["description"] = _("Place %(n)s. Bring your ID card, medical-insurance card and earlier results.") % {
        "n": place_number
    }
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
