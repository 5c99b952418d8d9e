"""The outreach panel on the home workspace: ops see open requests and the latest proposal; experts and
coordinators their next sessions (no patient names: counts only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from tiercare.core.models import Role
from tiercare.outreach import selectors


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    if user.role in selectors.PLANNERS:
        return [
            {
                "template": "outreach/_panel.html",
                "kind": "ops",
                "open_requests": selectors.request_list(for_user=user, status="open").count(),
                "plan": selectors.plan_list(for_user=user).first(),
            }
        ]
    if user.role in (Role.EXPERT, Role.COORDINATOR):
        upcoming = selectors.session_list(for_user=user, date_from=timezone.localdate(), active=True)
        panel: dict[str, Any] = {"template": "outreach/_panel.html", "kind": user.role, "sessions": list(upcoming[:8])}
        if user.role == Role.EXPERT:
            panel["to_answer"] = upcoming.filter(response="pending").count()
        return [panel]
    return []
