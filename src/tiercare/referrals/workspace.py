"""The referrals panel on the home workspace: counts of the user's worklists (the patient: their referrals)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiercare.core.audit import audit_patient_read
from tiercare.core.models import Role
from tiercare.referrals import selectors


def panels(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated or user.role == Role.AUDITOR:
        return []
    if user.role == Role.PATIENT:
        mine = list(selectors.referral_list(for_user=user)[:10])
        if not mine:
            return []
        audit_patient_read(
            actor=user, person_ids=[r.person_id for r in mine], object_type="referrals.referral", reason="workspace"
        )
        return [
            {
                "template": "referrals/_panel.html",
                "waiting": 0,
                "overdue": 0,
                "arriving": None,
                "back": None,
                "mine": mine,
            }
        ]
    if not selectors.referral_list(for_user=user).exists():
        return []
    return [
        {
            "template": "referrals/_panel.html",
            "waiting": selectors.referral_list(for_user=user, waiting_on="me").count(),
            "overdue": selectors.referral_list(for_user=user, overdue=True).count(),
            "arriving": selectors.referral_list(for_user=user, arriving_today=True).count(),
            "back": selectors.referral_list(for_user=user, back_referrals=True).count(),
            "mine": [],
        }
    ]
