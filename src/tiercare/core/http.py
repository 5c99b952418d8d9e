"""The request type of signed-in code: ``AuthedRequest``, for the type checker only.

Django types ``request.user`` as ``User | AnonymousUser``. Behind ``login_required`` (pages) or the API's auth
(``core.api.api_auth``: a bearer token or the session, for every ninja handler but ``POST /auth/token``) the user is
always a signed-in, active ``User``, and a view or handler there annotates its request as ``AuthedRequest``. Nothing
checks the annotation at run time: annotate only what really sits behind one of the two (``tests/core/
test_authed_request.py`` checks the pages). Ninja ignores the request parameter's annotation, so the OpenAPI
document does not change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tiercare.core.models import User


class AuthedRequest(HttpRequest):
    """A request whose user is a signed-in User: behind ``login_required`` or the API's auth."""

    user: User


def admin_user(request: HttpRequest) -> User:
    """The user of an admin-site request, narrowed for the type checker: the admin site lets in signed-in, active
    staff only, so the refusal here never happens there (admin methods cannot take an ``AuthedRequest``: they
    override Django's signatures)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user
