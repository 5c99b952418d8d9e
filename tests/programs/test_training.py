"""Issue 14, training: courses on the department's curriculum (三基三严 and the specialty's procedures), their
sessions (linked to the outreach teaching session where the expert taught), the staff's attendance and scores
against a pass mark, a trainee's record (attended, passed, owed), the completion rate as a KPI feeding the program,
and a certificate PDF for a passed assessment. Coordinators of another hospital get 404, audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.outreach.factories import make_session
from tests.pdf import pdf_embedded_fonts, pdf_text
from tests.programs.factories import month_start
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.network.models import PractitionerRole
from tiercare.programs import selectors, services
from tiercare.programs.definitions import curriculum
from tiercare.programs.models import Attendance, Course, CourseSession, TrainingScore

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def staff(cast: Any) -> list[Any]:
    """Two nurses of hospital A's pediatric department (one by home department, one by a role in it)."""
    a = f.PractitionerFactory(name="王护士", home_organization=cast.hospital_a, home_department=cast.dept_a)
    b = f.PractitionerFactory(name="李医生", home_organization=cast.hospital_a)
    PractitionerRole.objects.create(
        practitioner=b, organization=cast.hospital_a, department=cast.dept_a, role="physician"
    )
    return [a, b]


def test_the_curriculum_is_the_core_skills_then_the_specialtys_own():
    items = curriculum("neonatology")
    assert [i.core for i in items][:6] == [True] * 6
    assert "neo_resuscitation" in [i.code for i in items if not i.core]
    assert "neo_resuscitation" not in [i.code for i in curriculum("pediatrics")]


def test_a_course_must_be_on_the_curriculum_and_only_plan_editors_add_one(cast, program):
    with pytest.raises(ValidationFailed) as exc:
        services.course_add(by=cast.ops, program=program, curriculum_item="neo_resuscitation")
    assert exc.value.details == {"field": "curriculum_item"}
    with pytest.raises(Forbidden):
        services.course_add(by=cast.coordinator, program=program, curriculum_item="core_cpr")
    course = services.course_add(by=cast.expert, program=program, curriculum_item="core_cpr", pass_mark=80)
    assert course.title == "三基：心肺复苏" and course.pass_mark == Decimal("80.00")
    with pytest.raises(Conflict):
        services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr")


def test_attendance_and_scores_make_the_record_and_the_completion_kpi(cast, program, staff):
    nurse, doctor = staff
    cpr = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr", pass_mark=80)
    airway = services.course_add(by=cast.ops, program=program, curriculum_item="ped_airway")
    day = month_start(1) + timedelta(days=4)
    teaching = make_session(cast.expert_practitioner, cast.dept_a, on=day, kind="teaching")
    session = services.course_session_add(
        by=cast.coordinator, course=cpr, held_on=day, teacher="张专家", outreach_session=teaching
    )
    services.attendance_record(by=cast.coordinator, session=session, trainees=[nurse, doctor])
    services.attendance_record(by=cast.coordinator, session=session, trainees=[nurse])  # twice: one row
    assert Attendance.objects.filter(session=session).count() == 2
    # exactly at the pass mark passes; one below does not
    assert services.score_record(by=cast.coordinator, course=cpr, trainee=nurse, score=80, taken_on=day).passed
    low = services.score_record(by=cast.coordinator, course=cpr, trainee=doctor, score="79.5", taken_on=day)
    assert not low.passed
    record = {r.course.pk: r for r in selectors.trainee_record(program, nurse)}
    assert (record[cpr.pk].attended, record[cpr.pk].held, record[cpr.pk].passed) == (1, 1, True)
    assert record[airway.pk].owed and record[airway.pk].best is None
    # 1 pass of 2 staff × 2 courses
    assert selectors.training_completion(program) == Decimal("25.0")
    series = {s.kpi.code: s for s in selectors.kpi_series(program, until=timezone.localdate())}
    assert "training_completion" not in series  # only when the program names the KPI
    program.kpi_codes = [*program.kpi_codes, "training_completion"]
    program.save(update_fields=["kpi_codes"])
    point = next(
        p for p in selectors.kpi_series(program, until=timezone.localdate())[-1].points if p.month == month_start(1)
    )
    assert (point.actual, point.source) == (Decimal("25.0"), "training")
    assert AuditEvent.objects.filter(object_type="programs.trainingscore", action="create").count() == 2


