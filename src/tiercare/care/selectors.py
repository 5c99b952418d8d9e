"""Reads of the care app, scoped to the asking user (DESIGN.md §3).

- GPs and health managers: the residents under an active contract with a team they belong to (not the whole
  center: team A does not see team B's households, even at the same center).
- Patients: themselves and the persons they hold an in-force proxy for (``people.proxies``).
- Administrators: everyone. Everyone else: no one.
Worklists put the sickest first (issue 11): an open urgent referral suggestion, then not controlled (hypoglycaemia
included), then control not yet known, then controlled; within each, most days overdue first, then the highest
ten-year risk (an unknown risk before a known one: unknown is never treated as safe).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Concat, TruncMonth
from django.utils import timezone

from tiercare.care.models import (
    CareContract,
    ContractMember,
    Enrollment,
    FollowUp,
    GpTeam,
    GpTeamMember,
    HomeReading,
    MedicationRecord,
    RecomputeRun,
    ReferralSuggestion,
)
from tiercare.care.protocols import available_protocols, protocol_version
from tiercare.care.scope import TEAM_ROLES, team_household_ids, team_person_ids, user_team_ids
from tiercare.care.services.control import control_targets
from tiercare.core.models import Role, User
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Household, HouseholdMember, Person
from tiercare.people.proxies import patient_q

CARE_READER_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.PATIENT, Role.ADMIN)
DASHBOARD_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.OPS, Role.ADMIN)
# More than 12 months overdue: off the worklist, onto the lost-to-follow-up list (issue 6 §5).
LOST_AFTER_DAYS = 365
WORKLISTS = (
    "overdue",
    "due_this_week",
    "uncontrolled",
    "risk_rose",
    "suggestions",
    "home_urgent",
    "screening",
    "lost",
    "removed",
)
# The owed follow-ups the "screening" worklist shows once past their date (hazard log H-16): the NBPHS hypertension
# screening path's re-measurement and an alarm sign's urgent re-check (services.OWED_FOLLOWUP_INTERVALS).
SCREENING_OWED = ("screening", "urgent_recheck")
# Worklists of a center, kept by its lead (GpTeamMember.center_lead): residents whose contract lapsed while they
# still need care, and referral suggestions no one acted on by their deadline.
CENTER_WORKLISTS = ("lapsed", "escalated")
UNCONTROLLED = ("unsatisfactory", "adverse_reaction", "complication", "hypoglycaemia")
# Contracts ending within these many days are on the team's renewal worklist (the nearer one is flagged).
EXPIRING_WITHIN_DAYS = (30, 7)


def person_scope_q(user: User) -> Q:
    """A filter on Person: the persons ``user`` sees."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in TEAM_ROLES:
        return Q(pk__in=team_person_ids(user))
    if user.role == Role.PATIENT:
        return patient_q(user)
    return Q(pk__in=[])


def care_person_scope_q(user: User) -> Q:
    """``person_scope_q`` and the residents whose contract lapsed that ``user`` still answers for
    (``lapsed_scope_q``). For subqueries and single-person access only: the OR over the membership join may repeat a
    person, so lists of persons keep to ``person_scope_q``."""
    return person_scope_q(user) | lapsed_scope_q(user)


def lead_center_ids(user: User) -> QuerySet[GpTeamMember, uuid.UUID]:
    """The centers ``user`` leads (GpTeamMember.center_lead), as a subquery."""
    return GpTeamMember.objects.filter(
        practitioner__user_id=user.pk, active=True, center_lead=True, team__active=True
    ).values_list("team__center_id", flat=True)


def _lapsed_memberships(today: date | None = None) -> QuerySet[ContractMember]:
    """The last membership of each resident whose contract expired and whom no team holds now."""
    latest = ContractMember.objects.filter(person_id=OuterRef("person_id")).order_by(
        "-active", "-ended_on", "-created_at"
    )
    return ContractMember.objects.filter(active=False, contract__status="expired").filter(
        pk=Subquery(latest.values("pk")[:1])
    )


