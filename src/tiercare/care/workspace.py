"""The care panel on the home workspace: a team member's overdue count per team; a patient's next visit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiercare.care import selectors


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    if user.role in selectors.TEAM_ROLES:
        teams = [
            {"team": t, "overdue": selectors.worklist(team=t, kind="overdue").count(),
             "due_this_week": selectors.worklist(team=t, kind="due_this_week").count(),
             "home_urgent": selectors.urgent_readings(team=t).count()}
            for t in selectors.team_list(for_user=user)
        ]  # fmt: skip
        return (
            [{"template": "care/_panel.html", "title": _("Chronic care follow-ups"), "teams": teams}] if teams else []
        )
    if user.role == "patient" and getattr(user, "person", None) is not None:
        dues = [
            due
            for due in selectors.enrollment_list(for_user=user, person=user.person.pk)
            .filter(status="active", next_due_on__isnull=False)
            .values_list("next_due_on", flat=True)
            if due is not None  # the filter's promise, for the type checker
        ]
        return [
            {
                "template": "care/_panel.html",
                "title": _("My care plan"),
                "next_visit_on": min(dues) if dues else None,
            }
        ]
    return []
