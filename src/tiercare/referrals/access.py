"""Fetch one referral for one user, or NotFound without telling whether it exists. Every read is audited (a
patient read for the clinical sides and the patient; a status read, still naming the patient, for operations);
every refusal too."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tiercare.core.access import as_uuid, refuse
from tiercare.core.audit import audit_patient_read
from tiercare.core.models import User
from tiercare.referrals.models import Referral
from tiercare.referrals.selectors import can_read_clinical, scope_q, sides_of


def access_referral_by_id(user: User, referral_id: Any, *, reason: str = "") -> tuple[Referral, set[str]]:
    """The referral and the sides ``user`` stands on for it; NotFound (audited) when the user may not see it."""
    rid = as_uuid(referral_id)
    referral = (
        Referral.objects.filter(scope_q(user), pk=rid)
        .select_related(
            "person",
            "referring_organization",
            "referring_practitioner",
            "receiving_organization",
            "receiving_department",
            "named_expert",
            "back_referral_to",
            "alliance",
        )
        .first()
        if rid
        else None
    )
    sides = sides_of(user, referral) if referral is not None else set()
    if referral is None or not sides:
        refuse(
            user,
            object_type="referrals.referral",
            object_id=referral_id,
            reason="not a party to this referral",
            message=_("No such referral."),
        )
    audit_patient_read(
        actor=user,
        person_ids=[referral.person_id],
        object_type="referrals.referral",
        object_id=str(referral.pk),
        reason=reason or ("referral" if can_read_clinical(sides) else "referral status (operations)"),
    )
    return referral, sides
