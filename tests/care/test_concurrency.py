"""Races the database settles (PostgreSQL): one active team per resident when two teams sign at once; one
follow-up classified against the right previous one when two are filed at once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection
from tests import factories as f
from tests.care.factories import HTN_HIGH, at, contract, enrol, team_with

from tiercare.care import services
from tiercare.care.models import ContractMember, FollowUp
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(fn):
        try:
            barrier.wait(timeout=10)
            fn()
            outcomes.append("ok")
        except (Conflict, ValidationFailed):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


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
