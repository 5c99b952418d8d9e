"""The doctor group's experts at the tertiary hospitals, with their roles and malpractice cover (some expiring,
some lapsed), and their site registrations: the main one and filings at partner and other county hospitals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tiercare.core.pinyin import name_initials, name_pinyin
from tiercare.demo.context import DemoContext
from tiercare.demo.data import DEPARTMENT_NAMES, EXPERTS_BY_SPECIALTY, TERTIARY_SPECIALTIES
from tiercare.network.models import (
    Department,
    InsurancePolicy,
    Organization,
    Practitioner,
    PractitionerRole,
    RegistrationKind,
    SiteRegistration,
    Specialty,
    StaffRole,
    Title,
)


def experts(
    ctx: DemoContext, group: Organization, tertiary: list[Organization], depts: dict[tuple[int, str], Department]
) -> list[Practitioner]:
    experts: list[Practitioner] = []
    titles = [Title.CHIEF] * 3 + [Title.ASSOCIATE_CHIEF] * 4 + [Title.ATTENDING] * 3
    for specialty, count in EXPERTS_BY_SPECIALTY.items():
        homes = TERTIARY_SPECIALTIES[specialty]
        for n in range(count):
            home_idx = homes[n % len(homes)]
            sex = ctx.rng.choice("12")
            name = ctx.person_name(sex)
            title = ctx.rng.choice(titles)
            since = date(ctx.today.year - ctx.rng.randrange(2, 30), ctx.rng.randrange(1, 13), 1)
            experts.append(
                Practitioner(
                    id=ctx.uuid(),
                    name=name,
                    name_pinyin=name_pinyin(name),
                    name_initials=name_initials(name),
                    sex=sex,
                    title=title,
                    specialty=specialty,
                    license_number=f"1105100{len(experts):08d}",
                    independent_practice_since=since,
                    can_operate=specialty != Specialty.PEDIATRICS or ctx.rng.random() < 0.4,
                    home_organization=tertiary[home_idx],
                    home_department=depts[(home_idx, specialty)],
                    doctor_group=group,
                    phone=ctx.mobile(),
                    bio=f"{tertiary[home_idx].name}{DEPARTMENT_NAMES[specialty]}{Title(title).label}（示例数据）",
                )
            )
    Practitioner.objects.bulk_create(experts)
    PractitionerRole.objects.bulk_create(
        [
            PractitionerRole(
                id=ctx.uuid(),
                practitioner=e,
                organization=e.home_organization,
                department=e.home_department,
                role=StaffRole.EXPERT,
                valid_from=date(2020, 1, 1),
            )
            for e in experts
        ]
    )
    policies = []
    for i, e in enumerate(experts):
        # Most are covered for the year; every 12th expiring within 30 days; every 25th lapsed last month.
        if i % 25 == 24:
            start, end = ctx.today - timedelta(days=400), ctx.today - timedelta(days=35)
        elif i % 12 == 11:
            start, end = (
                ctx.today - timedelta(days=340),
                ctx.today + timedelta(days=ctx.rng.randrange(3, 28)),
            )
        else:
            start = date(ctx.today.year, 1, 1)
            end = date(ctx.today.year + 1, 3, 31)
        policies.append(
            InsurancePolicy(
                id=ctx.uuid(),
                practitioner=e,
                insurer=ctx.rng.choice(["人保财险", "平安产险", "太平洋产险"]),
                number=f"YL{ctx.today.year}{i:05d}",
                valid_from=start,
                valid_to=end,
                cover_amount=Decimal(ctx.rng.choice([500000, 1000000, 2000000])),
            )
        )
    InsurancePolicy.objects.bulk_create(policies)
    return experts


def registrations(
    ctx: DemoContext, experts: list[Practitioner], partners: list[Organization], grassroots: list[Organization]
) -> None:
    regs = []
    start = date(ctx.today.year - 1, 7, 1)
    for i, e in enumerate(experts):
        regs.append(
            SiteRegistration(
                id=ctx.uuid(),
                practitioner=e,
                site=e.home_organization,
                kind=RegistrationKind.MAIN,
                valid_from=date(2018, 1, 1),
                reference=f"ZC-{e.license_number}",
            )
        )
        # Every expert is filed at two or three partner hospitals and a few other county hospitals.
        sites = ctx.rng.sample(partners, ctx.rng.randrange(2, 4)) + ctx.rng.sample(
            grassroots[5:], ctx.rng.randrange(3, 9)
        )
        for site in sites:
            regs.append(
                SiteRegistration(
                    id=ctx.uuid(),
                    practitioner=e,
                    site=site,
                    kind=RegistrationKind.FILING,
                    valid_from=start,
                    valid_to=None if i % 7 else start + timedelta(days=730),
                    scope=e.get_specialty_display(),
                    reference=f"BA-{ctx.rng.randrange(10**6):06d}",
                )
            )
    SiteRegistration.objects.bulk_create(regs)
