"""Fixtures of the referral-suggestion tests (services and pages): a tertiary department, the patient's referral
consent, the patient in team A's hypertension program, and an open HTN-UNSAT-2X suggestion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from tests.care.factories import HTN_OK, contract, enrol, f, followup, team_with, two_unsatisfactory

from tiercare.people.models import Consent, ConsentScope


@pytest.fixture
def dept(cast):
    """A department at the cast's tertiary hospital (as tests/referrals' ``net`` fixture builds it)."""
    return f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")


@pytest.fixture
def consent(cast):
    return Consent.objects.create(
        person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
    )


@pytest.fixture
def e(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person)


@pytest.fixture
def suggestion(cast, e):
    """An open HTN-UNSAT-2X suggestion (unsatisfactory on 1 and 14 May), then a satisfactory visit on 28 May: the
    next follow-up is due on 26 August."""
    s = two_unsatisfactory(cast.gp, e, date(2026, 5, 1), date(2026, 5, 14))
    followup(cast.gp, e, date(2026, 5, 28), HTN_OK)
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)
    return s
