"""Follow-ups: the protocol classifies at save, quotes the rule that fired, sets the next due date; second
consecutive unsatisfactory → referral suggestion + 2-week re-follow; urgent → urgent suggestion; impossible values
and the wrong person refused; protocol version stored; void recomputes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from tests.care.factories import HTN_HIGH, HTN_OK, at, contract, enrol, followup, team_with

from tiercare.care import services
from tiercare.care.models import FollowUp, ReferralSuggestion
from tiercare.care.protocols import protocol_version
from tiercare.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def e(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person)


def test_satisfactory_sets_routine_interval_and_quotes_the_rule(cast, e):
    fu = followup(cast.gp, e, date(2026, 2, 1))
    assert fu.control_class == "satisfactory"
    assert fu.fired_rule_ids[0] == "HTN-SATISFACTORY"
    assert fu.fired_rules[0]["source_zh"] and fu.fired_rules[0]["explanation_en"]
    assert fu.next_due_on == date(2026, 2, 1) + timedelta(days=90)
    e.refresh_from_db()
    assert (e.next_due_on, e.control_class, e.controlled) == (fu.next_due_on, "satisfactory", True)
    v = protocol_version("hypertension")
    assert (fu.protocol_version, fu.protocol_sha256) == (v.version, v.sha256)


@pytest.mark.parametrize(
    ("birth", "sbp", "dbp", "klass"),
    [
        (date(1970, 5, 1), 139, 89, "satisfactory"),
        (date(1970, 5, 1), 140, 89, "unsatisfactory"),
        (date(1970, 5, 1), 139, 90, "unsatisfactory"),
        (date(1970, 5, 1), 141, 91, "unsatisfactory"),
        # 65 or more (born 1960, 65 on 1 May 2025): the 3rd edition's target, below 150/90
        (date(1960, 5, 1), 149, 89, "satisfactory"),
        (date(1960, 5, 1), 150, 89, "unsatisfactory"),
        (date(1960, 5, 1), 140, 90, "unsatisfactory"),
    ],
)
def test_control_threshold_is_below_140_90_and_150_90_from_65(cast, e, birth, sbp, dbp, klass):
    type(cast.patient_person).objects.filter(pk=cast.patient_person.pk).update(birth_date=birth)
    e.person.refresh_from_db()
    fu = followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": sbp, "dbp_mmhg": dbp})
    assert fu.control_class == klass


def test_two_unsatisfactory_at_65_or_more_still_refer_up_under_the_age_target(cast, e):
    """The earlier follow-up is judged with the age on its day, so HTN-UNSAT-2X fires under the 150/90 target."""
    followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": 150, "dbp_mmhg": 85})
    fu = followup(cast.gp, e, date(2026, 2, 14), {**HTN_OK, "sbp_mmhg": 152, "dbp_mmhg": 85})
    assert "HTN-UNSAT-2X" in fu.fired_rule_ids and fu.referral_suggestion.rule_ids == fu.fired_rule_ids
    fu3 = followup(cast.gp, e, date(2026, 3, 1), {**HTN_OK, "sbp_mmhg": 149, "dbp_mmhg": 85})
    assert fu3.control_class == "satisfactory"


def test_second_consecutive_unsatisfactory_suggests_referral_and_2_week_refollow(cast, e):
    first = followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
    assert first.fired_rule_ids == ["HTN-UNSAT-1ST"] or "HTN-UNSAT-1ST" in first.fired_rule_ids
    assert first.next_due_on == date(2026, 2, 15)
    assert not ReferralSuggestion.objects.exists()
    second = followup(cast.gp, e, date(2026, 2, 14), HTN_HIGH)
    assert "HTN-UNSAT-2X" in second.fired_rule_ids
    assert "refer_up" in second.actions
    assert second.next_due_on == date(2026, 2, 28)
    s = ReferralSuggestion.objects.get()
    assert s.followup == second and not s.urgent and "HTN-UNSAT-2X" in s.rule_ids and s.person == cast.patient_person


@pytest.mark.parametrize("sbp", [180, 181])
def test_urgent_threshold_suggests_urgent_referral(cast, e, sbp):
    fu = followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": sbp, "dbp_mmhg": 100})
    assert fu.urgent and "HTN-URGENT-SBP" in fu.fired_rule_ids
    assert ReferralSuggestion.objects.get().urgent


def test_just_below_urgent_threshold_is_not_urgent(cast, e):
    fu = followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": 179, "dbp_mmhg": 100})
    assert not fu.urgent and not ReferralSuggestion.objects.filter(urgent=True).exists()


def test_impossible_value_is_refused_naming_the_field(cast, e):
    with pytest.raises(ValidationFailed) as exc:
        followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": 900})
    assert exc.value.details["field"] == "sbp_mmhg" and exc.value.status == 422
    assert not FollowUp.objects.exists()


def test_missing_required_item_is_refused_naming_it(cast, e):
    with pytest.raises(ValidationFailed) as exc:
        followup(cast.gp, e, date(2026, 2, 1), {"sbp_mmhg": 130, "adverse_reaction": False,
                                                 "new_or_worse_complication": False})  # fmt: skip
    assert exc.value.details["field"] == "dbp_mmhg"


def test_a_reading_is_not_filed_against_another_person(cast, e):
    with pytest.raises(ValidationFailed) as exc:
        services.followup_record(
            by=cast.gp, enrollment=e, person_id=cast.child_person.pk, measured_at=at(date(2026, 2, 1)),
            measurements=HTN_OK,
        )  # fmt: skip
    assert exc.value.details["field"] == "person_id" and exc.value.code == "wrong_person"
    assert not FollowUp.objects.exists()


def test_measured_at_in_the_future_or_out_of_order_is_refused(cast, e):
    with pytest.raises(ValidationFailed) as exc:
        followup(cast.gp, e, date(2026, 6, 2))
    assert exc.value.details["field"] == "measured_at"
    followup(cast.gp, e, date(2026, 3, 1))
    with pytest.raises(ValidationFailed):
        followup(cast.gp, e, date(2026, 2, 1))


def test_another_team_cannot_file(cast, e):
    with pytest.raises(Forbidden):
        followup(cast.gp_b, e, date(2026, 2, 1))


def test_void_recomputes_the_enrolment_from_the_remaining_followups(cast, e):
    ok = followup(cast.gp, e, date(2026, 2, 1))
    bad = followup(cast.gp, e, date(2026, 3, 1), HTN_HIGH)
    e.refresh_from_db()
    assert e.control_class == "unsatisfactory"
    services.followup_void(by=cast.gp, followup=bad, reason="filed against the wrong person")
    e.refresh_from_db()
    bad.refresh_from_db()
    assert bad.voided_at is not None and bad.void_reason
    assert (e.control_class, e.next_due_on) == ("satisfactory", ok.next_due_on)


def test_risk_is_stored_when_the_followup_has_the_inputs(cast, e):
    m = {**HTN_OK, "total_chol_mmol_l": 5.2, "hdl_mmol_l": 1.3, "waist_cm": 88, "smoker": False, "north": True,
         "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip
    fu = followup(cast.gp, e, date(2026, 2, 1), m)
    assert fu.risk_percent is not None and fu.risk_band in ("low", "medium", "high")
    fu2 = followup(cast.gp, e, date(2026, 3, 1), {**m, "sbp_mmhg": 150, "dbp_mmhg": 85, "smoker": True})
    e.refresh_from_db()
    assert e.risk_percent == fu2.risk_percent and e.previous_risk_percent == fu.risk_percent and e.risk_rose
