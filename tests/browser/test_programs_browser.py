"""Issue 14 in a real browser: a coordinator enters a month's actuals and the program's chart shows them (ECharts
drawn from the page's json_script data, no inline script)."""

from pathlib import Path

import pytest
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.programs.factories import make_program, month_start

from tiercare.programs.models import KpiActual

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_coordinator_enters_a_months_actuals_and_the_chart_shows_them(page, cast, shot):
    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner, stage="building")
    month = month_start(1)
    sign_in(page, "coordinator", PASSWORD)
    page.goto(f"/programs/{program.pk}/")
    page.click("#enter-actuals")
    page.wait_for_url(f"**/programs/{program.pk}/actuals/")
    page.select_option("#id_month", month.isoformat())
    page.fill("#id_neonates_admitted", "-1")
    page.click("#actuals-form button[type=submit]")
    assert "0" in page.inner_text("#id_neonates_admitted-error")  # refused beside the field
    page.fill("#id_neonates_admitted", "17")
    page.click("#actuals-form button[type=submit]")
    page.wait_for_url(f"**/programs/{program.pk}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert KpiActual.objects.get(program=program, kpi="neonates_admitted").value == 17
    assert page.inner_text(f"table[data-kpi='neonates_admitted'] td[data-month='{month:%Y-%m}']") == "17.00"
    chart = page.locator("#chart-neonates_admitted")
    assert chart.locator("svg").count() == 1
    assert "新生儿收治人数" in chart.inner_text()
    # the line of actuals has a point for the month: ECharts' tooltip names the value on hover
    values = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-neonates_admitted')).getOption().series[1].data"
    )
    assert values[1] == 17
    shot(page, "programs-program-actuals-zh")


def test_a_coordinator_fills_an_assessment_and_a_bad_value_is_refused_beside_its_field(page, cast, shot):
    from tiercare.programs.models import Assessment

    sign_in(page, "coordinator", PASSWORD)
    page.goto("/programs/")
    page.click(f"#to-assess a[href='/programs/assess/{cast.dept_a.pk}/']")
    page.wait_for_url(f"**/programs/assess/{cast.dept_a.pk}/")
    values = {
        "doctors": "3",
        "senior_titles": "1",
        "nurses": "6",
        "beds": "12",
        "annual_admissions": "800",
        "core_skills_pass_rate": "150",  # out of 0–100
        "referral_out_rate": "40",
        "distance_km": "180",
    }
    for name, value in values.items():
        page.fill(f"#id_{name}", value)
    page.select_option("#id_room_layout", "partial")
    page.select_option("#id_written_norms", "none")
    page.check("input[name=equipment][value=monitor]")
    page.click("#assess-form button[type=submit]")
    error = page.inner_text("#id_core_skills_pass_rate-error")
    assert "100" in error
    assert page.input_value("#id_core_skills_pass_rate") == "150" and page.input_value("#id_nurses") == "6"
    assert not Assessment.objects.exists()
    shot(page, "programs-assessment-refused-zh")
    page.fill("#id_core_skills_pass_rate", "60")
    page.click("#assess-form button[type=submit]")
    page.wait_for_selector("#score")
    a = Assessment.objects.get()
    assert f"{a.need}" in page.inner_text("#score") and f"{a.total}" in page.inner_text("#score")


def test_ops_rank_the_survey_and_move_a_department_into_the_pipeline(page, cast, shot):
    from tests import factories as f

    from tiercare.programs import services
    from tiercare.programs.models import Program

    campaign = services.campaign_create(by=cast.ops, name="县级医院需求调研")
    answers = {
        "doctors": 2, "senior_titles": 0, "nurses": 5, "beds": 8, "annual_admissions": 300,
        "equipment": [], "room_layout": "none", "written_norms": "none",
        "core_skills_pass_rate": 40, "referral_out_rate": 45, "distance_km": 200,
    }  # fmt: skip
    needy = f.DepartmentFactory(organization=cast.hospital_b, name="新生儿科", specialty="neonatology")
    services.assessment_record(by=cast.ops, department=needy, answers=answers, campaign=campaign)
    services.assessment_record(
        by=cast.ops, department=cast.dept_a, answers={**answers, "distance_km": 10}, campaign=campaign
    )
    sign_in(page, "ops", PASSWORD)
    page.goto("/programs/")
    page.click(f"a[href='/programs/survey/{campaign.pk}/']")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 2 and "新生儿科" in rows.nth(0).inner_text()
    shot(page, "programs-survey-ranking-zh")
    rows.nth(0).locator("button[type=submit]").click()
    page.wait_for_selector("#summary")
    program = Program.objects.get(department=needy)
    assert program.stage == "prospect"
    assert "潜在合作" in page.inner_text("#summary")


