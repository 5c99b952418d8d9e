"""Reading a page's query string: one place that turns ``?name=`` into a typed value or a clear 400.

Views never hand a raw ``request.GET`` value to the ORM (a malformed id there is a 500 on PostgreSQL and SQLite
alike); they ask :func:`query_uuid`, and a refusal renders the site's error page through
``DomainErrorPageMiddleware``.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiercare.core.errors import BadRequest


def query_uuid(request: HttpRequest, name: str) -> uuid.UUID | None:
    """The id in ``?name=``; None when it is absent or empty. BadRequest (400, code ``bad_query``) naming the
    parameter when it is not a UUID."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadRequest(
            _("?%(name)s= is not a valid id.") % {"name": name}, code="bad_query", details={"field": name}
        ) from None
