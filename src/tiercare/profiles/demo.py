"""Profiles data for the demo network (demo/builder.py): the last three months of held sessions for a dozen
experts (with their reports, so that the public pages have figures), the demo patient 张伟 and his family booked
into the expert login's held clinics, their verified reviews (one hidden by operations with a reason, one answered
by the expert), and articles in every state. Deterministic for a seed; call after the outreach demo."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from tiercare.core.models import Role, User
from tiercare.network.models import Department, Partnership, Practitioner
from tiercare.outreach.models import Booking, ExpertSession, SessionKind, SessionReport, SessionStatus
from tiercare.people.models import Person
from tiercare.people.proxies import held_person_ids
from tiercare.profiles import services
from tiercare.profiles.models import Article, ArticleStatus

TOPICS = ["新生儿复苏", "小儿高热惊厥的处理", "胸痛中心流程", "糖尿病足的早期识别", "腹腔镜基本操作", "院感防控"]
REVIEWS = [
    (5, "主任看得很仔细，把孩子的病情讲得明明白白，不用再跑省城了。"),
    (4, "在县医院就能看上省里的专家，等的时间稍长，但值得。"),
    (5, "复查结果很好，谢谢专家和县医院的护士。"),
    (1, "挂号处的小王态度差，电话 13800001234，大家别找她。"),  # names a person: hidden by operations
]
ARTICLES = [
    (
        "孩子发烧，什么时候该去医院？",
        "三个月以下的宝宝发烧，要马上就医。\n\n大一些的孩子，精神好、能吃能玩，可以先在家观察。",
    ),
    ("高血压患者的冬季注意事项", "天冷血压容易升高，请按时服药、定期测量。\n\n头痛、胸闷时及时就诊。"),
    ("基层医院也能做的规范随访", "随访的关键是按时、按规范记录。"),
    ("写给县医院年轻医生的一封信", "草稿：还在修改。"),
]


def _past_sessions(
    rng: random.Random, expert: Practitioner, depts: list[Department], today: date, n: int, filer: User
) -> list[ExpertSession]:
    sessions = []
    used: set[date] = set()
    for i in range(n):
        day = today - timedelta(days=7 + 9 * i + rng.randrange(0, 3))
        while day.weekday() >= 5 or day in used:
            day -= timedelta(days=1)
        used.add(day)
        dept = depts[i % len(depts)]
        teaching = i == 1
        s = ExpertSession.objects.create(
            expert=expert,
            department=dept,
            site=dept.organization,
            date=day,
            half_day="am",
            kind=SessionKind.TEACHING if teaching else SessionKind.CLINIC,
            places=20,
            status=SessionStatus.HELD,
            basis="filing",
            response="accepted",
        )
        SessionReport.objects.create(
            session=s,
            filed_by=filer,
            cases_seen=0 if teaching else rng.randrange(8, 26),
            teaching_topic=rng.choice(TOPICS) if teaching else "",
            attendees=rng.randrange(8, 30) if teaching else 0,
        )
        sessions.append(s)
    return sessions


@transaction.atomic
def profiles_demo(seed: int = 2024, today: date | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    today = today or date.today()
    ops = User.objects.filter(role=Role.OPS).order_by("username").first()
    coordinator = User.objects.filter(role=Role.COORDINATOR).order_by("username").first()
    expert_user = User.objects.filter(role=Role.EXPERT, username="expert").first()
    patient = User.objects.filter(role=Role.PATIENT, username="patient").first()
    if not (ops and coordinator and expert_user and patient):
        return {"sessions": 0, "reviews": 0, "articles": 0}
    me = Practitioner.objects.get(user=expert_user)
    partner_depts = list(
        Department.objects.filter(pk__in=Partnership.objects.values("department_id"))
        .select_related("organization")
        .order_by("organization__name", "name")
    )
    own = [d for d in partner_depts if d.specialty == me.specialty] or partner_depts[:2]
    sessions = _past_sessions(rng, me, own[:2], today, 6, coordinator)
    others = list(
        Practitioner.objects.filter(doctor_group__isnull=False, is_active=True)
        .exclude(pk=me.pk)
        .order_by("license_number", "id")[:12]
    )
    for e in others:
        depts = [d for d in partner_depts if d.specialty == e.specialty] or rng.sample(partner_depts, 1)
        sessions += _past_sessions(rng, e, depts[:2], today, rng.randrange(1, 4), coordinator)
    # 张伟 and his family at the expert login's held clinics: four reviewed, the latest left for the tour.
    zhang = Person.objects.get(user=patient)
    # His family: those he holds a proxy for (the portal demo records them), whose visits he may review.
    family = [zhang, *Person.objects.filter(pk__in=held_person_ids(zhang, today)).order_by("name")]
    clinics = [s for s in sessions if s.expert_id == me.pk and s.kind == SessionKind.CLINIC]
    bookings = [
        Booking.objects.create(session=s, place_number=1, person=family[i % len(family)], booked_by=coordinator)
        for i, s in enumerate(clinics)
    ]
    reviews = []
    for b, (stars, text) in zip(bookings[1:], REVIEWS, strict=False):
        reviews.append(services.review_create(by=patient, booking=b, stars=stars, text=text))
    if reviews:
        services.review_reply(by=expert_user, review=reviews[0], text="谢谢您的信任，祝孩子早日康复。")
    if len(reviews) >= 4:
        services.review_hide(by=ops, review=reviews[3], reason="评价中含他人姓名和电话号码，按规则隐藏")
    # Articles: two published, one awaiting publication, one draft; a published one for a few other experts.
    for i, (title, body) in enumerate(ARTICLES):
        a = services.article_save(by=expert_user, title=title, body=body)
        if i <= 2:
            a = services.article_submit(by=expert_user, article=a)
        if i <= 1:
            services.article_publish(by=ops, article=a)
    for e in others[:3]:
        Article.objects.create(
            expert=e,
            title=f"{e.get_specialty_display()}门诊常见问题",
            body="就诊前请带好既往检查结果和正在服用的药物。",
            status=ArticleStatus.PUBLISHED,
            submitted_at=None,
            published_at=Article._meta.get_field("created_at").default(),
            reviewed_by=ops,
        )
    return {"sessions": len(sessions), "reviews": len(reviews), "articles": Article.objects.count()}
