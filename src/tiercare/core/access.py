"""Role checks shared by every app. Scoping to relationships lives in each app's selectors and access modules."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.errors import Forbidden
from tiercare.core.models import Role, User

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
