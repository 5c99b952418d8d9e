"""Every write of the finance app: price and share-rule versions, charges from facts, the unpriced worklist,
adjustments, and issuing statements. Each is one transaction and audited.

Rules enforced here and in the database:
- a price or rule is never edited: a change is a new version (unique hospital + service + version);
- a fact's line is charged once (unique fact kind + id + item), also when charging races;
- a charge's parts add up to it to the fen (``split.split_charge``, database check);
- a statement is issued once per expert and month (unique) and never changes (``Statement.save`` and triggers).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_record, audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, Division, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.finance import facts as fact_source
from tiercare.finance.models import (
    MIN_PLATFORM_PERCENT,
    MIN_PRICE,
    Adjustment,
    Charge,
    ChargedFact,
    Coverage,
    HospitalSettlement,
    Incident,
    IncidentKind,
    IncidentOutcome,
    IncidentSource,
    IncidentStatus,
    IncidentTransition,
    InstitutionTier,
    LineKind,
    Price,
    ReimbursementRule,
    Scheme,
    Service,
    SettlementLine,
    ShareRule,
    Statement,
    StatementLine,
    UnpricedWork,
)
from tiercare.finance.payers import PayerSplit, split_payers
from tiercare.finance.selectors import INCIDENT_MOVERS
from tiercare.finance.split import chain_keeps_unused, split_charge
from tiercare.finance.tax import fen, labour_remuneration_withholding
from tiercare.network.models import Organization, Practitioner
from tiercare.people.identity import hash_id, mask_id
from tiercare.people.models import Person

WRITERS = (Role.OPS, Role.ADMIN)
MAX_PRICE = Decimal("1000000.00")


# --- amounts from outside -------------------------------------------------------------------------------------
def parse_money(value: object, *, field_name: str, minimum: Decimal | None = None) -> Decimal:
    """A yuan amount from outside: a number with at most two decimal places, within bounds, else ValidationFailed
    naming the field."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("Enter an amount in yuan, like 1200.00."),
            details={"field": field_name},
        ) from None
    if not amount.is_finite() or abs(amount) > MAX_PRICE or (minimum is not None and amount < minimum):
        raise ValidationFailed(
            _("The amount must be between %(low)s and %(high)s yuan.")
            % {"low": minimum if minimum is not None else -MAX_PRICE, "high": MAX_PRICE},
            details={"field": field_name},
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("At most two decimal places (yuan and fen)."),
            details={"field": field_name},
        )
    return amount.quantize(Decimal("0.01"))


def parse_percent(value: object, *, field_name: str) -> Decimal:
    try:
        pct = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        pct = Decimal("NaN")
    if not pct.is_finite() or pct < 0 or pct > 100 or pct != round(pct, 2):
        raise ValidationFailed(
            _("A percentage from 0 to 100, at most two decimal places."),
            details={"field": field_name},
        )
    return pct


def month_start(on: date) -> date:
    return on.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


