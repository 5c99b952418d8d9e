"""The demo's directory of organizations: the doctor group, the tertiary hospitals, the grassroots hospitals (the
first five are the partner hospitals, within a day trip of the capital), the GP centers; their departments, the
doctor group's partnerships, the staff doctors GP referrals reach, and an alliance with its support agreements."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tiercare.core.models import Division
from tiercare.core.pinyin import name_initials, name_pinyin
from tiercare.demo.context import DemoContext
from tiercare.demo.data import (
    DEPARTMENT_NAMES,
    GIVEN_FOR_STAFF,
    GP_REFERRAL_SPECIALTIES,
    GRASSROOTS_DEPARTMENTS,
    GRASSROOTS_HOSPITALS,
    GRASSROOTS_SPECIALTY_POOL,
    PARTNER_DEPARTMENTS,
    PARTNER_PREFECTURES,
    PROVINCE,
    SURNAMES_FOR_STAFF,
    TERTIARY,
)
from tiercare.network.models import (
    AgreementKind,
    Alliance,
    AllianceKind,
    AllianceMembership,
    Department,
    GpMode,
    InsurancePolicy,
    Organization,
    OrgKind,
    OrgStatus,
    Partnership,
    Practitioner,
    PractitionerRole,
    ServiceKind,
    Specialty,
    StaffRole,
    SupportAgreement,
    Tier,
    Title,
)


@dataclass
class DemoOrganizations:
    """The demo's organizations by role, and the counties in the order the grassroots hospitals took them."""

    counties: list[str]
    group: Organization
    tertiary: list[Organization]
    grassroots: list[Organization]
    gp_centers: list[Organization]

    @property
    def partners(self) -> list[Organization]:
        """The five partner hospitals: the first five grassroots hospitals."""
        return self.grassroots[:5]

    @property
    def all(self) -> list[Organization]:
        return [self.group, *self.tertiary, *self.grassroots, *self.gp_centers]


@dataclass
class DemoDepartments:
    """The departments of the summary's count (tertiary, grassroots, GP centers; not the referral departments)."""

    tertiary: dict[tuple[int, str], Department] = field(default_factory=dict)  # by (tertiary index, specialty)
    grassroots: list[Department] = field(default_factory=list)
    others: list[Department] = field(default_factory=list)  # the tertiary hospitals' and the GP centers'

    @property
    def count(self) -> int:
        return len(self.others) + len(self.grassroots)


def organizations(ctx: DemoContext) -> DemoOrganizations:
    """The organizations of the demo, written."""
    divisions = {d.code: d for d in Division.objects.filter(code__startswith="51")}
    counties = sorted(c for c, d in divisions.items() if d.level == 3 and not c.startswith("5101"))
    ctx.rng.shuffle(counties)
    # The five partner hospitals are the first five, in counties within a day trip of the provincial capital.
    near = []
    for prefecture in PARTNER_PREFECTURES:
        pick = next(c for c in counties if c.startswith(prefecture) and c not in near)
        near.append(pick)
    counties = near + [c for c in counties if c not in near]

    group = _organization(
        ctx,
        name="天府医生集团",
        short_name="天府医生集团",
        kind=OrgKind.DOCTOR_GROUP,
        tier="",
        county_code="510107",
        divisions=divisions,
    )
    tertiary = [
        _organization(
            ctx,
            name=name,
            short_name=short,
            kind=OrgKind.HOSPITAL,
            tier=Tier.TERTIARY,
            county_code=code,
            divisions=divisions,
        )
        for name, short, code in TERTIARY
    ]
    grassroots = []
    seen: set[str] = set()
    for code in counties[:GRASSROOTS_HOSPITALS]:
        county = divisions[code].name
        if county in seen:  # 市中区 is in two prefectures: name the prefecture too
            county = divisions[code[:4] + "00"].name + county
        seen.add(county)
        grassroots.append(
            _organization(
                ctx,
                name=f"{county}人民医院",
                short_name=f"{county}人医",
                kind=OrgKind.HOSPITAL,
                tier=Tier.PRIMARY,
                county_code=code,
                divisions=divisions,
            )
        )
    gp_centers = [
        _organization(
            ctx,
            name="天府全科中心·锦江旗舰店",
            short_name="锦江旗舰",
            kind=OrgKind.GP_CENTER,
            tier=Tier.GP_CENTER,
            gp_mode=GpMode.FLAGSHIP,
            county_code="510104",
            divisions=divisions,
        ),
        _organization(
            ctx,
            name="天府全科中心·青羊店",
            short_name="青羊店",
            kind=OrgKind.GP_CENTER,
            tier=Tier.GP_CENTER,
            gp_mode=GpMode.OWNED,
            status=OrgStatus.PREPARING,
            county_code="510105",
            divisions=divisions,
        ),
        _organization(
            ctx,
            name="天府全科中心·绵阳合作店",
            short_name="绵阳合作",
            kind=OrgKind.GP_CENTER,
            tier=Tier.GP_CENTER,
            gp_mode=GpMode.COOPERATIVE,
            status=OrgStatus.PREPARING,
            county_code="510703",
            divisions=divisions,
        ),
    ]
    result = DemoOrganizations(
        counties=counties, group=group, tertiary=tertiary, grassroots=grassroots, gp_centers=gp_centers
    )
    Organization.objects.bulk_create(result.all)
    return result


