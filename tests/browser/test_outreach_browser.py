"""Outreach in a real browser, each as the role that does the job, each with an outsider refused: a coordinator books
a patient into a session; operations enter an expert's leave and confirm a re-plan after seeing its changes (the plan
solved by the task worker, here run in the test's thread); an expert declines a session; a coordinator files a
session report."""

from datetime import timedelta

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.outreach.factories import (
    ALL_HALF_DAYS,
    locate,
    make_expert,
    make_request,
    make_session,
    next_monday,
    set_availability,
)

from tiercare.outreach import services
from tiercare.outreach.models import Booking, ExpertLeave, ExpertSession, PlanRun, SessionReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def session(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=3)


def test_coordinator_books_a_patient_into_a_session_and_an_outsider_cannot_see_it(page, cast, session, shot):
    person = cast.household_hospital_a.members.get().person
    sign_in(page, "coordinator", PASSWORD)
    page.goto("/outreach/requests/")
    assert page.inner_text("h1") == "专家下沉"
    assert "即将开展的专家坐诊·手术" in page.inner_text("body") and "特需服务" not in page.content()
    row = page.locator(f"tr:has(a[href='/outreach/sessions/{session.pk}/'])")
    assert "赵专家" in row.inner_text() and "0 / 3" in row.inner_text()

    row.locator("a").click()
    page.wait_for_url(f"**/outreach/sessions/{session.pk}/")
    assert cast.hospital_a.name in page.inner_text("h1")
    assert "0 / 3" in page.inner_text(".cards")
    page.fill("#id_person_search", person.name)  # the patient picker searches; it never lists the first 200
    page.locator(f"#id_person-results [data-picker-value='{person.pk}']").click()
    page.fill("input[name=note]", "复诊")
    page.click("button:has-text('预约名额')")
    page.wait_for_selector(f"table td:has-text('{person.name}')")
    assert "1 / 3" in page.inner_text(".cards")
    shot(page, "outreach-session-booked-zh")

    booking = Booking.objects.get(session=session)
    assert booking.person_id == person.pk and booking.status == "active" and booking.note == "复诊"
    assert booking.place_number == 1

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    page.goto("/outreach/requests/")
    assert page.locator(f"a[href='/outreach/sessions/{session.pk}/']").count() == 0
    response = page.goto(f"/outreach/sessions/{session.pk}/")
    assert response.status == 404
    assert page.inner_text("h1") == "无法完成此操作"  # the not-found page, in Chinese
    assert person.name not in page.content()


