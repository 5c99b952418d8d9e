"""Outreach through its pages (issue 12, item 4 and the outreach defects): availability and leave, the expert's answer,
the session report, requests that follow their sessions, forms that answer beside the field, who is told what when a
session changes, counts that agree, a plan from a Saturday, the calendar's ?expert=."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from tests import factories as f
from tests.outreach.factories import (
    ALL_HALF_DAYS,
    locate,
    make_expert,
    make_request,
    make_session,
    next_monday,
    set_availability,
)
from tiercare.core.notify import InMemoryBackend
from tiercare.outreach import planning, selectors, services
from tiercare.outreach.models import (
    Booking,
    ExpertAvailability,
    ExpertLeave,
    ExpertSession,
    HalfDay,
    PlanRun,
    SessionKind,
    SessionReport,
    SessionRequest,
)
from tiercare.outreach.session_flow import session_answer

pytestmark = pytest.mark.django_db

NOT_A_FIELD_PAGE = "无法完成此操作"


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _text(response) -> str:
    return response.content.decode()


def _field_error(html: str, field: str) -> str:
    """The error shown next to a form field (``care/_field.html``: a span after the field's label)."""
    marker = f'id="id_{field}-error"'
    assert marker in html, f"no error beside {field}"
    start = html.index(marker)
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def _patients(cast, n: int):
    return [f.PersonFactory(name=f"患者{i}", household=cast.household_hospital_a) for i in range(n)]


# --- availability and leave -----------------------------------------------------------------------------------


def test_an_expert_sets_their_own_availability_and_leave(cast):
    c = _client(cast.expert)
    page = c.get("/outreach/availability/")
    assert page.status_code == 200 and "赵专家" in _text(page)
    r = c.post(
        "/outreach/availability/",
        {"action": "availability", "half_days": ["0am", "2pm"], "weekly_limit": 2, "home_city": "成都"},
    )
    assert r.status_code == 302
    assert set(
        ExpertAvailability.objects.filter(practitioner=cast.expert_practitioner).values_list("weekday", "half_day")
    ) == {(0, "am"), (2, "pm")}
    monday = next_monday()
    r = c.post(
        "/outreach/availability/",
        {"action": "leave", "kind": "leave", "start": monday, "end": monday + timedelta(days=2), "note": "年假"},
    )
    assert r.status_code == 302
    assert ExpertLeave.objects.get(practitioner=cast.expert_practitioner).note == "年假"
    assert "年假" in _text(c.get(r["Location"]))


def test_operations_enter_leave_for_any_expert_and_others_are_refused(cast):
    other = make_expert(cast.group, sites=[cast.hospital_a], home_organization=cast.tertiary, name="钱专家")
    monday = next_monday()
    ops = _client(cast.ops)
    picker = ops.get("/outreach/availability/")
    assert picker.status_code == 200 and "钱专家" in _text(picker)
    url = f"/outreach/availability/?expert={other.pk}"
    r = ops.post(url, {"action": "leave", "kind": "duty", "start": monday, "end": monday})
    assert r.status_code == 302 and ExpertLeave.objects.filter(practitioner=other, kind="duty").exists()
    assert "立即重新排班" in _text(ops.get(r["Location"]))  # the page offers the re-plan
    # An expert cannot open or write another expert's leave; a coordinator has no such page.
    assert _client(cast.expert).get(url).status_code == 404
    assert _client(cast.coordinator).get(url).status_code == 403
    assert _client(cast.coordinator).post(url, {"action": "leave"}).status_code == 403
    assert ExpertLeave.objects.count() == 1


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "leave", "start": "", "end": ""}, "start", "这个字段是必填项"),
        ({"kind": "leave", "start": "2099-13-01", "end": "2099-01-01"}, "start", "有效的日期"),
        ({"kind": "leave", "start": "+7", "end": "+5"}, "end", "结束日期早于开始日期"),
        ({"kind": "leave", "start": "-9", "end": "-8"}, "end", "请假已经结束"),
        ({"kind": "leave", "start": "+7", "end": "9999-01-01"}, "end", "日期须在"),  # a plausible window, not year 9999
        ({"kind": "holiday", "start": "+7", "end": "+7"}, "kind", "有效的选项"),
    ],
)
def test_the_leave_form_answers_beside_the_field(cast, data, field, message):
    today = f.today()
    data = {
        k: (str(today + timedelta(days=int(v))) if isinstance(v, str) and v and v[0] in "+-" else v)
        for k, v in data.items()
    }
    r = _client(cast.expert).post("/outreach/availability/", {"action": "leave", "note": "会议", **data})
    html = _text(r)
    assert r.status_code == 422 and NOT_A_FIELD_PAGE not in html
    assert message in _field_error(html, field)
    assert 'value="会议"' in html  # what was typed is kept
    assert not ExpertLeave.objects.exists()


