"""Outreach data for the demo network (demo/builder.py): expert availability and a few weeks of session requests
from the partner departments. Deterministic for a seed. Call after the network is built:
``outreach_demo(seed=2024, today=builder.today)``; ``manage.py roster plan --from <next Monday> --weeks 4``
then plans them in a few seconds."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from tiercare.core.models import Role, User
from tiercare.network.models import Partnership, Practitioner, Specialty
from tiercare.outreach.models import (
    ExpertAvailability,
    ExpertLeave,
    LeaveKind,
    OutreachProfile,
    SessionKind,
    SessionRequest,
)
from tiercare.outreach.planning import serving_specialties

DEMO_WEEKS = 4


@transaction.atomic
def outreach_demo(seed: int = 2024, today: date | None = None) -> dict[str, int]:
    """Availability (two or three weekdays each, some leave) for every doctor-group expert, and weekly clinics,
    fortnightly surgery or ward rounds and a monthly teaching session for each active partner department over
    the four weeks from the next Monday. Returns counts."""
    rng = random.Random(seed)
    today = today or date.today()
    monday = today + timedelta(days=7 - today.weekday())
    end = monday + timedelta(weeks=DEMO_WEEKS) - timedelta(days=3)
    experts = list(Practitioner.objects.filter(doctor_group__isnull=False).order_by("license_number", "id"))
    availability, profiles, leave = [], [], []
    for e in experts:
        days = rng.sample(range(5), rng.choice([2, 2, 3]))
        for w in days:
            for h in ("am", "pm"):
                availability.append(ExpertAvailability(practitioner=e, weekday=w, half_day=h))
        profiles.append(
            OutreachProfile(
                practitioner=e,
                weekly_limit=rng.choice([1, 2, 2, 3]),
                home_city=e.home_organization.city if e.home_organization else "",
            )
        )
        if rng.random() < 0.15:
            start = monday + timedelta(days=rng.randrange(0, 7 * DEMO_WEEKS))
            leave.append(
                ExpertLeave(
                    practitioner=e,
                    kind=rng.choice([LeaveKind.LEAVE, LeaveKind.DUTY]),
                    start=start,
                    end=start + timedelta(days=rng.randrange(0, 5)),
                    note="示例：休假/院内值班",
                )
            )
    ExpertAvailability.objects.bulk_create(availability, ignore_conflicts=True)
    OutreachProfile.objects.bulk_create(profiles, ignore_conflicts=True)
    ExpertLeave.objects.bulk_create(leave)
    by = User.objects.filter(role=Role.COORDINATOR).first() or User.objects.filter(role=Role.OPS).first()
    experts_by_specialty = {e.specialty for e in experts}
    requests = 0
    for p in Partnership.objects.filter(start__lte=monday).select_related("department").order_by("contract_reference"):
        dept = p.department
        specialty = next((s for s in serving_specialties(dept.specialty) if s in experts_by_specialty), dept.specialty)
        plan = [(SessionKind.CLINIC, "weekly", 3, 20)]
        if SessionKind.SURGERY in p.services and dept.specialty != Specialty.NEONATOLOGY:
            plan.append((SessionKind.SURGERY, "biweekly", 2, 4))
        else:
            plan.append((SessionKind.WARD_ROUND, "biweekly", 2, 15))
        if SessionKind.TEACHING in p.services:
            plan.append((SessionKind.TEACHING, "monthly", 1, 30))
        for kind, cadence, priority, places in plan:
            req = SessionRequest(
                department=dept,
                specialty=specialty,
                kind=kind,
                cadence=cadence,
                window_start=monday,
                window_end=end,
                places=places,
                priority=priority,
                procedures=["腹腔镜探查"] if kind == SessionKind.SURGERY else [],
                requested_by=by,
                note="示例申请",
            )
            req.save()
            requests += 1
    return {"availability": len(availability), "leave": len(leave), "requests": requests}
