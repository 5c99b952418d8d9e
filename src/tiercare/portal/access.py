"""Fetch one thing of the family's for one patient login, or 404 (audited), through the owning app's access
functions: a member through ``people.access`` (whose patient scope is ``people.proxies.portal_person_ids``), a
referral through ``referrals.access``, a booking through the same person scope."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.access import access_one, require_role
from tiercare.core.models import Role, User
from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, Booking, ExpertResponse, ExpertSession
from tiercare.people.access import access_person_by_id
from tiercare.people.models import Person
from tiercare.people.proxies import patient_q
from tiercare.portal.models import GpVisit
from tiercare.referrals.access import access_referral_by_id
from tiercare.referrals.models import Referral

REFUSAL = "not the patient or a member they hold a proxy for"


def access_member(user: User, person_id: object, *, reason: str) -> Person:
    """A person the patient login is, or holds an in-force proxy for (the read audited), else 404 (audited)."""
    require_role(user, Role.PATIENT)
    return access_person_by_id(user, person_id, reason=reason)


def access_family_referral(user: User, referral_id: object, *, reason: str) -> Referral:
    require_role(user, Role.PATIENT)
    referral, _sides = access_referral_by_id(user, referral_id, reason=reason)
    return referral


def access_family_booking(user: User, booking_id: object, *, reason: str) -> Booking:
    """An outreach booking of a person the login may act for (audited), else 404 (audited)."""
    require_role(user, Role.PATIENT)
    return access_one(
        user,
        Booking.objects.filter(patient_q(user, "person")).select_related(
            "session__site", "session__department", "session__expert", "person"
        ),
        booking_id,
        object_type="outreach.booking",
        refusal=REFUSAL,
        not_found=_("No such booking."),
        persons=lambda b: [b.person_id],
        reason=reason,
    )


def access_public_clinic(user: User, session_id: object) -> ExpertSession:
    """A public specialist clinic a patient may book (any county's), else 404 (audited refusal)."""
    require_role(user, Role.PATIENT)
    return access_one(
        user,
        ExpertSession.objects.filter(kind="clinic", status__in=ACTIVE_SESSION_STATUSES)
        .exclude(response=ExpertResponse.DECLINED)
        .select_related("site", "department", "expert"),
        session_id,
        object_type="outreach.expertsession",
        refusal="not a public clinic",
        not_found=_("No such clinic."),
    )


def access_family_gp_visit(user: User, visit_id: object, *, reason: str) -> GpVisit:
    """A GP-center visit of a person the login may act for (audited), else 404 (audited)."""
    require_role(user, Role.PATIENT)
    return access_one(
        user,
        GpVisit.objects.filter(patient_q(user, "person")).select_related("team__center", "person"),
        visit_id,
        object_type="portal.gpvisit",
        refusal=REFUSAL,
        not_found=_("No such visit."),
        persons=lambda v: [v.person_id],
        reason=reason,
    )