def test_the_availability_form_answers_beside_the_field(cast):
    before = set(ExpertAvailability.objects.values_list("pk", flat=True))
    r = _client(cast.expert).post(
        "/outreach/availability/", {"action": "availability", "half_days": ["0am"], "weekly_limit": "三"}
    )
    assert r.status_code == 422 and "输入整数" in _field_error(_text(r), "weekly_limit")
    r = _client(cast.expert).post(
        "/outreach/availability/", {"action": "availability", "half_days": ["9xx"], "weekly_limit": 2}
    )
    assert r.status_code == 422 and "有效的选项" in _text(r)
    assert set(ExpertAvailability.objects.values_list("pk", flat=True)) == before


# --- the calendar ---------------------------------------------------------------------------------------------


def test_calendar_for_operations_picks_an_expert_and_never_500s(cast):
    ops = _client(cast.ops)
    r = ops.get("/outreach/calendar/?expert=zzz")
    assert r.status_code == 400 and "zzz" in _field_error(_text(r), "expert")
    assert ops.get("/outreach/calendar/").status_code == 200
    r = ops.get(f"/outreach/calendar/?expert={cast.expert_practitioner.pk}")
    assert r.status_code == 200 and "赵专家" in _text(r)
    # Operations reach every expert's calendar from the board.
    board = _text(ops.get("/outreach/plan/"))
    assert f"/outreach/calendar/?expert={cast.expert_practitioner.pk}" in board
    # An expert sees only their own calendar (another id, or a malformed one, is not found); a GP has none.
    assert _client(cast.expert).get("/outreach/calendar/?expert=zzz").status_code == 404
    assert _client(cast.expert).get(f"/outreach/calendar/?expert={cast.expert_practitioner.pk}").status_code == 200
    assert _client(cast.gp).get(f"/outreach/calendar/?expert={cast.expert_practitioner.pk}").status_code == 403


# --- forms that answered with the error page ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"weeks": "四"}, "weeks", "输入整数"),
        ({"weeks": 13}, "weeks", "12"),
        ({"start": ""}, "start", "这个字段是必填项"),
        ({"start": "-3"}, "start", "不能从过去的日期开始"),
        ({"seconds": "abc"}, "seconds", "输入一个数字"),
    ],
)
def test_the_plan_form_answers_beside_the_field(cast, data, field, message):
    posted = {"start": str(next_monday()), "weeks": 4, "seconds": 1, **data}
    if posted["start"] == "-3":
        posted["start"] = str(f.today() - timedelta(days=3))
    r = _client(cast.ops).post("/outreach/plan/new/", posted)
    html = _text(r)
    assert r.status_code == 422 and NOT_A_FIELD_PAGE not in html
    assert message in _field_error(html, field)
    assert "weeks:" not in html and "window_end" not in html
    assert not PlanRun.objects.exists()


