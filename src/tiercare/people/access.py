"""Fetch one person or household for one user, or raise NotFound without telling whether it exists.

Every successful read of a person's record is audited; so is every refusal (object id, reason), so that an auditor
can see who tried to open whose record.
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_denied, audit_patient_read
from tiercare.core.errors import NotFound
from tiercare.core.models import User
from tiercare.people.models import Consent, Household, Person
from tiercare.people.selectors import household_scope_q, person_scope_q


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def access_person_by_id(user: User, person_id: object, *, reason: str = "") -> Person:
    """The person ``person_id`` if ``user``'s care relationship allows it (audited), else NotFound (audited)."""
    pid = _as_uuid(person_id)
    person = (
        Person.objects.filter(person_scope_q(user), pk=pid).select_related("membership__household").first()
        if pid
        else None
    )
    if person is None:
        audit_denied(
            actor=user,
            object_type="people.person",
            object_id=str(person_id)[:64],
            person_id=pid,
            reason="not in the user's care relationships",
        )
        raise NotFound(_("No such person."))
    audit_patient_read(
        actor=user,
        person_ids=[person.pk],
        object_type="people.person",
        object_id=str(person.pk),
        reason=reason,
    )
    return person


def access_household_by_id(
    user: User, household_id: object, *, reason: str = "", members_read: bool = True
) -> Household:
    """The household if ``user`` may see it; reading it reads its members' records, each audited.

    ``members_read=False`` for a caller that shows none of the members (registering a new member answers only the
    new person): nobody's record is read, so there is nothing to audit."""
    hid = _as_uuid(household_id)
    household = (
        Household.objects.filter(household_scope_q(user), pk=hid).select_related("registered_at", "proxy").first()
        if hid
        else None
    )
    if household is None:
        audit_denied(
            actor=user,
            object_type="people.household",
            object_id=str(household_id)[:64],
            reason="not in the user's care relationships",
        )
        raise NotFound(_("No such household."))
    if not members_read:
        return household
    member_ids = list(household.members.values_list("person_id", flat=True))
    audit_patient_read(
        actor=user,
        person_ids=member_ids,
        object_type="people.household",
        object_id=str(household.pk),
        reason=reason,
    )
    return household


def access_consent_by_id(user: User, consent_id: object, *, reason: str = "") -> Consent:
    """A consent of a person ``user`` may see (audited as a read of that person), else NotFound (audited)."""
    cid = _as_uuid(consent_id)
    consent = (
        Consent.objects.filter(pk=cid, person__in=Person.objects.filter(person_scope_q(user)))
        .select_related("person__membership__household")
        .first()
        if cid
        else None
    )
    if consent is None:
        audit_denied(
            actor=user,
            object_type="people.consent",
            object_id=str(consent_id)[:64],
            reason="not in the user's care relationships",
        )
        raise NotFound(gettext("No such consent."))
    audit_patient_read(
        actor=user,
        person_ids=[consent.person_id],
        object_type="people.consent",
        object_id=str(consent.pk),
        reason=reason,
    )
    return consent