# --- prices and rules ---------------------------------------------------------------------------------------------
def price_in_force(hospital_id: Any, service: str, on: date) -> Price | None:
    """The version in force on ``on``: the latest ``effective_from`` not after it, the higher version on a tie."""
    return (
        Price.objects.filter(hospital_id=hospital_id, service=service, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def rule_in_force(hospital_id: Any, on: date) -> ShareRule | None:
    return (
        ShareRule.objects.filter(hospital_id=hospital_id, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def _hospital(hospital: Organization) -> Organization:
    if hospital.kind == "doctor_group":
        raise ValidationFailed(
            _("hospital: prices are kept for partner hospitals and GP centers, not for the doctor group."),
            details={"field": "hospital"},
        )
    return hospital


@transaction.atomic
def price_add(
    *, by: User, hospital: Organization, service: str, amount: Decimal, effective_from: date, note: str = ""
) -> Price:
    """Operations add a price version (a new price or an edit of one: the next version number); charges already
    made keep the version they used. Unpriced work of that hospital and service that the new price covers is charged
    at once. 403 for other roles; 422 for an unknown service or an amount under the minimum."""
    require_role(by, *WRITERS)
    _hospital(hospital)
    if service not in Service.values:
        raise ValidationFailed(_("service: not a known service."), details={"field": "service"})
    amount = parse_money(amount, field_name="amount", minimum=MIN_PRICE)
    last = Price.objects.filter(hospital=hospital, service=service).aggregate(v=Max("version"))["v"] or 0
    price = Price(
        hospital=hospital,
        service=service,
        version=last + 1,
        amount=amount,
        effective_from=effective_from,
        note=note.strip()[:200],
        created_by=by,
    )
    try:
        with transaction.atomic():
            price.save()
    except IntegrityError:
        raise Conflict(_("Another price version was saved at the same moment; reload and try again.")) from None
    audit_write(actor=by, action=AuditAction.CREATE, obj=price, changes={"amount": amount, "service": service})
    unpriced_retry(hospital_id=hospital.pk, service=service)
    return price


@transaction.atomic
def share_rule_add(
    *,
    by: User,
    hospital: Organization,
    effective_from: date,
    hospital_pct: Decimal,
    expert_pct: Decimal,
    premium_pct: Decimal,
    travel_pct: Decimal,
    note: str = "",
) -> ShareRule:
    """Operations add a revenue-share rule version for a partner hospital: the hospital's, expert's, premium's and
    travel's percentages; the platform takes the rest, at least 1%. Work waiting for a rule is charged at once. A GP
    center's rules follow its operating mode: they are added on the chain's page (``chain.center_rule_add``)."""
    require_role(by, *WRITERS)
    _hospital(hospital)
    if hospital.kind == "gp_center":
        raise ValidationFailed(
            _("hospital: a GP center's share rule follows its operating mode; add it on the GP-center shares page."),
            details={"field": "hospital"},
        )
    parts = {
        "hospital_pct": parse_percent(hospital_pct, field_name="hospital_pct"),
        "expert_pct": parse_percent(expert_pct, field_name="expert_pct"),
        "premium_pct": parse_percent(premium_pct, field_name="premium_pct"),
        "travel_pct": parse_percent(travel_pct, field_name="travel_pct"),
    }
    platform = Decimal(100) - sum(parts.values())
    if platform < MIN_PLATFORM_PERCENT:
        raise ValidationFailed(
            _("The shares leave %(left)s%% for the platform; it needs at least %(min)s%%.")
            % {"left": platform, "min": MIN_PLATFORM_PERCENT},
            details={"field": "hospital_pct"},
        )
    last = ShareRule.objects.filter(hospital=hospital).aggregate(v=Max("version"))["v"] or 0
    rule = ShareRule(
        hospital=hospital,
        version=last + 1,
        effective_from=effective_from,
        platform_pct=platform,
        note=note.strip()[:200],
        created_by=by,
        **parts,
    )
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise Conflict(_("Another rule version was saved at the same moment; reload and try again.")) from None
    audit_write(actor=by, action=AuditAction.CREATE, obj=rule, changes={k: str(v) for k, v in parts.items()})
    unpriced_retry(hospital_id=hospital.pk)
    return rule


# --- charges ------------------------------------------------------------------------------------------------------
@dataclass
class ChargeResult:
    charged: list[Charge] = field(default_factory=list)
    unpriced: int = 0
    already: int = 0


def _charge_line(line: fact_source.FactLine, result: ChargeResult) -> None:
    key = {"fact_kind": line.fact_kind, "fact_id": line.fact_id, "item": line.item}
    if Charge.objects.filter(**key).exists():
        result.already += 1
        return
    price = price_in_force(line.hospital_id, line.service, line.occurred_on)
    rule = rule_in_force(line.hospital_id, line.occurred_on)
    if price is None or rule is None:
        missing = UnpricedWork.Missing.PRICE if price is None else UnpricedWork.Missing.RULE
        UnpricedWork.objects.bulk_create(
            [
                UnpricedWork(
                    service=line.service,
                    hospital_id=line.hospital_id,
                    expert_id=line.expert_id,
                    occurred_on=line.occurred_on,
                    quantity=line.quantity,
                    missing=missing,
                    **key,
                )
            ],
            ignore_conflicts=True,
        )
        UnpricedWork.objects.filter(resolved_at__isnull=True, **key).exclude(missing=missing).update(missing=missing)
        result.unpriced += 1
        return
    amount = price.amount * line.quantity
    parts = split_charge(
        amount,
        hospital_pct=rule.hospital_pct,
        expert_pct=rule.expert_pct,
        premium_pct=rule.premium_pct,
        travel_pct=rule.travel_pct,
        has_expert=line.expert_id is not None,
        unused_to_platform=chain_keeps_unused(rule.center_mode),
    )
    charge = Charge(
        service=line.service,
        hospital_id=line.hospital_id,
        expert_id=line.expert_id,
        occurred_on=line.occurred_on,
        quantity=line.quantity,
        unit_price=price.amount,
        amount=amount,
        price=price,
        rule=rule,
        platform_share=parts.platform,
        hospital_share=parts.hospital,
        expert_share=parts.expert,
        premium_share=parts.premium,
        travel_share=parts.travel,
        **key,
    )
    try:
        with transaction.atomic():
            charge.save()
    except IntegrityError:
        # Charged by a concurrent run between the check and the insert: the unique constraint kept it to one.
        if not Charge.objects.filter(**key).exists():
            raise
        result.already += 1
        return
    from tiercare.finance.payer_services import charge_payers_record  # imports this module

    payers = charge_payers_record(charge)  # who pays it, in the same transaction (issue 15 item 7)
    UnpricedWork.objects.filter(resolved_at__isnull=True, **key).update(charge=charge, resolved_at=timezone.now())
    audit_record(
        actor=None,
        action=AuditAction.CREATE,
        obj=charge,
        reason="charge from work",
        details={
            "fact": f"{line.fact_kind}:{line.fact_id}:{line.item}",
            "amount": str(amount),
            "payers": {p.payer: str(p.amount) for p in payers},
        },
    )
    result.charged.append(charge)


def charge_lines(lines: list[fact_source.FactLine]) -> ChargeResult:
    """Charge each line at the price and rule in force on its day, once (a line already charged is left alone)."""
    result = ChargeResult()
    for line in lines:
        _charge_line(line, result)
    return result


@transaction.atomic
def charges_for_fact(*, fact_kind: str, fact_id: uuid.UUID | str) -> ChargeResult:
    """Charge every line of one fact (idempotent: a line already charged is left alone, a line without a price or
    rule goes to the unpriced worklist) and mark the fact as looked at."""
    result = charge_lines(fact_source.lines_of(fact_kind, fact_id))
    ChargedFact.objects.bulk_create([ChargedFact(fact_kind=fact_kind, fact_id=fact_id)], ignore_conflicts=True)
    return result


def charges_sweep() -> dict[str, int]:
    """Charge every fact not looked at yet, and give charges without payer rows theirs (the periodic task;
    idempotent: a second run changes nothing)."""
    totals = {"facts": 0, "charged": 0, "unpriced": 0}
    for kind, fact, _lines in fact_source.pending_facts():
        result = charges_for_fact(fact_kind=kind, fact_id=fact.pk)  # type: ignore[attr-defined]
        totals["facts"] += 1
        totals["charged"] += len(result.charged)
        totals["unpriced"] += result.unpriced
    from tiercare.finance.payer_services import payers_backfill

    totals["payers_backfilled"] = payers_backfill()  # charges made before payers were stored
    return totals


def unpriced_retry(*, hospital_id: Any = None, service: str | None = None) -> int:
    """Charge the open unpriced work that a price or rule now covers; returns how many were charged."""
    qs = UnpricedWork.objects.filter(resolved_at__isnull=True)
    if hospital_id is not None:
        qs = qs.filter(hospital_id=hospital_id)
    if service is not None:
        qs = qs.filter(service=service)
    charged = 0
    for work in list(qs):
        result = charges_for_fact(fact_kind=work.fact_kind, fact_id=work.fact_id)
        charged += len(result.charged)
        # A fact whose line went away (a report corrected) leaves nothing to charge: the row is closed unpaid.
        if (
            not any(line.item == work.item for line in fact_source.lines_of(work.fact_kind, work.fact_id))
            and not Charge.objects.filter(fact_kind=work.fact_kind, fact_id=work.fact_id, item=work.item).exists()
        ):
            UnpricedWork.objects.filter(pk=work.pk).update(resolved_at=timezone.now())
    return charged


# --- adjustments and statements -------------------------------------------------------------------------------
@transaction.atomic
def adjustment_add(
    *, by: User, expert: Practitioner, amount: object, reason: str, corrects: StatementLine | None = None
) -> Adjustment:
    """Operations record a correction of an expert's income (positive pays more, negative takes back); it appears as
    an adjustment line of the next statement issued for the expert. Issued statements never change."""
    require_role(by, *WRITERS)
    value = parse_money(amount, field_name="amount")
    if value == 0:
        raise ValidationFailed(_("amount: a correction is not zero."), details={"field": "amount"})
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the income is corrected."), details={"field": "reason"})
    if corrects is not None and corrects.statement.expert_id != expert.pk:
        raise ValidationFailed(
            _("corrects: that line is on another expert's statement."), details={"field": "corrects"}
        )
    adj = Adjustment.objects.create(
        expert=expert, amount=value, reason=reason.strip()[:300], corrects=corrects, created_by=by
    )
    audit_write(actor=by, action=AuditAction.CREATE, obj=adj, changes={"amount": value, "reason": adj.reason})
    return adj


@dataclass
class Draft:
    """A statement before it is issued: what ``statement_issue`` would store."""

    expert: Practitioner
    month: date
    charges: list[Charge]
    adjustments: list[Adjustment]

    @property
    def gross(self) -> Decimal:
        return sum((c.expert_share for c in self.charges), Decimal("0.00")) + sum(
            (a.amount for a in self.adjustments), Decimal("0.00")
        )

    @property
    def withholding(self) -> Any:
        return labour_remuneration_withholding(self.gross)


def statement_draft(*, expert: Practitioner, month: date) -> Draft:
    """The charges (of the month or earlier, on no statement yet) and pending adjustments a statement of ``month``
    would carry for ``expert``."""
    month = month_start(month)
    charges = list(
        Charge.objects.filter(expert=expert, occurred_on__lt=next_month(month), line__isnull=True)
        .select_related("hospital")
        .order_by("occurred_on", "created_at")
    )
    adjustments = list(Adjustment.objects.filter(expert=expert, line__isnull=True).order_by("created_at"))
    return Draft(expert=expert, month=month, charges=charges, adjustments=adjustments)


def _check_month(month: date, *, settlement: bool = False) -> date:
    month = month_start(month)
    if month >= month_start(timezone.localdate()):
        message = (
            _("month: a settlement is issued once the month has ended.")
            if settlement
            else _("month: a statement is issued once the month has ended.")
        )
        raise ValidationFailed(message, details={"field": "month"})
    return month


def statement_issue(*, by: User, expert: Practitioner, month: date) -> tuple[Statement, bool]:
    """Operations issue ``expert``'s statement of ``month`` (ended): every uncharged-for line becomes a line, the tax
    on labour remuneration is withheld, and the statement is stored once and never changes. Issuing a month that is
    already issued (also at the same moment, from another request) returns that statement and ``False``.
    409 when there is nothing to state; 422 for a month not yet ended."""
    require_role(by, *WRITERS)
    month = _check_month(month)
    return _issued_once(
        find=lambda: Statement.objects.filter(expert=expert, month=month).first(),
        # one issue of an expert's statements at a time: the next waits on the expert's row, then finds the first's
        # (without the lock it found the lines already stated: 409 nothing to state)
        lock=Practitioner.objects.filter(pk=expert.pk),
        issue=lambda: _issue(by=by, expert=expert, month=month),
    )


T = TypeVar("T")


def _issued_once(*, find: Callable[[], T | None], lock: QuerySet[Any], issue: Callable[[], T]) -> tuple[T, bool]:
    """Issue a document once: the one already issued and ``False``, else ``issue()`` under a row lock on ``lock``
    (a racing issue waits on it, then finds the first's) and ``True``; the unique key settles what still races."""
    existing = find()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            lock.select_for_update().values_list("pk", flat=True).first()
            existing = find()
            if existing is not None:
                return existing, False
            return issue(), True
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False


def _issue(*, by: User, expert: Practitioner, month: date) -> Statement:
    # The statement row first: a concurrent issue of the same month waits on its unique key, then gives up.
    draft = statement_draft(expert=expert, month=month)
    if not draft.charges and not draft.adjustments:
        raise Conflict(_("Nothing to state for this expert and month."), code="nothing_to_state")
    w = draft.withholding
    statement = Statement(
        expert=expert,
        month=month,
        number=f"JS{month:%Y%m}-{str(expert.pk)[:8].upper()}",
        gross=fen(draft.gross),
        taxable=w.taxable,
        tax=w.tax,
        net=fen(draft.gross) - w.tax,
        issued_at=timezone.now(),
        issued_by=by,
    )
    statement.save()
    lines = [
        StatementLine(
            statement=statement,
            kind=LineKind.EARNING,
            charge=c,
            occurred_on=c.occurred_on,
            hospital_name=c.hospital.name,
            service=c.service,
            fact_kind=c.fact_kind,
            fact_id=c.fact_id,
            description=_description(c),
            gross=c.amount,
            share=c.expert_share,
        )
        for c in draft.charges
    ] + [
        StatementLine(
            statement=statement,
            kind=LineKind.ADJUSTMENT,
            adjustment=a,
            occurred_on=timezone.localdate(a.created_at),
            description=a.reason,
            gross=a.amount,
            share=a.amount,
        )
        for a in draft.adjustments
    ]
    StatementLine.objects.bulk_create(lines)
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=statement,
        changes={"gross": statement.gross, "tax": statement.tax, "net": statement.net, "lines": len(lines)},
        reason="statement issued",
    )
    return statement


def _description(c: Charge) -> str:
    return f"{c.quantity} × {c.unit_price}"


def statements_issue_month(*, by: User, month: date) -> list[Statement]:
    """Issue the statements of ``month`` for every expert with something to state; returns the newly issued."""
    require_role(by, *WRITERS)
    month = _check_month(month)
    experts = set(
        Charge.objects.filter(expert__isnull=False, occurred_on__lt=next_month(month), line__isnull=True).values_list(
            "expert_id", flat=True
        )
    ) | set(Adjustment.objects.filter(line__isnull=True).values_list("expert_id", flat=True))
    issued = []
    for expert in Practitioner.objects.filter(pk__in=experts).order_by("name"):
        if Statement.objects.filter(expert=expert, month=month).exists():
            continue
        statement, new = statement_issue(by=by, expert=expert, month=month)
        if new:
            issued.append(statement)
    return issued


# --- incidents and disputes (医疗安全险 / 医患纠纷) ------------------------------------------------------------------
register(
    "finance_incident_insurer",
    "【医疗责任险报案】{kind}：专家{expert}，{hospital}，发生日期{occurred_on}，保单号{policy}。平台事件编号{incident}。",
    "[Malpractice report] {kind}: expert {expert}, {hospital}, occurred {occurred_on}, policy {policy}. "
    "Incident {incident}.",
)

# The only moves an incident makes; anything else is refused with the states named.
INCIDENT_MOVES: dict[str, tuple[str, ...]] = {
    IncidentStatus.OPEN: (IncidentStatus.INSURER_NOTIFIED,),
    IncidentStatus.INSURER_NOTIFIED: (IncidentStatus.UNDER_REVIEW,),
    IncidentStatus.UNDER_REVIEW: (IncidentStatus.CLOSED,),
    IncidentStatus.CLOSED: (),
}


def incident_source_parts(source: Any) -> tuple[str, Organization, list[Practitioner]]:
    """The kind of an incident's source, its host hospital and the experts who worked on it."""
    from tiercare.consults.models import Case, SecondOpinion, Teleconsult
    from tiercare.outreach.models import ExpertSession
    from tiercare.referrals.models import Referral

    if isinstance(source, ExpertSession):
        return IncidentSource.SESSION, source.site, [source.expert]
    if isinstance(source, Case):
        ids = {
            *Teleconsult.objects.filter(case=source, expert__isnull=False).values_list("expert_id", flat=True),
            *SecondOpinion.objects.filter(case=source, expert__isnull=False).values_list("expert_id", flat=True),
        }
        return IncidentSource.CASE, source.requesting_org, list(Practitioner.objects.filter(pk__in=ids))
    if isinstance(source, Referral):
        experts = [source.named_expert] if source.named_expert is not None else []
        return IncidentSource.REFERRAL, source.referring_organization, experts
    raise ValidationFailed(_("Choose what the incident arose from."), details={"field": "source"})


def incident_record(
    *,
    by: User,
    kind: str,
    source: Any,
    occurred_on: date,
    summary: str,
    expert: Practitioner | None = None,
    person: Any = None,
) -> Incident:
    """Record an adverse event or a dispute against the work it arose from (already resolved through its app's
    access function for ``by``). The expert is the source's (one of them, for a case); the insurer is the one on the
    expert's policy valid on the day, told after the transaction commits. Operations record any; a coordinator
    those of their own hospital."""
    from tiercare.network.models import InsurancePolicy
    from tiercare.network.selectors import user_organization_ids

    require_role(by, Role.OPS, Role.ADMIN, Role.COORDINATOR)
    if kind not in IncidentKind.values:
        raise ValidationFailed(_("Choose an adverse event or a patient dispute."), details={"field": "kind"})
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed(_("Say what happened."), details={"field": "summary"})
    if len(summary) > 4000:
        raise ValidationFailed(_("At most 4000 characters."), details={"field": "summary"})
    if occurred_on > timezone.localdate():
        raise ValidationFailed(_("The day it happened cannot be in the future."), details={"field": "occurred_on"})
    source_kind, hospital, experts = incident_source_parts(source)
    if by.role == Role.COORDINATOR and hospital.pk not in user_organization_ids(by):
        raise ValidationFailed(_("You record incidents of your own hospital only."), details={"field": "source"})
    if expert is None:
        if len(experts) != 1:
            raise ValidationFailed(
                _("Choose the expert involved: this work has none or several."), details={"field": "expert"}
            )
        expert = experts[0]
    elif expert.pk not in {e.pk for e in experts}:
        raise ValidationFailed(_("This expert did not work on it."), details={"field": "expert"})
    policy = (
        InsurancePolicy.objects.filter(practitioner=expert, valid_from__lte=occurred_on, valid_to__gte=occurred_on)
        .order_by("-valid_to")
        .first()
    )
    with transaction.atomic():
        incident = Incident.objects.create(
            kind=kind,
            source_kind=source_kind,
            session=source if source_kind == IncidentSource.SESSION else None,
            case=source if source_kind == IncidentSource.CASE else None,
            referral=source if source_kind == IncidentSource.REFERRAL else None,
            hospital=hospital,
            expert=expert,
            person=person,
            occurred_on=occurred_on,
            summary=summary,
            insurer=policy.insurer if policy else "",
            policy_number=policy.number if policy else "",
            recorded_by=by,
        )
        IncidentTransition.objects.create(incident=incident, to_status=IncidentStatus.OPEN, by=by, reason=summary[:500])
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=incident,
            changes={"kind": kind, "source": f"{source_kind}:{source.pk}", "expert": str(expert.pk), "status": "open"},
        )
        if policy is not None:
            notify_on_commit(
                f"insurer:{policy.insurer}",
                "finance_incident_insurer",
                {
                    "kind": IncidentKind(kind).label,
                    "expert": expert.name,
                    "hospital": hospital.name,
                    "occurred_on": occurred_on.isoformat(),
                    "policy": policy.number,
                    "incident": str(incident.pk)[:8],
                },
            )
    return incident


def incident_move(*, by: User, incident: Incident, to: str, reason: str, outcome: str = "") -> Incident:
    """Move an incident one step (operations): open → insurer notified → under review → closed. Every move says
    why; closing also names the outcome. Any other move is refused naming both states. The row is locked, so two
    racing moves cannot both pass from the same state."""
    require_role(by, *INCIDENT_MOVERS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), details={"field": "reason"})
    if len(reason) > 500:
        raise ValidationFailed(_("At most 500 characters."), details={"field": "reason"})
    if to not in IncidentStatus.values:
        raise ValidationFailed(_("Choose the next state."), details={"field": "to"})
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if to not in INCIDENT_MOVES[locked.status]:
            raise Conflict(
                _("An incident that is “%(now)s” cannot move to “%(to)s”.")
                % {"now": IncidentStatus(locked.status).label, "to": IncidentStatus(to).label},
                details={"field": "to"},
            )
        if to == IncidentStatus.CLOSED:
            if outcome not in IncidentOutcome.values:
                raise ValidationFailed(_("Name the outcome to close the incident."), details={"field": "outcome"})
            locked.outcome = outcome
        before = locked.status
        locked.status = to
        locked.save(update_fields=["status", "outcome", "updated_at"])
        IncidentTransition.objects.create(incident=locked, from_status=before, to_status=to, by=by, reason=reason)
        audit_write(
            actor=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, to], **({"outcome": outcome} if outcome else {})},
            reason=reason,
        )
    return locked


