"""Worklists per team: overdue, due this week, uncontrolled, risk rose, lost to follow-up (> 12 months), removed
by a call outcome; sorted sickest first (test_lifecycle.py tests the order); xlsx download; outreach reminders;
bulk recompute; tick."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook
from tests import factories as f
from tests.care.factories import HTN_HIGH, HTN_OK, at, contract, enrol, followup, team_with

from tiercare.care import selectors, services, tasks
from tiercare.care.models import Enrollment, OutreachCall, RecomputeRun

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def _patients(cast, team, n):
    """n enrolled hypertensive residents in one household contracted with ``team``."""
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    people = [f.PersonFactory(household=hh, birth_date=date(1962, 1, 1)) for _ in range(n)]
    contract(cast.gp, hh, team)
    return [enrol(cast.gp, p) for p in people]


def _set(e, **kw):
    Enrollment.objects.filter(pk=e.pk).update(**kw)


def _ids(kind, team):
    return [e.pk for e in selectors.worklist(team=team, kind=kind, today=TODAY)]


def test_lists_and_sort_order(cast, team):
    a, b, c, d, lost, week = _patients(cast, team, 6)
    _set(a, next_due_on=TODAY - timedelta(days=10), risk_percent=12.0)
    _set(b, next_due_on=TODAY - timedelta(days=40), risk_percent=12.0)
    _set(c, next_due_on=TODAY - timedelta(days=90), risk_percent=None)
    _set(
        d,
        next_due_on=TODAY - timedelta(days=5),
        risk_percent=20.0,
        risk_rose=True,
        control_class="unsatisfactory",
    )
    _set(lost, next_due_on=TODAY - timedelta(days=366))
    _set(week, next_due_on=TODAY + timedelta(days=6))
    # not controlled first; then (control not yet known) most days overdue first, whatever the risk
    assert _ids("overdue", team) == [d.pk, c.pk, b.pk, a.pk]
    assert _ids("lost", team) == [lost.pk]
    assert _ids("due_this_week", team) == [week.pk]
    assert _ids("uncontrolled", team) == [d.pk]
    assert _ids("risk_rose", team) == [d.pk]


def test_exactly_twelve_months_overdue_is_still_on_the_worklist(cast, team):
    (e,) = _patients(cast, team, 1)
    _set(e, next_due_on=TODAY - timedelta(days=365))
    assert _ids("overdue", team) == [e.pk] and _ids("lost", team) == []


def test_call_outcomes_set_the_next_reminder_or_remove_with_reason(cast, team):
    agreed, later, moved = _patients(cast, team, 3)
    for e in (agreed, later, moved):
        _set(e, next_due_on=TODAY - timedelta(days=20))
    services.outreach_call_record(
        by=cast.health_manager, enrollment=agreed, outcome="agreed_to_visit", called_at=at(TODAY)
    )
    services.outreach_call_record(by=cast.health_manager, enrollment=later, outcome="call_later", called_at=at(TODAY))
    services.outreach_call_record(by=cast.health_manager, enrollment=moved, outcome="moved", called_at=at(TODAY))
    assert _ids("overdue", team) == []
    assert _ids("removed", team) == [moved.pk]
    later_day = TODAY + timedelta(days=7)
    assert {e.pk for e in selectors.worklist(team=team, kind="overdue", today=later_day)} == {later.pk}
    assert {e.pk for e in selectors.worklist(team=team, kind="overdue", today=TODAY + timedelta(days=30))} == {
        agreed.pk,
        later.pk,
    }
    # removed patients still count in the reports
    assert selectors.dashboard(teams=type(team).objects.filter(pk=team.pk), today=TODAY)["enrolled"] == 3
    assert OutreachCall.objects.count() == 3


def test_a_visit_takes_the_patient_off_the_overdue_list(cast, team):
    (e,) = _patients(cast, team, 1)
    _set(e, next_due_on=TODAY - timedelta(days=20))
    followup(cast.gp, e, TODAY - timedelta(days=1))
    assert _ids("overdue", team) == []


def test_another_teams_patients_are_not_on_my_worklist(cast, team):
    mine = _patients(cast, team, 1)[0]
    other = team_with(cast.center_a, name="二组")
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    p = f.PersonFactory(household=hh, birth_date=date(1950, 1, 1))
    services.contract_sign(by=cast.admin, household=hh, team=other, start=date(2026, 1, 1), end=date(2026, 12, 31))
    theirs = services.enrollment_create(
        by=cast.admin,
        person=p,
        protocol_code="hypertension",
        diagnosis_code="I10",
        enrolled_on=date(2026, 1, 5),
    )
    for e in (mine, theirs):
        _set(e, next_due_on=TODAY - timedelta(days=3))
    assert _ids("overdue", team) == [mine.pk]


def test_recompute_restores_derived_state_with_a_constant_number_of_queries(cast, team, django_assert_max_num_queries):
    es = _patients(cast, team, 3)
    risk = {"total_chol_mmol_l": 5.2, "hdl_mmol_l": 1.3, "waist_cm": 88, "smoker": False, "north": True,
            "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip
    for e in es:
        followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, **risk})
        followup(cast.gp, e, date(2026, 3, 1), {**HTN_HIGH, **risk, "smoker": True})
    fields = ("next_due_on", "control_class", "controlled", "last_followup_on", "risk_percent",
              "previous_risk_percent", "risk_rose")  # fmt: skip
    expected = {e.pk: tuple(getattr(e, k) for k in fields) for e in Enrollment.objects.all()}
    assert all(v[-1] is True and v[2] is False for v in expected.values())
    Enrollment.objects.update(
        next_due_on=date(2000, 1, 1), control_class="", controlled=None, last_followup_on=None, risk_percent=None,
        previous_risk_percent=None, risk_rose=False,
    )  # fmt: skip
    with django_assert_max_num_queries(8):
        n = services.enrollments_recompute(batch_size=10)
    assert n == 3
    for e in Enrollment.objects.all():
        assert tuple(getattr(e, k) for k in fields) == expected[e.pk]


def test_recompute_command_and_tick_runs_once_a_day(cast, team):
    (e,) = _patients(cast, team, 1)
    fu = followup(cast.gp, e, date(2026, 2, 1))
    _set(e, next_due_on=None)
    call_command("care_recompute", "--quiet", stdout=io.StringIO())
    e.refresh_from_db()
    assert e.next_due_on == fu.next_due_on
    _set(e, next_due_on=None)
    assert tasks.tick(at(TODAY))["recompute_started"] == 1
    assert tasks.tick(at(TODAY))["recompute_started"] == 0
    e.refresh_from_db()
    assert e.next_due_on == fu.next_due_on
    assert RecomputeRun.objects.get().enrollments == 1


def test_tick_expires_contracts_past_their_term(cast, team):
    c = contract(cast.gp, cast.household_a, team, start=date(2025, 1, 1))
    assert tasks.tick(at(TODAY))["contracts_expired"] == 1
    c.refresh_from_db()
    assert c.status == "expired" and not c.enrolled.filter(active=True).exists()


def test_xlsx_download(cast, team, api):
    (e,) = _patients(cast, team, 1)
    _set(e, next_due_on=TODAY - timedelta(days=4), risk_percent=8.25, control_class="unsatisfactory")
    status, body = api(cast.health_manager).get(f"care/teams/{team.pk}/worklists/overdue.xlsx")
    assert status == 200
    ws = load_workbook(io.BytesIO(body)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == e.person.name and rows[1][4] == 4 and rows[1][6] == 8.2
    # The programme, the control class and the sheet in words, as the page shows them (not hypertension, etc.).
    assert (ws.title, rows[0][2], rows[1][2], rows[1][5]) == ("逾期", "管理项目", "高血压患者健康管理", "控制不满意")
    status, _ = api(cast.gp_b).get(f"care/teams/{team.pk}/worklists/overdue.xlsx")
    assert status == 404


def test_worklist_api_pages_with_the_total_in_one_query(cast, team, api):
    a, b, c = _patients(cast, team, 3)
    for e, days in ((a, 10), (b, 40), (c, 90)):
        _set(e, next_due_on=TODAY - timedelta(days=days))
    client = api(cast.gp)
    path = f"care/teams/{team.pk}/worklists/overdue"
    status, body = client.get(path + "?limit=2")
    assert status == 200 and body["count"] == 3
    assert [i["days_overdue"] for i in body["items"]] == [90, 40]
    status, body = client.get(path + "?limit=2&offset=2")
    assert body["count"] == 3 and [i["days_overdue"] for i in body["items"]] == [10]
    status, body = client.get(path + "?limit=2&offset=4")  # past the end: the count is still told
    assert body["count"] == 3 and body["items"] == []
