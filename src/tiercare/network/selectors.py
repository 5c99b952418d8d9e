"""Reads of the network directory, scoped to the asking user.

The directory (organizations, departments, practitioners, partnerships) is shared knowledge among staff of the
network; patients see none of it through these selectors (public expert pages are the profiles app's). Site
registrations and insurance policies are personnel records: operations, administrators, auditors and the
practitioner concerned see them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tiercare.core.access import STAFF_ROLES
from tiercare.core.context import request_memo
from tiercare.core.models import Role, User
from tiercare.network.models import (
    Department,
    InsurancePolicy,
    Organization,
    OrgKind,
    Partnership,
    Practitioner,
    PractitionerRole,
    SiteRegistration,
)
from tiercare.network.practice import allowed_at_q

PERSONNEL_READERS = (Role.OPS, Role.ADMIN, Role.AUDITOR)


def today() -> date:
    return timezone.localdate()


def user_organization_ids(user: User, on: date | None = None) -> list[uuid.UUID]:
    """The organizations where ``user`` holds an active role (through their practitioner record).

    Asked once per request and user (the request's memo; a write in between asks again)."""
    if not user.is_authenticated:
        return []
    on = on or today()
    memo = request_memo()
    key = ("user_organization_ids", user.pk, on)
    if memo is not None and key in memo:
        return list(memo[key])
    ids: list[uuid.UUID] = list(
        PractitionerRole.objects.filter(practitioner__user_id=user.pk, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("organization_id", flat=True)
        .distinct()
    )
    if memo is not None:
        memo[key] = tuple(ids)
    return ids


def _is_staff(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in STAFF_ROLES


def organization_list(
    *,
    for_user: User,
    tier: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    province: str | None = None,
    partner: bool | None = None,
) -> QuerySet[Organization]:
    qs = Organization.objects.all() if _is_staff(for_user) else Organization.objects.none()
    if tier:
        qs = qs.filter(tier=tier)
    if kind:
        qs = qs.filter(kind=kind)
    if province:
        qs = qs.filter(province=province)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(county__icontains=q))
    if partner is not None:
        active = Partnership.objects.filter(department__organization=OuterRef("pk"), start__lte=today()).filter(
            Q(end__isnull=True) | Q(end__gte=today())
        )
        qs = qs.filter(Exists(active)) if partner else qs.exclude(Exists(active))
    return qs.select_related("division").order_by("name")


def department_list(
    *, for_user: User, organization: UUID | str | None = None, specialty: str | None = None
) -> QuerySet[Department]:
    qs = Department.objects.all() if _is_staff(for_user) else Department.objects.none()
    if organization:
        qs = qs.filter(organization_id=organization)
    if specialty:
        qs = qs.filter(specialty=specialty)
    return qs.select_related("organization").order_by("organization__name", "name")


def practitioner_list(
    *,
    for_user: User,
    specialty: str | None = None,
    organization: UUID | None = None,
    title: str | None = None,
    allowed_at: Organization | None = None,
    on: date | None = None,
    insurance_expiring_days: int | None = None,
    q: str | None = None,
    experts_only: bool = False,
) -> QuerySet[Practitioner]:
    """Practitioners, filtered. ``allowed_at``/``on`` keeps those with a legal basis and cover there that day."""
    qs = Practitioner.objects.all() if _is_staff(for_user) else Practitioner.objects.none()
    if experts_only:
        qs = qs.filter(doctor_group__isnull=False)
    if specialty:
        qs = qs.filter(Q(specialty=specialty))
    if organization:
        qs = qs.filter(home_organization_id=organization)
    if title:
        qs = qs.filter(title=title)
    if allowed_at is not None:
        qs = qs.filter(allowed_at_q(allowed_at, on or today()))
    if insurance_expiring_days is not None:
        qs = qs.filter(insurance_expiring_q(insurance_expiring_days))
    if q:
        needle = q.strip().lower()
        qs = qs.filter(Q(name__icontains=q) | Q(name_pinyin__startswith=needle) | Q(name_initials__startswith=needle))
    return qs.select_related("home_organization", "home_department", "doctor_group")


def insurance_expiring_q(days: int, on: date | None = None) -> Q:
    """Practitioners covered today whose cover ends within ``days`` with no policy continuing past that."""
    on = on or today()
    horizon = on + timedelta(days=days)
    covered_now = InsurancePolicy.objects.filter(practitioner=OuterRef("pk"), valid_from__lte=on, valid_to__gte=on)
    covered_after = InsurancePolicy.objects.filter(
        practitioner=OuterRef("pk"), valid_from__lte=horizon, valid_to__gt=horizon
    )
    return Q(Exists(covered_now)) & ~Q(Exists(covered_after))


def insurance_expiring_count(*, on: date | None = None) -> int:
    return Practitioner.objects.filter(
        insurance_expiring_q(settings.INSURANCE_EXPIRY_WARNING_DAYS, on), doctor_group__isnull=False
    ).count()


def _personnel_scope(for_user: User, qs: QuerySet, field: str) -> QuerySet:
    if not for_user.is_authenticated or not for_user.is_active:
        return qs.none()
    if for_user.role in PERSONNEL_READERS:
        return qs
    practitioner = getattr(for_user, "practitioner", None)
    if practitioner is not None:
        return qs.filter(**{field: practitioner})
    return qs.none()


def site_registration_list(
    *,
    for_user: User,
    practitioner: object | None = None,
    site: object | None = None,
    valid_on: date | None = None,
) -> QuerySet[SiteRegistration]:
    qs = _personnel_scope(for_user, SiteRegistration.objects.all(), "practitioner")
    if practitioner:
        qs = qs.filter(practitioner_id=practitioner)
    if site:
        qs = qs.filter(site_id=site)
    if valid_on:
        qs = qs.filter(valid_from__lte=valid_on, revoked=False).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_on)
        )
    return qs.select_related("practitioner", "site").order_by("practitioner__name", "-valid_from")


