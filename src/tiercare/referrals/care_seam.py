"""What the referrals app provides to care through care's seam (ADR 0005): a referral made for a suggestion.

Care sits below referrals and may not import it; it declares what it needs in
:mod:`tiercare.care.referral_maker`, and ``ReferralsConfig.ready()`` registers :func:`make_referral_for_care` there.
"""

from __future__ import annotations

from tiercare.care.referral_maker import ReferralMade
from tiercare.core.models import User
from tiercare.network.models import Department
from tiercare.people.models import Person
from tiercare.referrals.services import referral_create


def make_referral_for_care(
    *,
    by: User,
    person: Person,
    receiving_department: Department,
    reason: str,
    diagnosis_text: str,
    diagnosis_code: str,
    summary: str,
    urgency: str,
    green_channel: bool,
) -> ReferralMade:
    """Create and send the referral with :func:`~tiercare.referrals.services.referral_create` (its rules and its
    refusals, unchanged) and answer what care keeps of it."""
    result = referral_create(
        by=by,
        person=person,
        receiving_department=receiving_department,
        reason=reason,
        diagnosis_text=diagnosis_text,
        diagnosis_code=diagnosis_code,
        summary=summary,
        urgency=urgency,
        green_channel=green_channel,
    )
    return ReferralMade(referral_id=result.referral.pk, sent_at=result.referral.sent_at)
