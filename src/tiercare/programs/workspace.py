"""The programs panel on the home workspace: the department-building programs the user may see, with their stage
(a hospital director's main view of what the group does for their hospital)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiercare.core.models import Role, User
from tiercare.programs import selectors

PANEL_ROLES = (Role.OPS, Role.ADMIN, Role.AUDITOR, Role.COORDINATOR, Role.DIRECTOR, Role.EXPERT)


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not isinstance(user, User) or user.role not in PANEL_ROLES:
        return []
    programs = list(selectors.program_list(for_user=user)[:10])
    if not programs and user.role not in (Role.DIRECTOR, Role.OPS):
        return []
    return [{"template": "programs/_panel.html", "programs": programs}]
