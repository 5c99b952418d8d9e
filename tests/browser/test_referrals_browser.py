"""The tertiary referral desk's path in a real browser: the GP's referral waits in the desk's worklist, the desk opens
it, accepts it and schedules the visit through the action forms; another hospital's coordinator does not see it and
gets the not-found page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.referrals.conftest import receiving_user

from tiercare.people.models import Consent, ConsentScope
from tiercare.referrals import services
from tiercare.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def referral(cast):
    """As tests/referrals/conftest.py sets it up: a tertiary pediatrics desk, the patient's consent, a sent referral."""
    dept = f.DepartmentFactory(organization=cast.tertiary, name="小儿内科", specialty="pediatrics")
    receiving_user(cast.tertiary, "tert_coord")
    Consent.objects.create(
        person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
    )
    result = services.referral_create(
        by=cast.gp,
        person=cast.patient_person,
        receiving_department=dept,
        reason="持续高热，疑似川崎病",
        diagnosis_text="川崎病？",
    )
    return result.referral


def test_desk_accepts_and_schedules_a_referral_and_another_hospital_cannot_see_it(page, cast, referral, shot):
    assert referral.status == "sent"
    name = cast.patient_person.name
    sign_in(page, "tert_coord", PASSWORD)
    page.goto("/referrals/")
    assert page.inner_text("h1") == "转诊"
    assert page.inner_text("#referral-tabs a.primary") == "待我处理"
    page.click(f"#referral-rows a[href='/referrals/{referral.pk}/']")
    page.wait_for_url(f"**/referrals/{referral.pk}/")
    assert "已发送" in page.inner_text("h1")
    assert "持续高热，疑似川崎病" in page.inner_text("body")

    page.click("#actions button[value=accept]")
    page.wait_for_selector("h1 .badge:has-text('已接收')")
    assert Referral.objects.get(pk=referral.pk).status == "accepted"

    when = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    form = page.locator("#actions form:has(button[value=schedule])")
    form.locator("input[name=scheduled_for]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator("button").click()
    page.wait_for_selector("h1 .badge:has-text('已安排')")
    assert f"预约时间: {when:%Y-%m-%d %H:%M}" in page.inner_text("body")
    timeline = page.locator("#timeline tbody tr td:nth-child(2)").all_inner_texts()
    assert timeline[-2:] == ["接收转诊 → 已接收", "安排就诊 → 已安排"]
    shot(page, "referral-scheduled-zh")
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == "scheduled"
    assert timezone.localtime(stored.scheduled_for) == when

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    page.goto("/referrals/?tab=all")
    assert name not in page.inner_text("#referral-rows")
    assert page.locator(f"a[href='/referrals/{referral.pk}/']").count() == 0
    response = page.goto(f"/referrals/{referral.pk}/")
    assert response.status == 404
    assert page.inner_text("h1") == "无法完成此操作"  # the not-found page, in Chinese
    assert name not in page.content() and "川崎病" not in page.content()
