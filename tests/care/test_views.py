"""Care pages render for the right user, show the rule that fired, and refuse another team."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from tests.care.factories import HTN_HIGH, contract, enrol, followup, team_with

from tiercare.care.models import Enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def setup(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
    followup(cast.gp, e, date(2026, 2, 14), HTN_HIGH)
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=date(2026, 6, 1) - timedelta(days=3))
    return team, e


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_pages_for_the_team(cast, setup):
    team, e = setup
    c = _client(cast.gp)
    r = c.get(f"/care/teams/{team.pk}/worklists/overdue/")
    assert r.status_code == 200 and cast.patient_person.name in r.content.decode()
    r = c.get(f"/care/persons/{cast.patient_person.pk}/")
    assert r.status_code == 200 and "HTN-UNSAT-2X" in r.content.decode()
    r = c.get(f"/care/households/{cast.household_a.pk}/")
    assert r.status_code == 200 and cast.child_person.name in r.content.decode()
    assert c.get("/care/").status_code == 200
    assert c.get("/care/dashboard/").status_code == 200
    assert "chart-trend" in c.get(f"/care/dashboard/?team={team.pk}").content.decode()


def test_pages_refuse_another_team(cast, setup):
    team, e = setup
    c = _client(cast.gp_b)
    assert c.get(f"/care/teams/{team.pk}/worklists/overdue/").status_code == 404
    assert c.get(f"/care/persons/{cast.patient_person.pk}/").status_code == 404
    assert c.get(f"/care/households/{cast.household_a.pk}/").status_code == 404


def test_patient_sees_own_plan_and_next_visit(cast, setup):
    c = _client(cast.patient)
    r = c.get("/care/me/")
    assert r.status_code == 200 and "2026-05-29" in r.content.decode()
    assert c.get("/care/").status_code == 302
    assert c.get("/care/dashboard/").status_code == 403


def test_home_panel_shows_the_teams_overdue_count_and_the_patients_next_visit(cast, setup):
    team, e = setup
    body = _client(cast.gp).get("/").content.decode()
    assert team.name in body and f"/care/teams/{team.pk}/worklists/overdue/" in body
    body = _client(cast.patient).get("/").content.decode()
    assert "2026-05-29" in body and "/care/me/" in body
