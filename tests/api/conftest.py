"""The world of the write matrices (API and pages): objects of every kind that belong to someone else, and the users
who may not touch them.

Center A's team holds the patient's household; the GP has a case (tele-consult, opinion, MDT), a referral (with the
patient's consent to referral), an enrolment with follow-ups and a referral suggestion. Hospital A (the standing
coordinator's) has an outreach request, a session with a booked patient, and operations' roster plan with an
assignment. A second operations user uploaded a directory import batch; the GP holds an API token. None of it belongs
to the probing users.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Max
from django.utils import timezone
from tests import factories as f
from tests.care.factories import HTN_HIGH, contract, enrol, followup, team_with
from tests.consults.conftest import net  # noqa: F401  (the consults network: experts, consent)
from tests.outreach.factories import make_request, make_session
from tests.profiles.factories import booking as profiles_booking
from tests.profiles.factories import held_session
from tests.profiles.factories import review as profiles_review
from tests.programs.factories import make_program

from tiercare.care import services as care_services
from tiercare.care.models import GpTeamMember, ReferralSuggestion
from tiercare.consults import services as consults
from tiercare.consults.models import MeetingHours
from tiercare.core.models import Role
from tiercare.core.services import api_token_issue
from tiercare.finance import chain as finance_chain
from tiercare.finance import services as finance
from tiercare.network.models import ImportBatch, ImportKind, OnlinePracticeConsent, StaffRole
from tiercare.outreach.models import Booking, PlanAssignment, RosterPlan
from tiercare.people.models import Consent, ConsentScope
from tiercare.portal.models import GpVisit
from tiercare.profiles import services as profiles
from tiercare.programs import services as programs
from tiercare.referrals import services as referrals

LOG_MODELS = {"core.auditevent"}


@pytest.fixture
def world(cast: Any, net: Any) -> dict[str, Any]:  # noqa: F811
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    c = contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    fu = followup(cast.gp, e, timezone.localdate() - timedelta(days=20), HTN_HIGH)
    followup(cast.gp, e, timezone.localdate() - timedelta(days=6), HTN_HIGH)
    suggestion = ReferralSuggestion.objects.filter(person=cast.patient_person).first()
    case = consults.case_create(by=cast.gp, person=cast.patient_person, question="持续发热？")
    tc = consults.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    opinion = consults.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    mdt = consults.mdt_create(
        by=cast.gp, case=case, specialties=["pediatrics", "cardiology"], deadline=timezone.now() + timedelta(days=3)
    )
    consent = Consent.objects.create(
        person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
    )
    dept = f.DepartmentFactory(organization=cast.tertiary, name="小儿内科", specialty="pediatrics")
    referral = referrals.referral_create(
        by=cast.gp,
        person=cast.patient_person,
        receiving_department=dept,
        reason="持续高热",
        diagnosis_text="川崎病？",
        diagnosis_code="M30.300",
        diagnosis_system="ICD-10 国家临床版",
        diagnosis_version="2.0",
    ).referral
    # Outreach at hospital A: the coordinator's request, a session of the standing expert (today, so a report could
    # be filed) with a patient of hospital A booked, and operations' proposed plan with one assignment.
    today = timezone.localdate()
    request = make_request(cast.dept_a, cast.coordinator, start=today + timedelta(days=7))
    session = make_session(cast.expert_practitioner, cast.dept_a, on=today, places=3)
    patient_a = cast.household_hospital_a.members.first().person
    booking = Booking.objects.create(session=session, place_number=1, person=patient_a, booked_by=cast.coordinator)
    plan = RosterPlan.objects.create(
        start=today + timedelta(days=7), end=today + timedelta(days=13), created_by=cast.ops
    )
    assignment = PlanAssignment.objects.create(
        plan=plan,
        request=request,
        expert=cast.expert_practitioner,
        department=cast.dept_a,
        site=cast.hospital_a,
        date=today + timedelta(days=8),
        half_day="am",
        kind="clinic",
    )
    # Directory import of another operations user; an API token of the GP.
    other_ops = f.UserFactory(username="ops_2", role=Role.OPS)
    batch = ImportBatch.objects.create(kind=ImportKind.EXPERTS, created_by=other_ops, filename="x.xlsx")
    token, _raw = api_token_issue(user=cast.gp, label="GP's phone")
    # The standing expert's MDT meeting hours; a member of the GP team.
    hours = MeetingHours.objects.create(practitioner=cast.expert_practitioner, weekday=5, start=time(9), end=time(12))
    team_member = GpTeamMember.objects.filter(team=team).first()
    # A GP center none of the probing users works at, with a month's cost operations entered.
    lone_center = f.OrganizationFactory(gp_center=True, name="无人社区卫生服务中心")
    center_cost = finance_chain.center_cost_add(
        by=cast.ops, center=lone_center, month=today, category="rent", amount="15000.00"
    )
    # Hospital A's department-building program (with a milestone) and operations' needs survey.
    program = make_program(cast.ops, cast.dept_a, months_ago=1, stage="building")
    campaign = programs.campaign_create(by=cast.ops, name="需求调研")
    # Finance: hospital A's prices and share rule, last month's held clinic of the standing expert charged and its
    # statement issued, and a held teaching session with no price (operations' unpriced work).
    statement, unpriced = _finance_world(cast)
    # The standing expert's submitted article, and a review of a visit at a session they held at hospital A.
    article = profiles.article_submit(
        by=cast.expert, article=profiles.article_save(by=cast.expert, title="孩子发烧怎么办", body="先量体温。")
    )
    held = held_session(cast.expert_practitioner, cast.dept_a, days_ago=9)
    review = profiles_review(profiles_booking(held, patient_a, cast.coordinator), by=cast.patient, stars=4)
    # The patient's online follow-up with their GP (eligible: practice, the center's consent, cover), an e-prescription
    # waiting for center A's pharmacist, and an urgent home reading on the team's worklist (issue 16).
    f.InsurancePolicyFactory(practitioner=cast.gp.practitioner)
    OnlinePracticeConsent.objects.create(
        practitioner=cast.gp.practitioner, organization=cast.center_a, valid_from=today - timedelta(days=30)
    )
    f.staff_user(Role.PHARMACIST, cast.center_a, username="pharmacist", staff_role=StaffRole.PHARMACIST)
    online = consults.online_consult_request(by=cast.patient, person=cast.patient_person, diagnosis=e, question="续药")
    cast.gp.set_password("world-password")
    cast.gp.save()
    online = consults.online_reauth(by=cast.gp, consult=online, password="world-password")
    prescription = consults.eprescription_sign(
        by=cast.gp, consult=online, lines=[{"drug": "amlodipine_5mg", "dose": "5mg qd", "supply_days": 28}]
    )
    home_reading = care_services.home_reading_report(
        by=cast.patient, enrollment=e, measured_at=timezone.now() - timedelta(hours=1),
        measurements={"sbp_mmhg": 190, "dbp_mmhg": 115},
    )  # fmt: skip
    # An adverse event at hospital A's session of the standing expert (finance: incidents and disputes).
    incident = finance.incident_record(
        by=cast.ops, kind="adverse_event", source=session, occurred_on=today, summary="术后切口感染"
    )
    return {
        "incident": incident,
        "person": cast.patient_person,
        "household": cast.household_a,
        "case": case,
        "teleconsult": tc,
        "opinion": opinion,
        "mdt": mdt,
        "referral": referral,
        "consent": consent,
        "team": team,
        "center": team.center,
        "team_member": team_member,
        "lone_center": lone_center,
        "center_cost": center_cost,
        "meeting_hours": hours,
        "contract": c,
        "enrollment": e,
        "followup": fu,
        "suggestion": suggestion,
        "expert": cast.expert_practitioner,
        "outreach_request": request,
        "session": session,
        "booking": booking,
        "plan": plan,
        "assignment": assignment,
        "batch": batch,
        "token": token,
        "program": program,
        "milestone": program.milestones.first(),
        "campaign": campaign,
        "statement": statement,
        "unpriced": unpriced,
        "article": article,
        "review": review,
        "online_consult": online,
        "prescription": prescription,
        "home_reading": home_reading,
        "gp_visit": GpVisit.objects.create(
            team=team,
            person=cast.patient_person,
            starts_at=timezone.now() + timedelta(days=3),
            ends_at=timezone.now() + timedelta(days=3, minutes=30),
            day=timezone.localdate() + timedelta(days=3),
            place_number=1,
            booked_by=cast.patient,
        ),
    }


def _finance_world(cast: Any) -> tuple[Any, Any]:
    from tiercare.finance.models import UnpricedWork
    from tiercare.outreach.services.reports import report_file

    month = finance.month_start(finance.month_start(timezone.localdate()) - timedelta(days=1))
    finance.share_rule_add(
        by=cast.ops, hospital=cast.hospital_a, effective_from=month, hospital_pct=30, expert_pct=50, premium_pct=3,
        travel_pct=7,
    )  # fmt: skip
    finance.price_add(by=cast.ops, hospital=cast.hospital_a, service="clinic", amount="50", effective_from=month)
    clinic = make_session(cast.expert_practitioner, cast.dept_a, on=month.replace(day=10))
    report_file(by=cast.expert, session=clinic, data={"cases_seen": 6})
    teaching = make_session(cast.expert_practitioner, cast.dept_a, on=month.replace(day=11), kind="teaching")
    report_file(by=cast.expert, session=teaching, data={"teaching_topic": "三基三严"})
    finance.charges_sweep()
    statement, _new = finance.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=month)
    return statement, UnpricedWork.objects.get(fact_id=teaching.pk)


@pytest.fixture
def probes(cast: Any, world: Any) -> dict[str, Any]:
    """The wrong users: a coordinator of another hospital, a GP of another center, a GP of another team of the same
    center, operations, an auditor (reads, never writes) and a pediatric expert of the group who is on none of the
    world's sessions, opinions or MDTs (made after the world, so no routing picked them)."""
    other_team_gp = f.staff_user(Role.GP, cast.center_a, username="gp_team_b")
    team_with(cast.center_a, other_team_gp, name="B组")
    other_expert = f.UserFactory(username="expert_other", role=Role.EXPERT)
    f.PractitionerFactory(
        user=other_expert,
        name="孙其他",
        home_organization=cast.tertiary,
        doctor_group=cast.group,
    )
    return {
        "outsider": cast.outsider,
        "gp_b": cast.gp_b,
        "other team gp": other_team_gp,
        "ops": cast.ops,
        "auditor": cast.auditor,
        "other expert": other_expert,
    }


def stored_state() -> dict[str, tuple[Any, ...]]:
    """Per model of the project: its row count, its latest ``updated_at`` and its revoked rows (where it has them).
    The audit log is left out: a refusal is audited."""
    state = {}
    for m in apps.get_models():
        label = m._meta.label_lower
        if not m.__module__.startswith("tiercare.") or label in LOG_MODELS:
            continue
        fields = {fld.name for fld in m._meta.concrete_fields}
        manager = m._default_manager
        latest = manager.aggregate(v=Max("updated_at"))["v"] if "updated_at" in fields else None
        revoked = manager.filter(revoked_at__isnull=False).count() if "revoked_at" in fields else None
        state[label] = (manager.count(), latest, revoked)
    return state


def state_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
