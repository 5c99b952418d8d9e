"""With debug off, Django's own error pages (400, 403, 404, 500, and the CSRF refusal) are the site's pages: its
frame, the user's language (zh-Hans unless chosen otherwise), a sentence a person understands and a way home."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = {
    400: ("/test-errors/400/", "无法读取此请求", "The request could not be read"),
    403: ("/test-errors/403/", "无权访问", "Not allowed"),
    404: ("/no-such-page/", "页面不存在", "Page not found"),
    500: ("/test-errors/500/", "出错了", "Something went wrong"),
}


@pytest.fixture
def error_site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.core.error_urls"


def _frame_checks(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert 'class="brand" href="/"' in html  # the site's header
    assert 'href="/" id="error-home"' in html  # a way back
    assert 'id="lang-switch"' in html
    assert "/static/tiercare/app.css" in html


@pytest.mark.parametrize("status", sorted(PAGES))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_error_pages_have_the_frame_in_both_languages(error_site, cast, status, language) -> None:
    path, zh, en = PAGES[status]
    client = Client(raise_request_exception=False)
    client.force_login(cast.gp)
    if language == "en":
        client.cookies["django_language"] = "en"
    response = client.get(path)
    assert response.status_code == status
    html = response.content.decode()
    _frame_checks(html, language)
    assert (en if language == "en" else zh) in html
    assert (zh if language == "en" else en) not in html
    # Not Django's bare page.
    assert "<h1>Not Found</h1>" not in html and "<h1>Server Error (500)</h1>" not in html


def test_default_language_is_chinese_for_a_stranger(error_site) -> None:
    response = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 404
    html = response.content.decode()
    _frame_checks(html, "zh-hans")
    assert "页面不存在" in html and "登录" in html  # a signed-out visitor is offered to sign in


def test_the_lang_parameter_switches_an_error_page(error_site) -> None:
    response = Client(raise_request_exception=False).get("/test-errors/500/?lang=en")
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_csrf_refusal_is_a_framed_page(error_site) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    _frame_checks(html, "zh-hans")
    assert "表单已过期" in html


@pytest.mark.parametrize(
    ("path", "zh", "en"),
    [
        ("/people/households/{household}/", "没有这个家庭。", "No such household."),
        ("/referrals/00000000-0000-4000-8000-000000000000/", "没有这个转诊。", "No such referral."),
    ],
)
def test_a_record_one_may_not_see_is_not_found_in_the_users_language(cast, path, zh, en) -> None:
    client = Client()
    client.force_login(cast.gp_b)  # another center's GP
    url = path.format(household=cast.household_a.pk)
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert zh in html and en not in html and 'class="brand"' in html
    assert en in client.get(url, {"lang": "en"}).content.decode()