def test_the_request_form_answers_beside_the_field_and_keeps_the_input(cast):
    c = _client(cast.coordinator)
    monday = next_monday()
    base = {"department": cast.dept_a.pk, "kind": "clinic", "cadence": "once", "places": 8, "priority": 2}
    r = c.post("/outreach/requests/", {**base, "window_start": monday + timedelta(days=4), "window_end": monday})
    html = _text(r)
    assert r.status_code == 422 and NOT_A_FIELD_PAGE not in html
    error = _field_error(html, "window_end")
    assert "结束日期早于开始日期" in error and "window_end" not in error
    assert f'value="{monday + timedelta(days=4)}"' in html and 'value="8"' in html
    # Another hospital's department is not a choice (the outsider's departments only).
    r = _client(cast.outsider).post(
        "/outreach/requests/", {**base, "window_start": monday, "window_end": monday + timedelta(days=4)}
    )
    assert r.status_code == 422 and "有效的选项" in _field_error(_text(r), "department")
    # A service refusal goes beside its field too (a service the partnership does not cover).
    cast.partnership.services = ["clinic"]
    cast.partnership.save()
    r = c.post(
        "/outreach/requests/",
        {**base, "kind": "surgery", "window_start": monday, "window_end": monday + timedelta(days=4)},
    )
    assert r.status_code == 422 and "合作协议不包含" in _field_error(_text(r), "kind")
    assert not SessionRequest.objects.exists()
    r = c.post("/outreach/requests/", {**base, "window_start": monday, "window_end": monday + timedelta(days=4)})
    assert r.status_code == 302 and SessionRequest.objects.get().places == 8


