"""Middleware: the language switch by `?lang=` and the request context for the audit log."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from tiercare.core.context import RequestInfo, current_request
from tiercare.core.errors import BadRequest, DomainError, PayloadTooLarge
from tiercare.core.validation import NUL, nul_message

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
    """A refused page (Forbidden, NotFound, …) renders the same message the API would give, with its status, and
    whatever way forward an app offers for it (``settings.PAGE_ERROR_CONTEXT``: callables ``(request, error)``
    returning extra context and ``error_includes``, e.g. recording a missing consent in place).

    Before any view runs it also refuses, for every request, a NUL character in the query string, and for pages a
    form that cannot be read (a multipart body without its boundary, a body over the size limit) or that carries a
    NUL in any field: NUL cannot be stored by PostgreSQL, and no person types it. The API reads its own bodies
    (``core.api.StrictParser``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._unreadable(request)
        if refusal is not None:
            return self._refuse(request, refusal)
        return self.get_response(request)

    @staticmethod
    def _has_nul(data: QueryDict) -> bool:
        return any(NUL in key or any(NUL in v for v in values) for key, values in data.lists())

    def _unreadable(self, request: HttpRequest) -> DomainError | None:
        if NUL in request.META.get("QUERY_STRING", "") or self._has_nul(request.GET):
            return BadRequest(nul_message(), code="nul_character")
        if request.path.startswith("/api/") or request.method != "POST":
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            return None
        try:
            has_nul = self._has_nul(request.POST)
        except RequestDataTooBig:
            return PayloadTooLarge(gettext("The form is too large."))
        except (MultiPartParserError, SuspiciousOperation):
            return BadRequest(gettext("The form could not be read."), code="bad_multipart")
        return BadRequest(nul_message(), code="nul_character") if has_nul else None

    @staticmethod
    def _refuse(request: HttpRequest, error: DomainError) -> HttpResponse:
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=error.status)
        return render(request, "core/error.html", {"error": error}, status=error.status)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            context = {"error": exception, "error_includes": []}
            for path in getattr(settings, "PAGE_ERROR_CONTEXT", ()):
                extra = import_string(path)(request, exception) or {}
                context["error_includes"] += extra.pop("error_includes", [])
                context.update(extra)
            return render(request, "core/error.html", context, status=exception.status)
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
