"""Who pays each charge (issue 15 item 7), stored with the charge in its transaction (``services._charge_line``) as
``ChargePayer`` rows that add up to the charge to the fen:

- B2B work (expert sessions, tele-consultations, second opinions, MDT): the host institution pays it all;
- a family-doctor contract fee: the medical insurance fund and the basic public health funds by the region's
  ``ContractFeeRule`` for the year and package, the resident the rest; with no rule, the resident pays all and the
  ``basis`` says no funding rule was found;
- an online follow-up consultation: the person's coverage on the day and the scheme's ``ReimbursementRule`` at the
  institution's tier, with the year's deductible and cap use summed from the person's stored rows (the person's
  row is locked first, so two charges at once do not both consume the deductible);
- special-needs services (特需, surgery) paid by a patient are all the patient's.

``payers_backfill`` gives charges made before this any rows they lack (the charge sweep runs it; idempotent).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditAction, Division
from tiercare.finance import selectors
from tiercare.finance.models import (
    Charge,
    ChargePayer,
    ContractFeeRule,
    FactKind,
    InstitutionTier,
    Payer,
    ReimbursementRule,
    Scheme,
    Service,
)
from tiercare.finance.payers import split_payers
from tiercare.finance.tax import fen
from tiercare.network.models import Organization, Tier
from tiercare.people.models import Person

if TYPE_CHECKING:
    from tiercare.finance.services import Estimate

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
HOST_PAID = (FactKind.SESSION, FactKind.TELECONSULT, FactKind.OPINION, FactKind.MDT)
SPECIAL_NEEDS = (Service.SURGERY_1, Service.SURGERY_2, Service.SURGERY_3, Service.SURGERY_4)
BASIC_SCHEMES = (Scheme.EMPLOYEE, Scheme.RESIDENT)
# The reimbursement level of an institution: a GP center or a township (grassroots) hospital is grassroots, a county
# hospital secondary; a tertiary hospital, or an institution without a tier, tertiary (the lowest ratio).
TIER_LEVEL = {
    Tier.GP_CENTER: InstitutionTier.GRASSROOTS,
    Tier.PRIMARY: InstitutionTier.GRASSROOTS,
    Tier.SECONDARY: InstitutionTier.SECONDARY,
    Tier.TERTIARY: InstitutionTier.TERTIARY,
}


def institution_tier(org: Organization) -> str:
    return TIER_LEVEL.get(org.tier, InstitutionTier.TERTIARY)  # type: ignore[call-overload]


def contract_fee_rule_for(division: Division | None, year: int, package: str) -> ContractFeeRule | None:
    """The funding rule of ``package`` for ``year`` at ``division``, else at the prefecture or province above it."""
    while division is not None:
        rule = ContractFeeRule.objects.filter(region=division, year=year, package=package).first()
        if rule is not None:
            return rule
        division = division.parent
    return None


def _pct_of(amount: Decimal, pct: Decimal) -> Decimal:
    return fen(amount * pct / HUNDRED)


def _host_rows(charge: Charge) -> list[ChargePayer]:
    return [
        ChargePayer(
            charge=charge,
            payer=Payer.HOST,
            amount=charge.amount,
            basis=_("Work for the host institution: it pays the whole charge."),
        )
    ]


def _contract_rows(charge: Charge) -> list[ChargePayer]:
    from tiercare.care.models import CareContract

    contract = CareContract.objects.select_related("team__center__division", "household").get(pk=charge.fact_id)
    year = charge.occurred_on.year
    rule = contract_fee_rule_for(contract.team.center.division, year, contract.package)
    if rule is None:
        return [
            ChargePayer(
                charge=charge,
                payer=Payer.PATIENT,
                amount=charge.amount,
                year=year,
                basis=_("No contract fee funding rule for this region, year and package: the resident pays all."),
            )
        ]
    from tiercare.finance.services import coverage_on

    first = contract.household.members.select_related("person").order_by("created_at", "pk").first()
    coverage = coverage_on(first.person, charge.occurred_on) if first is not None else None
    scheme = coverage.scheme if coverage is not None and coverage.scheme in BASIC_SCHEMES else ""
    fund = _pct_of(charge.amount, rule.insurance_fund_pct)
    public = min(_pct_of(charge.amount, rule.public_health_pct), charge.amount - fund)
    basis = _(
        "Contract fee rule %(region)s %(year)s: fund %(fund)s%%, public health %(public)s%%, resident the rest."
    ) % {
        "region": rule.region_id,
        "year": rule.year,
        "fund": rule.insurance_fund_pct,
        "public": rule.public_health_pct,
    }
    if rule.illustrative:
        basis += " " + _("Illustrative, not official.")
    rows = [
        ChargePayer(charge=charge, payer=Payer.INSURANCE_FUND, scheme=scheme, amount=fund, year=year, basis=basis),
        ChargePayer(charge=charge, payer=Payer.PUBLIC_HEALTH, amount=public, year=year, basis=basis),
        ChargePayer(charge=charge, payer=Payer.PATIENT, amount=charge.amount - fund - public, year=year, basis=basis),
    ]
    return [r for r in rows if r.amount > 0 or r.payer == Payer.PATIENT]


def _patient_rows(charge: Charge, person: Person) -> list[ChargePayer]:
    """A patient-paid charge split by the person's coverage on the day and the scheme's rule at the institution's
    tier. The caller holds the lock on the person's row, so the year's use summed here is not consumed twice."""
    from tiercare.finance.services import coverage_on, patient_pays_all_because, rule_for

    on, year = charge.occurred_on, charge.occurred_on.year
    base = {"charge": charge, "person": person, "year": year}
    special = charge.service in SPECIAL_NEEDS
    coverage = None if special else coverage_on(person, on)
    rule: ReimbursementRule | None = None
    if coverage is not None and coverage.scheme != Scheme.SELF_PAY:
        rule = rule_for(coverage, year)
    why = patient_pays_all_because(special_needs=special, coverage=coverage, rule=rule)
    if coverage is None or rule is None:
        return [ChargePayer(payer=Payer.PATIENT, amount=charge.amount, basis=why, **base)]
    tier = institution_tier(charge.hospital)
    used = selectors.payers_year_use(person=person, year=year, scheme=coverage.scheme)
    split = split_payers(
        charge.amount,
        pct=rule.pct_for(tier),
        deductible=rule.deductible,
        annual_cap=rule.annual_cap,
        deductible_used=used.deductible,
        cap_used=used.reimbursed,
    )
    basis = _("%(scheme)s, rule %(region)s %(year)s, %(tier)s: %(pct)s%% above the deductible.") % {
        "scheme": coverage.get_scheme_display(),
        "region": rule.region_id,
        "year": rule.year,
        "tier": InstitutionTier(tier).label,
        "pct": rule.pct_for(tier),
    }
    if split.capped:
        basis += " " + _("The insurer's part is limited by the annual cap.")
    if rule.illustrative:
        basis += " " + _("Illustrative, not official.")
    insurer = Payer.COMMERCIAL if coverage.scheme == Scheme.COMMERCIAL else Payer.INSURANCE_FUND
    rows = [
        ChargePayer(
            payer=insurer, scheme=coverage.scheme, amount=split.insurer, reimbursement_rule=rule, basis=basis, **base
        ),
        ChargePayer(
            payer=Payer.PATIENT,
            scheme=coverage.scheme,
            amount=split.patient,
            toward_deductible=split.toward_deductible,
            reimbursement_rule=rule,
            basis=basis,
            **base,
        ),
    ]
    return [r for r in rows if r.amount > 0 or r.payer == Payer.PATIENT]


def _online_person(charge: Charge) -> Person:
    from tiercare.consults.models import OnlineConsult

    return OnlineConsult.objects.select_related("person").get(pk=charge.fact_id).person


def charge_payers_record(charge: Charge) -> list[ChargePayer]:
    """Store who pays ``charge`` (in the caller's transaction; a charge that already has rows is left alone). The
    charge's row is locked first, then, for a patient's charge, the person's, so racing writers store one set."""
    with transaction.atomic():
        Charge.objects.select_for_update().filter(pk=charge.pk).first()
        if ChargePayer.objects.filter(charge_id=charge.pk).exists():
            return []
        if charge.fact_kind in HOST_PAID:
            rows = _host_rows(charge)
        elif charge.fact_kind == FactKind.CONTRACT:
            rows = _contract_rows(charge)
        elif charge.fact_kind == FactKind.ONLINE:
            person = _online_person(charge)
            Person.objects.select_for_update().filter(pk=person.pk).first()
            rows = _patient_rows(charge, person)
        else:
            raise ValueError(f"no payer rule for work of kind {charge.fact_kind!r}")
        if sum(r.amount for r in rows) != charge.amount:
            raise RuntimeError(f"payer parts of charge {charge.pk} do not add up to it")
        for row in rows:
            row.basis = row.basis[:200]
        ChargePayer.objects.bulk_create(rows)
    return rows


def payers_backfill() -> int:
    """Give every charge without payer rows its rows, oldest first (the charge sweep runs it; a second run changes
    nothing; a charge that gains rows concurrently is skipped: unique charge + payer keeps one set)."""
    missing = (
        Charge.objects.filter(~Exists(ChargePayer.objects.filter(charge=OuterRef("pk"))))
        .select_related("hospital")
        .order_by("occurred_on", "created_at")
    )
    made = 0
    for charge in missing.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                rows = charge_payers_record(charge)
                if rows:
                    made += 1
                    audit_record(
                        actor=None,
                        action=AuditAction.CREATE,
                        obj=charge,
                        reason="charge payers backfilled",
                        details={"payers": {r.payer: str(r.amount) for r in rows}},
                    )
        except IntegrityError:
            if not ChargePayer.objects.filter(charge_id=charge.pk).exists():
                raise
    return made


def payers_estimate_stored(
    *, person: Person, amount: Decimal, tier: str, on: date, special_needs: bool = False
) -> tuple[Estimate, selectors.YearUse]:
    """The estimate of who pays ``amount`` for ``person`` (resolved through access) at ``tier`` on ``on``, with the
    year's deductible and cap use of the person's scheme on that day summed from their stored charges."""
    from tiercare.finance.services import coverage_on, payers_estimate

    coverage = coverage_on(person, on)
    use = (
        selectors.payers_year_use(person=person, year=on.year, scheme=coverage.scheme)
        if coverage is not None
        else selectors.YearUse(ZERO, ZERO)
    )
    estimate = payers_estimate(
        person=person,
        amount=amount,
        tier=tier,
        on=on,
        special_needs=special_needs,
        deductible_used=use.deductible,
        cap_used=use.reimbursed,
    )
    return estimate, use


def payers_year_uses(*, person: Person, year: int) -> list[tuple[Any, selectors.YearUse]]:
    """Per scheme the person was covered by in ``year`` (self-pay aside): the deductible paid and what the insurer
    reimbursed, summed from their stored charges."""
    from tiercare.finance.models import Coverage

    schemes = (
        Coverage.objects.filter(person=person, valid_from__year__lte=year)
        .exclude(valid_to__year__lt=year)
        .exclude(scheme=Scheme.SELF_PAY)
        .values_list("scheme", flat=True)
        .distinct()
    )
    return [
        (Scheme(s).label, selectors.payers_year_use(person=person, year=year, scheme=s)) for s in sorted(set(schemes))
    ]