# --- patient payers (医保 / 商保 / 自费) ----------------------------------------------------------------------------
COVERAGE_RECORDERS = (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR)
MEMBER_NUMBER = re.compile(r"^[0-9A-Za-z-]{4,30}$")


def coverage_record(
    *,
    by: User,
    person: Person,
    scheme: str,
    region_code: str,
    valid_from: date,
    valid_to: date | None = None,
    member_number: str = "",
) -> Coverage:
    """Record a coverage of ``person`` (already resolved through people access for ``by``). Refuses an unknown
    scheme or region, dates out of order, a member number that is not 4–30 letters and digits, and a period that
    overlaps another coverage of the same scheme (checked under a lock on the person; the database refuses the
    same start twice)."""
    require_role(by, *COVERAGE_RECORDERS)
    if scheme not in Scheme.values:
        raise ValidationFailed(_("Choose a scheme."), details={"field": "scheme"})
    region = Division.objects.filter(pk=str(region_code).strip()).first()
    if region is None:
        raise ValidationFailed(
            _("Enter the scheme's region as a 6-digit division code (GB/T 2260)."), details={"field": "region_code"}
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(_("The end date is before the start date."), details={"field": "valid_to"})
    number = str(member_number or "").strip().replace(" ", "")
    if number and not MEMBER_NUMBER.match(number):
        raise ValidationFailed(_("A member number is 4 to 30 letters and digits."), details={"field": "member_number"})
    if scheme == Scheme.SELF_PAY and number:
        raise ValidationFailed(_("Self-pay has no member number."), details={"field": "member_number"})
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        others = Coverage.objects.filter(person=person, scheme=scheme, valid_from__lte=valid_to or date.max).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        )
        clash = others.first()
        if clash is not None:
            raise Conflict(
                _("This overlaps the person's %(scheme)s coverage from %(start)s.")
                % {"scheme": clash.get_scheme_display(), "start": clash.valid_from},
                details={"field": "valid_from", "coverage": str(clash.pk)},
            )
        try:
            with transaction.atomic():
                coverage = Coverage.objects.create(
                    person=person,
                    scheme=scheme,
                    region=region,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    member_hash=hash_id(number, settings.ID_HASH_KEY) if number else "",
                    member_masked=mask_id(number) if number else "",
                    recorded_by=by,
                )
        except IntegrityError:
            raise Conflict(
                _("The person already has coverage of this scheme starting that day."), details={"field": "valid_from"}
            ) from None
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=coverage,
            changes={"scheme": scheme, "region": region.pk, "valid_from": str(valid_from), "valid_to": str(valid_to)},
        )
    return coverage


