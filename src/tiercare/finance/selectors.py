"""Every read of the finance app, scoped to the asking user.

Operations, administrators, auditors and the read-only finance role see all of it; an expert sees their own
statements and nothing else; everyone else sees nothing. Reports (settlements, reconciliation) are sums over the
charges, computed from the stored rows each time, so they always trace back to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from tiercare.core.models import Role, User
from tiercare.finance.models import (
    Charge,
    ChargePayer,
    FactKind,
    HospitalSettlement,
    Incident,
    IncidentStatus,
    Payer,
    Price,
    SettlementLine,
    ShareRule,
    Statement,
    StatementLine,
    UnpricedWork,
)

READERS = (Role.OPS, Role.ADMIN, Role.AUDITOR, Role.FINANCE)
WRITERS = (Role.OPS, Role.ADMIN)
ZERO = Decimal("0.00")


def share_sums() -> dict[str, Sum]:
    """The aggregates of a set of charges: their amount and each party's part (``amount``, ``platform``,
    ``hospital``, ``expert``, ``premium``, ``travel``)."""
    return {
        "amount": Sum("amount"),
        "platform": Sum("platform_share"),
        "hospital": Sum("hospital_share"),
        "expert": Sum("expert_share"),
        "premium": Sum("premium_share"),
        "travel": Sum("travel_share"),
    }


def is_reader(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in READERS)


def is_writer(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in WRITERS)


def statement_list(*, for_user: User) -> QuerySet[Statement]:
    """All statements for readers; an expert's own; none for anyone else."""
    qs = Statement.objects.select_related("expert")
    if is_reader(for_user):
        return qs
    if for_user.is_authenticated and for_user.is_active and for_user.role == Role.EXPERT:
        return qs.filter(expert__user=for_user)
    return qs.none()


def statement_lines(statement: Statement) -> QuerySet[StatementLine]:
    return statement.lines.order_by("occurred_on", "created_at")


def charge_list(
    *, for_user: User, month: date | None = None, hospital_id: Any = None, expert_id: Any = None
) -> QuerySet[Charge]:
    qs = (
        Charge.objects.select_related("hospital", "expert", "price", "rule").prefetch_related("payers")
        if is_reader(for_user)
        else Charge.objects.none()
    )
    if month is not None:
        from tiercare.finance.services import next_month

        qs = qs.filter(occurred_on__gte=month, occurred_on__lt=next_month(month))
    if hospital_id is not None:
        qs = qs.filter(hospital_id=hospital_id)
    if expert_id is not None:
        qs = qs.filter(expert_id=expert_id)
    return qs.order_by("-occurred_on", "created_at")


def unpriced_list(*, for_user: User) -> QuerySet[UnpricedWork]:
    if not is_reader(for_user):
        return UnpricedWork.objects.none()
    return UnpricedWork.objects.filter(resolved_at__isnull=True).select_related("hospital", "expert")


def price_list(*, for_user: User) -> QuerySet[Price]:
    qs = Price.objects.select_related("hospital", "created_by")
    return qs if is_reader(for_user) else qs.none()


def share_rule_list(*, for_user: User) -> QuerySet[ShareRule]:
    qs = ShareRule.objects.select_related("hospital", "created_by")
    return qs if is_reader(for_user) else qs.none()


@dataclass(frozen=True)
class MonthReconciliation:
    """One month: the charges, and the same money by who gets it; ``stated`` is the expert shares of the month's
    charges that are on issued statements."""

    month: date
    count: int
    amount: Decimal
    platform: Decimal
    hospital: Decimal
    expert: Decimal
    premium: Decimal
    travel: Decimal
    stated: Decimal
    paid_by: Decimal = ZERO  # the payer parts stored with the month's charges (host, funds, insurers, patients)

    @property
    def parts(self) -> Decimal:
        return self.platform + self.hospital + self.expert + self.premium + self.travel

    @property
    def payers_balanced(self) -> bool:
        return self.amount == self.paid_by

    @property
    def payers_difference(self) -> Decimal:
        return self.amount - self.paid_by

    @property
    def balanced(self) -> bool:
        return self.amount == self.parts

    @property
    def difference(self) -> Decimal:
        return self.amount - self.parts


def _month(value: object) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[return-value]


def reconciliation() -> list[MonthReconciliation]:
    """Per month of the charges' dates, newest first: charges = platform + hospitals + experts + premiums + travel,
    and charges = what their payers pay (``paid_by``)."""
    rows = (
        Charge.objects.annotate(m=TruncMonth("occurred_on"))
        .values("m")
        .annotate(
            count=Count("id"),
            **share_sums(),
        )
        .order_by("-m")
    )
    stated = dict(
        StatementLine.objects.filter(charge__isnull=False)
        .annotate(m=TruncMonth("charge__occurred_on"))
        .values("m")
        .annotate(s=Sum("share"))
        .values_list("m", "s")
    )
    stated = {_month(k): v for k, v in stated.items()}
    paid = dict(
        ChargePayer.objects.annotate(m=TruncMonth("charge__occurred_on"))
        .values("m")
        .annotate(s=Sum("amount"))
        .values_list("m", "s")
    )
    paid = {_month(k): v for k, v in paid.items()}
    return [
        MonthReconciliation(
            month=_month(r["m"]),
            count=r["count"],
            amount=_q(r["amount"]),
            platform=_q(r["platform"]),
            hospital=_q(r["hospital"]),
            expert=_q(r["expert"]),
            premium=_q(r["premium"]),
            travel=_q(r["travel"]),
            stated=_q(stated.get(_month(r["m"]))),
            paid_by=_q(paid.get(_month(r["m"]))),
        )
        for r in rows
    ]


