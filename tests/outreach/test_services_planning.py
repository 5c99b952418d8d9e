"""Roster planning from the database: coverage, true reasons, legality on every confirmed session."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests import factories as f
from tests.outreach.factories import locate, make_expert, make_request, next_monday
from tiercare.network.models import Practitioner, Title
from tiercare.network.practice import practice_basis
from tiercare.outreach import roster, services
from tiercare.outreach.models import (
    ExpertAvailability,
    ExpertLeave,
    ExpertSession,
    OutreachProfile,
    PlanStatus,
    SessionTransition,
)

pytestmark = pytest.mark.django_db


def _free_legal_options(plan, occ_days, site, kind, specialty):
    """Brute force, independent of the planner: the (expert, day, half-day) a request could still take."""
    sessions = list(ExpertSession.objects.filter(status__in=["scheduled", "moved"]))
    placed = [(a.expert_id, a.site_id, a.date, a.half_day) for a in plan.assignments.all()]
    placed += [(s.expert_id, s.site_id, s.date, s.half_day) for s in sessions]
    out = []
    for e in Practitioner.objects.filter(doctor_group__isnull=False, specialty=specialty):
        if kind == "surgery" and not e.can_operate or kind == "teaching" and not e.is_senior:
            continue
        limit = OutreachProfile.objects.filter(practitioner=e).values_list("weekly_limit", flat=True).first() or 3
        avail = set(ExpertAvailability.objects.filter(practitioner=e).values_list("weekday", "half_day"))
        leave = list(ExpertLeave.objects.filter(practitioner=e))
        for d in occ_days:
            if not any(w == d.weekday() for w, _h in avail) or any(x.covers(d) for x in leave):
                continue
            if not practice_basis(e, site, d).allowed:
                continue
            mine = [p for p in placed if p[0] == e.pk]
            if any(p[2] == d and p[1] != site.pk for p in mine):
                continue
            monday = d - timedelta(days=d.weekday())
            if len([p for p in mine if monday <= p[2] < monday + timedelta(days=7)]) >= limit:
                continue
            for h in sorted(h for w, h in avail if w == d.weekday()):
                if not any(p[2] == d and p[3] == h for p in mine):
                    out.append((e.pk, d, h))
    return out


def _check_plan(plan):
    """No uncovered request a free legal expert could take; every reason true."""
    from tiercare.network.models import Organization

    for u in plan.uncovered:
        site = Organization.objects.get(pk=u["site"])
        days = [date.fromisoformat(d) for d in u["days"]]
        from tiercare.outreach.models import SessionRequest

        req = SessionRequest.objects.get(pk=u["request"])
        free = _free_legal_options(plan, days, site, u["kind"], req.specialty)
        assert free == [], f"{u['reason']}: but {free[:3]} could take it"
        experts = Practitioner.objects.filter(doctor_group__isnull=False, specialty=req.specialty)
        if u["reason"] == roster.REASON_NO_SPECIALTY:
            assert not experts.exists()
        if u["reason"] == roster.REASON_NOT_LICENSED:
            assert not any(practice_basis(e, site, d).allowed for e in experts for d in days)
        if u["reason"] == roster.REASON_NOT_QUALIFIED:
            allowed = [e for e in experts if any(practice_basis(e, site, d).allowed for d in days)]
            assert allowed and not any((e.can_operate if u["kind"] == "surgery" else e.is_senior) for e in allowed)


@pytest.fixture
def network(cast):
    locate(cast.tertiary, cast.hospital_a, cast.hospital_b)
    group = cast.group
    ep = cast.expert_practitioner
    from tests.outreach.factories import ALL_HALF_DAYS, set_availability

    set_availability(ep, ALL_HALF_DAYS, weekly_limit=2)
    dept_b = f.DepartmentFactory(organization=cast.hospital_b, specialty="pediatrics", name="儿科")
    f.PartnershipFactory(doctor_group=group, department=dept_b, services=["clinic", "teaching", "surgery"])
    return {"group": group, "expert": ep, "dept_a": cast.dept_a, "dept_b": dept_b}


def test_plan_covers_what_a_free_legal_expert_can_and_explains_the_rest(cast, network):
    monday = next_monday()
    # Covered: a weekly clinic at hospital A, where the expert is filed.
    make_request(
        cast.dept_a, cast.coordinator, start=monday, end=monday + timedelta(days=11), cadence="weekly", priority=3
    )
    # On purpose: hospital B's only pediatric expert has no filing there.
    b = make_request(network["dept_b"], cast.outsider, start=monday, kind="clinic", priority=3)
    # On purpose: a third session in week 1 passes the expert's weekly limit of 2.
    make_request(cast.dept_a, cast.coordinator, start=monday, kind="surgery", priority=2)
    make_request(cast.dept_a, cast.coordinator, start=monday, kind="teaching", priority=1)

    plan = services.plan_create(by=cast.ops, start=monday, weeks=2, seconds=1)

    assert plan.status == PlanStatus.PROPOSED
    assert plan.assignments.count() == 3  # 2 in week 1 (limit), 1 in week 2
    reasons = {(u["request"], u["reason"]) for u in plan.uncovered}
    assert (str(b.pk), roster.REASON_NOT_LICENSED) in reasons
    assert any(r == roster.REASON_CAPACITY for _q, r in reasons)
    _check_plan(plan)
    for a in plan.assignments.all():
        assert practice_basis(a.expert, a.site, a.date).allowed


def test_not_qualified_reason_is_true(cast, network):
    monday = next_monday()
    Practitioner.objects.filter(pk=network["expert"].pk).update(title=Title.ATTENDING)
    make_request(cast.dept_a, cast.coordinator, start=monday, kind="teaching", priority=3)
    plan = services.plan_create(by=cast.ops, start=monday, weeks=1, seconds=1)
    assert [u["reason"] for u in plan.uncovered] == [roster.REASON_NOT_QUALIFIED]
    _check_plan(plan)


def test_confirm_records_basis_and_transition_and_refuses_lapsed_cover(cast, network):
    monday = next_monday()
    make_request(cast.dept_a, cast.coordinator, start=monday, priority=3)
    plan = services.plan_create(by=cast.ops, start=monday, weeks=1, seconds=1)
    sessions = services.plan_confirm(by=cast.ops, plan=plan)
    assert len(sessions) == 1
    s = sessions[0]
    s.refresh_from_db()
    assert s.basis == "filing" and s.status == "scheduled"
    assert SessionTransition.objects.filter(session=s, from_status="", to_status="scheduled").exists()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFIRMED

    # A second plan proposing the expert while their cover lapses before confirmation is refused whole.
    make_request(cast.dept_a, cast.coordinator, start=monday + timedelta(days=7), priority=3)
    plan2 = services.plan_create(by=cast.ops, start=monday + timedelta(days=7), weeks=1, seconds=1)
    assert plan2.assignments.count() == 1
    network["expert"].insurance_policies.update(valid_to=monday)
    from tiercare.core.errors import DomainError

    with pytest.raises(DomainError) as err:
        services.plan_confirm(by=cast.ops, plan=plan2)
    assert err.value.status in (409, 422)
    assert ExpertSession.objects.count() == 1


def test_only_ops_plan(cast, network):
    from tiercare.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.plan_create(by=cast.coordinator, start=next_monday(), weeks=1, seconds=1)


@pytest.mark.parametrize("seed", range(3))
def test_property_no_confirmed_session_without_basis_and_cover(cast, seed):
    """Random small networks: filings that start/end mid-horizon, lapsing cover, leave. Every confirmed session
    is allowed by practice_basis on its date, and no expert is twice in a half-day or at two sites in a day."""
    rng = random.Random(seed)
    monday = next_monday()
    days = [monday + timedelta(days=i) for i in range(12)]
    sites = [
        f.OrganizationFactory(latitude=30.6 + rng.random() * 0.5, longitude=104 + rng.random() * 0.5) for _ in range(3)
    ]
    depts = []
    for s in sites:
        d = f.DepartmentFactory(organization=s, specialty="pediatrics")
        f.PartnershipFactory(doctor_group=cast.group, department=d, services=["clinic", "surgery", "teaching"])
        depts.append(d)
    home = f.OrganizationFactory(tertiary=True, latitude=30.66, longitude=104.07)
    for _ in range(4):
        e = make_expert(
            cast.group,
            home_organization=home,
            insured=False,
            can_operate=rng.random() < 0.5,
            title=rng.choice([Title.CHIEF, Title.ATTENDING]),
            weekly_limit=rng.randint(1, 3),
            half_days=[(w, h) for w in range(5) for h in ("am", "pm") if rng.random() < 0.6],
        )
        f.InsurancePolicyFactory(
            practitioner=e,
            valid_from=f.today() - timedelta(days=10),
            valid_to=rng.choice(days + [monday + timedelta(days=300)]),
        )
        for s in rng.sample(sites, rng.randint(0, 3)):
            start = rng.choice([f.today() - timedelta(days=5), *days[:8]])
            f.SiteRegistrationFactory(
                practitioner=e,
                site=s,
                valid_from=start,
                valid_to=rng.choice([None, start + timedelta(days=rng.randint(0, 8))]),
            )
        if rng.random() < 0.4:
            d0 = rng.choice(days)
            ExpertLeave.objects.create(practitioner=e, start=d0, end=d0 + timedelta(days=rng.randint(0, 3)))
    for _ in range(6):
        d = rng.choice(depts)
        make_request(
            d,
            cast.ops,
            start=rng.choice(days[:8]),
            kind=rng.choice(["clinic", "surgery", "teaching"]),
            priority=rng.randint(1, 3),
            cadence=rng.choice(["once", "once", "weekly"]),
            end=monday + timedelta(days=11),
        )
    plan = services.plan_create(by=cast.ops, start=monday, weeks=2, seconds=0.5)
    _check_plan(plan)
    services.plan_confirm(by=cast.ops, plan=plan)
    seen_half, seen_site = set(), {}
    for s in ExpertSession.objects.all():
        decision = practice_basis(s.expert, s.site, s.date)
        assert decision.allowed and s.basis == decision.basis
        assert (s.expert_id, s.date, s.half_day) not in seen_half
        seen_half.add((s.expert_id, s.date, s.half_day))
        assert seen_site.setdefault((s.expert_id, s.date), s.site_id) == s.site_id
        assert not ExpertLeave.objects.filter(practitioner=s.expert, start__lte=s.date, end__gte=s.date).exists()


def test_demo_network_four_weeks(db):
    """The done-means on the demo network: four weeks planned in seconds, nothing left open that a free legal
    expert could take, every reason true, every proposed expert allowed on the day."""
    from tiercare.core.models import User
    from tiercare.demo.builder import DemoBuilder
    from tiercare.outreach.demo import outreach_demo

    f.ensure_divisions()
    today = f.today()
    DemoBuilder(seed=2024, today=today, households=3).build()
    counts = outreach_demo(seed=2024, today=today)
    assert counts["requests"] >= 14
    plan = services.plan_create(by=User.objects.get(username="ops"), start=next_monday(today), weeks=4, seconds=1)
    assert plan.stats["covered"] >= 0.8 * plan.stats["requests"]
    _check_plan(plan)
    for a in plan.assignments.select_related("expert", "site"):
        assert practice_basis(a.expert, a.site, a.date).allowed
