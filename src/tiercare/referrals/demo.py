"""Demo referrals on top of the demo network (demo/builder.py): reserved capacity at the 6 tertiary hospitals'
departments for the next two weeks, a referral desk coordinator at each tertiary hospital, and referrals from the
GP center and the partner hospitals in every state of the loop, moved through the services (so the timeline,
transitions and audit rows are the real ones). Deterministic for a seed."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tiercare.core.models import Role, User
from tiercare.network.models import (
    Alliance,
    AllianceMembership,
    Department,
    Organization,
    Partnership,
    Practitioner,
    PractitionerRole,
    StaffRole,
    Tier,
    Title,
)
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.referrals import services
from tiercare.referrals.models import CapacityKind, Referral, ReservedCapacity, Urgency
from tiercare.referrals.rules import Side

# The states the demo referrals end in (several of each of the busy ones).
TARGETS = [
    "draft",
    "sent",
    "sent",
    "sent",
    "accepted",
    "scheduled",
    "scheduled",
    "arrived",
    "treated",
    "back_referred",
    "back_referred",
    "closed",
    "closed",
    "closed",
    "closed",
    "declined",
    "cancelled",
]
PATH = ["accepted", "scheduled", "arrived", "treated", "back_referred", "closed"]
REASONS = [
    ("反复发热伴皮疹，疑似川崎病，需心脏超声评估", "川崎病?", "M30.300"),
    ("宫颈细胞学 HSIL，需阴道镜活检", "宫颈上皮内瘤变", "N87.100"),
    ("乳腺肿物 BI-RADS 4B，需穿刺活检", "乳腺肿物", "N63.x00"),
    ("早产儿呼吸窘迫，需 NICU 评估", "新生儿呼吸窘迫", "P22.900"),
    ("卵巢囊肿增大，CA125 升高", "卵巢囊肿", "N83.200"),
    ("肺部结节随访增大，需多学科评估", "肺结节", "R91.x00"),
]
DESK_PASSWORD = "tiercare-demo"


def _desk(org: Organization, n: int) -> User:
    """A referral desk (转诊办) coordinator at a tertiary hospital: the receiving side for all its departments."""
    username = f"referral_desk_{n}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=Role.COORDINATOR, display_name=f"转诊办 · {org.short_name or org.name}")
        user.set_password(DESK_PASSWORD)
        user.save()
        p = Practitioner.objects.create(user=user, name=f"转诊办{n}", title=Title.STAFF, home_organization=org)
        PractitionerRole.objects.create(
            practitioner=p, organization=org, role=StaffRole.COORDINATOR, valid_from=date(2020, 1, 1)
        )
    return user


def _capacity(tertiary: list[Organization], today: date, rng: random.Random) -> int:
    alliance = Alliance.objects.filter(referral_quota_percent__isnull=False).order_by("name").first()
    members = (
        set(AllianceMembership.objects.filter(alliance=alliance).values_list("organization_id", flat=True))
        if alliance
        else set()
    )
    rows = []
    for dept in Department.objects.filter(organization__in=tertiary).order_by("organization__name", "name"):
        for d in range(14):
            day = today + timedelta(days=d)
            if day.weekday() == 6:
                continue
            rows.append(
                ReservedCapacity(department=dept, date=day, kind=CapacityKind.CLINIC, places=rng.randrange(2, 5))
            )
            if dept.organization_id in members and alliance is not None and dept.beds:
                quota = alliance.referral_quota_percent or 0
                rows.append(
                    ReservedCapacity(
                        department=dept,
                        date=day,
                        kind=CapacityKind.BED,
                        places=max(1, math.ceil(dept.beds * quota / 100 / 7)),
                        total_places=max(1, math.ceil(dept.beds / 7)),
                        alliance=alliance,
                        quota_percent=quota,
                    )
                )
            elif d % 2 == 0:
                rows.append(ReservedCapacity(department=dept, date=day, kind=CapacityKind.BED, places=1))
    ReservedCapacity.objects.bulk_create(rows)
    return len(rows)


def _sources() -> list[tuple[User, Organization]]:
    """(referring user, organization): the GP at the flagship GP center, the coordinator at a partner hospital."""
    out = []
    for username in ("gp", "coordinator"):
        user = User.objects.filter(username=username).select_related("practitioner").first()
        if user is None or getattr(user, "practitioner", None) is None:
            continue
        role = PractitionerRole.objects.filter(practitioner=user.practitioner).select_related("organization").first()
        if role is not None and role.organization.tier in services.REFERRING_TIERS:
            out.append((user, role.organization))
    return out


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour % 24, 0)))


@transaction.atomic
def referrals_demo(seed: int = 2024, today: date | None = None, count: int = 34) -> dict[str, Any]:
    """Create the demo's capacity and referrals. Returns counts. Call after the demo network is built."""
    rng = random.Random(seed * 31 + 5)
    today = today or timezone.localdate()
    tertiary = list(Organization.objects.filter(tier=Tier.TERTIARY).order_by("name"))
    desks = {org.pk: _desk(org, i + 1) for i, org in enumerate(tertiary)}
    capacity_rows = _capacity(tertiary, today, rng)
    sources = _sources()
    if not sources or not tertiary:
        return {"capacity": capacity_rows, "referrals": 0}
    partner_specialties = set(Partnership.objects.values_list("department__specialty", flat=True))
    departments = list(
        Department.objects.filter(organization__in=tertiary)
        .select_related("organization")
        .order_by("organization__name", "name")
    )
    made = 0
    now = timezone.now()
    for i in range(count):
        by, org = sources[i % len(sources)]
        persons = list(
            Person.objects.filter(membership__household__registered_at=org).order_by("name_pinyin", "id")[:60]
        )
        if not persons:
            continue
        person = rng.choice(persons)
        if not Consent.objects.filter(person=person, scope=ConsentScope.REFERRAL, withdrawn_at__isnull=True).exists():
            Consent.objects.create(
                person=person,
                scope=ConsentScope.REFERRAL,
                granted_to=org,
                granted_at=_at(today - timedelta(days=40), 9),
                recorded_by=by,
            )
        dept = rng.choice([d for d in departments if d.specialty in partner_specialties] or departments)
        reason, diagnosis, code = rng.choice(REASONS)
        target = TARGETS[i % len(TARGETS)]
        start_day = today - timedelta(days=rng.randrange(0, 3) if target in ("sent", "draft") else rng.randrange(3, 25))
        at = min(_at(start_day, rng.randrange(8, 17)), now - timedelta(hours=1))
        result = services.referral_create(
            by=by,
            person=person,
            receiving_department=dept,
            reason=reason,
            diagnosis_text=diagnosis,
            diagnosis_code=code,
            diagnosis_system="ICD-10 国家临床版",
            diagnosis_version="2.0",
            urgency=rng.choice([Urgency.ROUTINE, Urgency.ROUTINE, Urgency.PRIORITY, Urgency.EMERGENCY]),
            green_channel=rng.random() < 0.6,
            capacity_kind=rng.choice([CapacityKind.CLINIC, CapacityKind.CLINIC, CapacityKind.BED]),
            send=target != "draft",
            at=at,
        )
        ref: Referral = result.referral
        made += 1
        desk = desks[dept.organization_id]
        referring, receiving = {Side.REFERRING}, {Side.RECEIVING}
        if target == "declined":
            services.referral_transition(
                referral=ref,
                by=desk,
                sides=receiving,
                action="decline",
                reason="本科室近期无床位，建议转上级儿童专科",
                at=at + timedelta(hours=5),
            )
            continue
        if target == "cancelled":
            services.referral_transition(
                referral=ref,
                by=by,
                sides=referring,
                action="cancel",
                reason="家属决定暂缓转诊",
                at=at + timedelta(hours=3),
            )
            continue
        if target in ("draft", "sent"):
            continue
        moment = at
        for step in PATH[: PATH.index(target) + 1]:
            moment = min(moment + timedelta(hours=rng.randrange(2, 60)), now - timedelta(minutes=5))
            kw: dict[str, Any] = {}
            who, sides, action = (
                desk,
                receiving,
                {
                    "accepted": "accept",
                    "scheduled": "schedule",
                    "arrived": "arrive",
                    "treated": "treat",
                    "back_referred": "back_refer",
                    "closed": "confirm_receipt",
                }[step],
            )
            if step == "scheduled":
                kw["scheduled_for"] = moment + timedelta(days=rng.randrange(0, 3)) if target == "scheduled" else moment
            if step == "back_referred":
                kw["discharge_summary"] = f"{diagnosis}：诊疗完成，病情稳定出院。"
                kw["care_plan"] = "回基层继续治疗；2周后全科门诊复诊，复查血常规；如有发热随时上转。"
            if step == "closed":
                who, sides = by, referring
            ref = services.referral_transition(referral=ref, by=who, sides=sides, action=action, at=moment, **kw)
    return {"capacity": capacity_rows, "referrals": made, "desks": len(desks)}
