"""Walk a referral to any state through the services (the legal path)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tiercare.referrals import services
from tiercare.referrals.rules import Side

PATH = ["sent", "accepted", "scheduled", "arrived", "treated", "back_referred", "closed"]
STEP_ACTION = {
    "accepted": ("accept", "receiver", {}),
    "scheduled": ("schedule", "receiver", {"scheduled_for": None}),
    "arrived": ("arrive", "receiver", {}),
    "treated": ("treat", "receiver", {}),
    "back_referred": (
        "back_refer",
        "receiver",
        {"discharge_summary": "体温正常，出院", "care_plan": "阿司匹林，2周复查"},
    ),
    "closed": ("confirm_receipt", "gp", {}),
}


def reach(net: Any, state: str, **create: Any) -> Any:
    if state == "draft":
        return net.create(send=False, **create).referral
    ref = net.create(**create).referral
    if state == "declined":
        return net.move(ref, "decline", net.receiver, reason="本院床位已满")
    if state == "cancelled":
        return net.move(ref, "cancel", net.cast.gp, reason="家属要求")
    if state == "expired":
        return services.referral_transition(referral=ref, by=None, sides={Side.SYSTEM}, action="expire")
    for target in PATH[1 : PATH.index(state) + 1]:
        action, who, kw = STEP_ACTION[target]
        kw = dict(kw)
        if "scheduled_for" in kw:  # today, so that arrival needs no early-arrival reason
            kw["scheduled_for"] = timezone.now()
        user = net.receiver if who == "receiver" else net.cast.gp
        ref = net.move(ref, action, user, **kw)
    return ref
