"""Issue 11, the gaps left after the first pass (hazard log H-10, H-11, H-11.1, H-11.4, H-11.5, H-16), each at its
threshold on both sides: a stale risk does not order the worklist and the page says it is stale; the dashboard's
blood-pressure control follows the age-specific target; the screening path's three readings fall within 2 weeks; a
referral made directly comes back to the team when it ends; urgent deadlines follow China's holidays and make-up
working days; the screening path and an alarm sign's re-check owe a follow-up that a worklist shows once overdue."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests import factories as f
from tests.care.factories import HTN_HIGH, HTN_OK, at, contract, enrol, followup, page_client, page_text, team_with

from tiercare.care import selectors, services
from tiercare.care.models import Enrollment, FollowUp, GpTeamMember, ReferralSuggestion
from tiercare.care.workdays import arrangement_published, is_working_day
from tiercare.core.errors import ValidationFailed
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.referrals.rules import Side
from tiercare.referrals.services import referral_create, referral_transition

LABEL = {"decline": "拒绝转诊", "cancel": "取消转诊", "expire": "逾期失效"}  # the outcome as the team reads it

pytestmark = pytest.mark.django_db

HTN_URGENT = {**HTN_OK, "sbp_mmhg": 182, "dbp_mmhg": 100}
RISKY = {**HTN_OK, "total_chol_mmol_l": 6.0, "hdl_mmol_l": 1.0, "waist_cm": 95, "smoker": True, "north": True,
         "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip


@pytest.fixture
def team(cast):
    t = team_with(cast.center_a, cast.gp, cast.health_manager)
    GpTeamMember.objects.filter(team=t, practitioner=cast.health_manager.practitioner).update(center_lead=True)
    return t


def _born(person, birth: date) -> None:
    Person.objects.filter(pk=person.pk).update(birth_date=birth)
    person.refresh_from_db()


# --- 1. a stale risk does not order the worklist; the page says it is stale -----------------------------------


def _with_risk(cast, person, on: date, risk: float) -> Enrollment:
    """``person`` in the hypertension program with one follow-up on ``on`` that computed a China-PAR risk (set to
    ``risk``), controlled, overdue since 20 May 2026 like every other row of the test."""
    e = enrol(cast.gp, person, on=date(2025, 1, 5))
    fu = followup(cast.gp, e, on, RISKY)
    assert fu.risk_percent is not None and fu.risk_equation == "china_par"
    FollowUp.objects.filter(pk=fu.pk).update(risk_percent=risk)
    Enrollment.objects.filter(pk=e.pk).update(
        risk_percent=risk, control_class="satisfactory", controlled=True, next_due_on=date(2026, 5, 20)
    )
    return e


@pytest.mark.parametrize(("computed", "birth", "stale"), [
    (date(2025, 6, 1), date(1960, 5, 1), False),  # 365 days before 1 June 2026: still used
    (date(2025, 5, 31), date(1960, 5, 1), True),  # 366 days: stale
    (date(2026, 5, 1), date(1951, 6, 2), False),  # 74 today: within China-PAR's 35-74
    (date(2026, 5, 1), date(1951, 6, 1), True),   # 75 today: outside the equation's range
])  # fmt: skip
def test_worklist_order_ignores_a_stale_risk_and_the_page_says_so(cast, team, computed, birth, stale):
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    fresh_p, other_p = f.PersonFactory(household=hh, birth_date=date(1960, 5, 1)), f.PersonFactory(household=hh)
    _born(other_p, birth)
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        services.contract_sign(by=cast.gp, household=hh, team=team, start=date(2025, 1, 1), end=date(2026, 12, 31))
        fresh = _with_risk(cast, fresh_p, date(2026, 5, 1), 20.0)
        other = _with_risk(cast, other_p, computed, 3.0)
        ids = [e.pk for e in selectors.worklist(team=team, kind="overdue", today=date(2026, 6, 1))]
        page = page_text(page_client(cast.gp).get(f"/care/teams/{team.pk}/worklists/overdue/"))
    # a usable 3% sorts below 20%; a stale one counts as no computed risk, which is never sorted below a known one
    assert ids == ([other.pk, fresh.pk] if stale else [fresh.pk, other.pk])
    row = page.split(f'id="row-{other.pk}"')[1].split("</tr>")[0]
    assert ("risk-stale" in row and "已过期，不予采用" in row) is stale
    assert "risk-stale" not in page.split(f'id="row-{fresh.pk}"')[1].split("</tr>")[0]


def test_the_database_window_agrees_with_risk_staleness_at_its_edges():
    from tiercare.care.risk import EQUATION_AGE_RANGES, risk_staleness, usable_risk_window

    today = date(2026, 6, 1)
    for equation in EQUATION_AGE_RANGES:
        w = usable_risk_window(equation=equation, today=today)
        for born in (w.born_after, w.born_on_or_before):
            for d in (-1, 0, 1):
                b = date.fromordinal(born.toordinal() + d)
                inside = w.born_after < b <= w.born_on_or_before
                age = services.age_on(Person(birth_date=b), today)
                assert (risk_staleness(equation=equation, computed_on=today, age_now=age, today=today) == "") is inside
        for computed in (w.computed_since, date.fromordinal(w.computed_since.toordinal() - 1)):
            age = services.age_on(Person(birth_date=w.born_on_or_before), today)
            usable = risk_staleness(equation=equation, computed_on=computed, age_now=age, today=today) == ""
            assert usable is (computed >= w.computed_since)


# --- 2. the dashboard's control rate follows the age-specific target -----------------------------------------


@pytest.mark.parametrize(("birth", "sbp", "controlled"), [
    (date(1961, 3, 2), 139, True),   # 64 on 1 March 2026: below 140/90
    (date(1961, 3, 2), 140, False),
    (date(1961, 3, 2), 145, False),
    (date(1961, 3, 1), 145, True),   # 65 that day: below 150/90 by default (NBPHS 2017, 3rd ed.)
    (date(1961, 3, 1), 149, True),
    (date(1961, 3, 1), 150, False),
])  # fmt: skip
def test_dashboard_control_rate_uses_the_age_specific_target(cast, team, birth, sbp, controlled):
    _born(cast.patient_person, birth)
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        fu = followup(cast.gp, e, date(2026, 3, 1), {**HTN_OK, "sbp_mmhg": sbp, "dbp_mmhg": 85})
        page = page_text(page_client(cast.gp).get("/care/dashboard/"))
    assert fu.controlled is controlled
    data = selectors.dashboard(teams=selectors.dashboard_teams(for_user=cast.gp), today=date(2026, 3, 2))
    assert data["bp_control_percent"] == (100.0 if controlled else 0.0)
    assert 'id="target-65"' in page and "150/90" in page


@pytest.mark.parametrize(("sbp", "dbp", "controlled"), [(139, 85, True), (140, 85, False), (139, 90, False)])
def test_a_center_that_decided_140_90_at_every_age_counts_by_it(cast, team, sbp, dbp, controlled):
    _born(cast.patient_person, date(1950, 1, 1))  # 76
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        services.protocol_variant_decide(
            by=cast.gp, center=cast.center_a, protocol_code="hypertension", variant="HTN-TARGET-65-150",
            enabled=False, reason="中心临床决定：统一 140/90",
        )  # fmt: skip
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        fu = followup(cast.gp, e, date(2026, 3, 1), {**HTN_OK, "sbp_mmhg": sbp, "dbp_mmhg": dbp})
    assert fu.controlled is controlled
    data = selectors.dashboard(teams=selectors.dashboard_teams(for_user=cast.gp), today=date(2026, 3, 2))
    assert data["bp_control_percent"] == (100.0 if controlled else 0.0)


# --- 3 and 8. the screening path: three readings within 2 weeks; the re-measurement is owed ----------------------

CVR_RAISED = {"sbp_mmhg": 146, "dbp_mmhg": 92, "ldl_mmol_l": 2.0, "smoker": False, "adverse_reaction": False,
              "new_ascvd_event": False}  # fmt: skip


@pytest.fixture
def cvr(cast, team):
    """The patient (born 1970) enrolled in the cardiovascular-risk program on 1 March 2026 by a China-PAR risk of
    10% or more computed at a hypertension follow-up."""
    _born(cast.patient_person, date(1970, 5, 1))
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team, start=date(2026, 1, 1))
        htn = enrol(cast.gp, cast.patient_person, on=date(2026, 1, 5))
        followup(cast.gp, htn, date(2026, 2, 1), {**RISKY, "sbp_mmhg": 150, "dbp_mmhg": 85})
        return services.enrollment_create(by=cast.gp, person=cast.patient_person, protocol_code="cardiovascular_risk",
                                          diagnosis_code="", enrolled_on=date(2026, 3, 1))  # fmt: skip


def _cvr(cast, e, day: date, m=None):
    with time_machine.travel(f"{day.isoformat()} 18:00 +0800", tick=False):
        return followup(cast.gp, e, day, m or CVR_RAISED)


@pytest.mark.parametrize(("third", "refer"), [(date(2026, 3, 16), True), (date(2026, 3, 17), False)])
def test_three_raised_readings_must_fall_within_2_weeks(cast, cvr, third, refer):
    """First raised reading on 2 March: the third on 16 March (day 14) refers for diagnosis, on 17 March (day 15)
    the first no longer counts and the path asks for another re-measurement."""
    _cvr(cast, cvr, date(2026, 3, 2))
    _cvr(cast, cvr, date(2026, 3, 9))
    fu = _cvr(cast, cvr, third)
    assert ("CVR-BP-SCREEN-REFER" in fu.fired_rule_ids) is refer
    assert ("CVR-BP-SCREEN-REMEASURE" in fu.fired_rule_ids) is not refer
    assert ReferralSuggestion.objects.filter(followup=fu).exists() is refer


@pytest.mark.parametrize(("earlier", "current", "refer"), [
    (["2026-03-02", "2026-03-02"], "2026-03-09", False),  # three readings, two days
    (["2026-03-09", "2026-03-02", "2026-03-02"], "2026-03-16", True),  # the third day, the first on day 14
    (["2026-03-09", "2026-03-01", "2026-03-01"], "2026-03-15", True),  # the first day, twice, on day 14: counts once
    (["2026-03-09", "2026-03-01", "2026-03-01"], "2026-03-16", False),  # day 15: the first day no longer counts
])  # fmt: skip
def test_readings_on_the_same_day_count_once_within_the_window(earlier, current, refer):
    from tiercare.care.protocols import classify, load_protocol

    cvr = load_protocol("cardiovascular_risk")
    c = classify(cvr, {**CVR_RAISED, "date": current}, [{**CVR_RAISED, "date": d} for d in earlier])
    assert ("CVR-BP-SCREEN-REFER" in c.fired_rule_ids) is refer
    assert ("CVR-BP-SCREEN-REMEASURE" in c.fired_rule_ids) is not refer


def test_a_second_reading_on_the_same_day_is_refused_naming_the_field(cast, cvr):
    _cvr(cast, cvr, date(2026, 3, 2))
    with time_machine.travel("2026-03-02 20:00 +0800", tick=False), pytest.raises(ValidationFailed) as info:
        services.followup_record(
            by=cast.gp, enrollment=cvr, person_id=cvr.person_id, measured_at=at(date(2026, 3, 2), 19),
            measurements=CVR_RAISED,
        )  # fmt: skip
    assert (info.value.code, info.value.details["field"]) == ("same_day", "measured_at")
    assert cvr.followups.count() == 1
    # the next day is another reading
    assert "CVR-BP-SCREEN-REMEASURE" in _cvr(cast, cvr, date(2026, 3, 3)).fired_rule_ids


@pytest.mark.parametrize(("today", "listed"), [(date(2026, 3, 16), False), (date(2026, 3, 17), True)])
def test_entering_the_screening_path_owes_a_remeasurement_shown_when_overdue(cast, team, cvr, today, listed):
    _cvr(cast, cvr, date(2026, 3, 2))
    cvr.refresh_from_db()
    assert (cvr.followup_owed_by, cvr.followup_owed_reason, cvr.next_due_on) == (
        date(2026, 3, 16),
        "screening",
        date(2026, 3, 16),
    )
    # a call outcome that defers the patient does not hide an owed screening
    Enrollment.objects.filter(pk=cvr.pk).update(remind_after=date(2026, 4, 15))
    services.enrollments_recompute(queryset=Enrollment.objects.filter(pk=cvr.pk))  # the nightly recompute keeps it
    ids = [e.pk for e in selectors.worklist(team=team, kind="screening", today=today)]
    assert ids == ([cvr.pk] if listed else [])
    if listed:
        with time_machine.travel(f"{today.isoformat()} 10:00 +0800", tick=False):
            page = page_text(page_client(cast.gp).get(f"/care/teams/{team.pk}/worklists/screening/"))
            assert cast.patient_person.name in page and "筛查或复查逾期" in page
            assert page_client(cast.gp_b).get(f"/care/teams/{team.pk}/worklists/screening/").status_code == 404


def test_the_remeasurement_filed_clears_what_was_owed(cast, cvr):
    _cvr(cast, cvr, date(2026, 3, 2))
    _cvr(cast, cvr, date(2026, 3, 6), {**CVR_RAISED, "sbp_mmhg": 128, "dbp_mmhg": 78})  # normal on re-measurement
    cvr.refresh_from_db()
    assert (cvr.followup_owed_by, cvr.followup_owed_reason) == (None, "")


def test_a_survivors_alarm_sign_owes_an_urgent_recheck_within_14_days(cast, team):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = services.enrollment_create(by=cast.gp, person=cast.patient_person, protocol_code="cancer_survivorship",
                                       diagnosis_code="C18.7", enrolled_on=date(2026, 1, 10))  # fmt: skip
        fu = followup(cast.gp, e, date(2026, 2, 20), {"suspected_recurrence": False, "treatment_side_effect": False,
                                                      "symptoms": ["rectal_bleeding"]})  # fmt: skip
    assert "CRC-URGENT-SIGN" in fu.fired_rule_ids
    e.refresh_from_db()
    assert (e.followup_owed_by, e.followup_owed_reason) == (date(2026, 3, 6), "urgent_recheck")
    assert not selectors.worklist(team=team, kind="screening", today=date(2026, 3, 6)).exists()
    assert [x.pk for x in selectors.worklist(team=team, kind="screening", today=date(2026, 3, 7))] == [e.pk]


# --- 4. a referral made directly comes back to the team when it ends ---------------------------------------------


@pytest.fixture
def direct(cast, team, dept):
    """A referral of the patient (in the hypertension program) made directly on the referrals side, not from a
    suggestion."""
    Consent.objects.create(person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=at(date(2026, 2, 1)))
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        ref = referral_create(by=cast.gp, person=cast.patient_person, receiving_department=dept,
                              reason="血压控制不佳", diagnosis_text="高血压").referral  # fmt: skip
    assert not ReferralSuggestion.objects.exists()
    return e, ref


@pytest.mark.parametrize(("action", "side", "who"), [
    ("decline", Side.RECEIVING, None), ("cancel", Side.REFERRING, "gp"), ("expire", Side.SYSTEM, None),
])  # fmt: skip
def test_a_direct_referral_that_ends_comes_back_to_the_teams_worklist(cast, team, direct, action, side, who):
    e, ref = direct
    with time_machine.travel("2026-03-03 10:00 +0800", tick=False):
        referral_transition(referral=ref, by=getattr(cast, who) if who else None, sides={side}, action=action,
                            reason="本院无床位")  # fmt: skip
        s = ReferralSuggestion.objects.get(referral=ref)
        assert (s.status, s.followup_id, s.return_reason) == ("open", None, f"{LABEL[action]}: 本院无床位")
        assert s.due_on == date(2026, 3, 17) and s.specialty == "cardiology"
        assert [x.pk for x in selectors.worklist(team=team, kind="suggestions", today=date(2026, 3, 3))] == [e.pk]
        page = page_text(page_client(cast.gp).get(f"/care/teams/{team.pk}/worklists/suggestions/"))
        assert 'id="returned-referrals"' in page and "本院无床位" in page
        person_page = page_text(page_client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/"))
        assert "本院无床位" in person_page and "直接转诊" in person_page
        # another team sees none of it
        assert page_client(cast.gp_b).get(f"/care/teams/{team.pk}/worklists/suggestions/").status_code == 404


def test_a_direct_referral_still_in_progress_is_not_on_the_worklist(cast, team, direct):
    _e, ref = direct
    with time_machine.travel("2026-03-03 10:00 +0800", tick=False):
        referral_transition(referral=ref, by=None, sides={Side.RECEIVING}, action="accept")
    assert not ReferralSuggestion.objects.exists()
    assert not selectors.returned_referrals(team=team).exists()


def test_a_returned_direct_referral_can_be_referred_again(cast, team, direct, dept):
    _e, ref = direct
    with time_machine.travel("2026-03-03 10:00 +0800", tick=False):
        referral_transition(referral=ref, by=None, sides={Side.RECEIVING}, action="decline", reason="本院无床位")
        s = ReferralSuggestion.objects.get(referral=ref)
        services.suggestion_refer(by=cast.gp, suggestion=s, receiving_department=dept, diagnosis_text="高血压")
    s.refresh_from_db()
    assert s.status == "taken" and s.referral_id != ref.pk and "本院无床位" in s.referral.reason


# --- 5. working days follow China's public holidays and make-up working days ---------------------------------------


@pytest.mark.parametrize(("made", "due"), [
    (date(2026, 9, 30), date(2026, 10, 8)),  # the day before National Day (1-7 Oct 2026): the first working day after
    (date(2026, 10, 9), date(2026, 10, 10)),  # Friday → Saturday 10 Oct 2026, a make-up working day (调休)
    (date(2026, 9, 19), date(2026, 9, 20)),  # Saturday → Sunday 20 Sep 2026, a make-up working day
    (date(2026, 10, 10), date(2026, 10, 12)),  # the make-up Saturday → Monday (Sunday is a rest day)
    (date(2025, 9, 30), date(2025, 10, 9)),  # 2025: National Day and Mid-Autumn, 1-8 Oct
    (date(2025, 10, 10), date(2025, 10, 11)),  # Saturday 11 Oct 2025 worked
    (date(2026, 2, 13), date(2026, 2, 14)),  # Spring Festival 2026: Saturday 14 Feb worked, 15-23 Feb off
    (date(2026, 2, 14), date(2026, 2, 24)),
])  # fmt: skip
def test_urgent_deadlines_follow_chinas_holidays_and_make_up_working_days(made, due):
    assert services.suggestion_due_on(made, urgent=True) == due


def test_an_urgent_suggestion_made_before_national_day_is_due_on_the_first_working_day_after_it(cast, team):
    with time_machine.travel("2026-09-30 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        fu = followup(cast.gp, e, date(2026, 9, 30), HTN_URGENT)
    s = ReferralSuggestion.objects.get(followup=fu)
    assert s.due_on == date(2026, 10, 8)
    assert services.suggestions_escalate(today=date(2026, 10, 8)) == 0  # not during the holiday, nor on the day
    assert services.suggestions_escalate(today=date(2026, 10, 9)) == 1


def test_the_calendar_data_says_which_years_are_entered_from_the_notice():
    assert arrangement_published(2025) and arrangement_published(2026) and not arrangement_published(2027)
    assert not is_working_day(date(2027, 2, 8)) and not is_working_day(date(2027, 10, 1))  # statutory days of 2027
    assert is_working_day(date(2026, 10, 10)) and not is_working_day(date(2026, 10, 7))


def test_routine_deadline_stays_14_calendar_days():
    assert services.suggestion_due_on(date(2026, 9, 24), urgent=False) == date(2026, 10, 8)


def test_the_unsatisfactory_twice_suggestion_is_not_urgent(cast, team):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        fu = followup(cast.gp, e, date(2026, 2, 15), HTN_HIGH)
    e.refresh_from_db()
    assert ReferralSuggestion.objects.get(followup=fu).urgent is False
    assert (e.followup_owed_by, e.followup_owed_reason) == (date(2026, 3, 1), "referral")
