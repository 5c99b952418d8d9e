"""Issue 14, plans and KPIs: a coordinator enters a month's actuals for their own hospital and the program page shows
them; a coordinator of another hospital gets 404, audited; a hospital director reads their hospital's programs only;
derived KPIs are the sum of outreach session reports, and change when a report does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests import factories as f
from tests.outreach.factories import make_session
from tests.programs.factories import month_start
from tiercare.core.models import AuditEvent, Role
from tiercare.outreach.models import SessionReport
from tiercare.programs.models import KpiActual

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_coordinator_enters_a_months_actuals_and_the_page_shows_them(cast, program):
    month = month_start(1)
    url = f"/programs/{program.pk}/actuals/"
    client = _client(cast.coordinator)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"month": month.isoformat(), "neonates_admitted": "-3"})
    assert bad.status_code == 422 and 'value="-3"' in bad.content.decode()
    response = client.post(url, {"month": month.isoformat(), "neonates_admitted": "12"})
    assert response.status_code == 302
    row = KpiActual.objects.get(program=program, kpi="neonates_admitted")
    assert (row.month, row.value, row.entered_by) == (month, Decimal("12.00"), cast.coordinator)
    assert AuditEvent.objects.filter(object_type="programs.kpiactual", action="update").exists()
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert f'data-month="{month:%Y-%m}">12.00</td>' in page
    assert 'data-chart="kpi-line"' in page and 'id="kpi-chart"' in page
    # the chart's data carries the value too
    assert '"actual": [null, 12.0' in page or "12.0" in page.split('id="kpi-chart"')[1]


def test_a_coordinator_of_another_hospital_gets_404_and_the_refusal_is_audited(cast, program):
    client = _client(cast.outsider)
    for url in (f"/programs/{program.pk}/", f"/programs/{program.pk}/actuals/"):
        assert client.get(url).status_code == 404
    response = client.post(
        f"/programs/{program.pk}/actuals/", {"month": month_start(1).isoformat(), "neonates_admitted": "5"}
    )
    assert response.status_code == 404
    assert not KpiActual.objects.exists()
    denied = AuditEvent.objects.filter(actor=cast.outsider, action="denied", object_id=str(program.pk))
    assert denied.count() == 3
    status, _body = _api(cast.outsider).post(
        f"/api/v1/programs/{program.pk}/actuals",
        {"month": month_start(1).isoformat(), "values": {"neonates_admitted": 5}},
    )
    assert status == 404 and not KpiActual.objects.exists()


def _api(user: Any) -> Any:
    from tests.conftest import Api

    return Api(user)


def test_the_api_takes_actuals_from_the_coordinator_and_refuses_a_derived_kpi(cast, program):
    api = _api(cast.coordinator)
    status, body = api.post(
        f"/api/v1/programs/{program.pk}/actuals",
        {"month": month_start(0).isoformat(), "values": {"neonates_admitted": 4}},
    )
    assert status == 200 and body[0]["value"] == "4.00"
    status, body = api.post(
        f"/api/v1/programs/{program.pk}/actuals", {"month": month_start(0).isoformat(), "values": {"cases_seen": 4}}
    )
    assert status == 422 and body["details"] == {"field": "cases_seen"}


def test_a_director_sees_their_hospitals_programs_read_only(cast, program, director, director_b):
    client = _client(director)
    assert client.get(f"/programs/{program.pk}/").status_code == 200
    assert program.title in client.get("/programs/").content.decode()
    assert f"/programs/{program.pk}/" in client.get("/").content.decode()
    assert client.get(f"/programs/{program.pk}/actuals/").status_code == 403
    assert client.post(f"/programs/{program.pk}/move/", {"to": "evaluated"}).status_code == 403
    other = _client(director_b)
    assert other.get(f"/programs/{program.pk}/").status_code == 404
    assert program.title not in other.get("/programs/").content.decode()


def test_experts_see_the_programs_they_serve(cast, program):
    assert _client(cast.expert).get(f"/programs/{program.pk}/").status_code == 200
    stranger = f.UserFactory(username="expert_x", role=Role.EXPERT)
    f.PractitionerFactory(user=stranger, home_organization=cast.tertiary, doctor_group=cast.group)
    assert _client(stranger).get(f"/programs/{program.pk}/").status_code == 404
    make_session(stranger.practitioner, cast.dept_a, on=month_start(1) + timedelta(days=3))
    assert _client(stranger).get(f"/programs/{program.pk}/").status_code == 200


def _kpi(cast: Any, program: Any, code: str) -> list[Any]:
    status, body = _api(cast.ops).get(f"/api/v1/programs/{program.pk}")
    assert status == 200
    series = next(k for k in body["kpis"] if k["code"] == code)
    return series["points"]


def test_derived_kpis_are_the_sum_of_session_reports_and_follow_a_changed_report(cast, program):
    month = month_start(1)
    reports = []
    for day, cases, attendees in ((2, 11, 20), (9, 7, 15)):
        s = make_session(cast.expert_practitioner, cast.dept_a, on=month + timedelta(days=day), kind="surgery")
        reports.append(
            SessionReport.objects.create(
                session=s,
                filed_by=cast.expert,
                cases_seen=cases,
                attendees=attendees,
                surgeries=[{"procedure": "腹腔镜阑尾切除", "grade": 3, "count": 2}],
            )
        )
    # another department's report does not count
    other = f.DepartmentFactory(organization=cast.hospital_a, name="外科", specialty="surgery")
    s = make_session(cast.expert_practitioner, other, on=month + timedelta(days=4))
    SessionReport.objects.create(session=s, filed_by=cast.expert, cases_seen=100, attendees=100)

    def value(code: str) -> tuple[str, str]:
        p = next(p for p in _kpi(cast, program, code) if p["month"] == month.isoformat())
        return p["actual"], p["source"]

    assert value("cases_seen") == ("18", "outreach")
    assert value("teaching_attendees") == ("35", "outreach")
    assert value("local_surgeries") == ("4", "outreach")
    reports[0].cases_seen = 30
    reports[0].save(update_fields=["cases_seen"])
    assert value("cases_seen") == ("37", "outreach")
    page = _client(cast.ops).get(f"/programs/{program.pk}/").content.decode()
    assert "来自专家出诊报告" in page or "outreach session reports" in page


def test_the_traffic_light_compares_the_latest_month_in_the_kpis_direction(cast, program):
    from tiercare.programs.selectors import kpi_series

    today = month_start(0) + timedelta(days=3)
    KpiActual.objects.create(
        program=program, kpi="neonates_admitted", month=month_start(1), value=10, entered_by=cast.coordinator
    )
    lights = {s.kpi.code: s.light(today) for s in kpi_series(program, until=today)}
    assert lights["neonates_admitted"] == "green"  # exactly at the target of 10
    KpiActual.objects.create(
        program=program, kpi="neonates_admitted", month=month_start(0), value=9, entered_by=cast.coordinator
    )
    lights = {s.kpi.code: s.light(today) for s in kpi_series(program, until=today)}
    assert lights["neonates_admitted"] == "amber"  # 9 of 10: within 10%
    # derived: last month's sum of no reports is 0 of 10, behind; the part month under way is not judged
    assert lights["cases_seen"] == "red"


def test_operations_and_the_lead_expert_edit_the_plan_and_the_coordinator_may_not(cast, program, director):
    from tiercare.programs.models import KpiTarget, Milestone

    url = f"/programs/{program.pk}/plan/"
    for user in (cast.coordinator, director, cast.auditor):
        assert _client(user).get(url).status_code == 403
        assert _client(user).post(url, {"action": "milestone"}).status_code == 403
    assert _client(cast.outsider).get(url).status_code == 404
    lead = _client(cast.expert)
    due = (month_start(0) + timedelta(days=40)).isoformat()
    body = {"action": "milestone", "ms-workstream": "norms", "ms-title": "制度汇编", "ms-owner": "王护士长"}
    response = lead.post(url, {**body, "ms-due_on": due})
    assert response.status_code == 302
    assert Milestone.objects.filter(program=program, title="制度汇编", owner="王护士长").exists()
    months = {f"m{i}": "" for i in range(12)}
    response = _client(cast.ops).post(url, {"action": "targets", "kpi": "cases_seen", **months, "m0": "25", "m1": "-2"})
    assert response.status_code == 422
    assert KpiTarget.objects.get(program=program, kpi="cases_seen", month=program.start).value == 10
    response = _client(cast.ops).post(url, {"action": "targets", "kpi": "cases_seen", **months, "m0": "25"})
    assert response.status_code == 302
    assert KpiTarget.objects.get(program=program, kpi="cases_seen", month=program.start).value == 25
    assert AuditEvent.objects.filter(object_id=str(program.pk), action="update", actor=cast.ops).exists()
