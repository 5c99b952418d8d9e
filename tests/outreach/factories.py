"""Outreach test helpers: experts with availability, partner departments, requests (STYLE.md: clinical variants)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests import factories as f
from tiercare.network.models import Title
from tiercare.outreach.models import ExpertAvailability, OutreachProfile, SessionRequest

ALL_HALF_DAYS = [(w, h) for w in range(5) for h in ("am", "pm")]


def next_monday(on: date | None = None) -> date:
    on = on or f.today()
    return on + timedelta(days=7 - on.weekday())


def make_expert(
    group: Any,
    *,
    sites: list[Any] = (),
    insured: bool = True,
    half_days: list[tuple[int, str]] | None = None,
    weekly_limit: int = 3,
    **kwargs: Any,
) -> Any:
    """A doctor-group expert filed at ``sites``, insured, available on ``half_days`` (default every weekday)."""
    kwargs.setdefault("title", Title.CHIEF)
    kwargs.setdefault("can_operate", True)
    expert = f.PractitionerFactory(doctor_group=group, **kwargs)
    if insured:
        f.InsurancePolicyFactory(practitioner=expert)
    for site in sites:
        f.SiteRegistrationFactory(practitioner=expert, site=site)
    set_availability(expert, ALL_HALF_DAYS if half_days is None else half_days, weekly_limit)
    return expert


def set_availability(expert: Any, half_days: list[tuple[int, str]], weekly_limit: int = 3) -> None:
    ExpertAvailability.objects.filter(practitioner=expert).delete()
    ExpertAvailability.objects.bulk_create(
        [ExpertAvailability(practitioner=expert, weekday=w, half_day=h) for w, h in half_days]
    )
    OutreachProfile.objects.update_or_create(practitioner=expert, defaults={"weekly_limit": weekly_limit})


def partner_department(group: Any, *, specialty: str = "pediatrics", **org: Any) -> Any:
    hospital = f.OrganizationFactory(**org)
    dept = f.DepartmentFactory(organization=hospital, specialty=specialty)
    f.PartnershipFactory(doctor_group=group, department=dept, services=["clinic", "surgery", "teaching", "ward_round"])
    return dept


def make_request(
    department: Any,
    by: Any,
    *,
    start: date,
    end: date | None = None,
    kind: str = "clinic",
    cadence: str = "once",
    priority: int = 2,
    places: int = 5,
    specialty: str | None = None,
) -> SessionRequest:
    return SessionRequest.objects.create(
        department=department,
        specialty=specialty or department.specialty,
        kind=kind,
        cadence=cadence,
        window_start=start,
        window_end=end or start + timedelta(days=4),
        priority=priority,
        places=places,
        requested_by=by,
    )


def locate(*orgs: Any, lat: float = 30.66, lon: float = 104.07) -> None:
    """Give organizations coordinates near Chengdu (travel times come from coordinates)."""
    for i, org in enumerate(orgs):
        org.latitude, org.longitude = lat + 0.1 * i, lon + 0.1 * i
        org.save(update_fields=["latitude", "longitude"])


def make_session(
    expert: Any,
    department: Any,
    *,
    on: date,
    half_day: str = "am",
    places: int = 5,
    kind: str = "clinic",
    **kwargs: Any,
) -> Any:
    """A confirmed session (as plan_confirm would store it, basis recorded)."""
    from tiercare.outreach.models import ExpertSession

    return ExpertSession.objects.create(
        expert=expert,
        department=department,
        site=department.organization,
        date=on,
        half_day=half_day,
        kind=kind,
        places=places,
        basis="filing",
        **kwargs,
    )