def lapsed_scope_q(user: User) -> Q:
    """Residents whose contract lapsed, seen by the lead of the center that held it (who owns them until they are
    renewed, transferred or their enrolment is ended) and, for CARE_LAPSE_GRACE_DAYS, by their last team."""
    if not user.is_authenticated or not user.is_active or user.role not in TEAM_ROLES:
        return Q(pk__in=[])
    grace = int(getattr(settings, "CARE_LAPSE_GRACE_DAYS", 30))
    since = timezone.localdate() - timedelta(days=grace)
    lapsed = _lapsed_memberships()
    owned = lapsed.filter(team__center_id__in=lead_center_ids(user)) | lapsed.filter(
        team_id__in=user_team_ids(user), ended_on__gte=since
    )
    return Q(pk__in=owned.values("person_id"))


def household_scope_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role in TEAM_ROLES:
        return Q(pk__in=team_household_ids(user))
    if user.role == Role.PATIENT:
        return patient_q(user, "members__person")
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
    qs = Enrollment.objects.filter(person__in=Person.objects.filter(care_person_scope_q(for_user)))
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
    qs = FollowUp.objects.filter(person__in=Person.objects.filter(care_person_scope_q(for_user)))
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
    qs = MedicationRecord.objects.filter(person__in=Person.objects.filter(care_person_scope_q(for_user)))
    if person:
        qs = qs.filter(person_id=person)
    return qs


def suggestion_list(*, for_user: User, status: str | None = "open") -> QuerySet[ReferralSuggestion]:
    qs = ReferralSuggestion.objects.filter(person__in=Person.objects.filter(care_person_scope_q(for_user)))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "followup")


def open_suggestion_q(*, urgent: bool | None = None) -> Exists:
    """Whether the enrolment has an open referral suggestion: one of its follow-ups raised it, or a referral of the
    person made directly came back (declined, cancelled, expired: no follow-up)."""
    qs = ReferralSuggestion.objects.filter(status="open").filter(
        Q(followup__enrollment_id=OuterRef("pk")) | Q(followup__isnull=True, person_id=OuterRef("person_id"))
    )
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    return Exists(qs)


def _latest_risk(field_name: str) -> Subquery:
    qs = FollowUp.objects.filter(enrollment_id=OuterRef("pk"), voided_at__isnull=True, risk_percent__isnull=False)
    return Subquery(qs.order_by("-measured_at").values(field_name)[:1])


def usable_risk_q(today: date) -> Q:
    """On annotated enrolments (``risk_measured_at``, ``risk_equation_used``): the risk may still be used —
    ``risk.risk_staleness``'s rule (not older than 12 months, the person's age today within the equation's range),
    as date bounds (``risk.usable_risk_window``)."""
    from datetime import datetime, time

    from tiercare.care.risk import EQUATION_AGE_RANGES, usable_risk_window

    q = Q()
    for equation in EQUATION_AGE_RANGES:
        w = usable_risk_window(equation=equation, today=today)
        since = timezone.make_aware(datetime.combine(w.computed_since, time.min))
        same = Q(risk_equation_used=equation)
        if equation == "china_par":  # follow-ups filed before the equation was stored computed China-PAR only
            same |= Q(risk_equation_used="")
        q |= same & Q(
            risk_measured_at__gte=since,
            person__birth_date__gt=w.born_after,
            person__birth_date__lte=w.born_on_or_before,
        )
    return q


