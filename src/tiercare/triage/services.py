"""Triage's writes: the per-address rate limit, and one triage (rules over the model, then the public offers).

A triage stores nothing about the complaint or the person: only that an address asked, for the rate limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.errors import RateLimited
from tiercare.network.models import Specialty
from tiercare.triage.engine import triage
from tiercare.triage.models import TriageRequest
from tiercare.triage.rules import Fired
from tiercare.triage.selectors import ExpertOffer, SessionOffer, triage_offers

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
