"""Issue 14, demo: the partner departments' programs at different months, the neonatal unit built from nothing with
more than 140 neonates admitted in its first year, the survey over every grassroots department (deterministic)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum
from django.test import Client

from tiercare.core.models import User
from tiercare.demo.builder import DemoBuilder
from tiercare.programs.demo import programs_demo
from tiercare.programs.models import KpiActual, Program, SurveyCampaign
from tiercare.programs.selectors import campaign_ranking

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    DemoBuilder(seed=5, today=date(2026, 12, 6), households=5).build()
    return programs_demo(seed=5, today=date(2026, 12, 6))


def test_every_partner_department_has_a_program_at_a_different_month(demo):
    assert {k: demo[k] for k in ("assessments", "programs")} == {"assessments": 256, "programs": 7}
    programs = list(Program.objects.all())
    assert len({p.start for p in programs}) == 7
    neonatal = Program.objects.get(department__specialty="neonatology")
    assert neonatal.stage == "evaluated" and neonatal.start == date(2025, 12, 1)
    total = KpiActual.objects.filter(program=neonatal, kpi="neonates_admitted").aggregate(s=Sum("value"))["s"]
    assert total >= 140


def test_the_survey_ranking_is_the_same_every_time_and_the_director_sees_the_program(demo):
    campaign = SurveyCampaign.objects.get()
    first = [a.pk for a in campaign_ranking(campaign)]
    assert len(first) == 256 and first == [a.pk for a in campaign_ranking(campaign)]
    client = Client()
    client.force_login(User.objects.get(username="director"))
    page = client.get("/programs/")
    assert page.status_code == 200
    mine = Program.objects.filter(department__organization__staff_roles__practitioner__user__username="director")
    assert mine.exists()
    for p in mine:
        assert client.get(f"/programs/{p.pk}/").status_code == 200


def test_the_demo_trains_the_staff_and_the_neonatal_units_evaluation_downloads(demo):
    from tests.pdf import pdf_text
    from tiercare.programs.evaluation import program_evaluation
    from tiercare.programs.models import Attendance, CourseSession, TrainingScore
    from tiercare.programs.selectors import training_completion

    assert demo["training_scores"] > 0
    neonatal = Program.objects.get(department__specialty="neonatology")
    assert neonatal.courses.count() == 4
    assert CourseSession.objects.filter(course__program=neonatal).count() == 4
    assert Attendance.objects.filter(session__course__program=neonatal).exists()
    assert TrainingScore.objects.filter(course__program=neonatal, passed=True).exists()
    assert 0 < training_completion(neonatal) <= 100
    ev = program_evaluation(neonatal)
    assert ev.until == date(2026, 11, 1) and len(ev.months) == 12
    assert ev.reassessment is not None and ev.reassessment.total != ev.baseline.total
    assert {r.code: r.actual for r in ev.kpis}["neonates_admitted"] >= 140
    client = Client()
    client.force_login(User.objects.get(username="ops"))
    pdf = client.get(f"/programs/{neonatal.pk}/evaluation.pdf")
    assert pdf.status_code == 200 and "新生儿收治人数" in pdf_text(pdf.content)
