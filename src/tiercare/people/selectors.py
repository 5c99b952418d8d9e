"""Reads of persons and households, already scoped to the asking user's care relationships (DESIGN.md §3).

- GPs and health managers: the households registered at the GP centers/hospitals where they hold an active role.
- Coordinators: the households registered at their hospital.
- Patients: themselves and the persons they hold an in-force proxy for (``people.proxies``).
- Administrators: everyone (each read audited like anyone's).
- Operations, experts, auditors: no one through these selectors; experts reach patients through the cases,
  sessions and referrals they are assigned to, which those apps scope.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

from tiercare.core.models import Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Household, HouseholdMember, Person
from tiercare.people.proxies import patient_q
from tiercare.people.team_scope import team_scope

ORG_SCOPED_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR)
PERSON_READER_ROLES = (*ORG_SCOPED_ROLES, Role.PATIENT, Role.ADMIN)


def _team_q(user: User, household_field: str) -> Q | None:
    """The care app's team scope for GPs and health managers: a household contracted with a team is seen only by
    that team's ACTIVE members (issue 6, 10). Registered by care at start-up (``people.team_scope``, ADR 0005)
    because people sits below care and may not import it."""
    if user.role not in (Role.GP, Role.HEALTH_MANAGER):
        return None
    return team_scope()(user, household_field)


def household_scope_q(user: User) -> Q:
    """A filter on Household: the households ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in ORG_SCOPED_ROLES:
        team = _team_q(user, "pk")
        scope = Q(registered_at_id__in=user_organization_ids(user))
        return scope & team if team is not None else scope
    if user.role == Role.PATIENT:
        # the households of the persons the login may see (themselves, those they hold a proxy for)
        return patient_q(user, "members__person")
    return Q(pk__in=[])


def person_scope_q(user: User) -> Q:
    """A filter on Person: the persons ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in ORG_SCOPED_ROLES:
        team = _team_q(user, "membership__household")
        scope = Q(membership__household__registered_at_id__in=user_organization_ids(user))
        return scope & team if team is not None else scope
    if user.role == Role.PATIENT:
        return patient_q(user)
    return Q(pk__in=[])


def person_list(
    *,
    for_user: User,
    q: str | None = None,
    household: UUID | str | None = None,
    organization: UUID | None = None,
) -> QuerySet[Person]:
    qs = Person.objects.filter(person_scope_q(for_user), archived=False)
    if household:
        qs = qs.filter(membership__household_id=household)
    if organization:
        qs = qs.filter(membership__household__registered_at_id=organization)
    if q:
        needle = q.strip().lower()
        qs = qs.filter(
            Q(name__icontains=q.strip())
            | Q(name_pinyin__startswith=needle)
            | Q(name_initials__startswith=needle)
            | Q(phone=needle)
        )
    return qs.select_related("membership__household").distinct()


def household_list(*, for_user: User, organization: UUID | None = None, q: str | None = None) -> QuerySet[Household]:
    qs = Household.objects.filter(household_scope_q(for_user))
    if organization:
        qs = qs.filter(registered_at_id=organization)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs.select_related("registered_at", "proxy").distinct()


def household_members(*, household: Household) -> QuerySet[HouseholdMember]:
    return household.members.select_related("person").order_by("created_at")


def audit_households_read(
    *, actor: User, household_ids: list[object], object_type: str = "people.household", reason: str = ""
) -> None:
    """A household shown (its name, address, members) is its members' records shown: record ONE read event naming
    every member of the households on the page (one query for the members, one insert)."""
    from tiercare.core.audit import audit_patient_read

    ids = list(dict.fromkeys(household_ids))
    if not ids:
        return
    members = HouseholdMember.objects.filter(household_id__in=ids).values_list("person_id", flat=True)
    audit_patient_read(
        actor=actor,
        person_ids=list(members),
        object_type=object_type,
        object_id=str(ids[0]) if len(ids) == 1 else "",
        reason=reason,
    )


def person_search(*, for_user: User, q: str) -> QuerySet[Person]:
    """Persons ``for_user`` may see matching ``q`` by name (contains), full pinyin or initials (prefix), the last
    four characters of the ID number, or the mobile phone (whole number, or its last four digits and more). For the
    pickers: the caller takes the first few and audits the ones it shows."""
    text = (q or "").strip()[:60]
    if not text:
        return Person.objects.none()
    needle = text.lower().replace(" ", "")
    match = Q(name__icontains=text)
    if needle.isascii() and needle.isalpha():
        match |= Q(name_pinyin__startswith=needle) | Q(name_initials__startswith=needle)
    if len(needle) == 4 and needle[:3].isdigit() and (needle[3].isdigit() or needle[3] == "x"):
        match |= Q(id_last4=needle.upper())
    if needle.isdigit() and 4 <= len(needle) <= 11:
        match |= Q(phone=needle) if len(needle) == 11 else Q(phone__endswith=needle)
    return (
        Person.objects.filter(person_scope_q(for_user), archived=False)
        .filter(match)
        .select_related("membership__household__registered_at")
        .order_by("name_pinyin", "name", "pk")
    )


def household_search(*, for_user: User, q: str) -> QuerySet[Household]:
    """Households ``for_user`` may see whose name or address contains ``q``, or with a member matching it."""
    text = (q or "").strip()[:60]
    if not text:
        return Household.objects.none()
    members = person_search(for_user=for_user, q=text).values("membership__household_id")
    return (
        Household.objects.filter(household_scope_q(for_user))
        .filter(Q(name__icontains=text) | Q(address__icontains=text) | Q(pk__in=members))
        .select_related("registered_at")
        .order_by("name", "pk")
        .distinct()
    )