def test_refusals_name_their_field(cast, program, staff):
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr")
    stranger = f.PractitionerFactory(name="外院医生", home_organization=cast.hospital_b)
    day = month_start(1) + timedelta(days=2)
    with pytest.raises(ValidationFailed) as exc:
        services.score_record(by=cast.coordinator, course=course, trainee=stranger, score=90, taken_on=day)
    assert exc.value.details == {"field": "trainee"}
    with pytest.raises(ValidationFailed) as exc:
        services.score_record(by=cast.coordinator, course=course, trainee=staff[0], score=101, taken_on=day)
    assert exc.value.details == {"field": "score"}
    other = f.DepartmentFactory(organization=cast.hospital_a, name="外科", specialty="surgery")
    elsewhere = make_session(cast.expert_practitioner, other, on=day, kind="teaching")
    with pytest.raises(ValidationFailed) as exc:
        services.course_session_add(
            by=cast.coordinator, course=course, held_on=day, teacher="张", outreach_session=elsewhere
        )
    assert exc.value.details == {"field": "outreach_session"}
    with pytest.raises(ValidationFailed):
        services.course_session_add(
            by=cast.coordinator, course=course, held_on=program.start - timedelta(1), teacher="张"
        )
    with pytest.raises(Forbidden):
        services.course_session_add(by=cast.outsider, course=course, held_on=day, teacher="张")


def test_the_coordinator_records_on_the_page_and_the_trainee_record_shows_it(cast, program, staff):
    nurse = staff[0]
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr", pass_mark=60)
    day = (month_start(1) + timedelta(days=3)).isoformat()
    url = f"/programs/{program.pk}/training/"
    client = _client(cast.coordinator)
    assert client.get(url).status_code == 200
    r = client.post(url, {"action": "session", "s-course": str(course.pk), "s-held_on": day, "s-teacher": "张专家"})
    assert r.status_code == 302
    session = CourseSession.objects.get()
    r = client.post(url, {"action": "attendance", "a-session": str(session.pk), "a-trainees": [str(nurse.pk)]})
    assert r.status_code == 302
    bad = client.post(
        url,
        {
            "action": "score",
            "x-course": str(course.pk),
            "x-trainee": str(nurse.pk),
            "x-score": "120",
            "x-taken_on": day,
        },
    )
    assert bad.status_code == 422 and 'value="120"' in bad.content.decode()
    assert 'id="id_x-score-error"' in bad.content.decode()
    r = client.post(
        url,
        {"action": "score", "x-course": str(course.pk), "x-trainee": str(nurse.pk), "x-score": "88", "x-taken_on": day},
    )
    assert r.status_code == 302
    assert (
        client.post(url, {"action": "course", "c-curriculum_item": "core_theory", "c-pass_mark": "60"}).status_code
        == 403
    )
    page = client.get(f"/programs/{program.pk}/training/{nurse.pk}/").content.decode()
    assert "1 / 1" in page and "88.00" in page and "通过" in page
    score = TrainingScore.objects.get()
    pdf = client.get(f"/programs/{program.pk}/training/scores/{score.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "王护士" in text and "三基：心肺复苏" in text and "88.00" in text and "甲县人民医院" in text
    assert pdf_embedded_fonts(pdf.content)


def test_a_failed_score_has_no_certificate_and_outsiders_get_404_audited(cast, program, staff, director):
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr", pass_mark=60)
    day = month_start(1) + timedelta(days=3)
    low = services.score_record(by=cast.coordinator, course=course, trainee=staff[0], score=40, taken_on=day)
    assert (
        _client(cast.coordinator).get(f"/programs/{program.pk}/training/scores/{low.pk}/certificate.pdf").status_code
        == 404
    )
    # the director reads the training, records nothing
    d = _client(director)
    assert d.get(f"/programs/{program.pk}/training/").status_code == 200
    assert d.post(f"/programs/{program.pk}/training/", {"action": "score"}).status_code == 403
    out = _client(cast.outsider)
    for url in (
        f"/programs/{program.pk}/training/",
        f"/programs/{program.pk}/training/{staff[0].pk}/",
        f"/programs/{program.pk}/training/scores/{low.pk}/certificate.pdf",
    ):
        assert out.get(url).status_code == 404
    assert out.post(f"/programs/{program.pk}/training/", {"action": "score"}).status_code == 404
    assert AuditEvent.objects.filter(actor=cast.outsider, action="denied", object_id=str(program.pk)).count() == 4
    # a practitioner not on the department's staff has no record here
    stranger = f.PractitionerFactory(name="外院医生", home_organization=cast.hospital_b)
    assert _client(cast.coordinator).get(f"/programs/{program.pk}/training/{stranger.pk}/").status_code == 404
    assert Course.objects.count() == 1