def test_the_session_change_form_answers_beside_the_field(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    c = _client(cast.coordinator)
    r = c.post(f"/outreach/sessions/{session.pk}/", {"action": "move", "reason": "院内会议", "date": ""})
    html = _text(r)
    assert r.status_code == 422 and "请填写新的日期" in _field_error(html, "date") and 'value="院内会议"' in html
    r = c.post(f"/outreach/sessions/{session.pk}/", {"action": "cancel", "reason": ""})
    assert r.status_code == 422 and "这个字段是必填项" in _field_error(_text(r), "reason")
    r = c.post(
        f"/outreach/sessions/{session.pk}/",
        {"action": "move", "reason": "院内会议", "date": str(f.today() - timedelta(days=1)), "half_day": "am"},
    )
    assert r.status_code == 422 and "新日期已过去" in _field_error(_text(r), "date")
    session.refresh_from_db()
    assert session.status == "scheduled" and session.sequence == 0


# --- bookings: the form on a full session, counts for every role ----------------------------------------------


def test_a_full_session_offers_no_booking_form_and_every_role_sees_the_right_count(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=4)
    for p in _patients(cast, 4):
        services.booking_create(by=cast.coordinator, session=session, person=p)
    coordinator = _text(_client(cast.coordinator).get(f"/outreach/sessions/{session.pk}/"))
    assert "4 / 4" in coordinator and "患者0" in coordinator
    assert 'value="book"' not in coordinator and "名额已约满" in coordinator
    for user in (cast.auditor, cast.ops):
        html = _text(_client(user).get(f"/outreach/sessions/{session.pk}/"))
        assert "4 / 4" in html and "已预约 4 位患者" in html
        assert "患者0" not in html and "暂无预约" not in html
    assert "4 / 4" in _text(_client(cast.expert).get(f"/outreach/sessions/{session.pk}/"))


# --- the expert's answer --------------------------------------------------------------------------------------


def test_an_expert_declines_with_a_reason_and_operations_are_asked_to_replan(cast, django_capture_on_commit_callbacks):
    InMemoryBackend.outbox.clear()
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    c = _client(cast.expert)
    r = c.post(f"/outreach/sessions/{session.pk}/", {"action": "decline", "reason": ""})
    assert r.status_code == 422 and "请说明婉拒的原因" in _field_error(_text(r), "reason")
    session.refresh_from_db()
    assert session.response == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/outreach/sessions/{session.pk}/", {"action": "decline", "reason": "当天有院内手术"})
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.response == "declined" and session.response_reason == "当天有院内手术"
    assert session.status == "scheduled"  # patients keep their places until the re-plan
    told = [n for n in InMemoryBackend.outbox if n.template_code == "outreach_session_declined"]
    assert [n.recipient for n in told] == ["user:ops"] and "当天有院内手术" in told[0].text
    board = _text(_client(cast.ops).get("/outreach/plan/"))
    assert 'id="declined"' in board and "当天有院内手术" in board
    # Only the session's expert answers.
    assert _client(cast.coordinator).post(f"/outreach/sessions/{session.pk}/", {"action": "accept"}).status_code == 403
    assert _client(cast.outsider).post(f"/outreach/sessions/{session.pk}/", {"action": "accept"}).status_code == 404


def test_an_expert_accepts_and_cannot_answer_a_started_session(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    assert _client(cast.expert).post(f"/outreach/sessions/{session.pk}/", {"action": "accept"}).status_code == 302
    session.refresh_from_db()
    assert session.response == "accepted"
    past = make_session(cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1))
    r = _client(cast.expert).post(f"/outreach/sessions/{past.pk}/", {"action": "decline", "reason": "x"})
    assert r.status_code == 422 and "已经开始" in _text(r)


def test_a_replan_gives_a_declined_session_to_another_expert(cast):
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    other = make_expert(cast.group, sites=[cast.hospital_a], home_organization=cast.tertiary, name="钱专家")
    monday = next_monday()
    make_request(cast.dept_a, cast.coordinator, start=monday, end=monday, priority=3)
    plan = services.plan_create(by=cast.ops, start=monday, weeks=1, seconds=0.5)
    (session,) = services.plan_confirm(by=cast.ops, plan=plan)
    declined_by = session.expert
    if declined_by.user_id:
        session_answer(by=declined_by.user, session=session, accept=False, reason="出差")
    else:  # the stand-in has no account: the same row a decline writes
        ExpertSession.objects.filter(pk=session.pk).update(response="declined", response_reason="出差")
    replan = services.replan_create(by=cast.ops, start=monday, weeks=1, seconds=0.5)
    diff = selectors.replan_diff(replan)
    assert len(diff["moved"]) + len(diff["dropped"]) == 1 and not diff["kept"]
    services.plan_confirm(by=cast.ops, plan=replan)
    active = ExpertSession.objects.get(status__in=["scheduled", "moved"])
    assert active.expert != declined_by and active.expert in (cast.expert_practitioner, other)
    assert active.response == "pending"


# --- who is told what -------------------------------------------------------------------------------------------


def test_cancelling_tells_each_patient_the_expert_and_the_coordinator_once(cast, django_capture_on_commit_callbacks):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=5)
    patients = _patients(cast, 3)
    for p in patients:
        services.booking_create(by=cast.coordinator, session=session, person=p)
    InMemoryBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=cast.ops, session=session, reason="专家临时出国")
    by_code: dict[str, list] = {}
    for n in InMemoryBackend.outbox:
        by_code.setdefault(n.template_code, []).append(n)
    assert sorted(n.recipient for n in by_code["outreach_session_cancelled"]) == sorted(
        f"person:{p.pk}" for p in patients
    )
    assert "您" in by_code["outreach_session_cancelled"][0].text
    (expert,) = by_code["outreach_expert_session_cancelled"]
    assert expert.recipient == "user:expert" and "专家临时出国" in expert.text
    (coordinator,) = by_code["outreach_coordinator_session_cancelled"]
    assert coordinator.recipient == "user:coordinator" and "3位患者" in coordinator.text and "贵院" in coordinator.text
    assert len(InMemoryBackend.outbox) == 5


