"""Triage's reads: the public experts and the next public clinic sessions of the specialties a triage ranked,
through the network and outreach selectors made for anonymous readers (only public facts leave here: names, titles,
hospitals, departments and dates; no phone number, licence, booking or patient); and the registrations-per-episode
figures (counts and means only, never a patient), scoped to the centers the user may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse

from tiercare.care.selectors import lead_center_ids
from tiercare.core.models import Role, User
from tiercare.network.models import Specialty, Title
from tiercare.network.selectors import expert_slug, public_expert_list
from tiercare.outreach.models import HalfDay
from tiercare.outreach.selectors import public_session_list
from tiercare.triage.models import Episode, Scenario

OFFER_SPECIALTIES = 3  # experts and sessions of the first three specialties
OFFER_LIMIT = 6


@dataclass(frozen=True)
class ExpertOffer:
    name: str
    title: str
    specialty: str
    specialty_name: str
    hospital: str
    url: str  # the expert's public page (profiles)


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
            url=reverse("profiles:expert", kwargs={"slug": expert_slug(p)}),
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


# ---- registrations per episode (issue 17) ----

SEED_REGISTRATIONS = 2.6  # seed one: 「掛2.6個號才能看對醫生」, registrations before the right doctor
CHART_MONTHS = 12
CHART_ROLES = (Role.OPS, Role.ADMIN, Role.AUDITOR)  # network-wide; a GP-center lead sees their centers


def registration_center_ids(user: User) -> list[uuid.UUID] | None:
    """The centers whose registration figures ``user`` may see: all (None) for operations, administrators and
    auditors; the centers they lead for a GP-center lead; none ([]) for anyone else."""
    if user.role in CHART_ROLES:
        return None
    return list(lead_center_ids(user))


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for i in range(CHART_MONTHS - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - i, 12)
        months.append(date(y, m + 1, 1))
    return months


def _monthly(qs: QuerySet[Episode], months: list[date]) -> list[float | None]:
    rows = {
        (r["month"].date() if isinstance(r["month"], datetime) else r["month"]): r["mean"]
        for r in qs.annotate(month=TruncMonth("started_on")).values("month").annotate(mean=Avg("registrations"))
    }
    return [round(float(rows[m]), 2) if rows.get(m) is not None else None for m in months]


def _agreement(qs: QuerySet[Episode]) -> dict[str, Any]:
    """How triage's first choice compared with the treating department, over the treated episodes it led to."""
    led = qs.exclude(triage_first="").exclude(treating_specialty="")
    total = led.count()
    same = led.filter(triage_first=F("treating_specialty")).count()
    pairs = (
        led.exclude(triage_first=F("treating_specialty"))
        .values("triage_first", "treating_specialty")
        .annotate(n=Count("pk"))
        .order_by("-n", "triage_first", "treating_specialty")[:5]
    )
    return {
        "episodes": total,
        "same": same,
        "share": round(same / total, 3) if total else None,
        "mismatches": [
            {"triage": _label(Specialty, p["triage_first"]), "treating": _label(Specialty, p["treating_specialty"]),
             "count": p["n"]}
            for p in pairs
        ],
    }  # fmt: skip


def registrations_chart(*, for_user: User, today: date) -> dict[str, Any]:
    """The monthly mean registrations per treated episode over the last twelve months: per center the user may
    see, network-wide (every center: an aggregate, no patient), the simulated year with and without triage, the
    seed's 2.6; and how triage's first choice compared with the treating department (real and simulated)."""
    months = _months(today)
    start = months[0]
    treated = Episode.objects.exclude(treating_specialty="").filter(started_on__gte=start)
    real = treated.filter(scenario=Scenario.REAL)
    centers_q = real.exclude(center__isnull=True)
    allowed = registration_center_ids(for_user)
    if allowed is not None:
        centers_q = centers_q.filter(center_id__in=allowed)
    center_names = dict(
        centers_q.values_list("center_id", "center__name").distinct().order_by("center__name")  # type: ignore[arg-type]
    )
    centers = [
        {"name": name, "values": _monthly(real.filter(center_id=cid), months)} for cid, name in center_names.items()
    ]
    mine = real if allowed is None else real.filter(center_id__in=allowed)
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "seed": SEED_REGISTRATIONS,
        "network": _monthly(real, months),
        "centers": centers,
        "without_triage": _monthly(treated.filter(scenario=Scenario.WITHOUT_TRIAGE), months),
        "with_triage": _monthly(treated.filter(scenario=Scenario.WITH_TRIAGE), months),
        "counts": {
            "real": real.count(),
            "mine": mine.count(),
            "simulated": treated.exclude(scenario=Scenario.REAL).count(),
        },
        "agreement": {
            "real": _agreement(mine),
            "simulated": _agreement(treated.filter(scenario=Scenario.WITH_TRIAGE)),
        },
    }
