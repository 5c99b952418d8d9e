"""The referral pages: worklist tabs (htmx), the referral page with its timeline and actions, the create form,
capacity, the dashboard, the home panel; the wrong user gets 404."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.referrals.conftest import publish
from tests.referrals.helpers import reach

from tiercare.referrals.models import Referral

pytestmark = pytest.mark.django_db


def client(user):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def test_worklists_show_patients_to_the_parties_and_only_counts_to_ops(net):
    ref = reach(net, "sent")
    page = client(net.receiver).get("/referrals/?tab=waiting")
    assert page.status_code == 200 and "张三" in page.content.decode()
    partial = client(net.receiver).get("/referrals/?tab=overdue", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    ops = client(net.cast.ops).get("/referrals/?tab=all").content.decode()
    assert str(ref.pk) in ops and "张三" not in ops
    assert "张三" not in client(net.cast.outsider).get("/referrals/?tab=all").content.decode()


def test_referral_page_timeline_and_actions(net):
    ref = reach(net, "sent")
    page = client(net.receiver).get(f"/referrals/{ref.pk}/").content.decode()
    assert 'id="timeline"' in page and "发送转诊 → 已发送" in page and 'value="accept"' in page
    response = client(net.receiver).post(f"/referrals/{ref.pk}/move/", {"action": "accept"})
    assert response.status_code == 302
    assert Referral.objects.get(pk=ref.pk).status == "accepted"
    illegal = client(net.receiver).post(f"/referrals/{ref.pk}/move/", {"action": "accept"})
    assert illegal.status_code == 409
    for user in (net.cast.outsider, net.other_receiver, net.cast.gp_b):
        assert client(user).get(f"/referrals/{ref.pk}/").status_code == 404
        assert client(user).post(f"/referrals/{ref.pk}/move/", {"action": "cancel", "reason": "x"}).status_code == 404
    ops_page = client(net.cast.ops).get(f"/referrals/{ref.pk}/").content.decode()
    assert "张三" not in ops_page and "川崎病" not in ops_page and 'value="escalate"' in ops_page


def test_patient_sees_where_their_referral_stands(net):
    ref = reach(net, "scheduled")
    home = client(net.cast.patient).get("/").content.decode()
    assert 'id="referral-panel"' in home and str(ref.pk) in home
    page = client(net.cast.patient).get(f"/referrals/{ref.pk}/").content.decode()
    assert "Scheduled" in page or "已安排" in page or "scheduled" in page
    assert 'id="actions"' not in page


def test_create_form_sends_a_green_channel_referral(net):
    publish(net, 1)
    data = {
        "person": str(net.cast.patient_person.pk),
        "receiving_department": str(net.dept.pk),
        "urgency": "priority",
        "reason": "高热不退",
        "diagnosis_text": "发热",
        "green_channel": "on",
        "capacity_kind": "clinic",
    }
    assert client(net.cast.gp).get("/referrals/new/").status_code == 200
    response = client(net.cast.gp).post("/referrals/new/", data)
    assert response.status_code == 302, response.content[:500]
    ref = Referral.objects.get()
    assert ref.status == "sent" and ref.bookings.count() == 1
    assert 'id="reservation"' in client(net.cast.gp).get(response["Location"]).content.decode()


def test_dashboard_and_capacity_pages(net):
    reach(net, "closed")
    reach(net, "declined")
    publish(net, 2)
    page = client(net.cast.ops).get("/referrals/dashboard/")
    assert page.status_code == 200 and "chart-hours" in page.content.decode()
    assert client(net.receiver).get("/referrals/capacity/").status_code == 200
    metrics = client(net.cast.ops).get("/api/v1/referrals/metrics").json()
    assert metrics["referrals_sent"] == 2
    assert metrics["share_closed_with_confirmed_back_referral"] == 0.5
    assert metrics["by_status"]["closed"] == 1
