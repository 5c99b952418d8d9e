"""Issue 14 under concurrency (PostgreSQL): two people recording the same trainee's score in a course on the same
day store one score and the other is told (409); two recording the same attendance store one row."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from tests import factories as f
from tests.programs.factories import make_program, month_start
from tiercare.core.errors import Conflict
from tiercare.programs import services
from tiercare.programs.models import Attendance, TrainingScore

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(n: int, work: Any) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_the_same_score_recorded_twice_at_once_is_stored_once(cast):
    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner)
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr")
    nurse = f.PractitionerFactory(name="王护士", home_organization=cast.hospital_a, home_department=cast.dept_a)
    day = month_start(1) + timedelta(days=2)
    session = services.course_session_add(by=cast.ops, course=course, held_on=day, teacher="张")
    users = [cast.coordinator, cast.ops]

    errors = race(
        2, lambda i: services.score_record(by=users[i], course=course, trainee=nurse, score=70 + i, taken_on=day)
    )
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert TrainingScore.objects.filter(course=course, trainee=nurse).count() == 1

    errors = race(2, lambda i: services.attendance_record(by=users[i], session=session, trainees=[nurse]))
    assert not errors
    assert Attendance.objects.filter(session=session, trainee=nurse).count() == 1
