"""The seam by which care has a referral made without importing the referrals app (ADR 0005).

Referrals sits above care: it imports care's services (a back-referral brings care's follow-ups forward; a referral
that ends without care reopens the team's suggestion). So care may not import referrals. Instead care declares here
what it needs, :class:`ReferralMaker` (make and send a referral up for a resident, answering :class:`ReferralMade`),
and the referrals app implements it (``tiercare.referrals.care_seam.make_referral_for_care``) and registers it at
start-up in ``ReferralsConfig.ready()``. ``services.suggestion_refer`` calls :func:`referral_maker`; with nothing
registered (the referrals app not installed) that raises ``ImproperlyConfigured`` naming what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from tiercare.core.models import User
from tiercare.network.models import Department
from tiercare.people.models import Person


@dataclass(frozen=True)
class ReferralMade:
    """What care keeps of a referral made for it: the referral's id (``ReferralSuggestion.referral``) and when it
    was sent (the day its 14-day follow-up counts from)."""

    referral_id: UUID
    sent_at: datetime | None


class ReferralMaker(Protocol):
    """Make and send a referral up for ``person`` to ``receiving_department``, under the referrals app's rules (the
    user's organization, a tertiary receiving department, the patient's referral consent), in the caller's
    transaction; ``urgency`` is a referral urgency by value (``emergency``, ``routine``). Raises the referrals app's
    refusals (``core.errors``) unchanged."""

    def __call__(
        self,
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
    ) -> ReferralMade: ...


_maker: ReferralMaker | None = None


def register_referral_maker(maker: ReferralMaker | None) -> ReferralMaker | None:
    """Make ``maker`` the one care calls (``None``: none); returns the one registered before. Called once, by the
    referrals app's ``ready()``."""
    global _maker
    previous, _maker = _maker, maker
    return previous


def referral_maker() -> ReferralMaker:
    """The registered referral maker. Raises ImproperlyConfigured when none is (the referrals app is not in
    ``INSTALLED_APPS``, or its ``ready()`` did not run)."""
    if _maker is None:
        raise ImproperlyConfigured(
            "care has no referral maker: tiercare.referrals registers one in ReferralsConfig.ready() "
            "(tiercare.care.referral_maker.register_referral_maker); is it in INSTALLED_APPS?"
        )
    return _maker
