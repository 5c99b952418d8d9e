"""Writes of the shared kernel: sign-in with a rate limit, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_record
from tiercare.core.errors import DomainError, RateLimited
from tiercare.core.models import ApiToken, AuditAction, LoginFailure, User

TOKEN_PREFIX = "tc_"


def login_is_locked(*, username: str, ip: str | None) -> bool:
    """True when this username or this address has failed LOGIN_MAX_FAILURES times within the window."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    by_user = recent.filter(username__iexact=username).count()
    by_ip = recent.filter(ip=ip).count() if ip else 0
    # An address may try several usernames (a shared hospital NAT); it gets a wider allowance than one account.
    return by_user >= settings.LOGIN_MAX_FAILURES or by_ip >= settings.LOGIN_MAX_FAILURES * 4


def user_authenticate(*, request: HttpRequest | None, username: str, password: str, ip: str | None) -> User:
    """Check a username and password under the rate limit.

    Raises RateLimited (429) while locked and DomainError(code="bad_credentials", 401) on a wrong password; each
    failure is counted and audited.
    """
    username = (username or "").strip()[:150]
    if login_is_locked(username=username, ip=ip):
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            object_type="core.user",
            object_id=username,
            reason="locked",
        )
        raise RateLimited(
            _("Too many failed sign-ins. Try again in %(minutes)d minutes.")
            % {"minutes": max(1, settings.LOGIN_WINDOW_SECONDS // 60)}
        )
    user = authenticate(request, username=username, password=password)
    if user is None or not isinstance(user, User):
        LoginFailure.objects.create(username=username, ip=ip)
        audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="core.user", object_id=username)
        raise DomainError(_("Wrong username or password."), code="bad_credentials", status=401)
    LoginFailure.objects.filter(Q(username__iexact=username)).delete()
    audit_record(actor=user, action=AuditAction.LOGIN, obj=user)
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, label: str = "", ip: str | None = None) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``user``; the raw token is returned once and only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash_token(raw),
        prefix=raw[:8],
        label=(label or "").strip()[:100],
        created_ip=ip,
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit_record(actor=user, action=AuditAction.TOKEN, obj=token)
    return token, raw


def api_token_lookup(raw: str, *, ip: str | None = None) -> ApiToken | None:
    """The live token for ``raw`` (its user active), or None for an unknown, expired or revoked token.

    Records when (at most every five minutes) and from which address the token was last used.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    stale = token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5)
    if stale or (ip and ip != token.last_used_ip):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip or token.last_used_ip)
        token.last_used_at, token.last_used_ip = now, ip or token.last_used_ip
    return token


def api_token_user(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown, expired or revoked token."""
    token = api_token_lookup(raw)
    return token.user if token is not None else None


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User | None, reason: str = "") -> ApiToken:
    """Revoke one token: a recorded state (when, by whom, why), not a delete; audited. Revoking twice is a no-op.

    The caller has already fetched ``token`` for ``by`` (``access_api_token_by_id``); this service does not check.
    """
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = by
        locked.revoked_reason = reason[:100]
        locked.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        audit_record(
            actor=by, action=AuditAction.TOKEN_REVOKED, obj=locked, reason=reason, details={"user": locked.user_id}
        )
    return locked


@transaction.atomic
def api_token_revoke_all(*, user: User, by: User | None, reason: str = "") -> int:
    """Revoke every live token of ``user`` (sign-out everywhere, password/role change, deactivation); audited.

    Returns how many tokens were revoked.
    """
    live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in live:
        api_token_revoke(token=token, by=by, reason=reason)
    return len(live)
