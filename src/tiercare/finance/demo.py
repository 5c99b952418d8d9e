"""Money for the demo network (demo/builder.py), deterministic for a seed: price lists and share rules for every
partner hospital and GP center (illustrative figures, not any real tariff), three months of held expert sessions
with their reports (filed through the outreach service), the charges the sweep makes of them and of the consults
and contracts the other demos made, one price edit (a second version), one teaching price left out so operations
see unpriced work, and the statements of each ended month issued by operations, with one correction carried into
the last of them; each GP center's share rule by its operating mode and twelve months of its costs (the chain's
accounts, ``finance.chain``)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from tiercare.consults.models import Case, MdtCase
from tiercare.core.models import Role, User
from tiercare.finance import chain, services
from tiercare.finance.models import CenterCost
from tiercare.network.models import Organization, Partnership, Practitioner
from tiercare.network.practice import practice_basis
from tiercare.outreach.models import ExpertSession, SessionKind
from tiercare.outreach.services.reports import report_file

D = Decimal
HOSPITAL_PRICES = {
    "surgery_1": D("800.00"),
    "surgery_2": D("1500.00"),
    "surgery_3": D("3000.00"),
    "surgery_4": D("5000.00"),
    "clinic": D("60.00"),
    "ward_round": D("800.00"),
    "teaching": D("1200.00"),
    "teleconsult": D("300.00"),
    "second_opinion": D("800.00"),
    "mdt": D("1000.00"),
    "online_consult": D("50.00"),
}
CENTER_PRICES = {
    "teleconsult": D("200.00"),
    "second_opinion": D("600.00"),
    "online_consult": D("30.00"),
    "package_basic": D("120.00"),
    "package_personalised": D("360.00"),
}
HOSPITAL_RULE = {"hospital_pct": D("30"), "expert_pct": D("50"), "premium_pct": D("3"), "travel_pct": D("7")}
# A GP center's rule by its operating mode (finance.chain): the partner's share, the management fee or royalty, the
# franchise fee per month; an expert's and the premium's percentages for a doctor-group expert's work there.
CENTER_RULES: dict[str, dict[str, Any]] = {
    "flagship": {"expert_pct": D("20"), "premium_pct": D("2")},
    "owned": {"expert_pct": D("20"), "premium_pct": D("2")},
    "cooperative": {"partner_pct": D("35"), "expert_pct": D("20"), "premium_pct": D("2")},
    "managed": {"fee_pct": D("12"), "expert_pct": D("20"), "premium_pct": D("2")},
    "franchise": {"fee_pct": D("6"), "monthly_fee": D("8000.00"), "expert_pct": D("20"), "premium_pct": D("2")},
}
# A month's costs of an operating center by category (yuan, before a ±15% spread): illustrative, on the scale of the
# contracted-care line the demo charges (packages, consultations), not a whole center's books; a center in
# preparation pays staff, rent and equipment for the three months before opening.
CENTER_COSTS = {"staff": D("500"), "rent": D("250"), "drugs": D("100"), "equipment": D("40"), "other": D("20")}
PREPARING_COSTS = {"staff": D("300"), "rent": D("250"), "equipment": D("200")}
MONTHS = 3
PROCEDURES = ["腹腔镜胆囊切除术", "甲状腺腺叶切除术", "经皮肾镜取石术", "腹股沟疝修补术", "胰十二指肠切除术"]


def _month_back(month: date, n: int) -> date:
    y, m = month.year, month.month - n
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


@transaction.atomic
def finance_demo(*, seed: int = 2024, today: date) -> dict[str, Any]:
    rng = random.Random(seed)
    ops = User.objects.filter(role=Role.OPS, is_active=True).order_by("username").first()
    if ops is None:
        return {"skipped": "no operations user"}
    this_month = today.replace(day=1)
    first = _month_back(this_month, MONTHS)
    epoch = _month_back(this_month, 12)
    partnerships = list(
        Partnership.objects.filter(start__lte=today)
        .select_related("department__organization", "doctor_group")
        .order_by("department__organization__name", "department__name")
    )
    hospitals = {p.department.organization for p in partnerships}
    hospitals |= set(Organization.objects.filter(pk__in=Case.objects.values("requesting_org")))
    hospitals |= set(Organization.objects.filter(pk__in=MdtCase.objects.values("site")))
    centers = set(Organization.objects.filter(kind="gp_center"))
    hospitals -= centers
    demo_expert = Practitioner.objects.filter(user__username="expert").first()
    partnerships = [
        p
        for p in partnerships
        if demo_expert is None or practice_basis(demo_expert, p.department.organization, today).allowed
    ] or partnerships
    no_teaching = min((p.department.organization for p in partnerships), key=lambda h: h.name, default=None)
    for h in sorted(hospitals, key=lambda h: h.name):
        services.share_rule_add(
            by=ops, hospital=h, effective_from=epoch, note="示例分成（非真实协议）", **HOSPITAL_RULE
        )
        for service, amount in HOSPITAL_PRICES.items():
            if h == no_teaching and service == "teaching":
                continue  # left out: its teaching sessions wait on operations' unpriced-work list
            services.price_add(
                by=ops, hospital=h, service=service, amount=amount, effective_from=epoch, note="示例价格"
            )
    for c in sorted(centers, key=lambda c: c.name):
        chain.center_rule_add(
            by=ops,
            center=c,
            mode=c.gp_mode,
            effective_from=epoch,
            note="示例分成（非真实协议）",
            **CENTER_RULES[c.gp_mode],
        )
        for service, amount in CENTER_PRICES.items():
            services.price_add(
                by=ops, hospital=c, service=service, amount=amount, effective_from=epoch, note="示例价格"
            )
    if no_teaching is not None:
        # A price edit: the clinic fee rises from the last ended month (a second version; earlier charges keep v1).
        edited = max(hospitals, key=lambda h: h.name)
        services.price_add(
            by=ops,
            hospital=edited,
            service="clinic",
            amount=D("80.00"),
            effective_from=_month_back(this_month, 1),
            note="示例：门诊单价上调",
        )
    sessions = _held_sessions(rng, partnerships, first, today)
    payers = _payers(today)  # coverage and rules before charging, so the charges are split by them
    sweep = services.charges_sweep()
    issued = settled = 0
    for n in range(MONTHS, 0, -1):
        month = _month_back(this_month, n)
        if n == 1:
            _one_correction(ops, month)
        issued += len(services.statements_issue_month(by=ops, month=month))
        if n > 1:  # last month's settlements are left for operations to issue (README tour)
            settled += len(services.settlements_issue_month(by=ops, month=month))
    incidents = _incidents(ops, today)
    costs = _center_costs(rng, ops, sorted(centers, key=lambda c: c.name), this_month)
    return {
        "sessions": sessions,
        **sweep,
        "statements": issued,
        "settlements": settled,
        "incidents": incidents,
        **payers,
        "costs": costs,
    }


def _center_costs(rng: random.Random, ops: User, centers: list[Organization], this_month: date) -> int:
    """Twelve months of costs of each operating GP center (the last three for one in preparation), entered by
    operations, one of them voided and entered again (a typing slip), so the chain dashboard compares results."""
    made = 0
    for n, center in enumerate(centers):
        operating = center.status == "operating"
        months = 12 if operating else 3
        base = CENTER_COSTS if operating else PREPARING_COSTS
        scale = D(1) + D(n) / D(4)
        for k in range(months, 0, -1):
            month = _month_back(this_month, k)
            for category, amount in base.items():
                spread = D(rng.randint(85, 115)) / D(100)
                chain.center_cost_add(
                    by=ops,
                    center=center,
                    month=month,
                    category=category,
                    amount=(amount * scale * spread).quantize(D("0.01")),
                    note="示例成本（签约服务部分）",
                )
                made += 1
    slip = (
        CenterCost.objects.filter(category="drugs", voided_at__isnull=True).order_by("-month", "center__name").first()
    )
    if slip is not None:
        wrong = chain.center_cost_add(
            by=ops,
            center=slip.center,
            month=slip.month,
            category="other",
            amount=slip.amount * 10,
            note="示例：多录一位",
        )
        chain.center_cost_void(by=ops, cost=wrong, reason="示例：金额多录一位，作废")
    return made


# Illustrative reimbursement rules for the demo's pooling region (not any region's official policy): deductible,
# percentage reimbursed at grassroots / secondary / tertiary institutions, annual cap.
DEMO_RULES = {
    "employee": (D("800.00"), D("90"), D("85"), D("75"), D("400000.00")),
    "resident": (D("500.00"), D("80"), D("70"), D("55"), D("200000.00")),
    "commercial": (D("0.00"), D("60"), D("60"), D("60"), D("50000.00")),
}

# Illustrative funding of a family-doctor contract fee (签约服务费) in the demo GP centers' regions, not any region's
# official policy: the medical insurance fund's and the basic public health funds' percentages; the resident pays
# the rest.
DEMO_CONTRACT_FEE_RULES = {"basic": (D("40"), D("30")), "personalised": (D("30"), D("10"))}


def _payers(today: date) -> dict[str, int]:
    """Illustrative rules of this year and last: reimbursement for the pooling region above the flagship GP center's
    county, contract-fee funding above every demo GP center's county; and coverage for members of the first
    households the center's GPs care for (workers: employee insurance with a member number; others: resident
    insurance; a few with commercial insurance on top), recorded by a GP."""
    from tiercare.finance.models import ContractFeeRule, ReimbursementRule, Scheme
    from tiercare.people.models import Person
    from tiercare.people.selectors import person_scope_q

    center = Organization.objects.filter(kind="gp_center", division__isnull=False).order_by("name").first()
    gp = User.objects.filter(role=Role.GP, is_active=True, username="gp").first() or (
        User.objects.filter(role=Role.GP, is_active=True).order_by("username").first()
    )
    if center is None or gp is None or center.division is None:
        return {"coverages": 0}
    region = center.division.parent or center.division
    for year in (today.year - 1, today.year):
        for scheme, (deductible, g, s, t, cap) in DEMO_RULES.items():
            ReimbursementRule.objects.get_or_create(
                region=region,
                scheme=scheme,
                year=year,
                defaults={
                    "deductible": deductible,
                    "grassroots_pct": g,
                    "secondary_pct": s,
                    "tertiary_pct": t,
                    "annual_cap": cap,
                    "illustrative": True,
                    "note": "示例规则，非官方政策",
                },
            )
    centers = Organization.objects.filter(kind="gp_center", division__isnull=False).select_related("division__parent")
    for division in {c.division.parent or c.division for c in centers if c.division is not None}:
        for year in (today.year - 1, today.year):
            for package, (fund, public) in DEMO_CONTRACT_FEE_RULES.items():
                ContractFeeRule.objects.get_or_create(
                    region=division,
                    year=year,
                    package=package,
                    defaults={
                        "insurance_fund_pct": fund,
                        "public_health_pct": public,
                        "illustrative": True,
                        "note": "示例签约服务费分担，非官方政策",
                    },
                )
    people = Person.objects.filter(person_scope_q(gp), membership__isnull=False).order_by(
        "membership__household__name", "name", "pk"
    )[:24]
    made = 0
    for n, person in enumerate(people):
        if person.coverages.exists():
            continue
        employee = n % 3 != 2
        services.coverage_record(
            by=gp,
            person=person,
            scheme=Scheme.EMPLOYEE if employee else Scheme.RESIDENT,
            region_code=region.pk,
            valid_from=date(today.year - 1, 1, 1),
            member_number=f"{region.pk}{10000000 + n * 7919}" if employee else "",
        )
        made += 1
        if n % 5 == 0:
            services.coverage_record(
                by=gp,
                person=person,
                scheme=Scheme.COMMERCIAL,
                region_code=region.pk,
                valid_from=date(today.year, 1, 1),
                valid_to=date(today.year, 12, 31),
                member_number=f"PA{20000000 + n}",
            )
            made += 1
    return {"coverages": made}


def _incidents(ops: User, today: date) -> int:
    """One open adverse event at a held session of the demo expert (its insurer told), and one patient dispute about
    a consultation case taken through every step to closure (settled by agreement)."""
    from tiercare.consults.models import SecondOpinion, Teleconsult
    from tiercare.outreach.models import SessionStatus

    made = 0
    session = (
        ExpertSession.objects.filter(status=SessionStatus.HELD, expert__user__username="expert", date__lt=today)
        .select_related("site", "expert")
        .order_by("-date")
        .first()
    )
    if session is not None:
        services.incident_record(
            by=ops,
            kind="adverse_event",
            source=session,
            occurred_on=session.date,
            summary="示例：术后第二天切口渗液，已换药观察，患者家属要求说明情况。",
        )
        made += 1
    worked = [
        *Teleconsult.objects.filter(expert__isnull=False).values_list("case_id", flat=True),
        *SecondOpinion.objects.filter(expert__isnull=False).values_list("case_id", flat=True),
    ]
    case = Case.objects.filter(pk__in=worked).select_related("requesting_org").order_by("created_at").first()
    if case is not None:
        _kind, _hospital, experts = services.incident_source_parts(case)
        dispute = services.incident_record(
            by=ops,
            kind="dispute",
            source=case,
            occurred_on=min(timezone.localtime(case.created_at).date(), today),
            summary="示例：患者对会诊意见与后续治疗效果有异议，要求复核。",
            expert=experts[0],
            person=case.person,
        )
        for to, reason in (
            ("insurer_notified", "示例：已电话向保险公司报案，取得报案号。"),
            ("under_review", "示例：医务科组织专家复核病历。"),
        ):
            dispute = services.incident_move(by=ops, incident=dispute, to=to, reason=reason)
        services.incident_move(
            by=ops, incident=dispute, to="closed", outcome="settled", reason="示例：经沟通双方达成和解，患者撤回投诉。"
        )
        made += 1
    return made


def _held_sessions(rng: random.Random, partnerships: list[Partnership], first: date, today: date) -> int:
    """Sessions of the demo expert (the one doctor-group expert who signs in) at the partner departments where they
    may practise, held and reported, on about one weekday in four from ``first`` to yesterday."""
    expert = (
        Practitioner.objects.filter(doctor_group__isnull=False, user__username="expert").select_related("user").first()
    )
    if expert is None or not partnerships:
        return 0
    made = 0
    day = first
    until = min(today, timezone.localdate())  # a report is filed only once its session has started
    while day < until:
        if day.weekday() < 5 and rng.random() < 0.3:
            made += _hold(rng, expert, rng.choice(partnerships), day)
        day += timedelta(days=1)
    return made


def _hold(rng: random.Random, expert: Practitioner, p: Partnership, day: date) -> int:
    site = p.department.organization
    decision = practice_basis(expert, site, day)
    if not decision.allowed:
        return 0
    half_day = rng.choice(["am", "pm"])
    if ExpertSession.objects.filter(expert=expert, date=day, half_day=half_day).exists():
        return 0
    kind = rng.choice(
        [SessionKind.CLINIC, SessionKind.CLINIC, SessionKind.SURGERY, SessionKind.WARD_ROUND, SessionKind.TEACHING]
    )
    if kind == SessionKind.SURGERY and not expert.can_operate:
        kind = SessionKind.CLINIC
    session = ExpertSession.objects.create(
        expert=expert,
        department=p.department,
        site=site,
        date=day,
        half_day=half_day,
        kind=kind,
        places=20,
        basis=decision.basis,
        basis_reference=decision.reference[:120],
        response="accepted",
    )
    report: dict[str, Any] = {"cases_seen": rng.randint(6, 20)}
    if kind == SessionKind.SURGERY:
        report["surgeries"] = [
            {"procedure": rng.choice(PROCEDURES), "grade": rng.choice([2, 3, 3, 4]), "count": rng.randint(1, 3)}
        ]
    if kind == SessionKind.TEACHING:
        report["teaching_topic"] = "三基三严：危重症早期识别"
        report["attendees"] = rng.randint(8, 30)
    report_file(by=expert.user, session=session, data=report)  # type: ignore[arg-type]
    return 1


def _one_correction(ops: User, month: date) -> None:
    """A clinic charge of an earlier statement was overstated by two patients: taken back in the next one."""
    from tiercare.finance.models import StatementLine

    line = (
        StatementLine.objects.filter(statement__month__lt=month, charge__service="clinic", charge__quantity__gt=2)
        .select_related("charge", "statement__expert")
        .order_by("statement__month", "occurred_on")
        .first()
    )
    if line is None or line.charge is None:
        return
    share = (line.charge.expert_share / line.charge.quantity * 2).quantize(D("0.01"))
    services.adjustment_add(
        by=ops, expert=line.statement.expert, amount=-share, reason="门诊人次多报2人，扣回", corrects=line
    )
