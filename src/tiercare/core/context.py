"""The current request's who/where, for the audit log, kept per thread (and per async task) by middleware."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    path: str = ""
    method: str = ""
    ip: str | None = None


_NO_REQUEST = RequestInfo()
current_request: ContextVar[RequestInfo] = ContextVar("tiercare_request", default=_NO_REQUEST)  # noqa: B039
