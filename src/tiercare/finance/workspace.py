"""The finance panel on the home workspace: for operations and the finance role, the open unpriced work and the
last months' reconciliation; for an expert, their latest statements."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiercare.core.models import Role, User
from tiercare.finance import selectors


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not isinstance(user, User):
        return []
    if selectors.is_reader(user):
        return [
            {
                "template": "finance/_panel.html",
                "unpriced": selectors.unpriced_list(for_user=user).count(),
                "months": selectors.reconciliation()[:3],
            }
        ]
    if user.role == Role.EXPERT:
        statements = list(selectors.statement_list(for_user=user)[:3])
        return [{"template": "finance/_expert_panel.html", "statements": statements}] if statements else []
    return []
