"""Role checks shared by every app. Scoping to relationships lives in each app's selectors and access modules."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.errors import Forbidden, NotFound
from tiercare.core.models import ApiToken, Role, User

STAFF_ROLES = (
    Role.OPS,
    Role.EXPERT,
    Role.COORDINATOR,
    Role.GP,
    Role.HEALTH_MANAGER,
    Role.AUDITOR,
    Role.ADMIN,
)
DIRECTORY_WRITERS = (Role.OPS, Role.ADMIN)
CARE_TEAM_ROLES = (Role.GP, Role.HEALTH_MANAGER)


def require_role(user: User, *roles: str) -> None:
    """Raise Forbidden unless ``user`` is active and holds one of ``roles``."""
    if not user.is_authenticated or not user.is_active or user.role not in roles:
        raise Forbidden(_("Your role may not do this."), details={"role": getattr(user, "role", None)})


def access_api_token_by_id(user: User, token_id: object) -> ApiToken:
    """One of ``user``'s own API tokens, or NotFound (404) — another user's token is not told apart from none."""
    try:
        pk = int(str(token_id))
    except ValueError:
        pk = None
    token = ApiToken.objects.filter(pk=pk, user=user).first() if pk is not None and user.is_authenticated else None
    if token is None:
        raise NotFound(_("No such token."))
    return token
