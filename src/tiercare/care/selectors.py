"""Reads of the care app, scoped to the asking user (DESIGN.md §3).

- GPs and health managers: the residents under an active contract with a team they belong to (not the whole
  center: team A does not see team B's households, even at the same center).
- Patients: themselves and the members of the households they are proxy for.
- Administrators: everyone. Everyone else: no one.
Worklists sort by risk (highest first, unknown last), then days overdue (most first).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat, TruncMonth
from django.utils import timezone

from tiercare.care.models import (
    CareContract,
    ContractMember,
    Enrollment,
    FollowUp,
    GpTeam,
    MedicationRecord,
    ReferralSuggestion,
)
from tiercare.care.protocols import available_protocols, protocol_version
from tiercare.care.scope import TEAM_ROLES, team_household_ids, team_person_ids, user_team_ids
from tiercare.core.models import Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Household, HouseholdMember, Person

CARE_READER_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.PATIENT, Role.ADMIN)
DASHBOARD_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.OPS, Role.ADMIN)
# More than 12 months overdue: off the worklist, onto the lost-to-follow-up list (issue 6 §5).
LOST_AFTER_DAYS = 365
WORKLISTS = ("overdue", "due_this_week", "uncontrolled", "risk_rose", "lost", "removed")
UNCONTROLLED = ("unsatisfactory", "adverse_reaction", "complication")


def person_scope_q(user: User) -> Q:
    """A filter on Person: the persons ``user`` sees."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in TEAM_ROLES:
        return Q(pk__in=team_person_ids(user))
    if user.role == Role.PATIENT:
        person = getattr(user, "person", None)
        if person is None:
            return Q(pk__in=[])
        return Q(pk=person.pk) | Q(membership__household__proxy=person)
    return Q(pk__in=[])


def household_scope_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in TEAM_ROLES:
        return Q(pk__in=team_household_ids(user))
    if user.role == Role.PATIENT:
        person = getattr(user, "person", None)
        if person is None:
            return Q(pk__in=[])
        return Q(proxy=person) | Q(members__person=person)
    return Q(pk__in=[])


def team_list(*, for_user: User) -> QuerySet[GpTeam]:
    if for_user.role in (Role.ADMIN, Role.OPS):
        qs = GpTeam.objects.all()
    else:
        qs = GpTeam.objects.filter(pk__in=user_team_ids(for_user))
    return qs.select_related("center").prefetch_related("members__practitioner")


def contract_list(*, for_user: User, household: Any = None, status: str | None = None) -> QuerySet[CareContract]:
    if for_user.role == Role.ADMIN:
        qs = CareContract.objects.all()
    elif for_user.role in TEAM_ROLES:
        qs = CareContract.objects.filter(team_id__in=user_team_ids(for_user))
    elif for_user.role == Role.PATIENT:
        qs = CareContract.objects.filter(household__in=Household.objects.filter(household_scope_q(for_user)))
    else:
        qs = CareContract.objects.none()
    if household:
        qs = qs.filter(household_id=household)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("household", "team", "team__center")


def household_list(*, for_user: User, q: str | None = None, team: Any = None) -> QuerySet[Household]:
    qs = Household.objects.filter(household_scope_q(for_user))
    if team:
        qs = qs.filter(care_contracts__status="active", care_contracts__team_id=team)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    return qs.select_related("registered_at").distinct().order_by("name")


def person_list(*, for_user: User, q: str | None = None, team: Any = None, household: Any = None) -> QuerySet[Person]:
    scope = person_scope_q(for_user)
    if team:
        # In the same filter() as the scope, so that one contract membership must satisfy both: one join.
        scope &= Q(care_memberships__active=True, care_memberships__team_id=team)
    qs = Person.objects.filter(scope, archived=False)
    if household:
        qs = qs.filter(membership__household_id=household)
    if q:
        needle = q.strip().lower()
        qs = qs.filter(
            Q(name__icontains=q.strip()) | Q(name_pinyin__startswith=needle) | Q(name_initials__startswith=needle)
        )
    # one active contract membership per person (DB-enforced), so these joins never repeat a person
    team_bound = bool(team) or for_user.role in TEAM_ROLES
    return qs.select_related("membership").order_by(*_person_order(team_bound=team_bound))


def _person_order(*, team_bound: bool) -> tuple[Any, ...]:
    """By name (pinyin), then id. A team's list sorts the team's own rows: ordered by the bare column, PostgreSQL
    walks the whole network's name index and drops the other teams' persons one by one until the page is full
    (a cost that grows with the network: 4,471 persons read for 50 at 200,000 persons, bench/RESULTS.md); ordered
    by an expression of the same value it reads the team's memberships (index care_member_team_person), joins
    their persons and sorts those — a cost that follows the team. Same order; lists not bound to a team (an
    administrator's) keep the index walk, which is right when nearly every row qualifies."""
    if team_bound:
        return (Concat("name_pinyin", Value("")), "id")
    return ("name_pinyin", "id")


