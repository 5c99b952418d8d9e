"""The referral rules as the receiving desk meets them: arrival before the scheduled day needs an override reason
(audited), on both sides of the day boundary in Asia/Shanghai; a visit time is never in the past and never a day
without a time; the periodic job's texts and the timeline are in Chinese, never codes."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from tests.referrals.conftest import publish
from tests.referrals.helpers import reach

from tiercare.core.models import AuditEvent
from tiercare.referrals.models import Referral, ReferralTransition
from tiercare.referrals.tasks import tick

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def page_client(user):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def text(response) -> str:
    return html.unescape(response.content.decode())


def visible(response) -> str:
    """The page's text as read on screen: no tags, no attribute values."""
    body = text(response).split("<body", 1)[-1]
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def field_error(page: str, form_id: str, field: str) -> str:
    """The error shown beside ``field`` of the form ``form_id`` ('' when none)."""
    form = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    match = re.search(rf'id="id_[a-z_]*?{field}-error"[^>]*>([^<]*)<', form)
    return match.group(1) if match else ""


@pytest.fixture
def scheduled(net):
    """A referral scheduled for 09:00 (Beijing time) three days from today."""
    ref = reach(net, "accepted")
    day = timezone.localdate() + timedelta(days=3)
    when = datetime.combine(day, time(9, 0), tzinfo=SHANGHAI)
    ref = net.move(ref, "schedule", net.receiver, scheduled_for=when)
    assert ref.status == "scheduled"
    return ref, day


def at_local(day, hour, minute=0, second=0):
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI)


# --- arrival before the scheduled day -----------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["api", "page"])
def test_arrival_on_the_eve_of_the_scheduled_day_needs_a_reason(net, api, scheduled, channel):
    ref, day = scheduled
    eve = at_local(day - timedelta(days=1), 23, 59, 59)  # 15:59:59 UTC: the same UTC day as the next local midnight
    with time_machine.travel(eve, tick=False):
        if channel == "api":
            status, body = api(net.receiver).post(f"referrals/{ref.pk}/transitions", {"action": "arrive"})
            assert status == 422 and body["details"]["field"] == "reason", body
            assert body["code"] == "early_arrival_reason" and day.isoformat() in body["message"]
        else:
            page = page_client(net.receiver)
            shown = text(page.get(f"/referrals/{ref.pk}/"))
            assert "提前登记到院的原因" in shown.split('id="action-arrive"')[1].split("</form>")[0]
            response = page.post(f"/referrals/{ref.pk}/move/", {"action": "arrive", "reason": ""})
            assert response.status_code == 422
            assert field_error(text(response), "action-arrive", "reason")  # beside the field, in Chinese
            assert "无法完成此操作" not in text(response)
        assert Referral.objects.get(pk=ref.pk).status == "scheduled"

        reason = "患者病情加重，提前来院"
        if channel == "api":
            status, body = api(net.receiver).post(
                f"referrals/{ref.pk}/transitions", {"action": "arrive", "reason": reason}
            )
            assert status == 200 and body["status"] == "arrived"
        else:
            response = page_client(net.receiver).post(
                f"/referrals/{ref.pk}/move/", {"action": "arrive", "reason": reason}
            )
            assert response.status_code == 302
    row = ReferralTransition.objects.get(referral=ref, action="arrive")
    assert row.reason == reason and row.by == net.receiver
    assert row.details["arrived_before_scheduled_day"] == day.isoformat()
    event = AuditEvent.objects.filter(
        object_type="referrals.referral", object_id=str(ref.pk), actor=net.receiver, action="update"
    ).latest("at")
    assert event.details["changes"]["arrived_before_scheduled_day"] == day.isoformat()
    assert reason in event.reason and "arrive" not in event.reason


