"""Query counts of care's main lists and pages, pinned (STYLE.md: ``django_assert_num_queries``): a GP's patients,
a team's worklist and a patient's plan cost the same number of queries for N rows as for 2N, so an N+1 cannot come
back unnoticed. A changed count is a change to look at: when it is intended, pin the new number here."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from tests import factories as f
from tests.care.factories import HTN_HIGH, contract, enrol, followup, page_client, team_with

from tiercare.care import services
from tiercare.care.models import Enrollment

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def add_patients(cast, team, n):
    """``n`` residents of a new household contracted with ``team``, each in the hypertension program with two
    uncontrolled visits (an open referral suggestion) and now overdue."""
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    people = [f.PersonFactory(household=hh, birth_date=date(1962, 1, 1)) for _ in range(n)]
    contract(cast.gp, hh, team)
    for p in people:
        e = enrol(cast.gp, p)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        followup(cast.gp, e, date(2026, 2, 14), HTN_HIGH)
        Enrollment.objects.filter(pk=e.pk).update(next_due_on=TODAY - timedelta(days=3))
    return people


# --- a GP's patients ---------------------------------------------------------------------------------------------

PATIENTS_API = 4


def test_patients_api(cast, team, api, django_assert_num_queries):
    client = api(cast.gp)
    add_patients(cast, team, 2)
    with django_assert_num_queries(PATIENTS_API):
        status, body = client.get("care/persons", {"limit": 50})
    assert status == 200 and body["count"] == 2
    add_patients(cast, team, 2)
    with django_assert_num_queries(PATIENTS_API):
        status, body = client.get("care/persons", {"limit": 50})
    assert status == 200 and body["count"] == 4


# --- a team's worklist -------------------------------------------------------------------------------------------

WORKLIST_PAGE = {"overdue": 7, "suggestions": 8}
WORKLIST_API = 8


@pytest.mark.parametrize("kind", ["overdue", "suggestions"])
def test_worklist_page(cast, team, kind, django_assert_num_queries):
    client = page_client(cast.gp)
    url = f"/care/teams/{team.pk}/worklists/{kind}/"
    add_patients(cast, team, 2)
    with django_assert_num_queries(WORKLIST_PAGE[kind]):
        r = client.get(url)
    assert r.status_code == 200 and len(r.context["rows"]) == 2
    add_patients(cast, team, 2)
    with django_assert_num_queries(WORKLIST_PAGE[kind]):
        r = client.get(url)
    assert r.status_code == 200 and len(r.context["rows"]) == 4


def test_worklist_api(cast, team, api, django_assert_num_queries):
    client = api(cast.gp)
    path = f"care/teams/{team.pk}/worklists/overdue"
    add_patients(cast, team, 2)
    with django_assert_num_queries(WORKLIST_API):
        status, body = client.get(path, {"limit": 50})
    assert status == 200 and body["count"] == 2
    add_patients(cast, team, 2)
    with django_assert_num_queries(WORKLIST_API):
        status, body = client.get(path, {"limit": 50})
    assert status == 200 and body["count"] == 4


# --- a patient's plan ------------------------------------------------------------------------------------------

PLAN_PAGE = 9
PLAN_API = 7


def add_care(cast, person, code, visits):
    """``person`` enrolled in ``code`` with ``visits`` uncontrolled visits, and a medicine."""
    e = enrol(cast.gp, person, code)
    m = HTN_HIGH if code == "hypertension" else {**HTN_HIGH, "fasting_glucose_mmol_l": 9.5}
    for i in range(visits):
        followup(cast.gp, e, date(2026, 2, 1) + timedelta(days=14 * i), m)
    services.medication_prescribe(
        by=cast.gp, person=person, drug_name=f"药{code}", supply_days=28, prescribed_on=date(2026, 5, 1)
    )


def test_plan_page(cast, team, django_assert_num_queries):
    contract(cast.gp, cast.household_a, team)
    client = page_client(cast.gp)
    url = f"/care/persons/{cast.patient_person.pk}/"
    add_care(cast, cast.patient_person, "hypertension", 2)
    with django_assert_num_queries(PLAN_PAGE):
        r = client.get(url)
    assert r.status_code == 200 and len(r.context["plan"]["enrollments"]) == 1
    suggestions = len(r.context["open_suggestions"])
    assert suggestions >= 1
    add_care(cast, cast.patient_person, "diabetes_t2", 3)
    with django_assert_num_queries(PLAN_PAGE):
        r = client.get(url)
    assert r.status_code == 200 and len(r.context["plan"]["enrollments"]) == 2
    assert len(r.context["plan"]["recent_followups"]) == 5 and len(r.context["open_suggestions"]) > suggestions


def test_plan_api(cast, team, api, django_assert_num_queries):
    contract(cast.gp, cast.household_a, team)
    client = api(cast.gp)
    path = f"care/persons/{cast.patient_person.pk}/plan"
    add_care(cast, cast.patient_person, "hypertension", 2)
    with django_assert_num_queries(PLAN_API):
        status, body = client.get(path)
    assert status == 200 and len(body["enrollments"]) == 1
    add_care(cast, cast.patient_person, "diabetes_t2", 3)
    with django_assert_num_queries(PLAN_API):
        status, body = client.get(path)
    assert status == 200 and len(body["enrollments"]) == 2 and len(body["recent_followups"]) == 5
