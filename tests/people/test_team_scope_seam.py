"""People narrows a GP's households to their team's through the scope that the care app registers at start-up
(ADR 0005), never by importing care; with nothing registered, a GP's or health manager's read is refused with a
clear configuration error instead of showing every household of the center."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tiercare.care.scope import household_team_q
from tiercare.people.models import Person
from tiercare.people.selectors import household_scope_q, person_scope_q
from tiercare.people.team_scope import register_team_scope, team_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_team_scope():
    previous = register_team_scope(None)
    yield
    register_team_scope(previous)


def test_the_care_app_registers_its_team_scope_at_start_up():
    assert team_scope() is household_team_q


@pytest.mark.parametrize("who", ["gp", "health_manager"])
def test_without_a_team_scope_a_team_role_is_refused_not_shown_the_whole_center(cast, who, no_team_scope):
    with pytest.raises(ImproperlyConfigured, match="tiercare.care"):
        household_scope_q(getattr(cast, who))
    with pytest.raises(ImproperlyConfigured, match="tiercare.care"):
        person_scope_q(getattr(cast, who))


def test_a_patient_does_not_need_the_team_scope(cast, no_team_scope):
    seen = set(Person.objects.filter(person_scope_q(cast.patient)))
    assert seen == {cast.patient_person, cast.child_person}
