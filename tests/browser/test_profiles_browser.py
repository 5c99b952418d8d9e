"""Issue 17 in a real browser: a patient reviews a visit at a held session on the page; operations hide another
review with a reason; the public expert page (no sign-in) shows the one and neither the other nor its count."""

import pytest
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.profiles.factories import booking, held_session

from tiercare.profiles import services
from tiercare.profiles.models import Review, ReviewStatus
from tiercare.profiles.selectors import expert_slug

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_review_is_written_hidden_and_gone_from_the_public_page(page, browser, live_server, cast, shot):
    from django.core.cache import cache

    cache.clear()
    expert = cast.expert_practitioner
    mine = booking(held_session(expert, cast.dept_a, days_ago=12, cases=14), cast.patient_person, cast.coordinator)
    child = booking(held_session(expert, cast.dept_a, days_ago=5, cases=9), cast.child_person, cast.coordinator)
    rude = services.review_create(by=cast.patient, booking=child, stars=1, text="导诊台小李态度差，电话13800001234")
    address = f"/experts/{expert_slug(expert)}/"

    # The patient writes a review of their own visit on the page; a review without stars is refused beside them.
    sign_in(page, "patient", PASSWORD)
    page.click("text=评价医生")
    page.wait_for_url("**/profiles/reviews/")
    page.click(f"a[href='/profiles/reviews/visit/{mine.pk}/']")
    page.fill("#id_text", "赵主任讲得很清楚，不用再去省城了。")
    page.click("#review-form button[type=submit]")
    assert "星" in page.inner_text("#id_stars-error")
    assert page.input_value("#id_text") == "赵主任讲得很清楚，不用再去省城了。"
    page.check("input[name=stars][value='5']")
    page.click("#review-form button[type=submit]")
    page.wait_for_url("**/profiles/reviews/")
    assert Review.objects.filter(booking=mine, stars=5).exists()

    # Operations hide the other review with a reason.
    ops = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", base_url=live_server.url)
    ops_page = ops.new_page()
    sign_in(ops_page, "ops", PASSWORD)
    ops_page.goto("/profiles/moderation/")
    row = ops_page.locator(f"tr[data-review='{rude.pk}']")
    row.locator("input[name=reason]").fill("含他人电话号码")
    row.locator("button[type=submit]").click()
    ops_page.wait_for_url("**/profiles/moderation/")
    assert "含他人电话号码" in ops_page.locator(f"tr[data-review='{rude.pk}']").inner_text()
    ops.close()
    rude.refresh_from_db()
    assert rude.status == ReviewStatus.HIDDEN

    # Anyone, signed out: the public page shows the kept review, not the hidden one, and counts one.
    anon = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", base_url=live_server.url)
    public = anon.new_page()
    public.goto(address)
    assert public.inner_text("#expert-name").startswith("赵专家")
    assert public.inner_text("#review-count") == "1 条评价"
    reviews = public.locator("#expert-reviews .review")
    assert reviews.count() == 1
    assert "赵主任讲得很清楚" in reviews.first.inner_text()
    assert "13800001234" not in public.content() and "张三" not in public.content()
    assert public.inner_text("#fig-cases") == "23" and public.inner_text("#fig-held") == "2"
    assert public.locator("meta[property='og:title']").get_attribute("content") == "赵专家 · 主任医师"
    shot(public, "profiles-expert-page-zh")
    anon.close()