def test_a_cancellation_made_from_an_english_page_is_still_told_in_chinese_words(
    cast, django_capture_on_commit_callbacks
):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday(), places=5)
    services.booking_create(by=cast.coordinator, session=session, person=_patients(cast, 1)[0])
    InMemoryBackend.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(by=cast.ops, session=session, reason="专家临时出国")
    labels = (SessionKind(session.kind).label, HalfDay(session.half_day).label)
    with translation.override("zh-hans"):
        chinese = [str(label) for label in labels]
    with translation.override("en"):
        english = [str(label) for label in labels]
    assert len(InMemoryBackend.outbox) == 3
    for n in InMemoryBackend.outbox:
        assert all(word in n.text for word in chinese), n.text
        assert not any(word in n.text for word in english), n.text


def test_moving_tells_each_patient_the_expert_and_the_coordinator_once(cast, django_capture_on_commit_callbacks):
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    locate(cast.tertiary, cast.hospital_a)
    monday = next_monday()
    session = make_session(cast.expert_practitioner, cast.dept_a, on=monday, places=5)
    for p in _patients(cast, 2):
        services.booking_create(by=cast.coordinator, session=session, person=p)
    InMemoryBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_move(
            by=cast.coordinator, session=session, on=monday + timedelta(days=1), half_day="pm", reason="手术室检修"
        )
    codes = sorted(n.template_code for n in InMemoryBackend.outbox)
    assert codes == [
        "outreach_coordinator_session_moved",
        "outreach_expert_session_moved",
        "outreach_session_moved",
        "outreach_session_moved",
    ]
    expert = next(n for n in InMemoryBackend.outbox if n.template_code == "outreach_expert_session_moved")
    assert expert.recipient == "user:expert" and "手术室检修" in expert.text


# --- the board: counts that agree, a refused move shows its reason ------------------------------------------------


@pytest.fixture
def proposal(cast):
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    monday = next_monday()
    make_request(cast.dept_a, cast.coordinator, start=monday, end=monday + timedelta(days=11), cadence="weekly")
    return services.plan_create(by=cast.ops, start=monday, weeks=2, seconds=0.5)


def _cards(html: str) -> tuple[int, int, int]:
    covered = html.split('id="plan-covered">')[1].split("<")[0]
    unmet = html.split('id="plan-unmet">')[1].split("<")[0]
    a, b = (int(x) for x in covered.split("/"))
    return a, b, int(unmet)


