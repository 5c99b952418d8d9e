"""Fetch one person or household for one user, or raise NotFound without telling whether it exists.

Every successful read of a person's record is audited; so is every refusal (object id, reason), so that an auditor
can see who tried to open whose record. The fetch-or-refuse shape is ``core.access.access_one``.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.models import User
from tiercare.people.models import Consent, Household, Person, Proxy
from tiercare.people.selectors import household_scope_q, person_scope_q

REFUSAL = "not in the user's care relationships"


def access_person_by_id(user: User, person_id: object, *, reason: str = "") -> Person:
    """The person ``person_id`` if ``user``'s care relationship allows it (audited), else NotFound (audited)."""
    return access_one(
        user,
        Person.objects.filter(person_scope_q(user)).select_related("membership__household"),
        person_id,
        object_type="people.person",
        refusal=REFUSAL,
        not_found=_("No such person."),
        persons=lambda person: [person.pk],
        reason=reason,
        id_is_person=True,
    )


def access_household_by_id(
    user: User, household_id: object, *, reason: str = "", members_read: bool = True
) -> Household:
    """The household if ``user`` may see it; reading it reads its members' records, each audited.

    ``members_read=False`` for a caller that shows none of the members (registering a new member answers only the
    new person): nobody's record is read, so there is nothing to audit."""
    return access_one(
        user,
        Household.objects.filter(household_scope_q(user)).select_related("registered_at", "proxy"),
        household_id,
        object_type="people.household",
        refusal=REFUSAL,
        not_found=_("No such household."),
        persons=_members if members_read else None,
        reason=reason,
    )


def _members(household: Household) -> list[object]:
    return list(household.members.values_list("person_id", flat=True))


def access_consent_by_id(user: User, consent_id: object, *, reason: str = "") -> Consent:
    """A consent of a person ``user`` may see (audited as a read of that person), else NotFound (audited)."""
    return access_one(
        user,
        Consent.objects.filter(person__in=Person.objects.filter(person_scope_q(user))).select_related(
            "person__membership__household"
        ),
        consent_id,
        object_type="people.consent",
        refusal=REFUSAL,
        not_found=gettext("No such consent."),
        persons=lambda consent: [consent.person_id],
        reason=reason,
    )


def access_proxy_by_id(user: User, proxy_id: object, *, reason: str = "") -> Proxy:
    """A proxy whose person and holder ``user`` may both see (audited as a read of both), else NotFound (audited)."""
    visible = Person.objects.filter(person_scope_q(user))
    return access_one(
        user,
        Proxy.objects.filter(person__in=visible, holder__in=visible).select_related("person", "holder"),
        proxy_id,
        object_type="people.proxy",
        refusal=REFUSAL,
        not_found=gettext("No such proxy."),
        persons=lambda proxy: [proxy.person_id, proxy.holder_id],
        reason=reason,
    )
