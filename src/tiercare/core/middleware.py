"""Middleware: the language switch by `?lang=` and the request context for the audit log."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from tiercare.core.context import RequestInfo, current_request

LANGUAGE_COOKIE = "django_language"


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the login rate limit and the audit log see it.

    Behind TIERCARE_BEHIND_TLS_PROXY each of our TRUSTED_PROXY_HOPS proxies appends the address it received from, so
    the client's address is the entry that many hops from the right of X-Forwarded-For. Everything left of it was
    written by the client and is not trusted (a forged leftmost hop must not dodge the rate limit or lie in the audit
    log). A missing, short or malformed list falls back to REMOTE_ADDR.
    """
    remote = _ip_or_none(request.META.get("REMOTE_ADDR") or "")
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0) if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) else 0
    if hops:
        entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(entries) >= hops:
            return _ip_or_none(entries[-hops]) or remote
    return remote


class LanguageMiddleware:
    """The page language: ``?lang=en`` / ``?lang=zh-hans`` (remembered in a cookie), else the cookie, else zh-Hans.

    The browser's Accept-Language is deliberately not consulted: a hospital's shared workstations often run an
    English-language browser, and the product's language is Chinese unless a user chooses otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.codes = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        wanted = request.GET.get("lang", "").lower()
        if wanted == "zh":
            wanted = "zh-hans"
        chosen = wanted if wanted in self.codes else request.COOKIES.get(LANGUAGE_COOKIE, "")
        language = chosen if chosen in self.codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if wanted in self.codes:
            response.set_cookie(LANGUAGE_COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("Content-Language", language)
        return response


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(
            RequestInfo(path=request.path[:300], method=request.method or "", ip=client_ip(request))
        )
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class DomainErrorPageMiddleware:
    """A refused page (Forbidden, NotFound, …) renders the same message the API would give, with its status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from tiercare.core.errors import DomainError

        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        return None


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response that has none (Django 5.2 has no CSP of its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
