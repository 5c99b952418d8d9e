"""Department-building data for the demo network (demo/builder.py), deterministic for a seed: a needs survey over
every grassroots department with synthetic answers, and a program for each partner department at a different month
of its year, one of them the neonatal unit built from nothing (142 neonates admitted in its first year)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from tiercare.core.models import Role, User
from tiercare.network.models import Department, Partnership, Practitioner, Specialty, Tier
from tiercare.programs.definitions import load_template, score
from tiercare.programs.models import (
    Assessment,
    KpiActual,
    KpiTarget,
    Milestone,
    Program,
    ProgramTransition,
    Stage,
    SurveyCampaign,
    Workstream,
)
from tiercare.programs.selectors import add_months

# The neonatal unit's first year, month by month (the group's reported figure: more than 140 in the first year).
NEONATES_BY_MONTH = [0, 3, 6, 9, 11, 13, 14, 15, 16, 17, 18, 20]
MONTHS_AGO = [12, 10, 8, 6, 4, 2, 1]  # the neonatal unit first, the others at later months of their year
NEONATAL_KPIS = ["neonates_admitted", "cases_seen", "teaching_attendees", "referrals_out"]
OTHER_KPIS = ["local_surgeries", "cases_seen", "teaching_attendees", "referrals_out", "patient_satisfaction"]
MILESTONES = [
    (Workstream.LAYOUT, "病房布局改造完成", 1),
    (Workstream.EQUIPMENT, "专科设备到位并验收", 2),
    (Workstream.NORMS, "科室规章制度与诊疗规范成文", 3),
    (Workstream.TRAINING, "全员三基三严培训与考核", 6),
    (Workstream.SERVICE, "新业务独立开展", 9),
]


def _answers(rng: random.Random, specialty: str) -> dict[str, object]:
    template = load_template()
    minimum = template.minimum_set(specialty)
    return {
        "doctors": rng.randint(0, 12),
        "senior_titles": rng.randint(0, 3),
        "nurses": rng.randint(1, 20),
        "beds": rng.choice([0, 6, 10, 20, 30]),
        "annual_admissions": rng.randint(0, 2500),
        "equipment": sorted(rng.sample(minimum, rng.randint(0, len(minimum)))),
        "room_layout": rng.choice(["none", "partial", "compliant"]),
        "written_norms": rng.choice(["none", "some", "complete"]),
        "core_skills_pass_rate": rng.randint(20, 95),
        "referral_out_rate": rng.randint(3, 60),
        "distance_km": rng.randint(15, 400),
    }


def _survey(rng: random.Random, ops: User, today: date) -> int:
    template = load_template()
    campaign = SurveyCampaign.objects.create(name="基层医院科室需求调研", template_code=template.code, created_by=ops)
    rows = []
    depts = Department.objects.filter(organization__tier=Tier.PRIMARY).order_by("organization__name", "name", "id")
    for d in depts:
        answers = _answers(rng, d.specialty)
        parts = score(template, answers, d.specialty)
        rows.append(
            Assessment(
                campaign=campaign,
                department=d,
                template_code=template.code,
                template_version=template.version,
                template_sha256=template.sha256,
                answers=answers,
                parts=[{"item": p.item, "need": p.need, "feasibility": p.feasibility} for p in parts],
                need=sum(p.need for p in parts),
                feasibility=sum(p.feasibility for p in parts),
                assessed_on=today - timedelta(days=400 + rng.randrange(60)),
                assessed_by=ops,
            )
        )
    Assessment.objects.bulk_create(rows)
    return len(rows)


def _lead(dept: Department) -> Practitioner | None:
    demo_expert = Practitioner.objects.filter(user__username=Role.EXPERT).first()
    if demo_expert is not None and demo_expert.specialty == dept.specialty:
        return demo_expert
    return (
        Practitioner.objects.filter(doctor_group__isnull=False, specialty=dept.specialty)
        .order_by("license_number", "id")
        .first()
    )


@transaction.atomic
def programs_demo(seed: int = 2024, today: date | None = None) -> dict[str, int]:
    """The survey and the partner departments' programs. Returns counts."""
    rng = random.Random(seed * 7 + 14)
    today = today or date.today()
    ops = User.objects.filter(role=Role.OPS).order_by("username").first()
    if ops is None:
        return {}
    assessed = _survey(rng, ops, today)
    this_month = today.replace(day=1)
    partnerships = list(
        Partnership.objects.select_related("department").order_by(
            # the neonatal unit first: it is the program a year old
            "department__specialty",
            "contract_reference",
            "id",
        )
    )
    partnerships.sort(key=lambda p: p.department.specialty != Specialty.NEONATOLOGY)
    programs = 0
    for p, months_ago in zip(partnerships, MONTHS_AGO, strict=False):
        dept = p.department
        neonatal = dept.specialty == Specialty.NEONATOLOGY
        start = add_months(this_month, -months_ago)
        stage = Stage.EVALUATED if months_ago >= 12 else Stage.BUILDING
        program = Program.objects.create(
            department=dept,
            title=("新生儿病房从无到有" if neonatal else f"{dept.name}学科建设"),
            stage=stage,
            lead_expert=_lead(dept),
            assessment=Assessment.objects.filter(department=dept).first(),
            start=start,
            kpi_codes=NEONATAL_KPIS if neonatal else OTHER_KPIS,
            created_by=ops,
        )
        path = [Stage.PROSPECT, Stage.ASSESSED, Stage.AGREEMENT_SIGNED, Stage.BUILDING]
        if stage == Stage.EVALUATED:
            path.append(Stage.EVALUATED)
        ProgramTransition.objects.bulk_create(
            ProgramTransition(program=program, from_stage=a, to_stage=b, by=ops)
            for a, b in zip(["", *path[:-1]], path, strict=True)
        )
        months = [add_months(start, i) for i in range(12)]
        targets, actuals = [], []
        for i, m in enumerate(months):
            for kpi in program.kpi_codes:
                target, actual = _figures(rng, kpi, i, neonatal)
                targets.append(KpiTarget(program=program, kpi=kpi, month=m, value=target))
                if m < this_month and kpi not in ("cases_seen", "teaching_attendees"):
                    actuals.append(KpiActual(program=program, kpi=kpi, month=m, value=actual, entered_by=ops))
        KpiTarget.objects.bulk_create(targets)
        KpiActual.objects.bulk_create(actuals)
        Milestone.objects.bulk_create(
            Milestone(
                program=program,
                workstream=ws,
                title=("新生儿病房开科" if neonatal and ws == Workstream.SERVICE else title),
                owner="科主任",
                due_on=add_months(start, after) - timedelta(days=1),
                # done on time, but the youngest programs' latest due step is still open
                done_on=(add_months(start, after) - timedelta(days=5))
                if add_months(start, after) <= this_month and not (months_ago == 2 and after == 2)
                else None,
            )
            for ws, title, after in MILESTONES
        )
        programs += 1
    return {"assessments": assessed, "programs": programs}


def _figures(rng: random.Random, kpi: str, i: int, neonatal: bool) -> tuple[Decimal, Decimal]:
    """(target, actual) of one KPI in month ``i`` (0–11) of a program."""
    if kpi == "neonates_admitted":
        return Decimal(min(15, 2 + i * 2)), Decimal(NEONATES_BY_MONTH[i])
    if kpi == "local_surgeries":
        return Decimal(4 + i), Decimal(max(0, 4 + i + rng.randint(-3, 2)))
    if kpi == "referrals_out":
        return Decimal(max(5, 30 - 2 * i)), Decimal(max(3, 32 - 2 * i + rng.randint(-3, 3)))
    if kpi == "patient_satisfaction":
        return Decimal(90), Decimal(rng.randint(84, 97))
    return Decimal(10 + 2 * i), Decimal(0)
