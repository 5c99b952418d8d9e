"""Races the database settles (PostgreSQL): one active team per resident when two teams sign at once; one
follow-up classified against the right previous one when two are filed at once."""

from __future__ import annotations

from datetime import date

import pytest
from tests import factories as f
from tests.care.factories import HTN_HIGH, HTN_OK, at, contract, enrol, followup, team_with
from tests.concurrency import race_outcomes

from tiercare.care import services
from tiercare.care.models import ContractMember, Enrollment, FollowUp
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(*calls):
    return race_outcomes(*calls, refused=(Conflict, ValidationFailed))


def test_two_teams_signing_one_household_at_once_yield_one_contract(cast):
    gp2 = f.staff_user(Role.GP, cast.center_a, username="gp2")
    a = team_with(cast.center_a, cast.gp, name="A组")
    b = team_with(cast.center_a, gp2, name="B组")

    def sign(user, team):
        return lambda: services.contract_sign(
            by=user, household=cast.household_a, team=team, start=date(2026, 1, 1), end=date(2026, 12, 31)
        )

    assert _race(sign(cast.gp, a), sign(gp2, b)) == ["ok", "refused"]
    assert ContractMember.objects.filter(person=cast.patient_person, active=True).count() == 1


def test_two_followups_filed_at_once_are_serialised(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)

    def file(user, day):
        return lambda: services.followup_record(
            by=user, enrollment=e, person_id=e.person_id, measured_at=at(day), measurements=HTN_HIGH
        )

    _race(file(cast.gp, date(2026, 2, 1)), file(cast.health_manager, date(2026, 2, 14)))
    rows = list(FollowUp.objects.order_by("measured_at"))
    # the later one was classified knowing the earlier one, or the earlier one was refused as out of order
    if len(rows) == 2:
        assert "HTN-UNSAT-2X" in rows[1].fired_rule_ids
    else:
        assert len(rows) == 1


def test_recompute_on_two_connections_gives_what_one_gives(cast):
    """The nightly recompute shares its batches between threads, each on its own connection: the derived state
    must come out exactly as a one-connection run leaves it (batches of 2 over 7 enrolments: 4 batches)."""
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    people = [f.PersonFactory(household=hh, birth_date=date(1962, 1, 1)) for _ in range(7)]
    contract(cast.gp, hh, team)
    risk = {"total_chol_mmol_l": 5.2, "hdl_mmol_l": 1.3, "waist_cm": 88, "smoker": False, "north": True,
            "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip
    for i, p in enumerate(people):
        e = enrol(cast.gp, p)
        for k in range(i % 3 + 1):
            followup(cast.gp, e, date(2026, 2, 1 + 7 * k), {**(HTN_HIGH if (i + k) % 2 else HTN_OK), **risk})
    fields = ("next_due_on", "control_class", "controlled", "last_followup_on", "risk_percent",
              "previous_risk_percent", "risk_rose")  # fmt: skip
    scrambled = {"next_due_on": date(2000, 1, 1), "control_class": "", "controlled": None, "last_followup_on": None,
                 "risk_percent": None, "previous_risk_percent": None, "risk_rose": False}  # fmt: skip

    def state():
        return {e.pk: tuple(getattr(e, k) for k in fields) for e in Enrollment.objects.all()}

    Enrollment.objects.update(**scrambled)
    assert services.enrollments_recompute(batch_size=2, workers=1) == 7
    expected = state()
    assert all(v[0] != date(2000, 1, 1) and v[4] is not None for v in expected.values())
    assert any(v[5] is not None for v in expected.values())  # some have a previous risk to compare with
    Enrollment.objects.update(**scrambled)
    assert services.enrollments_recompute(batch_size=2, workers=2) == 7
    assert state() == expected
