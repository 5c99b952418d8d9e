"""Sign-in and API tokens: rate-limited, audited, refusing what is wrong."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from tests.factories import PASSWORD

from tiercare.core.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def token_for(client: Client, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )


def test_token_then_bearer_requests(cast):
    client = Client()
    response = token_for(client, "ops")
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=cast.ops).key_hash != token  # only the hash is stored
    listed = client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert AuditEvent.objects.filter(actor=cast.ops, action="token").exists()


def test_bad_password_and_bad_tokens_are_refused(cast):
    client = Client()
    response = token_for(client, "ops", "wrong-password")
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    assert AuditEvent.objects.filter(action="login_failed", object_id="ops").exists()
    for header in ("Bearer nonsense", "Bearer tc_" + "x" * 43, "Basic abc"):
        r = client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=header)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_expired_or_revoked_token_is_refused(cast):
    client = Client()
    token = token_for(client, "ops").json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    assert client.get("/api/v1/partnerships", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@override_settings(LOGIN_MAX_FAILURES=3)
def test_rate_limit_locks_the_account_even_with_the_right_password(cast):
    client = Client()
    for _ in range(3):
        assert token_for(client, "ops", "nope").status_code == 401
    locked = token_for(client, "ops")
    assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
    page = client.post("/login/", {"username": "ops", "password": PASSWORD})
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session
    # another account from another address is not locked
    assert token_for(Client(REMOTE_ADDR="10.0.0.9"), "gp").status_code == 200


def test_login_page_signs_in_and_out(cast):
    client = Client()
    response = client.post("/login/", {"username": "gp", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302  # back to the sign-in page
    assert AuditEvent.objects.filter(actor=cast.gp, action__in=["login", "logout"]).count() == 2


def test_login_never_redirects_off_site(cast):
    response = Client().post("/login/?next=https://evil.example/", {"username": "gp", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"


def test_weak_passwords_are_refused(cast):
    for weak in ("short", "1234567890123", "password123"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=cast.gp)
    validate_password("a-much-longer-passphrase-42", user=cast.gp)


def test_chinese_by_default_whatever_the_browser_asks_and_english_on_request(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/login/")
    assert page["Content-Language"] == "zh-hans" and "登录" in page.content.decode()
    page = client.get("/login/?lang=en")
    assert page["Content-Language"] == "en" and "Sign in" in page.content.decode()
    assert client.get("/login/")["Content-Language"] == "en"  # remembered
