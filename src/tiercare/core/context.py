"""The current request's who/where, for the audit log, kept per thread (and per async task) by middleware."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language


@dataclass(frozen=True)
class RequestInfo:
    path: str = ""
    method: str = ""
    ip: str | None = None
    # facts looked up once per request (e.g. the organizations the user works at); emptied by every write
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)


_NO_REQUEST = RequestInfo()
current_request: ContextVar[RequestInfo] = ContextVar("tiercare_request", default=_NO_REQUEST)  # noqa: B039


def request_memo() -> dict[Any, Any] | None:
    """The current request's memo, or None outside a request (code run from a shell, a task or a test keeps
    asking the database every time)."""
    info = current_request.get()
    return None if info is _NO_REQUEST else info.memo


def forget_request_memo() -> None:
    """Empty the current request's memo: called before every write, so nothing remembered can be stale."""
    info = current_request.get()
    if info is not _NO_REQUEST:
        info.memo.clear()


def zh_active() -> bool:
    """Whether the active language (per request, LanguageMiddleware) is Chinese — the default, also outside a
    request. For texts kept in both languages in data (protocols, plausibility, identity messages)."""
    return (get_language() or "zh-hans").startswith("zh")
