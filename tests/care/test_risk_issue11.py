"""Issue 11, item 10: a stored risk carries its date, equation and inputs; a risk older than 12 months, or computed
at an age now outside the equation's range, is not used for eligibility and the page says it is stale; an enrolled
diabetic counts as diabetic in China-PAR whatever the follow-up's own flag says."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests.care.factories import HTN_OK, contract, enrol, followup, page_client, page_text, team_with

from tiercare.care import services
from tiercare.care.risk import risk_staleness
from tiercare.core.errors import ValidationFailed
from tiercare.people.models import Person

pytestmark = pytest.mark.django_db

RISKY = {**HTN_OK, "sbp_mmhg": 150, "dbp_mmhg": 85, "total_chol_mmol_l": 6.0, "hdl_mmol_l": 1.0, "waist_cm": 95,
         "smoker": True, "north": True, "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip


@pytest.fixture
def htn(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team, start=date(2025, 1, 1))
    Person.objects.filter(pk=cast.patient_person.pk).update(birth_date=date(1970, 5, 1))
    cast.patient_person.refresh_from_db()
    return enrol(cast.gp, cast.patient_person, "hypertension", on=date(2025, 1, 5))


def _enrol_cvr(cast, on: date):
    return services.enrollment_create(
        by=cast.gp, person=cast.patient_person, protocol_code="cardiovascular_risk", diagnosis_code="", enrolled_on=on
    )


def test_the_stored_risk_carries_its_equation_and_inputs(cast, htn):
    with time_machine.travel("2025-03-01 10:00 +0800", tick=False):
        fu = followup(cast.gp, htn, date(2025, 2, 1), RISKY)
    assert fu.risk_percent is not None and fu.risk_equation == "china_par"
    assert fu.risk_inputs["sbp_mmhg"] == 150 and fu.risk_inputs["age_years"] == 54 and fu.risk_inputs["sex"]


@pytest.mark.parametrize(("enrol_on", "eligible"), [(date(2026, 2, 1), True), (date(2026, 2, 2), False)])
def test_a_risk_older_than_12_months_is_not_used_for_eligibility(cast, htn, enrol_on, eligible):
    with time_machine.travel("2025-03-01 10:00 +0800", tick=False):
        followup(cast.gp, htn, date(2025, 2, 1), RISKY)
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        if eligible:
            assert _enrol_cvr(cast, enrol_on).protocol_code == "cardiovascular_risk"
        else:
            with pytest.raises(ValidationFailed) as info:
                _enrol_cvr(cast, enrol_on)
            assert info.value.code == "not_eligible"


def test_a_risk_computed_at_an_age_now_outside_the_equation_is_stale():
    assert risk_staleness(equation="china_par", computed_on=date(2026, 1, 1), age_now=74, today=date(2026, 6, 1)) == ""
    assert (
        risk_staleness(equation="china_par", computed_on=date(2026, 1, 1), age_now=75, today=date(2026, 6, 1))
        == "age_outside_equation"
    )
    assert (
        risk_staleness(equation="china_par", computed_on=date(2025, 5, 31), age_now=60, today=date(2026, 6, 1))
        == "older_than_12_months"
    )


def test_the_page_says_a_stale_risk_is_not_used(cast, htn):
    with time_machine.travel("2025-03-01 10:00 +0800", tick=False):
        followup(cast.gp, htn, date(2025, 2, 1), RISKY)
        body = page_text(page_client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/"))
        assert "risk-stale" not in body
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        body = page_text(page_client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/"))
        assert "risk-stale" in body and "已过期，不予采用" in body


def test_an_enrolled_diabetic_counts_as_diabetic_even_when_the_followup_says_otherwise(cast, htn):
    person = cast.patient_person
    for flag in ({}, {"diabetes": None}, {"diabetes": False}):
        data = services.risk_inputs(person, {**RISKY, **flag}, date(2026, 1, 1), diabetes=True)
        assert data["diabetes"] is True
    assert services.risk_inputs(person, RISKY, date(2026, 1, 1), diabetes=False)["diabetes"] is False
