"""The registrations panel on the home workspace, for operations and GP-center leads: a link to the
registrations-per-episode page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiercare.core.models import User
from tiercare.triage.selectors import registration_center_ids


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not isinstance(user, User) or registration_center_ids(user) == []:
        return []
    return [{"template": "triage/_panel.html"}]