def _q(value: Decimal | None) -> Decimal:
    """A sum as yuan to the fen (SQLite sums decimals as floats; the stored values all have two places)."""
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Settlement:
    """What a partner hospital owes the group for a month's work, and what it keeps: the charges billed to it
    (``amount``), its share (``hospital``), and the difference it pays (``payable``)."""

    hospital_id: Any
    hospital_name: str
    count: int
    amount: Decimal
    hospital: Decimal
    expert: Decimal
    platform: Decimal
    premium: Decimal
    travel: Decimal

    @property
    def payable(self) -> Decimal:
        return self.amount - self.hospital


def settlements(*, month: date) -> list[Settlement]:
    from tiercare.finance.services import next_month

    rows = (
        Charge.objects.filter(occurred_on__gte=month, occurred_on__lt=next_month(month))
        .values("hospital_id", "hospital__name")
        .annotate(
            count=Count("id"),
            **share_sums(),
        )
        .order_by("hospital__name")
    )
    return [
        Settlement(
            hospital_id=r["hospital_id"],
            hospital_name=r["hospital__name"],
            count=r["count"],
            amount=_q(r["amount"]),
            hospital=_q(r["hospital"]),
            expert=_q(r["expert"]),
            platform=_q(r["platform"]),
            premium=_q(r["premium"]),
            travel=_q(r["travel"]),
        )
        for r in rows
    ]


def charge_months() -> list[date]:
    return [
        _month(m)
        for m in Charge.objects.annotate(m=TruncMonth("occurred_on"))
        .values_list("m", flat=True)
        .distinct()
        .order_by("-m")
    ]


# --- incidents and disputes ---------------------------------------------------------------------------------------
INCIDENT_MOVERS = (Role.OPS, Role.ADMIN)
INCIDENT_RECORDERS = (Role.OPS, Role.ADMIN, Role.COORDINATOR)


def incident_list(*, for_user: User, open_only: bool = False) -> QuerySet[Incident]:
    """Incidents ``for_user`` may see: all for operations, finance, auditors and administrators; those of their own
    hospital for a coordinator; their own for an expert; none for anyone else. Newest first."""
    from tiercare.network.selectors import user_organization_ids

    qs = Incident.objects.select_related("hospital", "expert", "person")
    if open_only:
        qs = qs.exclude(status=IncidentStatus.CLOSED)
    if not (for_user.is_authenticated and for_user.is_active):
        return qs.none()
    if for_user.role in READERS:
        return qs
    if for_user.role == Role.COORDINATOR:
        return qs.filter(hospital_id__in=user_organization_ids(for_user))
    if for_user.role == Role.EXPERT:
        return qs.filter(expert__user=for_user)
    return qs.none()


def can_record_incidents(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in INCIDENT_RECORDERS)


def can_move_incidents(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in INCIDENT_MOVERS)


# --- issued host-hospital settlements ------------------------------------------------------------------------------
SETTLEMENT_HOSPITAL_ROLES = (Role.COORDINATOR, Role.DIRECTOR)


def settlement_doc_list(*, for_user: User) -> QuerySet[HospitalSettlement]:
    """Issued settlements: all for finance readers; a hospital's own for its coordinators and directors; none else."""
    qs = HospitalSettlement.objects.select_related("hospital")
    if is_reader(for_user):
        return qs
    if for_user.is_authenticated and for_user.is_active and for_user.role in SETTLEMENT_HOSPITAL_ROLES:
        from tiercare.network.selectors import user_organization_ids

        return qs.filter(hospital_id__in=user_organization_ids(for_user))
    return qs.none()


def settlement_lines(settlement: HospitalSettlement) -> QuerySet[SettlementLine]:
    return settlement.lines.order_by("occurred_on", "created_at")


def unsettled_charges(*, hospital_id: Any, month: date) -> QuerySet[Charge]:
    """The charges a settlement of ``month`` would carry for the hospital: of the month or earlier, on none yet."""
    from tiercare.finance.services import next_month

    return (
        Charge.objects.filter(hospital_id=hospital_id, occurred_on__lt=next_month(month), settlement_line__isnull=True)
        .select_related("expert")
        .order_by("occurred_on", "created_at")
    )


# --- who pays (issue 15 item 7) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YearUse:
    """What a person used of a scheme's year, summed from the stored payer rows of their charges: the deductible
    they paid and what the scheme's insurer paid (toward its annual cap)."""

    deductible: Decimal
    reimbursed: Decimal


def payers_year_use(*, person: Any, year: int, scheme: str) -> YearUse:
    rows = ChargePayer.objects.filter(person=person, year=year, scheme=scheme)
    deductible = rows.filter(payer=Payer.PATIENT).aggregate(s=Sum("toward_deductible"))["s"]
    reimbursed = rows.filter(
        payer__in=(Payer.INSURANCE_FUND, Payer.COMMERCIAL), reimbursement_rule__isnull=False
    ).aggregate(s=Sum("amount"))["s"]
    return YearUse(_q(deductible), _q(reimbursed))


def person_year_charges(*, person: Any, year: int) -> list[Charge]:
    """The charges of ``person`` (resolved through access) in ``year`` with their payer parts: their online
    consultations and their household's contract fee."""
    from tiercare.care.models import CareContract

    own = ChargePayer.objects.filter(person=person, year=year).values("charge_id")
    household = getattr(getattr(person, "membership", None), "household_id", None)
    contracts = CareContract.objects.filter(household_id=household).values("pk") if household else []
    qs = Charge.objects.filter(occurred_on__year=year).filter(
        Q(pk__in=own) | Q(fact_kind=FactKind.CONTRACT, fact_id__in=contracts)
    )
    return list(qs.select_related("hospital").prefetch_related("payers").order_by("occurred_on", "created_at"))