@pytest.mark.parametrize("channel", ["api", "page"])
def test_arrival_from_local_midnight_of_the_scheduled_day_needs_no_reason(net, api, scheduled, channel):
    ref, day = scheduled
    midnight = at_local(day, 0, 0, 0)  # still the previous day in UTC
    assert midnight.astimezone(ZoneInfo("UTC")).date() == day - timedelta(days=1)
    with time_machine.travel(midnight, tick=False):
        if channel == "api":
            status, body = api(net.receiver).post(f"referrals/{ref.pk}/transitions", {"action": "arrive"})
            assert status == 200 and body["status"] == "arrived", body
        else:
            page = page_client(net.receiver)
            form = text(page.get(f"/referrals/{ref.pk}/")).split('id="action-arrive"')[1].split("</form>")[0]
            assert "原因" not in form  # no override asked on the day
            assert page.post(f"/referrals/{ref.pk}/move/", {"action": "arrive"}).status_code == 302
    row = ReferralTransition.objects.get(referral=ref, action="arrive")
    assert "arrived_before_scheduled_day" not in row.details


# --- the visit time -----------------------------------------------------------------------------------------------
def test_a_visit_time_in_the_past_is_refused_beside_the_field_and_nothing_is_stored(net, api):
    ref = reach(net, "accepted")
    past = timezone.localtime() - timedelta(hours=2)
    status, body = api(net.receiver).post(
        f"referrals/{ref.pk}/transitions", {"action": "schedule", "scheduled_for": past.isoformat()}
    )
    assert status == 422 and body["details"]["field"] == "scheduled_for" and body["code"] == "visit_time_past"
    typed = past.strftime("%Y-%m-%dT%H:%M")
    response = page_client(net.receiver).post(
        f"/referrals/{ref.pk}/move/", {"action": "schedule", "scheduled_for": typed}
    )
    assert response.status_code == 422
    page = text(response)
    assert "已经过去" in field_error(page, "action-schedule", "scheduled_for")
    assert f'value="{typed}"' in page  # what was typed is kept
    stored = Referral.objects.get(pk=ref.pk)
    assert stored.status == "accepted" and stored.scheduled_for is None


def test_a_day_without_a_time_is_refused_on_the_page(net):
    ref = reach(net, "accepted")
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = page_client(net.receiver).post(
        f"/referrals/{ref.pk}/move/", {"action": "schedule", "scheduled_for": day}
    )
    assert response.status_code == 422
    assert "请同时填写就诊日期和时间" in field_error(text(response), "action-schedule", "scheduled_for")
    assert Referral.objects.get(pk=ref.pk).scheduled_for is None


def test_without_a_time_a_reserved_place_books_its_day_at_8_unless_that_has_passed(net, api):
    with time_machine.travel(at_local(timezone.localdate(), 10), tick=False):
        _reserved_place_default_time(net, api)


def _reserved_place_default_time(net, api):
    today = timezone.localdate()
    publish(net, 1, on=today)  # today's 08:00 has passed at 10:00
    ref = net.move(net.create(green_channel=True).referral, "accept", net.receiver)
    assert ref.bookings.get().capacity.date == today
    status, body = api(net.receiver).post(f"referrals/{ref.pk}/transitions", {"action": "schedule"})
    assert status == 422 and body["details"]["field"] == "scheduled_for" and "08:00" in body["message"]
    assert Referral.objects.get(pk=ref.pk).status == "accepted"

    tomorrow = today + timedelta(days=1)
    publish(net, 2, on=tomorrow)
    other = net.move(net.create(green_channel=True).referral, "accept", net.receiver)
    assert other.bookings.get().capacity.date == tomorrow
    # the page shows the proposed time in the field, visibly, before anything is stored
    form = text(page_client(net.receiver).get(f"/referrals/{other.pk}/")).split('id="action-schedule"')[1]
    assert f'value="{tomorrow.isoformat()}T08:00"' in form.split("</form>")[0]
    status, body = api(net.receiver).post(f"referrals/{other.pk}/transitions", {"action": "schedule"})
    assert status == 200
    assert timezone.localtime(Referral.objects.get(pk=other.pk).scheduled_for) == at_local(tomorrow, 8)


