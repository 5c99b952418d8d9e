"""Issue 14, the twelve-month evaluation: for the hospital's director, at the program's end or any month of it —
baseline vs re-assessment, KPIs vs targets (each with its source), milestones, training completion, outreach
sessions held and cases treated locally; as a page, a PDF (Chinese font embedded) and an xlsx, the same figures in
all three. Outsiders get 404, audited; every download is audited."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.outreach.factories import make_session
from tests.pdf import pdf_embedded_fonts, pdf_text
from tests.programs.factories import month_start
from tiercare.core.models import AuditEvent
from tiercare.outreach.models import SessionReport
from tiercare.programs import services
from tiercare.programs.evaluation import program_evaluation
from tiercare.programs.models import KpiActual

pytestmark = pytest.mark.django_db

ANSWERS = {
    "doctors": 2, "senior_titles": 0, "nurses": 5, "beds": 0, "annual_admissions": 300, "equipment": [],
    "room_layout": "none", "written_norms": "none", "core_skills_pass_rate": 40, "referral_out_rate": 45,
    "distance_km": 200,
}  # fmt: skip


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def figures(cast: Any, program: Any) -> Any:
    """Last month: 13 neonates entered, one held session with its report (9 cases, 2 surgeries); a baseline
    before the program and a re-assessment since."""
    month = month_start(1)
    KpiActual.objects.create(
        program=program, kpi="neonates_admitted", month=month, value=13, entered_by=cast.coordinator
    )
    s = make_session(cast.expert_practitioner, cast.dept_a, on=month + timedelta(days=5), kind="surgery")
    s.status = "held"
    s.save(update_fields=["status"])
    SessionReport.objects.create(
        session=s,
        filed_by=cast.expert,
        cases_seen=9,
        attendees=4,
        surgeries=[{"procedure": "x", "grade": 2, "count": 2}],
    )
    services.assessment_record(by=cast.ops, department=cast.dept_a, answers=ANSWERS, on=program.start - timedelta(1))
    services.assessment_record(
        by=cast.ops, department=cast.dept_a, answers={**ANSWERS, "beds": 12, "room_layout": "compliant"}, on=month
    )
    return month


def test_the_evaluation_sums_the_months_and_compares_the_assessments(cast, program, figures):
    ev = program_evaluation(program, until=figures)
    assert ev.until == figures and ev.months == [program.start, figures]
    rows = {r.code: r for r in ev.kpis}
    assert rows["neonates_admitted"].actual == 13 and rows["neonates_admitted"].target == 20
    assert rows["neonates_admitted"].met is False and rows["neonates_admitted"].source == "entered"
    assert rows["cases_seen"].actual == 9 and rows["cases_seen"].source == "outreach"
    assert (ev.sessions_total, ev.cases_seen, ev.local_surgeries, ev.treated_locally) == (1, 9, 2, 24)
    assert ev.baseline is not None and ev.reassessment is not None and ev.baseline != ev.reassessment
    beds = next(i for i in ev.items if i["label"] == "开放床位")
    assert (beds["baseline"], beds["now"]) == ("0", "12")
    # the program's first month alone: nothing from last month
    first = program_evaluation(program, until=program.start)
    assert {r.code: r.actual for r in first.kpis}["cases_seen"] == 0


def test_the_director_downloads_the_pdf_and_the_xlsx_with_the_same_figures(cast, program, figures, director):
    client = _client(director)
    page = client.get(f"/programs/{program.pk}/evaluation/?month={figures:%Y-%m}")
    assert page.status_code == 200 and "新生儿收治人数" in page.content.decode()
    pdf = client.get(f"/programs/{program.pk}/evaluation.pdf?month={figures:%Y-%m}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for words in ("甲县人民医院", "儿科", "新生儿收治人数", "专家诊疗人次", "评估报告", "24.00", "本地"):
        assert words in text, words
    assert "13.00" in text and "20.00" in text
    assert pdf_embedded_fonts(pdf.content)
    xlsx = client.get(f"/programs/{program.pk}/evaluation.xlsx?month={figures:%Y-%m}")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    kpi_rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert ("新生儿收治人数", "人", "医院填报", f"{figures:%Y-%m}", 10.0, 13.0) in kpi_rows
    summary = dict(r[:2] for r in wb.worksheets[0].iter_rows(values_only=True))
    assert summary["医院"] == "甲县人民医院"
    assert AuditEvent.objects.filter(actor=director, action="export", object_id=str(program.pk)).count() == 2


def test_outsiders_get_404_audited_and_a_bad_month_is_refused(cast, program, director_b):
    for user in (cast.outsider, director_b):
        for suffix in ("evaluation/", "evaluation.pdf", "evaluation.xlsx"):
            assert _client(user).get(f"/programs/{program.pk}/{suffix}").status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(program.pk)).count() == 6
    assert _client(cast.ops).get(f"/programs/{program.pk}/evaluation/?month=2026-13").status_code == 422


def test_the_api_gives_the_evaluation_as_data_and_outsiders_404(cast, program, figures, director):
    from tests.conftest import Api

    status, body = Api(director).get(f"/api/v1/programs/{program.pk}/evaluation?month={figures:%Y-%m-%d}")
    assert status == 200 and body["until"] == figures.isoformat() and body["hospital"] == "甲县人民医院"
    kpi = next(k for k in body["kpis"] if k["code"] == "neonates_admitted")
    assert (kpi["actual"], kpi["target"], kpi["source"], kpi["met"]) == ("13.00", "20.00", "entered", False)
    assert (body["sessions_held"], body["cases_seen"], body["treated_locally"]) == (1, 9, "24.00")
    status, _body = Api(cast.outsider).get(f"/api/v1/programs/{program.pk}/evaluation")
    assert status == 404
