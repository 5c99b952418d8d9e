"""The finance panel on the home workspace: for operations and the finance role, the open unpriced work and the
last months' reconciliation; for an expert, their latest statements; for a hospital's coordinator or director, its
latest issued settlements; for a GP center's lead, their center's accounts and costs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiercare.core.models import Role, User
from tiercare.finance import selectors


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not isinstance(user, User):
        return []
    out = _incidents_panel(user)
    if selectors.is_reader(user):
        return out + [
            {
                "template": "finance/_panel.html",
                "unpriced": selectors.unpriced_list(for_user=user).count(),
                "months": selectors.reconciliation()[:3],
            }
        ]
    if user.role == Role.EXPERT:
        statements = list(selectors.statement_list(for_user=user)[:3])
        return out + ([{"template": "finance/_expert_panel.html", "statements": statements}] if statements else [])
    if user.role in selectors.SETTLEMENT_HOSPITAL_ROLES:
        docs = list(selectors.settlement_doc_list(for_user=user)[:3])
        return out + ([{"template": "finance/_settlement_panel.html", "docs": docs}] if docs else [])
    return out + _chain_lead_panel(user)


def _chain_lead_panel(user: User) -> list[dict[str, Any]]:
    """The centers a GP center's lead leads, linking to their accounts and costs (``finance.chain``)."""
    from tiercare.finance import chain

    if user.role not in (Role.GP, Role.HEALTH_MANAGER):
        return []
    centers = list(chain.chain_centers(user))
    return [{"template": "finance/_chain_lead_panel.html", "centers": centers}] if centers else []


def _incidents_panel(user: User) -> list[dict[str, Any]]:
    """Open incidents and disputes, for operations, finance and a host hospital's coordinator (read audited for the
    patients named)."""
    from tiercare.core.audit import audit_patient_read

    if not (selectors.is_reader(user) or user.role == Role.COORDINATOR):
        return []
    qs = selectors.incident_list(for_user=user, open_only=True)
    rows = list(qs[:5])
    ids = [r.person_id for r in rows if r.person_id]
    audit_patient_read(actor=user, person_ids=ids, object_type="finance.incident")
    return [{"template": "finance/_incidents_panel.html", "incidents": rows, "count": qs.count()}]
