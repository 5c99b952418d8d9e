"""The consults panel on the home workspace: an expert's inbox, a requester's open cases, ops' late and at-risk."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiercare.consults import selectors, services
from tiercare.consults.models import OPEN_ONLINE
from tiercare.core.models import Role


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    online = _online_panels(user)
    if user.role == Role.PHARMACIST:
        return online
    if user.role == Role.EXPERT:
        inbox = selectors.expert_inbox(for_user=user)
        rows = sorted([*inbox["teleconsults"], *inbox["opinions"]], key=lambda w: w.deadline)
        return [{"template": "consults/_panel.html", "title": _("Consults and opinions to answer"), "rows": rows}]
    if user.role in services.CASE_OPENERS:
        mine = selectors.requester_open(for_user=user)
        rows = sorted([*mine["teleconsults"], *mine["opinions"]], key=lambda w: w.deadline)
        return [{"template": "consults/_panel.html", "title": _("My open hard cases"), "rows": rows}, *online]
    if user.role in (Role.OPS, Role.ADMIN):
        risk = selectors.ops_late_or_at_risk(for_user=user)
        return [{"template": "consults/_panel.html", "title": _("Hard cases late or at risk"), "risk": risk}]
    return []


def _online_panels(user: Any) -> list[dict[str, Any]]:
    """Online follow-ups (issue 16): the pharmacist's prescriptions to review, the doctor's open consultations, the
    patient's own. Counts and links only: the clinical content is read on the audited pages."""
    if user.role == Role.PHARMACIST:
        waiting = selectors.prescription_list(for_user=user, status="pending_review").count()
        return [
            {"template": "consults/online/_panel.html", "title": _("E-prescriptions to review"), "waiting": waiting}
        ]
    if user.role == Role.PATIENT or getattr(user, "practitioner", None) is not None:
        open_ = selectors.online_consult_list(for_user=user).filter(status__in=OPEN_ONLINE).count()
        if user.role == Role.PATIENT or open_:
            return [{"template": "consults/online/_panel.html", "title": _("Online follow-up"), "open": open_,
                     "patient": user.role == Role.PATIENT}]  # fmt: skip
    return []
