"""The Content-Security-Policy in a real browser: every chart page draws its charts with no inline script, and the
browser reports no policy violation; the tokens page revokes a token with its CSRF-protected form."""

import pytest
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

from tiercare.core.models import ApiToken
from tiercare.core.services import api_token_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHART_PAGES = [
    ("/directory/overview/", ["#chart-specialty", "#chart-county", "#chart-tiers"]),
    ("/referrals/dashboard/", ["#chart-hours", "#chart-status", "#chart-queues"]),
    ("/care/dashboard/", ["#chart-trend"]),
    ("/consults/dashboard/", ["#chart"]),
]


def test_chart_pages_render_under_the_policy(page, cast, shot):
    f.PractitionerFactory(name="钱肿瘤", specialty="oncology", home_organization=cast.tertiary, doctor_group=cast.group)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "/static/" in r.url else None)
    sign_in(page, "ops", PASSWORD)
    for url, charts in CHART_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector("body[data-charts-ready='1']")
        for chart in charts:
            assert page.locator(f"{chart} svg").count() == 1, (url, chart)
        shot(page, "csp" + url.replace("/", "-").rstrip("-"))
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not missing, missing  # every script and style the pages name is served
    # The browser asks for /favicon.ico by itself; that 404 is not a page's error.
    assert not [p for p in problems if not p.startswith("Failed to load resource")], problems


def test_tokens_page_revokes_a_token(page, cast, shot):
    token, _raw = api_token_issue(user=cast.ops, label="HIS bridge")
    sign_in(page, "ops", PASSWORD)
    page.goto("/account/tokens/")
    assert "HIS bridge" in page.inner_text("#tokens")
    shot(page, "tokens")
    page.click(f"#token-{token.pk} button[type=submit]")
    page.wait_for_load_state()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert page.locator(f"#token-{token.pk} button").count() == 0
