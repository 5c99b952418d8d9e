"""What a referral's return means for the GP team, called in the move's transaction: after a back-referral the
patient's chronic-care follow-ups fall due within two weeks; a referral that ends without care (declined, cancelled,
expired) comes back to the team's worklist. The rules and their audit live in care; referrals calls care, care never
imports referrals.
"""

from __future__ import annotations

from django.utils import timezone, translation

from tiercare.care.services import enrollments_after_back_referral, suggestions_after_referral_ended
from tiercare.referrals.models import Referral, Urgency
from tiercare.referrals.rules import action_label
from tiercare.referrals.services.moves import now


def on_back_referral(referral: Referral) -> None:
    """Called in the back-referral's transaction: the patient's chronic-care enrolments get their next follow-up
    due no later than the back-referral day + 14 days (NBPHS 2017, 3rd ed., hypertension and type 2 diabetes: after
    a referral up, follow up actively within 2 weeks; shared/clinical/README.md §3–4). The rule and its audit live
    in care (``care.services.enrollments_after_back_referral``); referrals calls care, care never imports referrals.
    """
    on = timezone.localdate(referral.back_referred_at or now())
    enrollments_after_back_referral(person=referral.person, on=on, reference=f"back-referral of referral {referral.pk}")


ENDING_ACTIONS = ("decline", "cancel", "expire")


def on_referral_ended(referral: Referral, action: str, reason: str) -> None:
    """Called in the transaction of a decline, cancel or expiry: the referral comes back to the GP team's worklist
    with the reason (``care.services.suggestions_after_referral_ended``) — whether it was made from a chronic-care
    referral suggestion or directly — so a patient the receiving side did not take is not lost between the two
    hospitals. The outcome is named as the team reads it (zh-Hans), never by the action's code."""
    on = timezone.localdate(referral.ended_at or now())
    with translation.override("zh-hans"):
        outcome = action_label(action)
    suggestions_after_referral_ended(
        referral_id=referral.pk,
        outcome=outcome,
        reason=reason,
        on=on,
        person_id=referral.person_id,
        urgent=referral.urgency == Urgency.EMERGENCY,
        specialty=referral.receiving_department.specialty if referral.receiving_department_id else "",
    )
