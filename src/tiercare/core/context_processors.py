from typing import Any

from django.http import HttpRequest

from tiercare.core.models import Role


def workspace(request: HttpRequest) -> dict[str, Any]:
    """Which parts of the navigation the signed-in user's role may use."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {
        "workspace": {
            "role": role,
            "can_directory": role
            in (
                Role.OPS,
                Role.ADMIN,
                Role.EXPERT,
                Role.COORDINATOR,
                Role.GP,
                Role.HEALTH_MANAGER,
                Role.AUDITOR,
            ),
            "can_people": role in (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR, Role.ADMIN),
            "can_audit": role in (Role.AUDITOR, Role.ADMIN),
            "can_excel": role in (Role.OPS, Role.ADMIN),
            "can_finance": role in (Role.OPS, Role.ADMIN, Role.AUDITOR, Role.FINANCE),
            "can_statements": role == Role.EXPERT,
            "can_programs": role in (Role.OPS, Role.ADMIN, Role.AUDITOR, Role.COORDINATOR, Role.DIRECTOR, Role.EXPERT),
        }
    }