def insurance_policy_list(
    *, for_user: User, practitioner: object | None = None, expiring_within_days: int | None = None
) -> QuerySet[InsurancePolicy]:
    qs = _personnel_scope(for_user, InsurancePolicy.objects.all(), "practitioner")
    if practitioner:
        qs = qs.filter(practitioner_id=practitioner)
    if expiring_within_days is not None:
        qs = qs.filter(valid_to__gte=today(), valid_to__lte=today() + timedelta(days=expiring_within_days))
    return qs.select_related("practitioner").order_by("valid_to")


def partnership_list(
    *,
    for_user: User,
    organization: UUID | str | None = None,
    specialty: str | None = None,
    active_on: date | None = None,
) -> QuerySet[Partnership]:
    qs = Partnership.objects.all() if _is_staff(for_user) else Partnership.objects.none()
    if organization:
        qs = qs.filter(department__organization_id=organization)
    if specialty:
        qs = qs.filter(department__specialty=specialty)
    if active_on:
        qs = qs.filter(start__lte=active_on).filter(Q(end__isnull=True) | Q(end__gte=active_on))
    return qs.select_related("doctor_group", "department", "department__organization")


def network_overview(*, for_user: User) -> dict[str, Any]:
    """Counts and chart series for the network overview page."""
    if not _is_staff(for_user):
        return {}
    experts = Practitioner.objects.filter(doctor_group__isnull=False, is_active=True)
    by_specialty = list(experts.values("specialty").annotate(n=Count("id")).order_by("-n"))
    partners_by_county = list(
        Partnership.objects.filter(start__lte=today())
        .filter(Q(end__isnull=True) | Q(end__gte=today()))
        .values("department__organization__county")
        .annotate(n=Count("department__organization", distinct=True))
        .order_by("-n")
    )
    orgs_by_tier = list(Organization.objects.values("tier", "kind").annotate(n=Count("id")).order_by("tier"))
    return {
        "experts": experts.count(),
        "organizations": Organization.objects.count(),
        "departments": Department.objects.count(),
        "partnerships": Partnership.objects.count(),
        "insurance_expiring": insurance_expiring_count(),
        "by_specialty": by_specialty,
        "partners_by_county": partners_by_county,
        "orgs_by_tier": orgs_by_tier,
    }


# The practitioners with a public page (profiles, /experts/<slug>/): active experts of the doctor group.
PUBLIC_EXPERT_Q = Q(is_active=True, doctor_group__isnull=False, doctor_group__kind=OrgKind.DOCTOR_GROUP)


def expert_slug(expert: Practitioner) -> str:
    """The expert's address on the site: their name's pinyin and the first 8 hex digits of their id
    (``zhaozhuanjia-1a2b3c4d``): readable, stable, and unique in practice among namesakes. Here, below profiles and
    triage, so that both name the public page (the ``profiles:expert`` URL) without importing each other."""
    return f"{expert.name_pinyin or 'expert'}-{expert.pk.hex[:8]}"


def public_expert_list(*, specialties: list[str], limit: int = 6) -> list[Practitioner]:
    """Active experts of the doctor group whose main specialty is one of ``specialties``, in the order of that
    list and senior titles first, for anonymous readers (triage). Callers show public facts only: name, title,
    specialty and main institution, never a phone number or a licence. One query."""
    if not specialties:
        return []
    qs = (
        Practitioner.objects.filter(PUBLIC_EXPERT_Q, specialty__in=specialties)
        .select_related("home_organization")
        .order_by("name_pinyin")
    )
    rank = {code: i for i, code in enumerate(specialties)}
    seniority = {"chief": 0, "associate_chief": 1}
    rows = sorted(qs[: limit * 4], key=lambda p: (rank.get(p.specialty, 99), seniority.get(p.title, 2)))
    return rows[:limit]
