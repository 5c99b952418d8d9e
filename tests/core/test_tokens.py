"""Revoking API tokens: logout, the tokens page, the admin action, and on a password/role/activity change."""

import pytest
from django.test import Client
from tests.factories import PASSWORD

from tiercare.core.models import ApiToken, AuditEvent, Role
from tiercare.core.services import api_token_issue

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def works(raw: str) -> bool:
    response = Client().get("/api/v1/partnerships", **bearer(raw))
    if response.status_code == 401:
        assert response.json()["code"] == "unauthenticated" and "message" in response.json()
        return False
    assert response.status_code in (200, 403)  # authenticated; the role decides the rest
    return True


def test_api_logout_revokes_only_the_token_used(cast):
    token, raw = api_token_issue(user=cast.ops)
    _other, other_raw = api_token_issue(user=cast.ops)
    assert works(raw)
    response = Client().post("/api/v1/auth/logout", **bearer(raw))
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == cast.ops and token.revoked_reason == "logout"
    assert not works(raw)
    assert works(other_raw)
    event = AuditEvent.objects.get(action="token_revoked")
    assert event.object_id == str(token.pk) and event.actor == cast.ops
    # A revoked token cannot log out again.
    assert Client().post("/api/v1/auth/logout", **bearer(raw)).status_code == 401


def test_api_logout_with_session_signs_out(cast):
    client = Client()
    client.force_login(cast.ops)
    _token, raw = api_token_issue(user=cast.ops)
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/partnerships").status_code == 401
    assert works(raw)  # a session sign-out does not touch integration tokens
    assert AuditEvent.objects.filter(action="logout", actor=cast.ops).exists()


def test_api_logout_needs_authentication(cast):
    response = Client().post("/api/v1/auth/logout")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_password_change_through_set_password_revokes_all_tokens(cast):
    _a, raw_a = api_token_issue(user=cast.ops)
    _b, raw_b = api_token_issue(user=cast.ops)
    _c, raw_gp = api_token_issue(user=cast.gp)
    cast.ops.set_password("a-new-Password-2026")
    cast.ops.save()
    assert not works(raw_a) and not works(raw_b)
    assert works(raw_gp)
    rows = ApiToken.objects.filter(user=cast.ops)
    assert all(t.revoked_at and t.revoked_by is None and "password_changed" in t.revoked_reason for t in rows)
    assert AuditEvent.objects.filter(action="token_revoked").count() == 2


def test_saving_without_a_credential_change_keeps_tokens(cast):
    _t, raw = api_token_issue(user=cast.ops)
    cast.ops.display_name = "Renamed"
    cast.ops.save()
    cast.ops.save(update_fields=["last_login"])
    assert works(raw)


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"role": Role.AUDITOR}],
    ids=["deactivated", "role_changed"],
)
def test_deactivation_or_role_change_revokes(cast, change):
    _t, raw = api_token_issue(user=cast.ops)
    for field, value in change.items():
        setattr(cast.ops, field, value)
    cast.ops.save()
    token = ApiToken.objects.get(user=cast.ops)
    assert token.revoked_at is not None
    # Reactivating or changing back does not bring a revoked token back.
    cast.ops.is_active, cast.ops.role = True, Role.OPS
    cast.ops.save()
    assert not works(raw)


def test_password_change_in_the_admin_revokes(cast):
    _t, raw = api_token_issue(user=cast.ops)
    client = Client()
    client.force_login(cast.admin)
    response = client.post(
        f"/admin/core/user/{cast.ops.pk}/password/",
        {"password1": "Another-pass-2026x", "password2": "Another-pass-2026x", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert not works(raw)


def test_tokens_page_lists_mine_without_secret_and_revokes_one(cast):
    token, raw = api_token_issue(user=cast.ops, label="HIS bridge", ip="10.0.0.7")
    other, _raw = api_token_issue(user=cast.ops, label="Excel")
    client = Client()
    client.force_login(cast.ops)
    page = client.get("/account/tokens/")
    text = page.content.decode()
    assert page.status_code == 200 and "HIS bridge" in text and "10.0.0.7" in text and token.prefix in text
    assert raw not in text and token.key_hash not in text
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_by == cast.ops and other.revoked_at is None
    assert AuditEvent.objects.filter(action="token_revoked", object_id=str(token.pk), actor=cast.ops).exists()


def test_tokens_page_revoke_all(cast):
    api_token_issue(user=cast.ops)
    api_token_issue(user=cast.ops)
    _gp, raw_gp = api_token_issue(user=cast.gp)
    client = Client()
    client.force_login(cast.ops)
    assert client.post("/account/tokens/revoke-all/").status_code == 302
    assert not ApiToken.objects.filter(user=cast.ops, revoked_at__isnull=True).exists()
    assert works(raw_gp)


def test_another_user_cannot_see_or_revoke_my_token(cast):
    token, raw = api_token_issue(user=cast.ops, label="secret-label")
    client = Client()
    client.force_login(cast.outsider)
    assert "secret-label" not in client.get("/account/tokens/").content.decode()
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post("/account/tokens/not-a-number/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and works(raw)


def test_tokens_page_needs_sign_in_and_post_with_csrf(cast):
    token, _raw = api_token_issue(user=cast.ops)
    assert Client().get("/account/tokens/").status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ops)
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403  # no CSRF token
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_action_revokes_selected(cast):
    token, raw = api_token_issue(user=cast.ops)
    kept, kept_raw = api_token_issue(user=cast.gp)
    client = Client()
    client.force_login(cast.admin)
    response = client.post("/admin/core/apitoken/", {"action": "revoke_selected", "_selected_action": [str(token.pk)]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == cast.admin and token.revoked_reason == "admin"
    assert not works(raw) and works(kept_raw)
    assert ApiToken.objects.count() == 2  # recorded, not deleted


def test_password_change_page_revokes_tokens_and_keeps_the_session(cast):
    _t, raw = api_token_issue(user=cast.ops)
    client = Client()
    client.force_login(cast.ops)
    wrong = client.post(
        "/account/password/",
        {"old_password": "not-it", "new_password1": "Fresh-pass-2026x", "new_password2": "Fresh-pass-2026x"},
    )
    assert wrong.status_code == 200 and works(raw)  # a refused change revokes nothing
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "Fresh-pass-2026x", "new_password2": "Fresh-pass-2026x"},
    )
    assert response.status_code == 302
    assert not works(raw)
    assert client.get("/account/tokens/").status_code == 200  # still signed in
