"""Triage's writes: the per-address rate limit, one triage (rules over the model, then the public offers), a
front desk's record of a triage for a known patient, and the collector of registrations per episode of care.

An anonymous triage stores nothing about the complaint or the person: only that an address asked, for the rate
limit. A recorded triage keeps its first choice and urgent flag, never the complaint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care import selectors as care_selectors
from tiercare.core.errors import Forbidden, RateLimited, ValidationFailed
from tiercare.core.models import User
from tiercare.network.models import Specialty
from tiercare.outreach import selectors as outreach_selectors
from tiercare.outreach.models import SessionStatus
from tiercare.people.models import Person
from tiercare.referrals import selectors as referral_selectors
from tiercare.triage.engine import triage
from tiercare.triage.episodes import TRIAGE_LEADS_DAYS, Registration, group_episodes, link_triage
from tiercare.triage.models import Episode, Scenario, TriageRequest, TriageUse
from tiercare.triage.rules import Fired
from tiercare.triage.selectors import ExpertOffer, SessionOffer, triage_offers

RECORDER_ROLES = ("gp", "health_manager", "coordinator", "admin")  # front desks that record a triage for a patient
COMPLAINT_MAX_CHARS = 500  # a complaint is a few sentences; a longer text is not a complaint
AGE_MAX_YEARS = 120


@dataclass(frozen=True)
class RankedSpecialty:
    code: str
    name: str
    score: float


@dataclass(frozen=True)
class TriageAnswer:
    specialties: list[RankedSpecialty]
    urgent: bool
    red_flags: list[Fired]
    experts: list[ExpertOffer]
    sessions: list[SessionOffer]


@transaction.atomic
def triage_rate_count(*, ip: str | None) -> None:
    """Count one triage for ``ip``. Raises RateLimited (429) when the address has asked TRIAGE_RATE_LIMIT times
    within TRIAGE_RATE_WINDOW_SECONDS (a GP center's front desk behind one address asks often: the limit is wide)."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.TRIAGE_RATE_WINDOW_SECONDS)
    TriageRequest.objects.filter(at__lt=since).delete()
    if TriageRequest.objects.filter(ip=ip, at__gte=since).count() >= settings.TRIAGE_RATE_LIMIT:
        raise RateLimited(
            _("Too many triage requests from this address. Try again in %(minutes)d minutes.")
            % {"minutes": max(1, settings.TRIAGE_RATE_WINDOW_SECONDS // 60)}
        )
    TriageRequest.objects.create(ip=ip, at=now)


def triage_complaint(*, complaint: str, age_years: float, sex: str, ip: str | None) -> TriageAnswer:
    """Triage one complaint for an anonymous asker: rate-limited per address (RateLimited), then the ranked
    specialties, the red flags and the public experts and sessions of the first specialties."""
    triage_rate_count(ip=ip)
    result = triage(complaint, age_years, sex)
    codes = [r.code for r in result.specialties]
    experts, sessions = triage_offers(specialties=codes, on=timezone.localdate())
    return TriageAnswer(
        specialties=[RankedSpecialty(r.code, str(Specialty(r.code).label), r.score) for r in result.specialties],
        urgent=result.urgent,
        red_flags=result.red_flags,
        experts=experts,
        sessions=sessions,
    )


# ---- registrations per episode (issue 17) ----

COLLECT_DAYS = 400  # the collector recounts the episodes of the last 13 months or so (the chart shows 12)


def _registrations(since: date) -> list[Registration]:
    rows: list[Registration] = []
    for b in outreach_selectors.registration_bookings(since=since):
        s = b.session
        rows.append(
            Registration(
                f"booking:{b.pk}", "booking", b.person_id, s.date, s.department.specialty, s.site_id,
                s.status == SessionStatus.HELD,
            )
        )  # fmt: skip
    for r in referral_selectors.registration_referrals(since=since):
        assert r.sent_at is not None
        rows.append(
            Registration(
                f"referral:{r.pk}", "referral", r.person_id, timezone.localdate(r.sent_at),
                r.receiving_department.specialty, r.referring_organization_id, r.treated_at is not None,
            )
        )  # fmt: skip
    for f in care_selectors.registration_followups(since=since):
        rows.append(
            Registration(
                f"followup:{f.pk}", "followup", f.person_id, timezone.localdate(f.measured_at),
                str(Specialty.GENERAL_PRACTICE), _uuid(getattr(f, "center_id", None)), False,
            )
        )  # fmt: skip
    return rows


def _uuid(value: object) -> uuid.UUID | None:
    """A subquery's id: a UUID on PostgreSQL, its hex text on SQLite."""
    return None if value is None else value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@transaction.atomic
def episodes_collect(*, today: date | None = None) -> dict[str, int]:
    """Count the registrations of every episode of care from the other apps' facts (``triage.episodes``) and store
    one ``Episode`` per first registration. Idempotent: the episodes are keyed by their first registration (unique
    in the database), rewritten in place, and a stored real episode whose first registration no longer starts one
    (a booking cancelled since) is deleted. Simulated episodes are never touched. Run by ``manage.py tick``."""
    today = today or timezone.localdate()
    since = today - timedelta(days=COLLECT_DAYS)
    drafts = group_episodes(_registrations(since))
    uses: dict[Any, list[tuple[date, str]]] = {}
    for person_id, at, code in TriageUse.objects.filter(
        at__gte=timezone.make_aware(datetime.combine(since - timedelta(days=TRIAGE_LEADS_DAYS), time.min))
    ).values_list("person_id", "at", "first_specialty"):
        uses.setdefault(person_id, []).append((timezone.localdate(at), code))
    link_triage(drafts, uses)
    keys = {d.first.key for d in drafts}
    stale = Episode.objects.filter(scenario=Scenario.REAL, started_on__gte=since).exclude(first_registration__in=keys)
    deleted = stale.delete()[0]
    created = updated = 0
    for d in drafts:
        values = {
            "person_id": d.person_id,
            "center_id": d.first.center_id,
            "started_on": d.first.on,
            "ended_on": d.ended_on,
            "registrations": len(d.registrations),
            "first_specialty": d.first.specialty,
            "treating_specialty": d.treating_specialty,
            "triage_first": d.triage_first,
        }
        episode, new = Episode.objects.get_or_create(
            first_registration=d.first.key, defaults={**values, "scenario": Scenario.REAL}
        )
        if new:
            created += 1
        elif any(getattr(episode, k) != v for k, v in values.items()):
            Episode.objects.filter(pk=episode.pk).update(**values)
            updated += 1
    return {"episodes": len(drafts), "created": created, "updated": updated, "deleted": deleted}


def triage_use_record(*, by: User, person: Person, first_specialty: str, urgent: bool) -> TriageUse:
    """Record that ``by`` (a front desk) triaged ``person``: the first choice and the urgent flag (not the
    complaint). The caller resolved ``person`` through ``people.access.access_person_by_id`` for ``by``."""
    if by.role not in RECORDER_ROLES:
        raise Forbidden(_("Your role may not do this."))
    if first_specialty not in Specialty.values:
        raise ValidationFailed(_("Unknown specialty."), details={"first_specialty": first_specialty})
    use = TriageUse.objects.create(person=person, first_specialty=first_specialty, urgent=urgent, recorded_by=by)
    return use