def test_a_trainees_attendance_and_score_appear_on_their_record(page, cast, shot):
    from datetime import timedelta

    from tests import factories as f

    from tiercare.programs import services

    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner, stage="building")
    course = services.course_add(by=cast.ops, program=program, curriculum_item="core_cpr", pass_mark=60)
    nurse = f.PractitionerFactory(name="王护士", home_organization=cast.hospital_a, home_department=cast.dept_a)
    day = (month_start(1) + timedelta(days=3)).isoformat()
    sign_in(page, "coordinator", PASSWORD)
    page.goto(f"/programs/{program.pk}/")
    page.click("#training-link")
    page.wait_for_url(f"**/programs/{program.pk}/training/")
    page.select_option("#id_s-course", str(course.pk))
    page.fill("#id_s-held_on", day)
    page.fill("#id_s-teacher", "张专家")
    page.click("#session-form button[type=submit]")
    page.wait_for_selector("#sessions td:has-text('张专家')")
    page.check(f"#attendance-form input[value='{nurse.pk}']")
    page.click("#attendance-form button[type=submit]")
    page.wait_for_selector(f"#staff tr[data-trainee='{nurse.pk}']")
    page.select_option("#id_x-course", str(course.pk))
    page.select_option("#id_x-trainee", str(nurse.pk))
    page.fill("#id_x-score", "101")
    page.fill("#id_x-taken_on", day)
    page.click("#score-form button[type=submit]")
    assert "100" in page.inner_text("#id_x-score-error")  # refused beside the field, input kept
    assert page.input_value("#id_x-score") == "101"
    page.fill("#id_x-score", "86")
    page.click("#score-form button[type=submit]")
    page.wait_for_url(f"**/programs/{program.pk}/training/")
    page.click(f"#staff tr[data-trainee='{nurse.pk}'] a")
    page.wait_for_selector("#record")
    row = page.locator(f"#record tr[data-course='{course.pk}']")
    assert row.locator(".attended").inner_text() == "1 / 1"
    assert "86.00" in row.locator(".score").inner_text()
    assert row.locator(".result").inner_text() == "通过"
    assert row.locator("a.certificate").count() == 1
    shot(page, "programs-trainee-record-zh")


def test_a_director_downloads_the_evaluation_pdf_with_the_hospital_and_its_kpis(page, cast, shot):
    from datetime import timedelta

    from tests import factories as f
    from tests.outreach.factories import make_session
    from tests.pdf import pdf_text

    from tiercare.core.models import Role
    from tiercare.outreach.models import SessionReport

    program = make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner, stage="building")
    month = month_start(1)
    KpiActual.objects.create(
        program=program, kpi="neonates_admitted", month=month, value=14, entered_by=cast.coordinator
    )
    s = make_session(cast.expert_practitioner, cast.dept_a, on=month + timedelta(days=6), kind="clinic")
    SessionReport.objects.create(session=s, filed_by=cast.expert, cases_seen=23, attendees=0)
    f.staff_user(Role.DIRECTOR, cast.hospital_a, username="director_a")
    sign_in(page, "director_a", PASSWORD)
    page.goto(f"/programs/{program.pk}/")
    page.click("#evaluation-link")
    page.wait_for_selector("#ev-kpis")
    page.select_option("#id_month", f"{month:%Y-%m}")
    page.click("#evaluation-month button[type=submit]")
    page.wait_for_selector(f"#evaluation-pdf[href$='month={month:%Y-%m}']")
    shot(page, "programs-evaluation-zh")
    # WeasyPrint lays the report out in a few seconds on a busy machine; the download is awaited, not timed
    with page.expect_download(timeout=120_000) as info:
        page.click("#evaluation-pdf", no_wait_after=True)
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for words in ("甲县人民医院", "儿科", "评估报告", "新生儿收治人数", "专家诊疗人次", "14.00", "23", "37.00"):
        assert words in text, words
