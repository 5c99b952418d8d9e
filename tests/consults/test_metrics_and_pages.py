"""The dashboard figures (with the Champlain BASE reference), the workspace panels and the pages per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tiercare.consults import services
from tiercare.consults.metrics import consult_metrics, percentile
from tiercare.consults.models import Outcome, SecondOpinion, Teleconsult

pytestmark = pytest.mark.django_db


def test_percentile_matches_linear_interpolation():
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 11)), 90) == pytest.approx(9.1)


def test_metrics_over_answered_late_and_avoided(cast, net, case, api):
    start = timezone.now()
    a = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    b = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    c = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    with time_machine.travel(start + timedelta(hours=10), tick=False):
        services.teleconsult_close(by=cast.expert, teleconsult=a, outcome=Outcome.ADVICE_ONLY)
    with time_machine.travel(start + timedelta(hours=30), tick=False):  # urgent: 6 h late
        services.teleconsult_close(by=cast.expert, teleconsult=b, outcome=Outcome.REFERRAL_NEEDED)
    with time_machine.travel(start + timedelta(hours=40), tick=False):
        m = consult_metrics()  # c is unanswered and past its 24 h deadline
        status, body = api(cast.ops).get("consults/metrics")
    assert c.first_answer_at is None
    assert m["answered"] == 2
    assert m["median_hours_to_first_answer"] == pytest.approx(20, abs=0.01)
    assert m["p90_hours_to_first_answer"] == pytest.approx(28, abs=0.01)
    assert m["share_answered_within_deadline"] == pytest.approx(1 / 3)
    assert m["share_referral_avoided"] == 0.5
    assert m["reference"]["median_hours_to_first_answer"] == 21.0
    assert m["reference"]["share_referral_avoided"] == 0.65
    assert status == 200 and body["answered"] == 2
    assert api(cast.gp).get("consults/metrics")[0] == 403


def test_dashboard_page_shows_our_figures_beside_champlain(cast, net, case):
    c = Client()
    c.force_login(cast.ops)
    page = c.get("/consults/dashboard/")
    assert page.status_code == 200 and b"Champlain BASE" in page.content and b"21 h" in page.content
    label = page.content.decode().split('data-label-avoided="')[1].split('"')[0]
    assert label == "避免转诊（%）"  # translated, the percent sign once
    gp = Client()
    gp.force_login(cast.gp)
    assert gp.get("/consults/dashboard/").status_code == 403


def test_workspaces_per_role(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    for user, expected in ((cast.expert, case.person.name), (cast.gp, case.person.name)):
        c = Client()
        c.force_login(user)
        home = c.get("/")
        assert home.status_code == 200 and expected.encode() in home.content, user
        assert c.get("/consults/").status_code == 200
    # The other pediatrics expert's inbox is empty; ops see it only once it is at risk, without clinical content.
    other = Client()
    other.force_login(net.expert2)
    assert case.person.name.encode() not in other.get("/consults/").content
    with time_machine.travel(tc.created_at + timedelta(hours=20), tick=False):
        ops = Client()
        ops.force_login(cast.ops)  # signed in then: sessions expire
        page = ops.get("/consults/")
    assert page.status_code == 200 and "甲全科中心".encode() in page.content
    assert case.question.encode() not in page.content and case.person.name.encode() not in page.content


def test_expert_inbox_api(cast, net, case, api):
    services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    status, body = api(cast.expert).get("consults/inbox")
    assert status == 200 and [r["kind"] for r in body] == ["opinion", "teleconsult"]  # deadline first
    assert api(net.expert2).get("consults/inbox")[1] == []
    status, body = api(cast.ops).get("consults/at-risk")
    assert status == 200 and body["late"] == [] and body["at_risk"] == []
    assert api(cast.gp).get("consults/at-risk")[0] == 403


def test_case_page_for_people_on_it_only(cast, net, case):
    ok = Client()
    ok.force_login(cast.gp)
    assert ok.get(f"/consults/cases/{case.pk}/").status_code == 200
    no = Client()
    no.force_login(cast.gp_b)
    assert no.get(f"/consults/cases/{case.pk}/").status_code == 404


def test_ops_sees_late_work_by_its_kind_and_status_in_chinese_not_its_codes(cast, net, case):
    services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    past = timezone.now() - timedelta(hours=1)
    for model in (Teleconsult, SecondOpinion):
        model.objects.update(deadline=past)
    ops = Client()
    ops.force_login(cast.ops)
    page = ops.get("/consults/").content.decode()
    late = page[page.index("<h3>已逾期") :]
    late = late[: late.index("</table>")]
    assert "远程会诊" in late and "第二诊疗意见" in late and "已分配" in late, late
    for code in ("teleconsult", "opinion", "assigned"):
        assert f"<td>{code}</td>" not in late