def test_removing_a_slot_keeps_the_cards_agreeing(cast, proposal):
    ops = _client(cast.ops)
    covered, requested, unmet = _cards(_text(ops.get(f"/outreach/plan/?plan={proposal.pk}")))
    assert (covered, requested, unmet) == (2, 2, 0)
    a = proposal.assignments.first()
    r = ops.post(f"/outreach/plan/{proposal.pk}/assignments/{a.pk}/", {"action": "remove"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="plan"' in _text(r)
    assert _cards(_text(r)) == (1, 2, 1)  # the swapped section's cards agree with the unmet list
    assert _cards(_text(ops.get(f"/outreach/plan/?plan={proposal.pk}"))) == (1, 2, 1)
    proposal.refresh_from_db()
    assert proposal.stats["covered"] + len(proposal.uncovered) == proposal.stats["requests"]


def test_a_refused_move_shows_its_reason(cast, proposal):
    ops = _client(cast.ops)
    board = _text(ops.get(f"/outreach/plan/?plan={proposal.pk}"))
    assert 'name="htmx-config"' in board and '"code":"422","swap":true' in board
    a = proposal.assignments.order_by("date").first()
    saturday = a.date + timedelta(days=5 - a.date.weekday())
    r = ops.post(
        f"/outreach/plan/{proposal.pk}/assignments/{a.pk}/",
        {"date": str(saturday), "half_day": "am"},
        HTTP_HX_REQUEST="true",
    )
    html = _text(r)
    assert r.status_code == 422 and 'id="plan-error"' in html
    reason = html.split('id="plan-error">')[1].split("<")[0]
    assert reason.strip() and "date:" not in reason
    a.refresh_from_db()
    assert a.date != saturday


def test_a_replan_shows_what_it_keeps_and_changes_before_confirming(cast, proposal):
    sessions = services.plan_confirm(by=cast.ops, plan=proposal)
    first = min(sessions, key=lambda s: s.date)
    services.leave_add(
        by=cast.ops, practitioner=cast.expert_practitioner, kind="leave", start=first.date, end=first.date
    )
    replan = services.replan_create(by=cast.ops, start=proposal.start, weeks=2, seconds=0.5)
    html = _text(_client(cast.ops).get(f"/outreach/plan/?plan={replan.pk}"))
    assert 'id="plan-changes"' in html and "确认这些变化" in html
    assert 'class="change-kept"' in html
    assert 'class="change-moved"' in html or 'class="change-dropped"' in html


# --- a plan started on a Saturday -------------------------------------------------------------------------------


def test_a_four_week_plan_started_on_a_saturday_covers_four_weeks(cast):
    locate(cast.tertiary, cast.hospital_a)
    set_availability(cast.expert_practitioner, ALL_HALF_DAYS)
    monday = next_monday()
    saturday = monday + timedelta(days=5)
    make_request(
        cast.dept_a, cast.coordinator, start=saturday, end=saturday + timedelta(days=30), cadence="weekly", priority=3
    )
    assert planning.first_workday(saturday) == monday + timedelta(days=7)
    run = services.plan_run_start(by=cast.ops, start=saturday, weeks=4, seconds=0.5)
    assert run.start == monday + timedelta(days=7)
    plan = services.plan_create(by=cast.ops, start=saturday, weeks=4, seconds=0.5)
    assert plan.start == monday + timedelta(days=7) and plan.end == plan.start + timedelta(days=25)
    weeks = {a.date - timedelta(days=a.date.weekday()) for a in plan.assignments.all()}
    assert len(weeks) == 4 and all(plan.start <= a.date <= plan.end for a in plan.assignments.all())


# --- the session report -------------------------------------------------------------------------------------------


@pytest.fixture
def held_surgery(cast):
    return make_session(cast.expert_practitioner, cast.dept_a, on=f.today() - timedelta(days=1), kind="surgery")


def _report_post(**overrides):
    data = {
        "cases_seen": 12,
        "referred": 2,
        "teaching_topic": "腹腔镜阑尾切除要点",
        "attendees": "王丽 护士\n李强，住院医师",
        "complications": "",
        "notes": "",
        "proc-TOTAL_FORMS": 4,
        "proc-INITIAL_FORMS": 0,
        "proc-0-procedure": "门诊",
        "proc-0-cases": 9,
        "surg-TOTAL_FORMS": 3,
        "surg-INITIAL_FORMS": 0,
        "surg-0-procedure": "腹腔镜阑尾切除术",
        "surg-0-grade": 3,
        "surg-0-count": 2,
    }
    data.update(overrides)
    return data


def test_the_coordinator_files_a_report_with_surgery_grades_and_attendees(cast, held_surgery):
    c = _client(cast.coordinator)
    assert c.get(f"/outreach/sessions/{held_surgery.pk}/report/").status_code == 200
    r = c.post(f"/outreach/sessions/{held_surgery.pk}/report/", _report_post())
    assert r.status_code == 302, _text(r)[:2000]
    report = SessionReport.objects.get(session=held_surgery)
    assert report.cases_seen == 12 and report.referred == 2 and report.attendees == 2
    assert report.procedure_cases == [{"procedure": "门诊", "cases": 9}]
    assert report.surgeries == [{"procedure": "腹腔镜阑尾切除术", "grade": 3, "count": 2}]
    assert report.attendee_list == [{"name": "王丽", "role": "护士"}, {"name": "李强", "role": "住院医师"}]
    held_surgery.refresh_from_db()
    assert held_surgery.status == "held"
    page = _text(c.get(f"/outreach/sessions/{held_surgery.pk}/"))
    assert "腹腔镜阑尾切除术" in page and "3级" in page and "王丽" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"cases_seen": ""}, "cases_seen", "这个字段是必填项"),
        ({"cases_seen": "十二"}, "cases_seen", "输入整数"),
        ({"surg-0-grade": ""}, "surg-0-grade", "手术分级"),
        ({"surg-0-grade": 5}, "surg-0-grade", "有效的选项"),
        ({"proc-0-cases": 20}, "cases_seen", "超过了诊治例数"),
        ({"referred": 30}, "referred", "超过了诊治例数"),
        ({"proc-1-cases": 2}, "proc-1-procedure", "请填写项目名称"),
    ],
)
def test_the_report_form_answers_beside_the_field(cast, held_surgery, overrides, field, message):
    r = _client(cast.expert).post(f"/outreach/sessions/{held_surgery.pk}/report/", _report_post(**overrides))
    html = _text(r)
    assert r.status_code == 422 and NOT_A_FIELD_PAGE not in html
    assert message in _field_error(html, field)
    assert "腹腔镜阑尾切除要点" in html  # kept
    assert not SessionReport.objects.exists()


