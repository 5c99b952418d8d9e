"""Demo hard cases on the demo network (called by the lead's demo loader after the network is built).

What it adds, through the same services the product uses (so every row is routed, audited and transitioned):
- a telemedicine cooperation agreement between each tertiary hospital and the flagship GP center (the written
  agreement remote consultation needs), and the written consent of a few flagship households' members;
- tele-consultations asked by the demo ``gp``: one closed as referral avoided, one answered and open, one urgent
  and waiting — the pediatric ones land with the demo ``expert`` (a pediatrics expert);
- a second opinion signed by the demo ``expert`` for the demo ``patient`` (so the patient sees it), and one waiting;
- an MDT case (pediatrics + gynecology) organised by ``ops`` and booked at the earliest proposed time.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tiercare.consults import services
from tiercare.consults.models import Outcome
from tiercare.core.models import Role, User
from tiercare.network.models import (
    AgreementKind,
    Organization,
    Practitioner,
    PractitionerRole,
    SupportAgreement,
    Tier,
)
from tiercare.people.models import Consent, ConsentScope, Person

QUESTIONS = [
    (
        "反复发热伴皮疹5天，抗生素治疗无效，是否需上转？",
        "既往体健，无过敏史",
        "T 39.2℃，WBC 15.2×10⁹/L，CRP 68 mg/L",
        "头孢克肟",
    ),
    ("哮喘控制不佳，吸入激素如何调整？", "哮喘3年，夜间症状每周2次", "PEF 70% 预计值", "布地奈德 200 µg bid"),
    ("生长迟缓，身高低于同龄第3百分位，需要哪些检查？", "足月顺产，喂养正常", "身高 -2.3 SD，骨龄落后1.5岁", "无"),
    ("新发高血压合并蛋白尿，降压方案？", "高血压1年，未规律服药", "BP 168/102 mmHg，尿蛋白 ++", "氨氯地平 5 mg qd"),
]


def _user(role: str) -> User | None:
    return User.objects.filter(username=role, role=role).first()


def consults_demo(seed: int, today: date) -> dict[str, int]:
    """Create a handful of tele-consultations, second opinions and an MDT case. Returns counts."""
    rng = random.Random(seed)
    gp, expert_user, ops = _user(Role.GP), _user(Role.EXPERT), _user(Role.OPS)
    patient_user = _user(Role.PATIENT)
    if gp is None or expert_user is None or ops is None:
        return {}
    center_id = PractitionerRole.objects.filter(practitioner__user=gp).values_list("organization_id", flat=True).first()
    if center_id is None:  # a GP without a center: no referring site to build cases from
        return {}
    center = Organization.objects.get(pk=center_id)
    for hospital in Organization.objects.filter(tier=Tier.TERTIARY):
        SupportAgreement.objects.get_or_create(
            kind=AgreementKind.TELEMEDICINE,
            supporting=hospital,
            supported=center,
            defaults={
                "valid_from": today - timedelta(days=365),
                "reference": f"YCYL-{today.year}-{rng.randrange(100, 999)}",
            },
        )
    persons = list(Person.objects.filter(membership__household__registered_at=center).order_by("name_pinyin")[:12])
    patient = getattr(patient_user, "person", None)
    if patient is not None and patient not in persons:
        persons.insert(0, patient)
    for person in persons:
        Consent.objects.get_or_create(
            person=person,
            scope=ConsentScope.TELECONSULTATION,
            granted_to=center,
            defaults={"granted_at": timezone.now() - timedelta(days=2), "given_by": "", "recorded_by": gp},
        )
    expert = Practitioner.objects.get(user=expert_user)
    counts = {"cases": 0, "teleconsults": 0, "opinions": 0, "mdt": 0}

    def new_case(person: Person, i: int) -> Any:
        q, history, findings, treatment = QUESTIONS[i % len(QUESTIONS)]
        counts["cases"] += 1
        return services.case_create(
            by=gp, person=person, question=q, history=history, findings=findings, current_treatment=treatment
        )

    # Tele-consultations to the demo pediatrics expert.
    closed = services.teleconsult_request(by=gp, case=new_case(persons[1], 0), specialty="pediatrics", expert=expert)
    services.teleconsult_message(by=expert_user, teleconsult=closed, body="考虑川崎病可能，建议查心脏超声。")
    services.teleconsult_close(
        by=expert_user, teleconsult=closed, outcome=Outcome.ADVICE_ONLY, note="超声正常可在社区随访，无需上转。"
    )
    answered = services.teleconsult_request(by=gp, case=new_case(persons[2], 1), specialty="pediatrics", expert=expert)
    services.teleconsult_message(by=expert_user, teleconsult=answered, body="请补充近3个月用药依从性。")
    services.teleconsult_request(
        by=gp, case=new_case(persons[3], 2), specialty="pediatrics", priority="urgent", expert=expert
    )
    counts["teleconsults"] += 3
    # Second opinions: one signed for the demo patient, one waiting.
    own = new_case(patient or persons[0], 3)
    opinion = services.opinion_request(by=gp, case=own, specialty="pediatrics", expert=expert)
    services.opinion_sign(
        by=expert_user, opinion=opinion, text="同意社区诊断与治疗方案；建议2周后复查，如无改善经绿色通道上转。"
    )
    services.opinion_request(by=gp, case=new_case(persons[4], 0), specialty="pediatrics", expert=expert)
    counts["opinions"] += 2
    # An MDT case the GP asks operations to coordinate, booked at the earliest proposed time when one exists.
    mdt = services.mdt_create(
        by=gp,
        case=new_case(persons[5], 1),
        specialties=["pediatrics", "gynecology"],
        deadline=timezone.now() + timedelta(days=5),
        coordinator=ops,
    )
    counts["mdt"] += 1
    proposals = services.mdt_propose(mdt=mdt, limit=1)
    if proposals:
        experts = {s: Practitioner.objects.get(pk=str(k)) for s, k in proposals[0].experts.items()}
        services.mdt_book(
            by=ops,
            mdt=mdt,
            starts_at=proposals[0].starts_at,
            experts=experts,
            video_link="https://meet.example.org/mdt",
        )
        counts["mdt_meetings"] = 1
    counts |= online_demo(seed, today)
    return counts


def online_demo(seed: int, today: date) -> dict[str, int]:
    """Online follow-ups (issue 16) at the flagship GP center: the demo ``gp`` may consult online (≥3 years of
    practice, the center's consent, cover); the demo ``pharmacist`` works at the center; the demo ``patient`` (张伟)
    has hypertension diagnosed in person and two online follow-ups: one closed with an e-prescription the pharmacist
    approved (valid), and one in progress (the doctor re-authenticated and answered). Through the services, except the
    doctor's re-authentication, which is written as the record of one (the demo holds no password here)."""
    from datetime import datetime, time

    from tiercare.care import services as care
    from tiercare.care.models import Enrollment, FollowUp
    from tiercare.consults.models import OnlineStatus, Transition
    from tiercare.consults.services.online import family_doctor
    from tiercare.core.errors import DomainError
    from tiercare.network.models import InsurancePolicy, OnlinePracticeConsent, StaffRole, Title

    gp, patient_user, pharmacist = _user(Role.GP), _user(Role.PATIENT), _user(Role.PHARMACIST)
    center = Organization.objects.filter(gp_mode="flagship").order_by("name").first()
    doctor = getattr(gp, "practitioner", None)
    person = Person.objects.filter(user=patient_user).first() if patient_user else None
    if gp is None or patient_user is None or pharmacist is None or center is None or doctor is None or person is None:
        return {}
    if doctor.independent_practice_since is None or doctor.independent_practice_since > date(today.year - 3, 1, 1):
        doctor.independent_practice_since = date(today.year - 9, 9, 1)
        doctor.save(update_fields=["independent_practice_since", "updated_at"])
    if not any(p.is_valid_on(today) for p in InsurancePolicy.objects.filter(practitioner=doctor)):
        InsurancePolicy.objects.create(
            practitioner=doctor, insurer="中国人保财险", number=f"GP-{seed:04d}-{today.year}",
            valid_from=today - timedelta(days=120), valid_to=today + timedelta(days=245), cover_amount="1000000.00",
        )  # fmt: skip
    OnlinePracticeConsent.objects.create(
        practitioner=doctor, organization=center, reference="旗舰全科中心〔互联网诊疗〕同意书 1 号",
        valid_from=today - timedelta(days=90),
    )  # fmt: skip
    if getattr(pharmacist, "practitioner", None) is None:
        rx_p = Practitioner.objects.create(
            user=pharmacist, name="周药师", title=Title.ATTENDING, home_organization=center,
            independent_practice_since=date(today.year - 6, 7, 1),
        )  # fmt: skip
        PractitionerRole.objects.create(
            practitioner=rx_p, organization=center, role=StaffRole.PHARMACIST, valid_from=today - timedelta(days=365)
        )
    found = family_doctor(person)
    if found is None or found[0] != doctor:  # the care demo did not contract the patient with the gp's team
        return {}
    e = Enrollment.objects.active().filter(person=person, protocol_code="hypertension").first()
    try:
        if e is None:
            e = care.enrollment_create(
                by=gp, person=person, protocol_code="hypertension", diagnosis_code="I10",
                enrolled_on=today - timedelta(days=200),
            )  # fmt: skip
        if not FollowUp.objects.filter(enrollment=e, voided_at__isnull=True).exists():
            care.followup_record(
                by=gp, enrollment=e, person_id=person.pk,
                measured_at=timezone.make_aware(datetime.combine(today - timedelta(days=40), time(9, 30))),
                measurements={"sbp_mmhg": 136, "dbp_mmhg": 84, "adverse_reaction": False,
                              "new_or_worse_complication": False},
            )  # fmt: skip
    except DomainError:  # the demo patient is not eligible for the program: no online follow-up to show
        return {}

    def reauth(c: Any) -> Any:
        c.doctor_reauth_at = timezone.now()
        Transition.objects.create(
            object_type="online_consult", object_id=c.pk, from_state=c.status, to_state=OnlineStatus.IN_PROGRESS,
            by=gp, reason="doctor re-authenticated",
        )  # fmt: skip
        c.status = OnlineStatus.IN_PROGRESS
        c.save(update_fields=["doctor_reauth_at", "status", "updated_at"])
        return c

    done = services.online_consult_request(
        by=patient_user, person=person, diagnosis=e, question="最近在家量血压都在 130/80 左右，氨氯地平还要继续吃吗？"
    )
    services.online_message(by=patient_user, consult=done, reading={"sbp_mmhg": 132, "dbp_mmhg": 82})
    done = reauth(done)
    services.online_message(by=gp, consult=done, body="血压控制得不错，继续每天一片，我给您续 4 周的药。")
    rx = services.eprescription_sign(
        by=gp, consult=done, lines=[{"drug": "amlodipine_5mg", "dose": "5mg 每日一次 口服", "supply_days": 28}]
    )
    services.eprescription_review(by=pharmacist, prescription=rx, approve=True)
    services.online_close(by=gp, consult=done, summary="高血压控制良好，续方 4 周，1 个月后来中心面诊随访。")
    now = services.online_consult_request(
        by=patient_user, person=person, diagnosis=e, question="这两天早上起来有点头晕，血压 145/92，需要加药吗？"
    )
    now = reauth(now)
    services.online_message(
        by=gp, consult=now, body="头晕持续多久了？请再量一次血压并发给我，如有胸闷、视物模糊请立即就医。"
    )
    return {"online_consults": 2, "eprescriptions": 1}