# --- words, not codes ---------------------------------------------------------------------------------------------
def test_the_timeline_and_next_step_speak_chinese(net):
    ref = reach(net, "closed")
    page = text(page_client(net.cast.gp).get(f"/referrals/{ref.pk}/"))
    timeline = re.sub(r"<[^>]+>", " ", page.split('id="timeline"')[1].split("</table>")[0])
    for code in ("back_refer", "confirm_receipt", "scheduled", "draft", "referring", "receiving", "create", "→ draft"):
        assert code not in timeline, code
    assert "写转诊单 → 草稿" in timeline and "下转回基层 → 已下转" in timeline and "转出方" in timeline
    open_ref = reach(net, "sent")
    page = text(page_client(net.receiver).get(f"/referrals/{open_ref.pk}/"))
    next_step = re.sub(r"<[^>]+>", " ", page.split('id="next-step"')[1].split("</p>")[0])
    assert "接收或拒绝" in next_step and "accept" not in next_step


def test_audit_reasons_of_moves_name_the_move_in_chinese(net):
    ref = reach(net, "back_referred")
    reasons = list(
        AuditEvent.objects.filter(object_type="referrals.referral", object_id=str(ref.pk), action="update")
        .exclude(reason="")
        .values_list("reason", flat=True)
    )
    assert "下转回基层" in reasons and "接收转诊" in reasons
    assert not any(re.search(r"[a-z]_[a-z]|^(accept|schedule|arrive|treat)", r) for r in reasons), reasons


def test_the_periodic_jobs_reasons_are_chinese(net):
    ref = reach(net, "sent")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        tick(timezone.now())
    rows = ReferralTransition.objects.filter(referral=ref, action__in=["escalate", "expire"])
    assert {r.action for r in rows} == {"escalate", "expire"}
    assert all("接收或拒绝" in r.reason and "lapsed" not in r.reason for r in rows)


def test_the_demo_runs_its_own_periodic_work():
    """`make demo` ticks once before serving (deadlines passed while it was stopped show at once) and keeps the tick
    and the task worker running beside the web server: without them the overdue tabs stay empty."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines()[1:]]
    serve = next(i for i, line in enumerate(lines) if "runserver" in line)
    assert any(line.endswith("manage.py tick") for line in lines[:serve])
    assert any("manage.py tick --every 60" in line and line.rstrip("\\ ").endswith("&") for line in lines)
    assert any("manage.py db_worker" in line for line in lines)


def test_a_visit_time_more_than_a_year_ahead_is_refused_beside_the_field_and_nothing_is_stored(net, api):
    ref = reach(net, "accepted")
    far = timezone.localtime() + timedelta(days=367)
    status, body = api(net.receiver).post(
        f"referrals/{ref.pk}/transitions", {"action": "schedule", "scheduled_for": far.isoformat()}
    )
    assert status == 422 and body["details"]["field"] == "scheduled_for" and body["code"] == "visit_time_too_far"
    typed = far.strftime("%Y-%m-%dT%H:%M")
    response = page_client(net.receiver).post(
        f"/referrals/{ref.pk}/move/", {"action": "schedule", "scheduled_for": typed}
    )
    assert response.status_code == 422
    assert "一年以后" in field_error(text(response), "action-schedule", "scheduled_for")
    ref.refresh_from_db()
    assert ref.status == "accepted" and ref.scheduled_for is None
    # Just inside the horizon is taken.
    near = timezone.localtime() + timedelta(days=365)
    status, body = api(net.receiver).post(
        f"referrals/{ref.pk}/transitions", {"action": "schedule", "scheduled_for": near.isoformat()}
    )
    assert status == 200 and body["status"] == "scheduled", body