def coverage_on(person: Person, on: date) -> Coverage | None:
    """The coverage that pays for ``person`` on ``on``: basic medical insurance first, then commercial, then none."""
    rows = [c for c in Coverage.objects.filter(person=person).select_related("region") if c.covers(on)]
    order = [Scheme.EMPLOYEE, Scheme.RESIDENT, Scheme.COMMERCIAL, Scheme.SELF_PAY]
    rows.sort(key=lambda c: order.index(Scheme(c.scheme)))
    return rows[0] if rows else None


def rule_for(coverage: Coverage, year: int) -> ReimbursementRule | None:
    """The rule of the coverage's scheme for ``year`` in its region, else in the prefecture or province above it."""
    region: Division | None = coverage.region
    while region is not None:
        rule = ReimbursementRule.objects.filter(region=region, scheme=coverage.scheme, year=year).first()
        if rule is not None:
            return rule
        region = region.parent
    return None


def patient_pays_all_because(*, special_needs: bool, coverage: Coverage | None, rule: ReimbursementRule | None) -> str:
    """Why the patient pays all of an amount (special needs, no coverage, self-pay, no rule), or "" when the
    insurer takes part."""
    if special_needs:
        return _("Special-needs services are self-pay.")
    if coverage is None:
        return _("No coverage on that day: the patient pays all.")
    if coverage.scheme == Scheme.SELF_PAY:
        return _("Self-pay: the patient pays all.")
    if rule is None:
        return _("No reimbursement rule for this scheme, region and year: the patient pays all.")
    return ""