def person_rows(qs: QuerySet[Person]) -> QuerySet[Person]:
    """The columns a list of persons shows (id, name, sex, birth date, household) as dicts: a list of a GP's 400
    patients does not build 400 model objects nor parse timestamps nobody reads."""
    # The household as a correlated subquery, not a join: it is read for the page's rows only, after the sort and
    # the limit, instead of for every row of the team before the sort.
    household = HouseholdMember.objects.filter(person_id=OuterRef("pk")).order_by().values("household_id")[:1]
    return qs.values("id", "name", "sex", "birth_date", household=Subquery(household))  # type: ignore[return-value]


def enrollment_list(
    *,
    for_user: User,
    person: Any = None,
    protocol_code: str | None = None,
    team: Any = None,
    control_class: str | None = None,
) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.filter(person__in=Person.objects.filter(person_scope_q(for_user)))
    if person:
        qs = qs.filter(person_id=person)
    if protocol_code:
        qs = qs.filter(protocol_code=protocol_code)
    if team:
        qs = qs.filter(person__care_memberships__active=True, person__care_memberships__team_id=team)
    if control_class:
        qs = qs.filter(control_class=control_class)
    return qs.select_related("person").order_by("person__name_pinyin", "protocol_code")


def followup_list(
    *,
    for_user: User,
    person: Any = None,
    enrollment: Any = None,
    team: Any = None,
    include_void: bool = False,
) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(person__in=Person.objects.filter(person_scope_q(for_user)))
    if not include_void:
        qs = qs.filter(voided_at__isnull=True)
    if person:
        qs = qs.filter(person_id=person)
    if enrollment:
        qs = qs.filter(enrollment_id=enrollment)
    if team:
        qs = qs.filter(person__care_memberships__active=True, person__care_memberships__team_id=team)
    return with_referral_suggested(qs.select_related("enrollment").order_by("-measured_at"))


def with_referral_suggested(qs: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """Each follow-up marked ``referral_suggested`` (whether it raised a referral suggestion): one subquery in the
    same query, not a query per page."""
    return qs.annotate(referral_suggested=Exists(ReferralSuggestion.objects.filter(followup_id=OuterRef("pk"))))


def person_plan(*, person: Person, followups: int = 5) -> dict[str, Any]:
    """A person's plan: active programs, latest follow-ups (each marked ``referral_suggested``), medicines and the
    next visit. ``person`` must come from an access function (which checked the scope and audited the read), so the
    rows here are fetched by the person alone: three queries, whoever asks."""
    enrollments = list(Enrollment.objects.active().filter(person_id=person.pk).order_by("protocol_code"))
    for e in enrollments:
        e.person = person  # the answer names the person: no query to fetch them again
    recent = list(
        with_referral_suggested(
            FollowUp.objects.filter(person_id=person.pk, voided_at__isnull=True).select_related("enrollment")
        ).order_by("-measured_at")[:followups]
    )
    dues = [e.next_due_on for e in enrollments if e.next_due_on]
    return {
        "person": person,
        "enrollments": enrollments,
        "recent_followups": recent,
        "medications": list(MedicationRecord.objects.filter(person_id=person.pk)[:10]),
        "next_visit_on": min(dues) if dues else None,
    }


def medication_list(*, for_user: User, person: Any = None) -> QuerySet[MedicationRecord]:
    qs = MedicationRecord.objects.filter(person__in=Person.objects.filter(person_scope_q(for_user)))
    if person:
        qs = qs.filter(person_id=person)
    return qs


def suggestion_list(*, for_user: User, status: str | None = "open") -> QuerySet[ReferralSuggestion]:
    qs = ReferralSuggestion.objects.filter(person__in=Person.objects.filter(person_scope_q(for_user)))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "followup")


def worklist(*, team: GpTeam, kind: str, today: date | None = None) -> QuerySet[Enrollment]:
    """One team's worklist (the caller checked the team is the user's): ``overdue``, ``due_this_week``,
    ``uncontrolled``, ``risk_rose``, ``lost`` (over 12 months overdue) or ``removed`` (taken off by a call
    outcome). Sorted by risk (highest first), then days overdue (most first)."""
    today = today or timezone.localdate()
    lost_before = today - timedelta(days=LOST_AFTER_DAYS)
    members = ContractMember.objects.filter(team=team, active=True).values("person_id")
    qs = Enrollment.objects.active().filter(person_id__in=members)
    if kind == "removed":
        qs = qs.exclude(outreach_removed_reason="")
    else:
        qs = qs.filter(outreach_removed_reason="")
        if kind == "overdue":
            qs = qs.filter(next_due_on__lt=today, next_due_on__gte=lost_before).filter(
                Q(remind_after__isnull=True) | Q(remind_after__lte=today)
            )
        elif kind == "due_this_week":
            qs = qs.filter(next_due_on__gte=today, next_due_on__lte=today + timedelta(days=6))
        elif kind == "uncontrolled":
            qs = qs.filter(control_class__in=UNCONTROLLED, next_due_on__gte=lost_before)
        elif kind == "risk_rose":
            qs = qs.filter(risk_rose=True, next_due_on__gte=lost_before)
        elif kind == "lost":
            qs = qs.filter(next_due_on__lt=lost_before)
        else:
            raise ValueError(kind)
    return qs.select_related("person", "person__membership").order_by(
        F("risk_percent").desc(nulls_last=True), "next_due_on", "pk"
    )


