"""Department-building data for the demo network (demo/builder.py), deterministic for a seed: a needs survey over
every grassroots department with synthetic answers, and a program for each partner department at a different month
of its year, one of them the neonatal unit built from nothing (142 neonates admitted in its first year)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from tiercare.core.models import Role, User
from tiercare.network.models import (
    Department,
    Partnership,
    Practitioner,
    PractitionerRole,
    Specialty,
    StaffRole,
    Tier,
    Title,
)
from tiercare.outreach.models import ExpertSession
from tiercare.programs.definitions import curriculum, load_template, score, text
from tiercare.programs.models import (
    Assessment,
    Attendance,
    Course,
    CourseSession,
    KpiActual,
    KpiTarget,
    Milestone,
    Program,
    ProgramTransition,
    Stage,
    SurveyCampaign,
    TrainingScore,
    Workstream,
)
from tiercare.programs.selectors import add_months

# The neonatal unit's first year, month by month (the group's reported figure: more than 140 in the first year).
NEONATES_BY_MONTH = [0, 3, 6, 9, 11, 13, 14, 15, 16, 17, 18, 20]
MONTHS_AGO = [12, 10, 8, 6, 4, 2, 1]  # the neonatal unit first, the others at later months of their year
NEONATAL_KPIS = ["neonates_admitted", "cases_seen", "teaching_attendees", "referrals_out", "training_completion"]
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
    training_rng = random.Random(seed * 31 + 4)  # its own, so the KPI figures stay those of a seed
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
    programs = trained = 0
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
                if m < this_month and kpi not in ("cases_seen", "teaching_attendees", "training_completion"):
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
        if neonatal:
            _reassess(program, ops, add_months(start, 11) + timedelta(days=9))
        trained += _training(training_rng, program, ops, this_month, today)
        programs += 1
    return {"assessments": assessed, "programs": programs, "training_scores": trained}


# The neonatal unit a year on: a separate ward to standard, the full equipment set, written norms, trained staff.
NEONATAL_A_YEAR_ON = {
    "doctors": 4, "senior_titles": 1, "nurses": 12, "beds": 12, "annual_admissions": 142,
    "room_layout": "compliant", "written_norms": "complete", "core_skills_pass_rate": 88,
    "referral_out_rate": 12, "distance_km": None,
}  # fmt: skip


def _reassess(program: Program, ops: User, on: date) -> None:
    """The neonatal unit's re-assessment at twelve months (the evaluation compares it with the baseline)."""
    template = load_template()
    baseline = program.assessment
    answers = dict(NEONATAL_A_YEAR_ON)
    answers["distance_km"] = baseline.answers.get("distance_km", 120) if baseline else 120
    answers["equipment"] = template.minimum_set(program.department.specialty)
    parts = score(template, answers, program.department.specialty)
    Assessment.objects.create(
        department=program.department,
        template_code=template.code,
        template_version=template.version,
        template_sha256=template.sha256,
        answers=answers,
        parts=[{"item": p.item, "need": p.need, "feasibility": p.feasibility} for p in parts],
        need=sum(p.need for p in parts),
        feasibility=sum(p.feasibility for p in parts),
        assessed_on=on,
        assessed_by=ops,
    )


STAFF_PER_DEPARTMENT = 8
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("建华", "秀英", "志强", "丽娟", "国平", "海燕", "文杰", "春梅", "晓东", "玉兰", "明辉", "红霞")
COURSES = 4  # three 三基三严 items and the specialty's first procedure


def _training(rng: random.Random, program: Program, ops: User, this_month: date, today: date) -> int:
    """The department's staff in the directory, four courses of its curriculum, a session of each course a month
    apart (on the outreach teaching session of that month where there is one), attendance and scores."""
    dept = program.department
    staff = []
    for i in range(STAFF_PER_DEPARTMENT):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        nurse = i >= 3
        staff.append(
            Practitioner(
                name=name,
                sex=rng.choice("12"),
                title=Title.NURSE if nurse else rng.choice([Title.ATTENDING, Title.RESIDENT]),
                specialty=dept.specialty,
                home_organization=dept.organization,
                home_department=dept,
                bio=f"{dept.organization.name}{dept.name}（示例数据）",
            )
        )
    for p in staff:
        p.save()  # save() fills the pinyin the directory searches
    PractitionerRole.objects.bulk_create(
        PractitionerRole(
            practitioner=p,
            organization=dept.organization,
            department=dept,
            role=StaffRole.NURSE if p.title == Title.NURSE else StaffRole.PHYSICIAN,
            valid_from=date(2020, 1, 1),
        )
        for p in staff
    )
    items = curriculum(dept.specialty)
    chosen = [i for i in items if i.core][:3] + [i for i in items if not i.core][:1]
    courses = Course.objects.bulk_create(
        Course(program=program, curriculum_item=i.code, title=text(i.label), pass_mark=60, created_by=ops)
        for i in chosen[:COURSES]
    )
    teaching = {
        s.date.replace(day=1): s
        for s in ExpertSession.objects.filter(department=dept, kind="teaching", date__lt=today).order_by("date")
    }
    lead = program.lead_expert.name if program.lead_expert else "科主任"
    n = 0
    for k, course in enumerate(courses):
        month = add_months(program.start, 1 + 2 * k)
        if month >= this_month:
            break  # not yet taught
        linked = teaching.get(month)
        held_on = linked.date if linked else month + timedelta(days=14)
        session = CourseSession.objects.create(
            course=course, held_on=held_on, teacher=lead, outreach_session=linked, created_by=ops
        )
        present = [p for p in staff if rng.random() < 0.85]
        Attendance.objects.bulk_create(Attendance(session=session, trainee=p, recorded_by=ops) for p in present)
        scores = []
        for p in present:
            value = Decimal(rng.randint(52, 98))
            scores.append(
                TrainingScore(
                    course=course,
                    trainee=p,
                    taken_on=min(held_on + timedelta(days=7), today),
                    score=value,
                    passed=value >= course.pass_mark,
                    recorded_by=ops,
                )
            )
        TrainingScore.objects.bulk_create(scores)
        n += len(scores)
    return n


def _figures(rng: random.Random, kpi: str, i: int, neonatal: bool) -> tuple[Decimal, Decimal]:
    """(target, actual) of one KPI in month ``i`` (0–11) of a program."""
    if kpi == "neonates_admitted":
        return Decimal(min(15, 2 + i * 2)), Decimal(NEONATES_BY_MONTH[i])
    if kpi == "local_surgeries":
        return Decimal(4 + i), Decimal(max(0, 4 + i + rng.randint(-3, 2)))
    if kpi == "referrals_out":
        return Decimal(max(5, 30 - 2 * i)), Decimal(max(3, 32 - 2 * i + rng.randint(-3, 3)))
    if kpi == "training_completion":
        return Decimal(min(90, 10 * i)), Decimal(0)
    if kpi == "patient_satisfaction":
        return Decimal(90), Decimal(rng.randint(84, 97))
    return Decimal(10 + 2 * i), Decimal(0)
