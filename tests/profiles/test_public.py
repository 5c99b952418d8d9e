"""The public expert page: no sign-in, a good address, public facts only (aggregates of session reports, never a
patient), Open Graph tags, the sitemap, and a page whose cost does not grow with its reviews."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache

from tests import factories as f
from tests.outreach.factories import make_session
from tests.profiles.factories import booking, held_session, review
from tiercare.outreach.models import ExpertResponse
from tiercare.profiles.selectors import expert_slug

pytestmark = pytest.mark.django_db


def url(expert):
    return f"/experts/{expert_slug(expert)}/"


def test_the_page_shows_an_experts_public_facts_without_sign_in(cast, client):
    e = cast.expert_practitioner
    e.bio = "擅长小儿呼吸道感染。"
    e.save()
    held_session(e, cast.dept_a, days_ago=20, cases=12)
    held_session(e, cast.dept_a, days_ago=13, cases=0, kind="teaching", topic="新生儿复苏", attendees=9)
    soon = make_session(e, cast.dept_a, on=f.today() + timedelta(days=5), half_day="pm")
    declined = make_session(e, cast.dept_a, on=f.today() + timedelta(days=6), half_day="am")
    declined.response, declined.response_reason = ExpertResponse.DECLINED, "家中有事"
    declined.save()
    r = client.get(url(e))
    assert r.status_code == 200
    text = r.text
    assert re.search(r"<h1[^>]*>赵专家 <small>主任医师</small>", text)
    assert "儿科" in text and "示例大学附属医院" in text and "擅长小儿呼吸道感染。" in text
    assert "甲县人民医院" in text  # where the expert holds sessions
    assert soon.date.isoformat() in text and (f.today() + timedelta(days=6)).isoformat() not in text
    figures = {k: re.search(rf'id="fig-{k}">(\d+)<', text).group(1) for k in ("held", "cases", "teaching", "attendees")}
    assert figures == {"held": "2", "cases": "12", "teaching": "1", "attendees": "9"}
    # Open Graph and the canonical address
    assert '<meta property="og:type" content="profile">' in text
    assert '<meta property="og:title" content="赵专家 · 主任医师">' in text
    assert f'<meta property="og:url" content="http://testserver{url(e)}">' in text
    assert f'<link rel="canonical" href="http://testserver{url(e)}">' in text


def test_no_patient_is_ever_named_on_the_page(cast, client):
    session = held_session(cast.expert_practitioner, cast.dept_a, days_ago=3)
    b = booking(session, cast.patient_person, cast.coordinator)
    review(b, by=cast.patient, text="很专业")
    text = client.get(url(cast.expert_practitioner)).text
    assert "很专业" in text
    for name in ("张三", "张小明", cast.patient.username):
        assert name not in text


def test_the_address_is_the_pinyin_and_an_id_prefix_and_an_id_redirects(cast, client):
    e = cast.expert_practitioner
    assert expert_slug(e) == f"zhaozhuanjia-{e.pk.hex[:8]}"
    r = client.get(f"/experts/{e.pk}/")
    assert r.status_code == 301 and r["Location"] == url(e)
    assert client.get(f"/experts/zhaozhuanjia-{'0' * 8}/").status_code == 404
    assert client.get("/experts/nobody/").status_code == 404


def test_only_active_experts_of_the_doctor_group_have_a_page(cast, client):
    local = f.PractitionerFactory(name="钱本地", home_organization=cast.hospital_a)  # not of the group
    retired = f.PractitionerFactory(name="孙退休", doctor_group=cast.group, is_active=False)
    for p in (local, retired):
        assert client.get(url(p)).status_code == 404
        assert client.get(f"/experts/{p.pk}/").status_code == 404
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap["Content-Type"].startswith("application/xml")
    assert url(cast.expert_practitioner) in sitemap.text
    assert url(local) not in sitemap.text and url(retired) not in sitemap.text
    assert "<urlset" in sitemap.text and "/experts/</loc>" in sitemap.text


def _reviews(cast, n, start=0):
    session = held_session(cast.expert_practitioner, cast.dept_a, days_ago=30 + start)
    household = f.HouseholdFactory(name=f"评价{start}家", registered_at=cast.hospital_a)
    for i in range(n):
        person = f.PersonFactory(name=f"患者{start}{i}", household=household)
        review(booking(session, person, cast.coordinator, place=i + 1), by=cast.patient, stars=1 + i % 5)


def test_the_page_costs_the_same_queries_whatever_the_number_of_reviews_and_is_cached(
    cast, client, django_assert_max_num_queries
):
    _reviews(cast, 2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url(cast.expert_practitioner)).status_code == 200
    cache.clear()
    _reviews(cast, 15, start=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(url(cast.expert_practitioner))
    assert r.text.count('class="review"') == 17 and "17 条评价" in r.text
    # a second reader within the cache's time: only the expert's own row is read
    with django_assert_max_num_queries(1):
        assert client.get(url(cast.expert_practitioner)).status_code == 200


def test_the_page_is_in_english_too(cast, client):
    client.cookies["django_language"] = "en"
    r = client.get(url(cast.expert_practitioner), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "Verified reviews" in r.text and "Chief physician" in r.text
    assert "已验证评价" not in r.text
    client.cookies["django_language"] = "zh-hans"
    assert "已验证评价" in client.get(url(cast.expert_practitioner), HTTP_ACCEPT_LANGUAGE="zh-hans").text


def test_the_sitemap_lists_published_articles_only(cast, client):
    from tiercare.profiles import services

    draft = services.article_save(by=cast.expert, title="草稿", body="正文")
    shown = services.article_submit(
        by=cast.expert, article=services.article_save(by=cast.expert, title="发布", body="正文")
    )
    services.article_publish(by=cast.ops, article=shown)
    text = client.get("/sitemap.xml").text
    assert f"{url(cast.expert_practitioner)}articles/{shown.pk}/" in text and str(draft.pk) not in text
