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
    return counts