def with_usable_risk(qs: QuerySet[Enrollment], today: date) -> QuerySet[Enrollment]:
    """Each enrolment with ``usable_risk``: its risk when it may still be used, else None (issue 11: a stale risk is
    not used for ordering — the person sorts as one with no computed risk), and ``risk_stale`` (a risk is stored but
    is stale, for the page to say so)."""
    qs = qs.annotate(risk_measured_at=_latest_risk("measured_at"), risk_equation_used=_latest_risk("risk_equation"))
    usable = usable_risk_q(today)
    return qs.annotate(
        usable_risk=Case(When(usable, then=F("risk_percent")), default=Value(None), output_field=FloatField()),
        risk_stale=Case(
            When(usable, then=Value(False)),
            When(risk_percent__isnull=False, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def sickest_first(qs: QuerySet[Enrollment], today: date | None = None) -> QuerySet[Enrollment]:
    """Order enrolments sickest first: an open urgent suggestion; not controlled (incl. hypoglycaemia); control
    unknown; controlled — then most days overdue (no due date first), then highest risk (unknown first; a stale
    risk counts as unknown, ``with_usable_risk``)."""
    qs = with_usable_risk(qs, today or timezone.localdate()).annotate(
        urgent_open=open_suggestion_q(urgent=True),
        sickness=Case(
            When(urgent_open=True, then=Value(0)),
            When(control_class__in=UNCONTROLLED, then=Value(1)),
            When(Q(control_class="") | Q(controlled__isnull=True), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    )
    return qs.order_by(
        "sickness", F("next_due_on").asc(nulls_first=True), F("usable_risk").desc(nulls_first=True), "pk"
    )


def worklist(*, team: GpTeam, kind: str, today: date | None = None) -> QuerySet[Enrollment]:
    """One team's worklist (the caller checked the team is the user's): ``overdue``, ``due_this_week``,
    ``uncontrolled`` (incl. hypoglycaemia), ``risk_rose``, ``suggestions`` (an open referral suggestion, whatever
    later visits found), ``screening`` (a screening re-measurement or an urgent re-check owed and past its date),
    ``lost`` (over 12 months overdue) or ``removed`` (taken off by a call outcome).
    Sorted sickest first (``sickest_first``)."""
    today = today or timezone.localdate()
    lost_before = today - timedelta(days=LOST_AFTER_DAYS)
    members = ContractMember.objects.filter(team=team, active=True).values("person_id")
    qs = Enrollment.objects.active().filter(person_id__in=members)
    if kind == "removed":
        qs = qs.exclude(outreach_removed_reason="")
    elif kind == "suggestions":
        qs = qs.filter(open_suggestion_q())
    elif kind == "home_urgent":
        # an urgent home reading not yet handled: on the list whatever a call outcome said (issue 16, item 5)
        qs = qs.filter(Exists(open_urgent_readings().filter(enrollment=OuterRef("pk"))))
    elif kind == "screening":
        # owed and past its date, whatever a call outcome or a reminder said: a screening is never deferred silently
        qs = qs.filter(followup_owed_reason__in=SCREENING_OWED, followup_owed_by__lt=today)
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
    return sickest_first(qs.select_related("person", "person__membership"), today)


def open_urgent_readings() -> QuerySet[HomeReading]:
    """Urgent home readings no team member has handled yet."""
    return HomeReading.objects.filter(urgent=True, handled_at__isnull=True)


def urgent_readings(*, team: GpTeam) -> QuerySet[HomeReading]:
    """The team's residents' urgent home readings not yet handled, latest first (the caller checked the team)."""
    members = ContractMember.objects.filter(team=team, active=True).values("person_id")
    return (
        open_urgent_readings()
        .filter(person_id__in=members)
        .select_related("person", "enrollment")
        .order_by("-measured_at", "pk")
    )


def home_readings(*, person: Any, limit: int = 20) -> QuerySet[HomeReading]:
    """A person's latest home readings (the caller resolved the person for the user)."""
    return (
        HomeReading.objects.filter(person=person)
        .select_related("enrollment", "person")
        .order_by("-measured_at")[:limit]
    )


def returned_referrals(*, team: GpTeam) -> QuerySet[ReferralSuggestion]:
    """Referrals of the team's residents made directly (not from a suggestion) that the receiving side declined,
    cancelled or let expire, still open (``services.suggestions_after_referral_ended``): shown on the team's
    "Referral suggested" worklist whether or not the person is in a program. Urgent first, then the deadline."""
    members = ContractMember.objects.filter(team=team, active=True).values("person_id")
    return (
        ReferralSuggestion.objects.filter(status="open", followup__isnull=True, person_id__in=members)
        .select_related("person")
        .order_by("-urgent", "due_on", "pk")
    )


def contracts_expiring(*, team: GpTeam, today: date | None = None) -> QuerySet[CareContract]:
    """The team's active contracts ending within 30 days (soonest first), each marked ``within_7``; renewing is
    ``services.contract_renew``."""
    today = today or timezone.localdate()
    far, near = EXPIRING_WITHIN_DAYS
    return (
        CareContract.objects.filter(team=team, status="active", end__lte=today + timedelta(days=far))
        .annotate(within_7=Case(When(end__lte=today + timedelta(days=near), then=Value(True)), default=Value(False)))
        .select_related("household")
        .order_by("end", "pk")
    )


def lapsed_persons(*, center_ids: Any) -> QuerySet[Person]:
    """Residents of ``center_ids`` whose contract lapsed while they still need care — an active program, an open
    referral suggestion or an owed follow-up — each with ``lapsed_contract_id``, ``lapsed_team`` and ``lapsed_on``.
    They stay until the contract is renewed, they are contracted with another team, or the enrolment is ended."""
    lapsed = _lapsed_memberships().filter(team__center_id__in=center_ids)
    last = lapsed.filter(person_id=OuterRef("pk"))
    needs_care = Exists(Enrollment.objects.active().filter(person_id=OuterRef("pk"))) | Exists(
        ReferralSuggestion.objects.filter(person_id=OuterRef("pk"), status="open")
    )
    return (
        Person.objects.filter(pk__in=lapsed.values("person_id"))
        .filter(needs_care)
        .annotate(
            lapsed_contract_id=Subquery(last.values("contract_id")[:1], output_field=UUIDField()),
            lapsed_team=Subquery(last.values("team__name")[:1]),
            lapsed_on=Subquery(last.values("ended_on")[:1]),
        )
        .order_by("lapsed_on", "name_pinyin", "pk")
    )


def led_centers(*, for_user: User) -> QuerySet[Any]:
    """The GP centers ``for_user`` leads (administrators: none listed; they open a center's page directly)."""
    from tiercare.network.models import Organization

    if for_user.role not in TEAM_ROLES:
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=lead_center_ids(for_user)).order_by("name")


def active_enrollments_by_person(person_ids: list[Any]) -> dict[Any, list[Enrollment]]:
    """The active enrolments of ``person_ids`` (the caller checked the scope), by person: one query."""
    out: dict[Any, list[Enrollment]] = {}
    for e in Enrollment.objects.active().filter(person_id__in=person_ids).order_by("protocol_code"):
        out.setdefault(e.person_id, []).append(e)
    return out


def escalated_suggestions(*, center_ids: Any) -> QuerySet[ReferralSuggestion]:
    """Open referral suggestions past their deadline, of residents of ``center_ids`` (by their current team, or by
    the team whose contract lapsed), urgent first, then the oldest deadline."""
    at_center = ContractMember.objects.filter(team__center_id__in=center_ids).filter(
        Q(active=True) | Q(pk__in=_lapsed_memberships().values("pk"))
    )
    return (
        ReferralSuggestion.objects.filter(
            status="open", escalated_at__isnull=False, person_id__in=at_center.values("person_id")
        )
        .select_related("person", "followup__enrollment")
        .order_by("-urgent", "due_on", "pk")
    )


def dashboard(*, teams: QuerySet[GpTeam], today: date | None = None) -> dict[str, Any]:
    """Counts for a set of teams: enrolled, followed up on time, control rates, monthly trend (12 months).

    On time = follow-ups of the last 12 months done by the due date the previous one set, over those plus the
    enrolments overdue now. Control, at each enrolment's latest follow-up, by the protocol's targets for the person's
    age on that day under the center's recorded decision (``services.is_controlled``): BP < 140/90, or < 150/90 at 65
    or more by default (hypertension), fasting glucose < 7.0 mmol/L (diabetes). ``followups_under_superseded_protocol``
    counts the year's follow-ups classified under a protocol text (sha256) that is no longer the shipped one, so a
    protocol change shows.
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
            hypoglycaemia=Count("id", filter=Q(control_class="hypoglycaemia")),
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
        percent = round(100 * row["controlled_n"] / row["n"], 1) if row["n"] else 0.0
        trend.setdefault(key, {})[row["enrollment__protocol_code"]] = percent

    def rate(code: str) -> float | None:
        r = by_protocol.get(code)
        return round(100 * r["controlled_n"] / r["measured"], 1) if r and r["measured"] else None

    current = [protocol_version(code).sha256 for code in available_protocols()]
    superseded = (
        FollowUp.objects.filter(person_id__in=persons, voided_at__isnull=True, measured_at__date__gte=since)
        .exclude(protocol_sha256__in=current)
        .count()
    )
    centers = teams.values("center_id")
    return {
        "followups_under_superseded_protocol": superseded,
        # issue 11: people who must not drop out of sight, counted on the dashboard
        "contract_lapsed": lapsed_persons(center_ids=centers).count(),
        "suggestions_escalated": escalated_suggestions(center_ids=centers).count(),
        "hypoglycaemia": sum(r["hypoglycaemia"] for r in by_protocol.values()),
        "targets": {code: control_targets(code) for code in ("hypertension", "diabetes_t2")},
        "recompute": recompute_health(today=today),
        "enrolled": sum(r["n"] for r in by_protocol.values()),
        "enrolled_by_protocol": {k: v["n"] for k, v in by_protocol.items()},
        "contracted_residents": ContractMember.objects.filter(team__in=teams, active=True).count(),
        "overdue": overdue_now,
        "on_time_percent": round(100 * agg["on_time"] / denominator, 1) if denominator else None,
        "bp_control_percent": rate("hypertension"),
        "glucose_control_percent": rate("diabetes_t2"),
        "trend": [{"month": m, **v} for m, v in sorted(trend.items())],
    }


def recompute_health(*, today: date) -> dict[str, Any]:
    """The nightly recompute's state for the dashboard: ``failed`` (the latest run failed, with its error) or
    ``stale`` (no run finished yesterday or today — the worker may be down); either shows as a red line."""
    latest = RecomputeRun.objects.order_by("-day").first()
    finished = RecomputeRun.objects.filter(finished_at__isnull=False).order_by("-day").first()
    failed = latest is not None and latest.failed_at is not None
    # a fresh installation that never ran one is not "stale"; one that ran and stopped is
    stale = latest is not None and (finished is None or finished.day < today - timedelta(days=1))
    return {
        "failed": failed,
        "error": latest.error if failed and latest else "",
        "day": latest.day if latest else None,
        "last_finished_day": finished.day if finished else None,
        "stale": stale and not failed,
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


def registration_followups(*, since: date) -> QuerySet[FollowUp]:
    """The GP-center visits (follow-ups not voided) from ``since``, each with ``center_id``: the center of the
    team that held the person's contract then (the latest membership begun by that day), for triage's
    registrations-per-episode collector (a system job: it stores counts and shows no patient)."""
    team_center = (
        ContractMember.objects.filter(person_id=OuterRef("person_id"), contract__start__lte=OuterRef("measured_at"))
        .order_by("-active", "-contract__start")
        .values("team__center_id")[:1]
    )
    start = timezone.make_aware(datetime.combine(since, time.min))
    return (
        FollowUp.objects.filter(voided_at__isnull=True, measured_at__gte=start)
        .annotate(center_id=Subquery(team_center))
        .order_by("measured_at", "pk")
    )