def test_a_report_only_after_the_start_and_only_by_the_expert_or_the_host(cast, held_surgery):
    upcoming = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    c = _client(cast.expert)
    page = _text(c.get(f"/outreach/sessions/{upcoming.pk}/report/"))
    assert 'id="too-early"' in page and "report-form" not in page
    no_surgery = {"surg-0-procedure": "", "surg-0-grade": "", "surg-0-count": ""}
    r = c.post(f"/outreach/sessions/{upcoming.pk}/report/", _report_post(**no_surgery))
    assert r.status_code == 422 and 'class="errors"' in _text(r) and "开始后才能填写" in _text(r)
    assert _client(cast.ops).get(f"/outreach/sessions/{held_surgery.pk}/report/").status_code == 403
    assert (
        _client(cast.auditor).post(f"/outreach/sessions/{held_surgery.pk}/report/", _report_post()).status_code == 403
    )
    assert _client(cast.outsider).get(f"/outreach/sessions/{held_surgery.pk}/report/").status_code == 404
    assert not SessionReport.objects.exists()


# --- requests follow their sessions ---------------------------------------------------------------------------


def test_a_request_goes_open_scheduled_done_with_its_session_in_chinese(cast):
    monday = next_monday()
    req = make_request(cast.dept_a, cast.coordinator, start=monday, end=monday + timedelta(days=4))
    c = _client(cast.coordinator)

    def status() -> str:
        html = _text(c.get("/outreach/requests/"))
        return html.split('class="request-status"')[1].split(">")[1].split("<")[0].strip()

    assert status() == "待排班"
    session = make_session(cast.expert_practitioner, cast.dept_a, on=monday, request=req, occurrence=0)
    assert status() == "已安排"
    ExpertSession.objects.filter(pk=session.pk).update(status="held")
    assert status() == "已完成"
    html = _text(c.get("/outreach/requests/"))
    assert "特需服务" not in html and "专家下沉" in html


def test_no_page_says_te_xu_fu_wu(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    for user, url in (
        (cast.coordinator, "/outreach/requests/"),
        (cast.coordinator, f"/outreach/sessions/{session.pk}/"),
        (cast.expert, "/outreach/calendar/"),
        (cast.coordinator, "/"),
    ):
        assert "特需服务" not in _text(_client(user).get(url))


def test_booking_writers_only(cast):
    session = make_session(cast.expert_practitioner, cast.dept_a, on=next_monday())
    person = _patients(cast, 1)[0]
    r = _client(cast.expert).post(f"/outreach/sessions/{session.pk}/", {"action": "book", "person": str(person.pk)})
    assert r.status_code == 403 and not Booking.objects.exists()
