"""Demo data of the care app: `care_demo(seed, today)` (the demo loader calls it after the network is built).

A family-doctor team at the flagship GP center (the demo users `gp` and `health_manager` plus a nurse), a
one-year contract for each household registered there, hypertension / type 2 diabetes enrolments for about a
third / a tenth of the adults aged 35 or more, with a year of quarterly follow-ups classified by the real protocol
engine; about one in six enrolments is left overdue, a few lost to follow-up. Deterministic for a seed. Rows are
bulk-inserted (the demo loads in seconds); the derived worklist state then comes from the bulk recompute.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from tiercare.care import services
from tiercare.care.models import (
    CareContract,
    ContractEvent,
    ContractMember,
    Enrollment,
    FollowUp,
    GpTeam,
    GpTeamMember,
    ReferralSuggestion,
)
from tiercare.care.protocols import classify, load_protocol, protocol_version
from tiercare.core.models import User
from tiercare.network.models import Organization, Practitioner, PractitionerRole, Title
from tiercare.people.models import Household, HouseholdMember

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _measure(rng: random.Random, code: str, control: float) -> dict[str, Any]:
    good = rng.random() < control
    sbp = rng.randint(118, 138) if good else rng.randint(141, 172)
    dbp = rng.randint(70, 88) if good else rng.randint(86, 104)
    m: dict[str, Any] = {
        "sbp_mmhg": sbp,
        "dbp_mmhg": min(dbp, sbp - 20),
        "heart_rate_bpm": rng.randint(60, 92),
    }
    m["weight_kg"] = round(rng.uniform(52, 88), 1)
    m["waist_cm"] = rng.randint(72, 100)
    m["total_chol_mmol_l"] = round(rng.uniform(3.8, 6.6), 1)
    m["hdl_mmol_l"] = round(rng.uniform(0.9, 1.7), 1)
    m["smoker"] = rng.random() < 0.25
    m["bp_treated"] = code == "hypertension"
    m["north"], m["urban"], m["family_history_ascvd"] = False, True, rng.random() < 0.2
    if code == "diabetes_t2":
        m["fasting_glucose_mmol_l"] = round(rng.uniform(5.2, 6.9) if good else rng.uniform(7.1, 11.5), 1)
    return {**m, "adverse_reaction": False, "new_or_worse_complication": False}


def _other_programs(hm: list[Any], enrolled: list[Enrollment], today: date, seed: int) -> list[Enrollment]:
    """A few of the team's adults in the cardiovascular-risk and cancer-survivorship programs, so every pathway can
    be tried from the ``gp`` login (issue 11). Their own random generator: the rest of the demo is unchanged."""
    rng = random.Random(seed * 7919 + 17)
    hypertensive = [e.person for e in enrolled if e.protocol_code == "hypertension"]
    adults = [m.person for m in hm if (services.age_on(m.person, today) or 0) >= 40]
    out = []
    for code, people in (("cardiovascular_risk", hypertensive[:4]), ("cancer_survivorship", adults[-3:])):
        v = protocol_version(code)
        for p in people:
            enrolled_on = today - timedelta(days=rng.randrange(60, 200))
            out.append(
                Enrollment(
                    person=p,
                    protocol_code=code,
                    protocol_version=v.version,
                    protocol_sha256=v.sha256,
                    enrolled_on=enrolled_on,
                    schedule_from=enrolled_on if code == "cancer_survivorship" else None,
                    next_due_on=enrolled_on + timedelta(days=rng.choice((30, 90, 120))),
                )  # fmt: skip
            )
    return out


@transaction.atomic
def care_demo(seed: int, today: date) -> dict[str, int]:
    """Build the care demo at the flagship GP center. Returns counts of what was created."""
    rng = random.Random(seed * 7919 + 6)
    center = Organization.objects.filter(gp_mode="flagship").order_by("name").first()
    if center is None:
        return {}
    team = GpTeam.objects.create(id=uuid.UUID(int=rng.getrandbits(128)), center=center, name="王芳家庭医生团队")
    for username, role in (("gp", "gp"), ("health_manager", "health_manager")):
        user = User.objects.filter(username=username).first()
        if user is not None and getattr(user, "practitioner", None) is not None:
            # the health manager leads the center: the "contract lapsed" and "escalated" worklists are theirs
            GpTeamMember.objects.create(
                team=team, practitioner=user.practitioner, role=role, hours_per_week=40,
                center_lead=role == "health_manager",
            )  # fmt: skip
    nurse = Practitioner.objects.create(name="刘护士", title=Title.NURSE, home_organization=center)
    PractitionerRole.objects.create(practitioner=nurse, organization=center, role="nurse", valid_from=date(2020, 1, 1))
    GpTeamMember.objects.create(team=team, practitioner=nurse, role="nurse", hours_per_week=40)
    signer = User.objects.filter(username="gp").first()

    households = list(Household.objects.filter(registered_at=center).order_by("name", "pk"))
    contracts, members, events = [], [], []
    start = today - timedelta(days=rng.randrange(30, 300))
    for hh in households:
        s = start + timedelta(days=rng.randrange(0, 60))
        c = CareContract(
            household=hh,
            team=team,
            package=rng.choice(["basic", "basic", "personalised"]),
            start=s,
            end=services.add_years(s, 1) - timedelta(days=1),
            signed_by=signer,
        )
        contracts.append(c)
        events.append(ContractEvent(contract=c, kind="signed", to_status="active", by=signer, on=s))
    CareContract.objects.bulk_create(contracts, batch_size=500)
    ContractEvent.objects.bulk_create(events, batch_size=500)
    by_hh = {c.household_id: c for c in contracts}
    hm = list(HouseholdMember.objects.filter(household__in=households).select_related("person"))
    for m in hm:
        members.append(ContractMember(contract=by_hh[m.household_id], person=m.person, team=team))
    ContractMember.objects.bulk_create(members, batch_size=500)

    versions = {code: protocol_version(code) for code in ("hypertension", "diabetes_t2")}
    protocols = {code: load_protocol(code) for code in versions}
    enrollments, followups, suggestions = [], [], []
    for m in hm:
        p = m.person
        age = services.age_on(p, today)
        if age is None or age < 35:
            continue
        codes = [c for c, share in (("hypertension", 0.35), ("diabetes_t2", 0.12)) if rng.random() < share]
        for code in codes:
            enrolled_on = today - timedelta(days=rng.randrange(380, 720))
            due = enrolled_on + timedelta(days=14)
            e = Enrollment(
                person=p,
                protocol_code=code,
                protocol_version=versions[code].version,
                protocol_sha256=versions[code].sha256,
                enrolled_on=enrolled_on,
                next_due_on=due,
            )
            enrollments.append(e)
            control = rng.uniform(0.45, 0.9)
            # a year of follow-ups; one in six stops early (overdue), a few stopped over a year ago (lost)
            stop = today
            roll = rng.random()
            if roll < 0.04:
                stop = today - timedelta(days=rng.randrange(470, 560))
            elif roll < 0.2:
                stop = today - timedelta(days=rng.randrange(100, 200))
            day = max(enrolled_on + timedelta(days=7), today - timedelta(days=365))
            previous: list[dict[str, Any]] = []
            while day < stop:
                visit = _measure(rng, code, control)
                verdict = classify(protocols[code], {**visit, "age_years": age}, previous[:1])
                at = datetime.combine(day, time(9, rng.randrange(0, 60)), tzinfo=SHANGHAI)
                nxt = day + timedelta(days=verdict.next_due_in_days)
                fu = FollowUp(
                    enrollment=e,
                    person=p,
                    measured_at=at,
                    recorded_by=signer,
                    measurements=visit,
                    control_class="hypoglycaemia"
                    if services.is_hypoglycaemic(protocols[code], visit)
                    else verdict.control_class,
                    urgent=verdict.urgent,
                    fired_rules=[
                        {
                            "id": r.id,
                            "explanation_en": r.explanation.en,
                            "explanation_zh": r.explanation.zh,
                            "source_en": r.source_text.en,
                            "source_zh": r.source_text.zh,
                        }
                        for r in verdict.fired_rules
                    ],
                    actions=list(verdict.actions.codes()),
                    next_due_on=nxt,
                    was_due_on=due,
                    on_time=day <= due,
                    controlled=services.is_controlled(protocols[code], visit, age),
                    protocol_version=versions[code].version,
                    protocol_sha256=versions[code].sha256,
                )
                risk = services.try_risk(services.risk_inputs(p, visit, day, diabetes=code == "diabetes_t2"))
                if risk is not None:
                    fu.risk_percent, fu.risk_band = risk.risk_percent, risk.band.code
                followups.append(fu)
                if verdict.actions.refer_up or verdict.actions.urgent_referral:
                    suggestions.append(
                        ReferralSuggestion(
                            person=p,
                            followup=fu,
                            urgent=verdict.actions.urgent_referral,
                            rule_ids=list(verdict.fired_rule_ids),
                            reason=verdict.explanation_en,
                            due_on=services.suggestion_due_on(day, urgent=verdict.actions.urgent_referral),
                            specialty=services.suggested_specialty(
                                code, list(verdict.fired_rule_ids), urgent=verdict.actions.urgent_referral
                            ),
                        )
                    )
                previous = [visit]
                due = nxt
                day = nxt + timedelta(days=rng.randrange(-7, 10))
    enrollments += _other_programs(hm, enrollments, today, seed)
    Enrollment.objects.bulk_create(enrollments, batch_size=500)
    FollowUp.objects.bulk_create(followups, batch_size=500)
    ReferralSuggestion.objects.bulk_create(suggestions, batch_size=500)
    services.enrollments_recompute(queryset=Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]))
    return {
        "teams": 1,
        "contracts": len(contracts),
        "contracted_residents": len(members),
        "enrollments": len(enrollments),
        "followups": len(followups),
        "referral_suggestions": len(suggestions),
    }
