"""The consults panel on the home workspace: an expert's inbox, a requester's open cases, ops' late and at-risk."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiercare.consults import selectors, services
from tiercare.core.models import Role


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    if user.role == Role.EXPERT:
        inbox = selectors.expert_inbox(for_user=user)
        rows = sorted([*inbox["teleconsults"], *inbox["opinions"]], key=lambda w: w.deadline)
        return [{"template": "consults/_panel.html", "title": _("Consults and opinions to answer"), "rows": rows}]
    if user.role in services.CASE_OPENERS:
        mine = selectors.requester_open(for_user=user)
        rows = sorted([*mine["teleconsults"], *mine["opinions"]], key=lambda w: w.deadline)
        return [{"template": "consults/_panel.html", "title": _("My open hard cases"), "rows": rows}]
    if user.role in (Role.OPS, Role.ADMIN):
        risk = selectors.ops_late_or_at_risk(for_user=user)
        return [{"template": "consults/_panel.html", "title": _("Hard cases late or at risk"), "risk": risk}]
    return []