def departments(ctx: DemoContext, orgs: DemoOrganizations) -> DemoDepartments:
    """Three expert departments per tertiary hospital, two or three per grassroots hospital (the partner
    departments first), general practice at each GP center; then the GP referral departments."""
    tertiary, grassroots, gp_centers = orgs.tertiary, orgs.grassroots, orgs.gp_centers
    departments: list[Department] = []
    tertiary_depts: dict[tuple[int, str], Department] = {}
    for i, hospital in enumerate(tertiary):
        for specialty in (Specialty.PEDIATRICS, Specialty.GYNECOLOGY, Specialty.ONCOLOGY):
            dept = Department(
                id=ctx.uuid(),
                organization=hospital,
                name=DEPARTMENT_NAMES[specialty],
                specialty=specialty,
                beds=ctx.rng.randrange(40, 120),
            )
            departments.append(dept)
            tertiary_depts[(i, specialty)] = dept
    partner_specialties: dict[int, list[str]] = {}
    for idx, specialty in PARTNER_DEPARTMENTS:
        partner_specialties.setdefault(idx, []).append(specialty)
    grassroots_depts: list[Department] = []
    extra = GRASSROOTS_DEPARTMENTS - 2 * GRASSROOTS_HOSPITALS  # hospitals with a third department
    for i, hospital in enumerate(grassroots):
        wanted = list(partner_specialties.get(i, []))
        size = 3 if i >= len(grassroots) - extra else 2
        pool: list[str] = [s for s in GRASSROOTS_SPECIALTY_POOL if s not in wanted]
        ctx.rng.shuffle(pool)
        for chosen in (wanted + pool)[:size]:
            grassroots_depts.append(
                Department(
                    id=ctx.uuid(),
                    organization=hospital,
                    name=DEPARTMENT_NAMES[chosen],
                    specialty=chosen,
                    beds=ctx.rng.randrange(8, 40),
                )
            )
    for center in gp_centers:
        departments.append(
            Department(id=ctx.uuid(), organization=center, name="全科", specialty=Specialty.GENERAL_PRACTICE)
        )
    Department.objects.bulk_create(departments + grassroots_depts)
    _referral_departments(ctx, tertiary)

    return DemoDepartments(tertiary=tertiary_depts, grassroots=grassroots_depts, others=departments)


def partnerships(ctx: DemoContext, orgs: DemoOrganizations, depts: DemoDepartments) -> int:
    """The doctor group's partnerships with the seven partner departments, for three years from January."""
    group, partners, grassroots_depts = orgs.group, orgs.partners, depts.grassroots
    year_start = date(ctx.today.year, 1, 1)
    partnerships: list[Partnership] = []
    for idx, specialty in PARTNER_DEPARTMENTS:
        dept = next(d for d in grassroots_depts if d.organization_id == partners[idx].id and d.specialty == specialty)
        services = [ServiceKind.CLINIC, ServiceKind.WARD_ROUND, ServiceKind.TEACHING]
        if specialty != Specialty.NEONATOLOGY:
            services.insert(0, ServiceKind.SURGERY)
        partnerships.append(
            Partnership(
                id=ctx.uuid(),
                doctor_group=group,
                department=dept,
                start=year_start,
                end=year_start + timedelta(days=3 * 365),
                services=services,
                contract_reference=f"TF-HZ-{ctx.today.year}-{len(partnerships) + 1:03d}",
            )
        )
    Partnership.objects.bulk_create(partnerships)

    return len(partnerships)


