"""Issue 14 under concurrency (PostgreSQL): two people recording the same trainee's score in a course on the same
day store one score and the other is told (409); two recording the same attendance store one row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.concurrency import race_errors
from tests.programs.factories import make_program, month_start
from tiercare.core.errors import Conflict
from tiercare.programs import services
from tiercare.programs.models import Attendance, TrainingScore

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_same_score_recorded_twice_at_once_is_stored_once(cast):
    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner)
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr")
    nurse = f.PractitionerFactory(name="王护士", home_organization=cast.hospital_a, home_department=cast.dept_a)
    day = month_start(1) + timedelta(days=2)
    session = services.course_session_add(by=cast.ops, course=course, held_on=day, teacher="张")
    users = [cast.coordinator, cast.ops]

    errors = race_errors(
        2, lambda i: services.score_record(by=users[i], course=course, trainee=nurse, score=70 + i, taken_on=day)
    )
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert TrainingScore.objects.filter(course=course, trainee=nurse).count() == 1

    errors = race_errors(2, lambda i: services.attendance_record(by=users[i], session=session, trainees=[nurse]))
    assert not errors
    assert Attendance.objects.filter(session=session, trainee=nurse).count() == 1
