"""A seed-sized demo network, deterministic for a seed: synthetic people, real GB/T 2260 places (四川省).

Shape (the doctor group and GP chain tiercare serves): one doctor group with 103 experts (35 pediatrics,
30 gynecology, 38 oncology) from 6 provincial tertiary hospitals; 124 grassroots hospitals with 256 departments;
5 partner hospitals with 7 partner departments (4 pediatric, one of them neonatology; 2 gynecology; 1 gynecologic
oncology); a GP-center chain with one flagship center in operation and two in preparation, a few hundred households;
one login per role (username = role, password printed by `make demo`).

The loader writes in bulk (a demo of ~1,500 rows should load in seconds) and records one audit event for the load.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditAction, Division, Role, User
from tiercare.core.pinyin import name_initials, name_pinyin
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
    RegistrationKind,
    ServiceKind,
    SiteRegistration,
    Specialty,
    StaffRole,
    SupportAgreement,
    Tier,
    Title,
)
from tiercare.people.identity import check_char, hash_id, id_last4, mask_id
from tiercare.people.models import Household, HouseholdMember, Person, Relation

DEMO_PASSWORD = "tiercare-demo"
PROVINCE_CODE = "510000"
PROVINCE = "四川省"

EXPERTS_BY_SPECIALTY = {Specialty.PEDIATRICS: 35, Specialty.GYNECOLOGY: 30, Specialty.ONCOLOGY: 38}
GRASSROOTS_HOSPITALS = 124
GRASSROOTS_DEPARTMENTS = 256

# Approximate centres of Sichuan's prefectures, for synthetic coordinates and travel times.
PREFECTURE_CENTRES = {
    "5101": (30.66, 104.07),
    "5103": (29.34, 104.78),
    "5104": (26.58, 101.72),
    "5105": (28.87, 105.44),
    "5106": (31.13, 104.40),
    "5107": (31.47, 104.68),
    "5108": (32.44, 105.84),
    "5109": (30.53, 105.59),
    "5110": (29.58, 105.06),
    "5111": (29.55, 103.77),
    "5113": (30.84, 106.11),
    "5114": (30.08, 103.85),
    "5115": (28.77, 104.63),
    "5116": (30.46, 106.63),
    "5117": (31.21, 107.47),
    "5118": (29.98, 103.01),
    "5119": (31.87, 106.75),
    "5120": (30.13, 104.63),
    "5132": (31.90, 102.22),
    "5133": (30.05, 101.96),
    "5134": (27.88, 102.27),
}

TERTIARY = [
    ("锦城大学附属第一医院", "锦大一院", "510107"),
    ("锦城大学附属妇女儿童医院", "锦大妇儿", "510104"),
    ("四川省示范肿瘤医院", "省示范肿瘤", "510105"),
    ("天府省立人民医院", "天府省医", "510106"),
    ("蜀都医科大学附属医院", "蜀医附院", "510108"),
    ("西南示范儿童医学中心", "西南儿童", "510116"),
]
# Which specialties each tertiary hospital's experts come from (index into TERTIARY), so experts cluster plausibly.
TERTIARY_SPECIALTIES = {
    Specialty.PEDIATRICS: [1, 5, 0, 3],
    Specialty.GYNECOLOGY: [1, 0, 3, 4],
    Specialty.ONCOLOGY: [2, 0, 4, 3],
}
DEPARTMENT_NAMES = {
    Specialty.PEDIATRICS: "儿科",
    Specialty.NEONATOLOGY: "新生儿科",
    Specialty.GYNECOLOGY: "妇科",
    Specialty.OBSTETRICS: "产科",
    Specialty.GYNECOLOGIC_ONCOLOGY: "妇科肿瘤科",
    Specialty.ONCOLOGY: "肿瘤科",
    Specialty.INTERNAL_MEDICINE: "内科",
    Specialty.CARDIOLOGY: "心内科",
    Specialty.ENDOCRINOLOGY: "内分泌科",
    Specialty.SURGERY: "普外科",
    Specialty.GENERAL_PRACTICE: "全科",
    Specialty.NEUROLOGY: "神经内科",
    Specialty.NEPHROLOGY: "肾内科",
    Specialty.RESPIRATORY: "呼吸内科",
    Specialty.GASTROENTEROLOGY: "消化内科",
    Specialty.EMERGENCY: "急诊科",
}
# The departments a GP center refers to (care.services.SUGGESTED_SPECIALTY), in every tertiary hospital, each with
# one staff doctor of the hospital (not a doctor-group expert), so that a referral or tele-consult from a GP reaches
# the right department (issue 11).
GP_REFERRAL_SPECIALTIES = (
    Specialty.CARDIOLOGY,
    Specialty.ENDOCRINOLOGY,
    Specialty.NEUROLOGY,
    Specialty.NEPHROLOGY,
    Specialty.RESPIRATORY,
    Specialty.GASTROENTEROLOGY,
    Specialty.SURGERY,
    Specialty.EMERGENCY,
)
SURNAMES_FOR_STAFF = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_FOR_STAFF = ("建华", "秀英", "志强", "丽娟", "国平", "海燕", "文杰", "春梅", "晓东", "玉兰", "明辉", "红霞")
# The 7 partner departments at 5 partner hospitals (index of the partner hospital, specialty).
PARTNER_DEPARTMENTS = [
    (0, Specialty.PEDIATRICS),
    (0, Specialty.GYNECOLOGY),
    (1, Specialty.PEDIATRICS),
    (1, Specialty.NEONATOLOGY),
    (2, Specialty.GYNECOLOGIC_ONCOLOGY),
    (3, Specialty.GYNECOLOGY),
    (4, Specialty.PEDIATRICS),
]
PARTNER_PREFECTURES = ["5106", "5114", "5120", "5107", "5109"]  # 德阳 眉山 资阳 绵阳 遂宁
GRASSROOTS_SPECIALTY_POOL = [
    Specialty.PEDIATRICS,
    Specialty.GYNECOLOGY,
    Specialty.ONCOLOGY,
    Specialty.INTERNAL_MEDICINE,
    Specialty.OBSTETRICS,
    Specialty.SURGERY,
    Specialty.CARDIOLOGY,
    Specialty.ENDOCRINOLOGY,
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏辉斌宇浩凯婷雪琳"
    "晨欣怡子涵梓轩雨嘉俊博文思瑶佳乐安宁康健和顺德志"
)


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


class DemoBuilder:
    def __init__(self, *, seed: int = 2024, today: date | None = None, households: int = 300):
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today or date.today()
        self.n_households = households
        self.id_key = settings.ID_HASH_KEY

    # -- deterministic helpers ----------------------------------------------------------------------------------
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person_name(self, sex: str) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def coordinates(self, county_code: str) -> tuple[float, float]:
        lat, lon = PREFECTURE_CENTRES.get(county_code[:4], (30.5, 104.5))
        return round(lat + self.rng.uniform(-0.45, 0.45), 5), round(lon + self.rng.uniform(-0.45, 0.45), 5)

    def mobile(self) -> str:
        prefix = self.rng.choice(["138", "139", "136", "150", "151", "158", "186", "187", "135", "177"])
        return prefix + "".join(str(self.rng.randrange(10)) for _ in range(8))

    def resident_id(self, county_code: str, birth: date, sex: str) -> str:
        seq = self.rng.randrange(0, 50) * 2 + (1 if sex == "1" else 0)
        first17 = f"{county_code}{birth:%Y%m%d}{self.rng.randrange(10)}{seq:02d}"
        first17 = first17[:17]
        return first17 + check_char(first17)

    # -- the build ---------------------------------------------------------------------------------------------
    @transaction.atomic
    def build(self) -> DemoSummary:
        divisions = {d.code: d for d in Division.objects.filter(code__startswith="51")}
        counties = sorted(c for c, d in divisions.items() if d.level == 3 and not c.startswith("5101"))
        self.rng.shuffle(counties)
        # The five partner hospitals are the first five, in counties within a day trip of the provincial capital.
        near = []
        for prefecture in PARTNER_PREFECTURES:
            pick = next(c for c in counties if c.startswith(prefecture) and c not in near)
            near.append(pick)
        counties = near + [c for c in counties if c not in near]
        summary = DemoSummary()

        group = self._org(
            name="天府医生集团",
            short_name="天府医生集团",
            kind=OrgKind.DOCTOR_GROUP,
            tier="",
            county_code="510107",
            divisions=divisions,
        )
        tertiary = [
            self._org(
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
                self._org(
                    name=f"{county}人民医院",
                    short_name=f"{county}人医",
                    kind=OrgKind.HOSPITAL,
                    tier=Tier.PRIMARY,
                    county_code=code,
                    divisions=divisions,
                )
            )
        gp_centers = [
            self._org(
                name="天府全科中心·锦江旗舰店",
                short_name="锦江旗舰",
                kind=OrgKind.GP_CENTER,
                tier=Tier.GP_CENTER,
                gp_mode=GpMode.FLAGSHIP,
                county_code="510104",
                divisions=divisions,
            ),
            self._org(
                name="天府全科中心·青羊店",
                short_name="青羊店",
                kind=OrgKind.GP_CENTER,
                tier=Tier.GP_CENTER,
                gp_mode=GpMode.OWNED,
                status=OrgStatus.PREPARING,
                county_code="510105",
                divisions=divisions,
            ),
            self._org(
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
        orgs = [group, *tertiary, *grassroots, *gp_centers]
        Organization.objects.bulk_create(orgs)

        departments: list[Department] = []
        tertiary_depts: dict[tuple[int, str], Department] = {}
        for i, hospital in enumerate(tertiary):
            for specialty in (Specialty.PEDIATRICS, Specialty.GYNECOLOGY, Specialty.ONCOLOGY):
                dept = Department(
                    id=self.uuid(),
                    organization=hospital,
                    name=DEPARTMENT_NAMES[specialty],
                    specialty=specialty,
                    beds=self.rng.randrange(40, 120),
                )
                departments.append(dept)
                tertiary_depts[(i, specialty)] = dept
        partners = grassroots[:5]
        partner_specialties: dict[int, list[str]] = {}
        for idx, specialty in PARTNER_DEPARTMENTS:
            partner_specialties.setdefault(idx, []).append(specialty)
        grassroots_depts: list[Department] = []
        extra = GRASSROOTS_DEPARTMENTS - 2 * GRASSROOTS_HOSPITALS  # hospitals with a third department
        for i, hospital in enumerate(grassroots):
            wanted = list(partner_specialties.get(i, []))
            size = 3 if i >= len(grassroots) - extra else 2
            pool = [s for s in GRASSROOTS_SPECIALTY_POOL if s not in wanted]
            self.rng.shuffle(pool)
            for specialty in (wanted + pool)[:size]:
                grassroots_depts.append(
                    Department(
                        id=self.uuid(),
                        organization=hospital,
                        name=DEPARTMENT_NAMES[specialty],
                        specialty=specialty,
                        beds=self.rng.randrange(8, 40),
                    )
                )
        for center in gp_centers:
            departments.append(
                Department(id=self.uuid(), organization=center, name="全科", specialty=Specialty.GENERAL_PRACTICE)
            )
        Department.objects.bulk_create(departments + grassroots_depts)
        self._referral_departments(tertiary)

        year_start = date(self.today.year, 1, 1)
        partnerships = []
        for idx, specialty in PARTNER_DEPARTMENTS:
            dept = next(
                d for d in grassroots_depts if d.organization_id == partners[idx].id and d.specialty == specialty
            )
            services = [ServiceKind.CLINIC, ServiceKind.WARD_ROUND, ServiceKind.TEACHING]
            if specialty != Specialty.NEONATOLOGY:
                services.insert(0, ServiceKind.SURGERY)
            partnerships.append(
                Partnership(
                    id=self.uuid(),
                    doctor_group=group,
                    department=dept,
                    start=year_start,
                    end=year_start + timedelta(days=3 * 365),
                    services=services,
                    contract_reference=f"TF-HZ-{self.today.year}-{len(partnerships) + 1:03d}",
                )
            )
        Partnership.objects.bulk_create(partnerships)

        experts = self._experts(group, tertiary, tertiary_depts)
        self._registrations(experts, partners, grassroots)
        self._alliances(tertiary, grassroots)
        users = self._users(experts, partners, gp_centers, tertiary)
        households = self._households(gp_centers, partners, counties, users)

        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="demo.network",
            reason="load_demo",
            details={"seed": "deterministic", "today": self.today.isoformat()},
        )
        summary.counts = {
            "organizations": len(orgs),
            "departments": len(departments) + len(grassroots_depts),
            "experts": len(experts),
            "partnerships": len(partnerships),
            "households": households,
            "persons": Person.objects.count(),
        }
        summary.logins = [(role, DEMO_PASSWORD) for role in Role.values]
        return summary

    def _org(
        self,
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
        lat, lon = self.coordinates(county_code)
        return Organization(
            id=self.uuid(),
            name=name,
            short_name=short_name,
            kind=kind,
            tier=tier,
            gp_mode=gp_mode,
            status=status,
            license_number="" if kind == OrgKind.DOCTOR_GROUP else f"PDY{self.rng.randrange(10**8):08d}51",
            province=PROVINCE,
            city=prefecture.name if prefecture else "",
            county=county.name if county else "",
            division=county,
            latitude=lat,
            longitude=lon,
            address=f"{county.name if county else ''}{self.rng.choice(['人民路', '健康路', '中山路', '解放路'])}"
            f"{self.rng.randrange(1, 300)}号",
        )

    def _referral_departments(self, tertiary: list[Organization]) -> None:
        """``GP_REFERRAL_SPECIALTIES`` at each tertiary hospital with one staff doctor each. Drawn from a random
        generator of their own (ids by uuid5), so the rest of the demo is unchanged for a seed."""
        rng = random.Random(self.seed * 7919 + 11)
        depts, doctors, roles = [], [], []
        for i, hospital in enumerate(tertiary):
            for specialty in GP_REFERRAL_SPECIALTIES:
                key = f"tiercare-demo:{self.seed}:{i}:{specialty}"
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
                        id=uuid.uuid5(uuid.NAMESPACE_URL, key + ":role"), practitioner=doctor, organization=hospital,
                        department=dept, role=StaffRole.PHYSICIAN, valid_from=date(2020, 1, 1),
                    )  # fmt: skip
                )
        Department.objects.bulk_create(depts)
        Practitioner.objects.bulk_create(doctors)
        PractitionerRole.objects.bulk_create(roles)
        # The hospital's malpractice cover for its own doctors, so that a GP center's tele-consult (routing requires a
        # legal basis and valid cover at the inviting site) can reach the department (issue 11).
        InsurancePolicy.objects.bulk_create(
            InsurancePolicy(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"tiercare-demo:{self.seed}:cover:{d.pk}"), practitioner=d,
                insurer="人保财险", number=f"YLSTAFF{self.today.year}{i:05d}", valid_from=date(self.today.year, 1, 1),
                valid_to=date(self.today.year + 1, 3, 31), cover_amount=Decimal(1000000),
            )  # fmt: skip
            for i, d in enumerate(doctors)
        )

    def _experts(
        self, group: Organization, tertiary: list[Organization], depts: dict[tuple[int, str], Department]
    ) -> list[Practitioner]:
        experts = []
        titles = [Title.CHIEF] * 3 + [Title.ASSOCIATE_CHIEF] * 4 + [Title.ATTENDING] * 3
        for specialty, count in EXPERTS_BY_SPECIALTY.items():
            homes = TERTIARY_SPECIALTIES[specialty]
            for n in range(count):
                home_idx = homes[n % len(homes)]
                sex = self.rng.choice("12")
                name = self.person_name(sex)
                title = self.rng.choice(titles)
                since = date(self.today.year - self.rng.randrange(2, 30), self.rng.randrange(1, 13), 1)
                experts.append(
                    Practitioner(
                        id=self.uuid(),
                        name=name,
                        name_pinyin=name_pinyin(name),
                        name_initials=name_initials(name),
                        sex=sex,
                        title=title,
                        specialty=specialty,
                        license_number=f"1105100{len(experts):08d}",
                        independent_practice_since=since,
                        can_operate=specialty != Specialty.PEDIATRICS or self.rng.random() < 0.4,
                        home_organization=tertiary[home_idx],
                        home_department=depts[(home_idx, specialty)],
                        doctor_group=group,
                        phone=self.mobile(),
                        bio=f"{tertiary[home_idx].name}{DEPARTMENT_NAMES[specialty]}{Title(title).label}（示例数据）",
                    )
                )
        Practitioner.objects.bulk_create(experts)
        PractitionerRole.objects.bulk_create(
            [
                PractitionerRole(
                    id=self.uuid(),
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
                start, end = self.today - timedelta(days=400), self.today - timedelta(days=35)
            elif i % 12 == 11:
                start, end = (
                    self.today - timedelta(days=340),
                    self.today + timedelta(days=self.rng.randrange(3, 28)),
                )
            else:
                start = date(self.today.year, 1, 1)
                end = date(self.today.year + 1, 3, 31)
            policies.append(
                InsurancePolicy(
                    id=self.uuid(),
                    practitioner=e,
                    insurer=self.rng.choice(["人保财险", "平安产险", "太平洋产险"]),
                    number=f"YL{self.today.year}{i:05d}",
                    valid_from=start,
                    valid_to=end,
                    cover_amount=Decimal(self.rng.choice([500000, 1000000, 2000000])),
                )
            )
        InsurancePolicy.objects.bulk_create(policies)
        return experts

    def _registrations(
        self, experts: list[Practitioner], partners: list[Organization], grassroots: list[Organization]
    ) -> None:
        regs = []
        start = date(self.today.year - 1, 7, 1)
        for i, e in enumerate(experts):
            regs.append(
                SiteRegistration(
                    id=self.uuid(),
                    practitioner=e,
                    site=e.home_organization,
                    kind=RegistrationKind.MAIN,
                    valid_from=date(2018, 1, 1),
                    reference=f"ZC-{e.license_number}",
                )
            )
            # Every expert is filed at two or three partner hospitals and a few other county hospitals.
            sites = self.rng.sample(partners, self.rng.randrange(2, 4)) + self.rng.sample(
                grassroots[5:], self.rng.randrange(3, 9)
            )
            for site in sites:
                regs.append(
                    SiteRegistration(
                        id=self.uuid(),
                        practitioner=e,
                        site=site,
                        kind=RegistrationKind.FILING,
                        valid_from=start,
                        valid_to=None if i % 7 else start + timedelta(days=730),
                        scope=e.get_specialty_display(),
                        reference=f"BA-{self.rng.randrange(10**6):06d}",
                    )
                )
        SiteRegistration.objects.bulk_create(regs)

    def _alliances(self, tertiary: list[Organization], grassroots: list[Organization]) -> None:
        alliance = Alliance(
            id=self.uuid(),
            name="锦城大学附属第一医院城市医疗集团",
            kind=AllianceKind.CITY_GROUP,
            lead=tertiary[0],
            referral_quota_percent=Decimal("10.00"),
        )
        alliance.save()
        members = [tertiary[0], *grassroots[10:20]]
        AllianceMembership.objects.bulk_create(
            [
                AllianceMembership(id=self.uuid(), alliance=alliance, organization=o, valid_from=date(2022, 1, 1))
                for o in members
            ]
        )
        SupportAgreement.objects.bulk_create(
            [
                SupportAgreement(
                    id=self.uuid(),
                    kind=AgreementKind.PAIRED_ASSISTANCE,
                    supporting=tertiary[1],
                    supported=g,
                    valid_from=date(self.today.year, 1, 1),
                    valid_to=date(self.today.year + 2, 12, 31),
                    reference=f"DK-{i:03d}",
                )
                for i, g in enumerate(grassroots[20:26])
            ]
        )

    def _user(self, role: str, display: str) -> User:
        user = User(
            username=role,
            role=role,
            display_name=display,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _staff(
        self, user: User, name: str, title: str, org: Organization, role: str, specialty: str = ""
    ) -> Practitioner:
        p = Practitioner(
            id=self.uuid(),
            user=user,
            name=name,
            title=title,
            specialty=specialty,
            home_organization=org,
            independent_practice_since=date(2015, 9, 1),
        )
        p.save()
        PractitionerRole.objects.create(
            id=self.uuid(), practitioner=p, organization=org, role=role, valid_from=date(2020, 1, 1)
        )
        return p

    def _users(
        self,
        experts: list[Practitioner],
        partners: list[Organization],
        gp_centers: list[Organization],
        tertiary: list[Organization],
    ) -> dict[str, Any]:
        users: dict[str, Any] = {}
        for role, display in [
            (Role.OPS, "周敏"),
            (Role.AUDITOR, "孙立"),
            (Role.ADMIN, "系统管理员"),
        ]:
            users[role] = self._user(role, display)
        expert_user = self._user(Role.EXPERT, experts[0].name)
        Practitioner.objects.filter(pk=experts[0].pk).update(user=expert_user)
        users[Role.EXPERT] = expert_user
        users[Role.COORDINATOR] = self._user(Role.COORDINATOR, "李娜")
        self._staff(users[Role.COORDINATOR], "李娜", Title.STAFF, partners[0], StaffRole.COORDINATOR)
        users[Role.GP] = self._user(Role.GP, "王芳")
        self._staff(users[Role.GP], "王芳", Title.ATTENDING, gp_centers[0], StaffRole.GP, Specialty.GENERAL_PRACTICE)
        users[Role.HEALTH_MANAGER] = self._user(Role.HEALTH_MANAGER, "陈静")
        self._staff(users[Role.HEALTH_MANAGER], "陈静", Title.HEALTH_MANAGER, gp_centers[0], StaffRole.HEALTH_MANAGER)
        users[Role.PATIENT] = self._user(Role.PATIENT, "张伟")
        return users

    def _households(
        self,
        gp_centers: list[Organization],
        partners: list[Organization],
        counties: list[str],
        users: dict[str, Any],
    ) -> int:
        # Most households at the flagship center; some pre-registered at a center in preparation; some at the
        # coordinator's partner hospital.
        plan = (
            [gp_centers[0]] * self.n_households
            + [gp_centers[1]] * max(1, self.n_households // 10)
            + [partners[0]] * max(1, self.n_households // 10)
        )
        households: list[Household] = []
        persons: list[Person] = []
        members: list[HouseholdMember] = []
        proxies: list[tuple[Household, Person]] = []
        for n, org in enumerate(plan):
            code = org.division_id or "510104"
            head_sex = self.rng.choice("12")
            head_name = self.person_name(head_sex)
            hh = Household(
                id=self.uuid(),
                name=f"{head_name[0]}家（{head_name}）",
                registered_at=org,
                division_id=code,
                address=f"{org.county}幸福里{n // 20 + 1}栋{n % 20 + 1}号",
            )
            households.append(hh)
            size = self.rng.choice([1, 2, 2, 3, 3, 4, 4, 5])
            head_birth = self.today - timedelta(days=self.rng.randrange(28 * 365, 80 * 365))
            specs = [(Relation.HEAD, head_sex, head_birth, head_name)]
            if size >= 2:
                specs.append(
                    (
                        Relation.SPOUSE,
                        "2" if head_sex == "1" else "1",
                        head_birth + timedelta(days=self.rng.randrange(-1500, 1500)),
                        None,
                    )
                )
            for _ in range(size - len(specs)):
                child_birth = head_birth + timedelta(days=self.rng.randrange(22 * 365, 35 * 365))
                specs.append(
                    (
                        Relation.CHILD,
                        self.rng.choice("12"),
                        min(child_birth, self.today - timedelta(days=30)),
                        None,
                    )
                )
            for relation, sex, birth, name in specs:
                name = name or (
                    head_name[0] + self.person_name(sex)[1:] if relation == Relation.CHILD else self.person_name(sex)
                )
                number = self.resident_id(code, birth, sex)
                p = Person(
                    id=self.uuid(),
                    name=name,
                    name_pinyin=name_pinyin(name),
                    name_initials=name_initials(name),
                    sex=sex,
                    birth_date=birth,
                    ethnic_group="01",
                    id_kind="resident_id",
                    id_hash=hash_id(number, self.id_key),
                    id_last4=id_last4(number),
                    id_masked=mask_id(number),
                    phone=self.mobile() if relation != Relation.CHILD or birth.year < self.today.year - 18 else "",
                    division_id=code,
                    address=hh.address,
                )
                persons.append(p)
                members.append(HouseholdMember(id=self.uuid(), household=hh, person=p, relation=relation))
                if relation == Relation.HEAD:
                    proxies.append((hh, p))
        # The patient login is the head (and proxy) of the flagship center's first household.
        first_hh, first_head = proxies[0]
        first_head.user = users[Role.PATIENT]
        first_head.name = "张伟"
        first_hh.name = "张家（张伟）"
        first_head.name_pinyin, first_head.name_initials = name_pinyin("张伟"), name_initials("张伟")
        Household.objects.bulk_create(households)
        Person.objects.bulk_create(persons, batch_size=500)
        HouseholdMember.objects.bulk_create(members, batch_size=500)
        for hh, head in proxies:
            hh.proxy = head
        Household.objects.bulk_update([hh for hh, _ in proxies], ["proxy"], batch_size=500)
        return len(households)


def demo_is_loaded() -> bool:
    return Organization.objects.filter(kind=OrgKind.DOCTOR_GROUP).exists()


def load_workflow_demos(*, seed: int, today: date) -> dict[str, Any]:
    """The workflow apps' demo data on top of the network: outreach requests and a confirmed roster, care contracts
    and follow-ups, tele-consultations and opinions, referrals in every state. Each app owns its demo function."""
    from tiercare.care.demo import care_demo
    from tiercare.consults.demo import consults_demo
    from tiercare.outreach.demo import outreach_demo
    from tiercare.referrals.demo import referrals_demo

    return {
        "outreach": outreach_demo(seed=seed, today=today),
        "care": care_demo(seed, today),
        "consults": consults_demo(seed, today),
        "referrals": referrals_demo(seed=seed, today=today),
    }