def _organization(
    ctx: DemoContext,
    *,
    name: str,
    short_name: str,
    kind: str,
    tier: str,
    county_code: str,
    divisions: dict[str, Division],
    gp_mode: str = "",
    status: str = OrgStatus.OPERATING,
) -> Organization:
    county = divisions.get(county_code)
    prefecture = divisions.get(county_code[:4] + "00")
    lat, lon = ctx.coordinates(county_code)
    return Organization(
        id=ctx.uuid(),
        name=name,
        short_name=short_name,
        kind=kind,
        tier=tier,
        gp_mode=gp_mode,
        status=status,
        license_number="" if kind == OrgKind.DOCTOR_GROUP else f"PDY{ctx.rng.randrange(10**8):08d}51",
        province=PROVINCE,
        city=prefecture.name if prefecture else "",
        county=county.name if county else "",
        division=county,
        latitude=lat,
        longitude=lon,
        address=f"{county.name if county else ''}{ctx.rng.choice(['人民路', '健康路', '中山路', '解放路'])}"
        f"{ctx.rng.randrange(1, 300)}号",
    )


def _referral_departments(ctx: DemoContext, tertiary: list[Organization]) -> None:
    """``GP_REFERRAL_SPECIALTIES`` at each tertiary hospital with one staff doctor each. Drawn from a random
    generator of their own (ids by uuid5), so the rest of the demo is unchanged for a seed."""
    rng = random.Random(ctx.seed * 7919 + 11)
    depts: list[Department] = []
    doctors: list[Practitioner] = []
    roles: list[PractitionerRole] = []
    for i, hospital in enumerate(tertiary):
        for specialty in GP_REFERRAL_SPECIALTIES:
            key = f"tiercare-demo:{ctx.seed}:{i}:{specialty}"
            dept = Department(
                id=uuid.uuid5(uuid.NAMESPACE_URL, key), organization=hospital,
                name=DEPARTMENT_NAMES[specialty], specialty=specialty, beds=40,
            )  # fmt: skip
            sex = rng.choice("12")
            name = rng.choice(SURNAMES_FOR_STAFF) + rng.choice(GIVEN_FOR_STAFF)
            doctor = Practitioner(
                id=uuid.uuid5(uuid.NAMESPACE_URL, key + ":doctor"), name=name, name_pinyin=name_pinyin(name),
                name_initials=name_initials(name), sex=sex, title=Title.ATTENDING, specialty=specialty,
                license_number=f"1105200{len(doctors):08d}", independent_practice_since=date(2012, 9, 1),
                home_organization=hospital, home_department=dept,
                bio=f"{hospital.name}{DEPARTMENT_NAMES[specialty]}（示例数据）",
            )  # fmt: skip
            depts.append(dept)
            doctors.append(doctor)
            roles.append(
                PractitionerRole(
                    id=uuid.uuid5(uuid.NAMESPACE_URL, key + ":role"),
                    practitioner=doctor,
                    organization=hospital,
                    department=dept,
                    role=StaffRole.PHYSICIAN,
                    valid_from=date(2020, 1, 1),
                )  # fmt: skip
            )
    Department.objects.bulk_create(depts)
    Practitioner.objects.bulk_create(doctors)
    PractitionerRole.objects.bulk_create(roles)
    # The hospital's malpractice cover for its own doctors, so that a GP center's tele-consult (routing requires a
    # legal basis and valid cover at the inviting site) can reach the department (issue 11).
    InsurancePolicy.objects.bulk_create(
        InsurancePolicy(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"tiercare-demo:{ctx.seed}:cover:{d.pk}"),
            practitioner=d,
            insurer="人保财险",
            number=f"YLSTAFF{ctx.today.year}{i:05d}",
            valid_from=date(ctx.today.year, 1, 1),
            valid_to=date(ctx.today.year + 1, 3, 31),
            cover_amount=Decimal(1000000),
        )  # fmt: skip
        for i, d in enumerate(doctors)
    )


def alliances(ctx: DemoContext, tertiary: list[Organization], grassroots: list[Organization]) -> None:
    alliance = Alliance(
        id=ctx.uuid(),
        name="锦城大学附属第一医院城市医疗集团",
        kind=AllianceKind.CITY_GROUP,
        lead=tertiary[0],
        referral_quota_percent=Decimal("10.00"),
    )
    alliance.save()
    members = [tertiary[0], *grassroots[10:20]]
    AllianceMembership.objects.bulk_create(
        [
            AllianceMembership(id=ctx.uuid(), alliance=alliance, organization=o, valid_from=date(2022, 1, 1))
            for o in members
        ]
    )
    SupportAgreement.objects.bulk_create(
        [
            SupportAgreement(
                id=ctx.uuid(),
                kind=AgreementKind.PAIRED_ASSISTANCE,
                supporting=tertiary[1],
                supported=g,
                valid_from=date(ctx.today.year, 1, 1),
                valid_to=date(ctx.today.year + 2, 12, 31),
                reference=f"DK-{i:03d}",
            )
            for i, g in enumerate(grassroots[20:26])
        ]
    )