def dashboard(*, teams: QuerySet[GpTeam], today: date | None = None) -> dict[str, Any]:
    """Counts for a set of teams: enrolled, followed up on time, control rates, monthly trend (12 months).

    On time = follow-ups of the last 12 months done by the due date the previous one set, over those plus the
    enrolments overdue now. Control: BP < 140/90 (hypertension), fasting glucose < 7.0 mmol/L (diabetes), at
    each enrolment's latest follow-up. ``followups_under_superseded_protocol`` counts the year's follow-ups
    classified under a protocol text (sha256) that is no longer the shipped one, so a protocol change shows.
    """
    today = today or timezone.localdate()
    since = today - timedelta(days=365)
    persons = ContractMember.objects.filter(team__in=teams, active=True).values("person_id")
    enr = Enrollment.objects.active().filter(person_id__in=persons)
    by_protocol = {
        r["protocol_code"]: r
        for r in enr.values("protocol_code").annotate(
            n=Count("id"),
            measured=Count("id", filter=Q(controlled__isnull=False)),
            controlled_n=Count("id", filter=Q(controlled=True)),
            overdue=Count("id", filter=Q(next_due_on__lt=today)),
        )
    }
    fus = FollowUp.objects.filter(
        person_id__in=persons, voided_at__isnull=True, measured_at__date__gte=since, was_due_on__isnull=False
    )
    agg = fus.aggregate(done=Count("id"), on_time=Count("id", filter=Q(on_time=True)))
    overdue_now = sum(r["overdue"] for r in by_protocol.values())
    denominator = agg["done"] + overdue_now
    months = (
        FollowUp.objects.filter(person_id__in=persons, voided_at__isnull=True, measured_at__date__gte=since)
        .annotate(month=TruncMonth("measured_at"))
        .values("month", "enrollment__protocol_code")
        .annotate(n=Count("id"), controlled_n=Count("id", filter=Q(controlled=True)))
        .order_by("month")
    )
    trend: dict[str, dict[str, float]] = {}
    for row in months:
        key = row["month"].strftime("%Y-%m")
        rate = round(100 * row["controlled_n"] / row["n"], 1) if row["n"] else 0.0
        trend.setdefault(key, {})[row["enrollment__protocol_code"]] = rate

    def rate(code: str) -> float | None:
        r = by_protocol.get(code)
        return round(100 * r["controlled_n"] / r["measured"], 1) if r and r["measured"] else None

    current = [protocol_version(code).sha256 for code in available_protocols()]
    superseded = (
        FollowUp.objects.filter(person_id__in=persons, voided_at__isnull=True, measured_at__date__gte=since)
        .exclude(protocol_sha256__in=current)
        .count()
    )
    return {
        "followups_under_superseded_protocol": superseded,
        "enrolled": sum(r["n"] for r in by_protocol.values()),
        "enrolled_by_protocol": {k: v["n"] for k, v in by_protocol.items()},
        "contracted_residents": ContractMember.objects.filter(team__in=teams, active=True).count(),
        "overdue": overdue_now,
        "on_time_percent": round(100 * agg["on_time"] / denominator, 1) if denominator else None,
        "bp_control_percent": rate("hypertension"),
        "glucose_control_percent": rate("diabetes_t2"),
        "trend": [{"month": m, **v} for m, v in sorted(trend.items())],
    }


def dashboard_teams(*, for_user: User, center: Any = None, team: Any = None) -> QuerySet[GpTeam]:
    """The teams a dashboard may count for ``for_user``: team members see the teams of their centers (counts,
    no clinical detail); operations and administrators any."""
    if for_user.role in (Role.OPS, Role.ADMIN):
        qs = GpTeam.objects.all()
    elif for_user.role in TEAM_ROLES:
        qs = GpTeam.objects.filter(center_id__in=user_organization_ids(for_user))
    else:
        qs = GpTeam.objects.none()
    if center:
        qs = qs.filter(center_id=center)
    if team:
        qs = qs.filter(pk=team)
    return qs