@dataclass
class Estimate:
    amount: Decimal
    tier: str
    special_needs: bool
    coverage: Coverage | None
    rule: ReimbursementRule | None
    split: PayerSplit
    why: str


def payers_estimate(
    *,
    person: Person,
    amount: Decimal,
    tier: str,
    on: date,
    special_needs: bool = False,
    deductible_used: Decimal = Decimal("0.00"),
    cap_used: Decimal = Decimal("0.00"),
) -> Estimate:
    """Who pays ``amount`` for ``person`` (resolved through people access) at an institution of ``tier`` on ``on``."""
    if tier not in InstitutionTier.values:
        raise ValidationFailed(_("Choose the institution's level."), details={"field": "tier"})
    coverage = coverage_on(person, on)
    rule = rule_for(coverage, on.year) if coverage is not None and coverage.scheme != Scheme.SELF_PAY else None
    why = patient_pays_all_because(special_needs=special_needs, coverage=coverage, rule=rule)
    if rule is None or special_needs:
        split = split_payers(amount, pct=Decimal(0), deductible=Decimal(0), annual_cap=Decimal(0), special_needs=True)
    else:
        split = split_payers(
            amount,
            pct=rule.pct_for(tier),
            deductible=rule.deductible,
            annual_cap=rule.annual_cap,
            deductible_used=deductible_used,
            cap_used=cap_used,
        )
    return Estimate(amount, tier, special_needs, coverage, rule, split, why)