def _work() -> None:
    """The task worker (``manage.py db_worker --batch``), run in the test's thread: it claims the queued plan and
    solves it outside any web request, as the real worker process does."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
        worker_id="test-worker",
    )  # fmt: skip
    for task in DBTaskResult.objects.ready().order_by("enqueued_at"):
        task.claim(worker.worker_id)
        worker.run_task(task)


@pytest.fixture
def confirmed(cast):
    """Two weekly sessions at 甲县人民医院, confirmed, and a stand-in expert who can take week 1."""
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    stand_in = make_expert(cast.group, sites=[cast.hospital_a], home_organization=cast.tertiary, name="钱专家")
    set_availability(stand_in, [(w, "am") for w in range(5)], weekly_limit=1)
    monday = next_monday()
    make_request(
        cast.dept_a, cast.coordinator, start=monday, end=monday + timedelta(days=11), cadence="weekly", priority=3
    )
    plan = services.plan_create(by=cast.ops, start=monday, weeks=2, seconds=0.5)
    sessions = sorted(services.plan_confirm(by=cast.ops, plan=plan), key=lambda s: s.date)
    assert len(sessions) == 2
    return monday, sessions


def test_operations_enter_leave_and_confirm_a_replan_after_seeing_its_changes(page, cast, confirmed, settings, shot):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monday, (week1, week2) = confirmed
    away = week1.expert
    sign_in(page, "ops", PASSWORD)
    page.goto("/outreach/plan/")
    page.click(f"#expert-links a[href='/outreach/availability/?expert={away.pk}']")
    page.wait_for_selector("#leave")
    assert away.name in page.inner_text("h1")
    # A leave that ends before it starts is answered beside the field, and nothing is stored.
    page.select_option("#leave select[name=kind]", "leave")
    page.fill("#leave input[name=start]", str(week1.date + timedelta(days=1)))
    page.fill("#leave input[name=end]", str(week1.date))
    page.fill("#leave input[name=note]", "学术会议")
    page.click("#leave button[type=submit]")
    page.wait_for_selector("#id_end-error")
    assert "结束日期早于开始日期" in page.inner_text("#id_end-error")
    assert page.input_value("#leave input[name=note]") == "学术会议" and not ExpertLeave.objects.exists()
    page.fill("#leave input[name=start]", str(week1.date))
    page.fill("#leave input[name=end]", str(week1.date))
    page.click("#leave button[type=submit]")
    page.wait_for_selector("#saved")
    assert ExpertLeave.objects.get(practitioner=away).note == "学术会议"

    page.click("#saved a")  # 立即重新排班
    page.wait_for_selector("#plan-new")
    page.fill("#plan-new input[name=start]", str(monday))
    page.fill("#plan-new input[name=weeks]", "2")
    page.fill("#plan-new input[name=seconds]", "0.5")
    page.check("#plan-new input[name=replan]")
    page.click("#plan-new button[type=submit]")
    page.wait_for_selector(".plan-run[data-status=queued]")
    run = PlanRun.objects.get()
    assert run.is_replan and "<progress" in page.content() and page.is_visible("#open-requests")

    _work()  # the worker solves; the page, polling, shows the result
    page.wait_for_selector(".plan-run[data-status=done]", timeout=20_000)
    page.click(".plan-run a.button")  # 查看变化
    page.wait_for_selector("#plan-changes")
    changes = page.inner_text("#plan-changes")
    assert "保留" in changes and week2.expert.name in changes
    assert page.locator("#plan-changes tr.change-moved, #plan-changes tr.change-dropped").count() == 1
    shot(page, "outreach-replan-changes-zh")
    page.click("#plan-confirm")
    page.wait_for_selector("#plan .badge:has-text('已确认')")

    assert not ExpertSession.objects.filter(expert=away, date=week1.date, status__in=["scheduled", "moved"]).exists()

    page.context.clear_cookies()
    sign_in(page, "coordinator", PASSWORD)
    assert page.goto("/outreach/plan/").status == 403
    assert page.goto(f"/outreach/availability/?expert={away.pk}").status == 403


def test_an_expert_declines_a_session_and_operations_see_it(page, cast, shot):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=3)
    sign_in(page, "expert", PASSWORD)
    page.goto("/outreach/calendar/")
    page.click(f"a[href='/outreach/sessions/{session.pk}/']")
    page.wait_for_selector("#answer")
    page.click("button[value=decline]")  # no reason: answered beside the field
    page.wait_for_selector("#id_reason-error")
    assert "婉拒的原因" in page.inner_text("#id_reason-error")
    page.fill("#answer input[name=reason]", "当天有院内手术")
    page.click("button[value=decline]")
    page.wait_for_selector("#declined-note")
    assert "当天有院内手术" in page.inner_text("#declined-note")
    shot(page, "outreach-session-declined-zh")
    session.refresh_from_db()
    assert session.response == "declined" and session.status == "scheduled"

    page.context.clear_cookies()
    sign_in(page, "ops", PASSWORD)
    page.goto("/outreach/plan/")
    assert "当天有院内手术" in page.inner_text("#declined")

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    assert page.goto(f"/outreach/sessions/{session.pk}/").status == 404
    assert "当天有院内手术" not in page.content()


def test_a_coordinator_files_a_session_report(page, cast, shot):
    session = make_session(
        cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1), kind="surgery", places=10
    )
    sign_in(page, "coordinator", PASSWORD)
    page.goto(f"/outreach/sessions/{session.pk}/")
    page.click("#file-report")
    page.wait_for_selector("#report-form")
    page.fill("input[name=cases_seen]", "12")
    page.fill("input[name=proc-0-procedure]", "门诊")
    page.fill("input[name=proc-0-cases]", "9")
    page.fill("input[name=surg-0-procedure]", "腹腔镜胆囊切除术")
    page.fill("input[name=surg-0-count]", "2")
    page.fill("input[name=referred]", "1")
    page.fill("input[name=teaching_topic]", "胆囊切除术要点")
    page.fill("textarea[name=attendees]", "王丽 护士\n李强 住院医师")
    page.click("#report-form button[type=submit]")  # no grade: answered beside the field, input kept
    page.wait_for_selector("#id_surg-0-grade-error")
    assert "手术分级" in page.inner_text("#id_surg-0-grade-error")
    assert page.input_value("input[name=teaching_topic]") == "胆囊切除术要点" and not SessionReport.objects.exists()
    page.select_option("select[name=surg-0-grade]", "3")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report")
    text = page.inner_text("#report")
    assert "腹腔镜胆囊切除术" in text and "3级" in text and "王丽（护士）" in text
    shot(page, "outreach-session-report-zh")
    report = SessionReport.objects.get(session=session)
    assert report.cases_seen == 12 and report.surgeries[0]["grade"] == 3 and report.attendees == 2
    session.refresh_from_db()
    assert session.status == "held"

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    assert page.goto(f"/outreach/sessions/{session.pk}/report/").status == 404
