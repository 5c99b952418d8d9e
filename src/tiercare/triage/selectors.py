"""Triage's reads: the public experts and the next public clinic sessions of the specialties a triage ranked,
through the network and outreach selectors made for anonymous readers. Only public facts leave here: names, titles,
hospitals, departments and dates; no phone number, licence, booking or patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tiercare.network.models import Specialty, Title
from tiercare.network.selectors import public_expert_list
from tiercare.outreach.models import HalfDay
from tiercare.outreach.selectors import public_session_list

OFFER_SPECIALTIES = 3  # experts and sessions of the first three specialties
OFFER_LIMIT = 6


@dataclass(frozen=True)
class ExpertOffer:
    name: str
    title: str
    specialty: str
    specialty_name: str
    hospital: str


@dataclass(frozen=True)
class SessionOffer:
    date: date
    half_day: str
    expert: str
    title: str
    hospital: str
    department: str
    specialty: str
    specialty_name: str


def _label(choices: type[Specialty] | type[Title] | type[HalfDay], code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def triage_offers(*, specialties: list[str], on: date) -> tuple[list[ExpertOffer], list[SessionOffer]]:
    """The experts and the next clinic sessions (from ``on``) of the first specialties in ``specialties``
    (emergency medicine aside: an urgent patient goes to the nearest emergency department, not to a session)."""
    wanted = [s for s in specialties if s != Specialty.EMERGENCY][:OFFER_SPECIALTIES]
    experts = [
        ExpertOffer(
            name=p.name,
            title=_label(Title, p.title),
            specialty=p.specialty,
            specialty_name=_label(Specialty, p.specialty),
            hospital=p.home_organization.name if p.home_organization else "",
        )
        for p in public_expert_list(specialties=wanted, limit=OFFER_LIMIT)
    ]
    sessions = [
        SessionOffer(
            date=s.date,
            half_day=_label(HalfDay, s.half_day),
            expert=s.expert.name,
            title=_label(Title, s.expert.title),
            hospital=s.site.name,
            department=s.department.name,
            specialty=s.department.specialty,
            specialty_name=_label(Specialty, s.department.specialty),
        )
        for s in public_session_list(specialties=wanted, on=on, limit=OFFER_LIMIT)
    ]
    return experts, sessions