# --- issued host-hospital settlements (结算单) ---------------------------------------------------------------------
def settlement_issue(*, by: User, hospital: Organization, month: date) -> tuple[HospitalSettlement, bool]:
    """Operations issue ``hospital``'s settlement of ``month`` (ended): every charge of the month or earlier on no
    settlement yet becomes a line, the totals are stored once and never change. Issuing it again (also at the same
    moment) returns the one issued and ``False``. 409 when there is nothing to settle; 422 for a month not ended."""
    require_role(by, *WRITERS)
    _hospital(hospital)
    month = _check_month(month, settlement=True)
    return _issued_once(
        find=lambda: HospitalSettlement.objects.filter(hospital=hospital, month=month).first(),
        lock=Organization.objects.filter(pk=hospital.pk),
        issue=lambda: _settle(by=by, hospital=hospital, month=month),
    )


def _settle(*, by: User, hospital: Organization, month: date) -> HospitalSettlement:
    from tiercare.finance.selectors import unsettled_charges

    charges = list(unsettled_charges(hospital_id=hospital.pk, month=month))
    if not charges:
        raise Conflict(_("Nothing to settle for this hospital and month."), code="nothing_to_settle")

    def total(name: str) -> Decimal:
        return sum((getattr(c, name) for c in charges), Decimal("0.00"))

    amount, hospital_share = total("amount"), total("hospital_share")
    settlement = HospitalSettlement(
        hospital=hospital,
        month=month,
        number=f"JSH{month:%Y%m}-{str(hospital.pk)[:8].upper()}",
        count=len(charges),
        amount=amount,
        hospital_share=hospital_share,
        expert_share=total("expert_share"),
        platform_share=total("platform_share"),
        premium_share=total("premium_share"),
        travel_share=total("travel_share"),
        payable=amount - hospital_share,
        issued_at=timezone.now(),
        issued_by=by,
    )
    settlement.save()
    SettlementLine.objects.bulk_create(
        [
            SettlementLine(
                settlement=settlement,
                charge=c,
                occurred_on=c.occurred_on,
                service=c.service,
                fact_kind=c.fact_kind,
                fact_id=c.fact_id,
                expert_name=c.expert.name if c.expert else "",
                amount=c.amount,
                hospital_share=c.hospital_share,
            )
            for c in charges
        ]
    )
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=settlement,
        changes={"amount": amount, "payable": settlement.payable, "lines": len(charges)},
        reason="settlement issued",
    )
    return settlement


def settlements_issue_month(*, by: User, month: date) -> list[HospitalSettlement]:
    """Issue ``month``'s settlement of every hospital with charges to settle; returns the newly issued."""
    require_role(by, *WRITERS)
    month = _check_month(month, settlement=True)
    hospital_ids = set(
        Charge.objects.filter(occurred_on__lt=next_month(month), settlement_line__isnull=True).values_list(
            "hospital_id", flat=True
        )
    )
    issued = []
    for hospital in Organization.objects.filter(pk__in=hospital_ids).order_by("name"):
        settlement, new = settlement_issue(by=by, hospital=hospital, month=month)
        if new:
            issued.append(settlement)
    return issued
