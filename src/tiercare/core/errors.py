"""One error shape for API and UI: a code from an app's error enum, a message a coordinator understands, details.

Services raise DomainError (or a subclass); the API turns it into HTTP `{"code", "message", "details"}` with the
error's status, and pages show the same message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused request. ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None, status: int | None = None):
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(DomainError):
    """The request itself cannot be read (malformed JSON or form, NUL characters, nesting too deep)."""

    status = 400
    code = "bad_request"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    """Raised by access functions: the object does not exist *or* this user may not see it (never says which)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
