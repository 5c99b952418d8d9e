"""Which expert answers a tele-consultation or second opinion (远程医疗服务管理规范 2018, regulation/README.md §3).

An expert qualifies when, at the inviting institution:
- they practise the specialty (main or other specialties) and are active;
- they have ≥ MIN_INDEPENDENT_PRACTICE_YEARS of independent practice;
- their institution and the inviting one have a written cooperation agreement on file (a ``SupportAgreement`` of
  kind telemedicine, or any agreement valid today between the two institutions, in either direction);
- the practice rule (network.practice) allows them at the inviting site, with valid malpractice cover, on every
  day from today to the deadline (so the answer is never due on a day they are not covered).
Among those: continuity with the patient first (earlier consults for the same patient), then the lightest current
load (so one center's work does not pile on one expert), then continuity with the inviting institution, then name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults.models import (
    MIN_INDEPENDENT_PRACTICE_YEARS,
    OPEN_CONSULT,
    OPEN_OPINION,
    SecondOpinion,
    Teleconsult,
)
from tiercare.core.errors import ValidationFailed
from tiercare.network.models import Organization, Practitioner, Specialty, SupportAgreement
from tiercare.network.practice import PracticeDecision, allowed_at_q, practice_basis


class Refusal:
    NO_SPECIALIST = "no_expert_for_specialty"
    TOO_JUNIOR = "insufficient_independent_practice"
    NO_AGREEMENT = "no_cooperation_agreement"
    NOT_ALLOWED = "expert_not_allowed_at_site"


MESSAGES = {
    Refusal.NO_SPECIALIST: "No active expert practises %(specialty)s.",
    Refusal.TOO_JUNIOR: "No %(specialty)s expert has the 3 years of independent practice remote consultation needs.",
    Refusal.NO_AGREEMENT: (
        "There is no written cooperation agreement between %(site)s and the institution of any %(specialty)s expert; "
        "remote consultation needs one on file."
    ),
    Refusal.NOT_ALLOWED: (
        "No %(specialty)s expert has a legal basis and valid malpractice cover at %(site)s from today to the deadline."
    ),
}


@dataclass(frozen=True)
class Routed:
    expert: Practitioner
    decision: PracticeDecision
    agreement: SupportAgreement


def _years_ago(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def agreements_between(site: Organization, on: date) -> QuerySet[SupportAgreement]:
    return SupportAgreement.objects.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def _agreement_q(site: Organization, on: date) -> Q:
    valid = agreements_between(site, on)
    return Exists(valid.filter(supporting=OuterRef("home_organization"), supported=site)) | Exists(
        valid.filter(supported=OuterRef("home_organization"), supporting=site)
    )


def agreement_for(expert: Practitioner, site: Organization, on: date) -> SupportAgreement | None:
    """The cooperation agreement between the expert's institution and the site, a telemedicine one first."""
    rows = list(
        agreements_between(site, on).filter(
            Q(supporting=expert.home_organization_id, supported=site)
            | Q(supported=expert.home_organization_id, supporting=site)
        )
    )
    rows.sort(key=lambda a: a.kind != "telemedicine")
    return rows[0] if rows else None


def _open_load(field: str) -> Subquery:
    def count(model: type[Teleconsult] | type[SecondOpinion], states: tuple[str, ...]) -> Subquery:
        return Subquery(
            model.objects.filter(expert=OuterRef("pk"), status__in=states)
            .values("expert")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        )

    return count(Teleconsult, OPEN_CONSULT) if field == "tc" else count(SecondOpinion, OPEN_OPINION)


def _continuity(person_id: object, site: Organization) -> tuple[Subquery, Subquery]:
    def count(q: dict) -> Subquery:
        return Subquery(
            Teleconsult.objects.filter(expert=OuterRef("pk"), **q).values("expert").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )

    return count({"case__person_id": person_id}), count({"case__requesting_org": site})


def candidates(
    *,
    specialty: str,
    site: Organization,
    today: date,
    deadline_day: date,
    person_id: object = None,
    exclude: tuple = (),
    only: uuid.UUID | None = None,
) -> tuple[QuerySet[Practitioner], str]:
    """Qualified experts in routing order, or an empty queryset and the refusal code of the first rule that emptied
    it."""
    qs = Practitioner.objects.filter(
        Q(specialty=specialty) | Q(other_specialties__icontains=f'"{specialty}"'), is_active=True
    ).exclude(pk__in=exclude)
    if only is not None:
        qs = qs.filter(pk=only)
    steps = [
        (Refusal.NO_SPECIALIST, Q()),
        (
            Refusal.TOO_JUNIOR,
            Q(independent_practice_since__lte=_years_ago(today, MIN_INDEPENDENT_PRACTICE_YEARS)),
        ),
        (Refusal.NO_AGREEMENT, _agreement_q(site, today)),
    ]
    for code, q in steps:
        qs = qs.filter(q)
        if not qs.exists():
            return qs, code
    day, allowed = today, qs
    while day <= deadline_day:
        allowed = allowed.filter(allowed_at_q(site, day))
        day += timedelta(days=1)
    if not allowed.exists():
        return allowed, Refusal.NOT_ALLOWED
    same_patient, same_site = _continuity(person_id, site)
    ranked = allowed.annotate(
        same_patient=Coalesce(same_patient, Value(0)),
        same_site=Coalesce(same_site, Value(0)),
        load=Coalesce(_open_load("tc"), Value(0)) + Coalesce(_open_load("op"), Value(0)),
    ).order_by("-same_patient", "load", "-same_site", "name", "pk")
    return ranked, ""


def refuse(code: str, *, specialty: str, site: Organization) -> ValidationFailed:
    named = str(Specialty(specialty).label) if specialty in Specialty.values else specialty  # never the code
    return ValidationFailed(
        _(MESSAGES[code]) % {"specialty": named, "site": site.name},
        code=code,
        details={"field": "specialty", "reason": code},
    )


def route(
    *,
    specialty: str,
    site: Organization,
    deadline: object,
    person_id: object = None,
    expert: Practitioner | None = None,
    exclude: tuple = (),
) -> Routed:
    """The expert who should answer, with the legal basis and agreement to record; ValidationFailed naming the rule
    that fails otherwise (for a named ``expert``, the rule they fail)."""
    today = timezone.localdate()
    deadline_day = timezone.localdate(deadline)  # type: ignore[arg-type]
    if expert is not None:
        qs, code = candidates(
            specialty=specialty, site=site, today=today, deadline_day=deadline_day, exclude=exclude, only=expert.pk
        )
        if code:
            raise refuse(code, specialty=specialty, site=site)
        chosen = expert
    else:
        qs, code = candidates(
            specialty=specialty, site=site, today=today, deadline_day=deadline_day, person_id=person_id, exclude=exclude
        )
        if code:
            raise refuse(code, specialty=specialty, site=site)
        first = qs.select_related("home_organization").first()
        if first is None:  # candidates() found one; a concurrent change took them away
            raise refuse(Refusal.NO_SPECIALIST, specialty=specialty, site=site)
        chosen = first
    decision = practice_basis(chosen, site, today)
    agreement = agreement_for(chosen, site, today)
    if agreement is None or not decision.allowed:  # candidates() already required both; a concurrent change
        raise refuse(Refusal.NOT_ALLOWED if agreement else Refusal.NO_AGREEMENT, specialty=specialty, site=site)
    return Routed(expert=chosen, decision=decision, agreement=agreement)
