"""The GP-center chain's money (issue 15 items 3 and 6): share rules by operating mode, the costs a center enters,
and the chain's accounts per center and month, compared on the chain dashboard with the care dashboards' figures.

Share rules by operating mode (``center_rule_add``; the chain's part is a charge's platform share, the partner's its
hospital share):

- owned and flagship: everything to the chain; the partner's part is 0 (database check);
- cooperative: the partner's agreed percentage of every charge, the chain the rest;
- managed: the chain's management fee is a percentage of revenue (the platform %), the center's owner keeps the rest;
- franchise: the chain's royalty is a percentage of revenue (the platform %), plus a fee per month
  (``ShareRule.monthly_fee``); the franchisee keeps the rest.

An expert's and the malpractice premium's percentages stay available (a doctor-group expert's online consultation
at a center). A charge without an expert (a family-doctor contract) gives the unused expert and travel percentages
to the chain at owned, flagship and cooperative centers, to the owner or franchisee at managed and franchise ones
(``split.chain_keeps_unused``), so each mode's defined part is exact.

The chain's accounts of a center for a month (``center_months``), from the stored rows, to the fen:

- revenue: the center's charges of the month (``Charge.hospital`` is the center, by the charge's date): contract
  fees (family-doctor contracts) broken down by payer (``ChargePayer`` rows; a charge without them counts as
  "payer not recorded"), and services (every other charge);
- the chain's part: the charges' platform shares, plus the franchise fee when the rule in force on the month's last
  day is a franchise rule (once per month);
- the partner's part: the charges' hospital shares, less that franchise fee (which the franchisee pays the chain);
- the expert, malpractice-premium and travel parts;
- check: revenue = chain + partner + expert + premium + travel;
- costs: the center's costs entered for the month, by category, voided ones left out;
- operating result: revenue − expert, premium and travel parts − costs (what the center's work leaves for the chain
  and its partner together, after its costs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.finance.models import (
    MIN_PLATFORM_PERCENT,
    CenterCost,
    Charge,
    ChargePayer,
    CostCategory,
    FactKind,
    Payer,
    ShareRule,
)
from tiercare.finance.selectors import WRITERS, _month, _q, is_reader, is_writer, share_sums
from tiercare.network.models import GpMode, Organization

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
NOT_RECORDED = "not_recorded"
MONTHS_SHOWN = 12


def month_start(on: date) -> date:
    return on.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_back(month: date, n: int) -> date:
    y, m = month.year, month.month - n
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def last_months(until: date, n: int = MONTHS_SHOWN) -> list[date]:
    """The ``n`` months ending with ``until``'s month, oldest first."""
    end = month_start(until)
    return [month_back(end, k) for k in range(n - 1, -1, -1)]


# --- who may see and write what -----------------------------------------------------------------------------------
def centers() -> QuerySet[Organization]:
    return Organization.objects.filter(kind="gp_center").order_by("name")


def led_center_ids(user: User) -> set[Any]:
    """The GP centers ``user`` leads (care's GpTeamMember.center_lead of an active team)."""
    from tiercare.care.selectors import lead_center_ids

    if not (user.is_authenticated and user.is_active):
        return set()
    return set(lead_center_ids(user))


def chain_centers(user: User) -> QuerySet[Organization]:
    """The GP centers whose accounts ``user`` may read: every one for operations, administrators, finance and
    auditors; the centers they lead for a center's lead; none for anyone else."""
    if is_reader(user):
        return centers()
    return centers().filter(pk__in=led_center_ids(user))


def can_write_costs(user: User, center: Organization) -> bool:
    """Operations and administrators for any center; a center's lead for their own."""
    return is_writer(user) or center.pk in led_center_ids(user)


def access_center_for_chain(user: User, center_id: object) -> Organization:
    """A GP center whose accounts and costs ``user`` may read (``chain_centers``), else 404 and an audited refusal
    (another center's lead cannot tell it apart from none)."""
    return access_one(
        user,
        chain_centers(user),
        center_id,
        object_type="network.organization",
        refusal="not a center the user may read the accounts of",
        not_found=_("No such GP center."),
    )


def access_center_for_rules(user: User, center_id: object) -> Organization:
    """A GP center whose share rules ``user`` (operations, administrators) keeps, else 404."""
    return access_one(
        user,
        centers() if is_writer(user) else centers().none(),
        center_id,
        object_type="network.organization",
        refusal="not a finance writer",
        not_found=_("No such GP center."),
    )


def access_cost_to_void(user: User, cost_id: object) -> CenterCost:
    """A cost not voided yet, of a center whose costs ``user`` writes, else 404."""
    qs = CenterCost.objects.filter(voided_at__isnull=True).select_related("center")
    if not is_writer(user):
        qs = qs.filter(center_id__in=led_center_ids(user))
    return access_one(
        user,
        qs,
        cost_id,
        object_type="finance.centercost",
        refusal="not a cost of a center the user writes",
        not_found=_("No such cost."),
    )


# --- share rules by operating mode ------------------------------------------------------------------------------
def rule_percentages(
    mode: str,
    *,
    partner_pct: Decimal = ZERO,
    fee_pct: Decimal = ZERO,
    expert_pct: Decimal = ZERO,
    premium_pct: Decimal = ZERO,
) -> dict[str, Decimal]:
    """The rule's percentages for an operating mode (pure): ``partner_pct`` is the cooperative partner's share,
    ``fee_pct`` the managed center's management fee or the franchise royalty. The chain (platform) keeps at least
    1%, so a charge's parts never go below zero. Raises ValidationFailed naming the field."""
    if mode not in GpMode.values:
        raise ValidationFailed(_("Choose the center's operating mode."), details={"field": "mode"})
    if mode != GpMode.COOPERATIVE and partner_pct:
        raise ValidationFailed(
            _("Only a cooperative center gives the partner a share."), details={"field": "partner_pct"}
        )
    if mode not in (GpMode.MANAGED, GpMode.FRANCHISE) and fee_pct:
        raise ValidationFailed(
            _("A fee or royalty is for a managed or franchise center."), details={"field": "fee_pct"}
        )
    if mode in (GpMode.MANAGED, GpMode.FRANCHISE):
        if fee_pct < MIN_PLATFORM_PERCENT:
            raise ValidationFailed(
                _("The chain's fee or royalty is at least %(min)s%% of revenue.") % {"min": MIN_PLATFORM_PERCENT},
                details={"field": "fee_pct"},
            )
        platform = fee_pct
        hospital = HUNDRED - fee_pct - expert_pct - premium_pct
        if hospital < 0:
            raise ValidationFailed(
                _("The fee, expert and premium percentages add up to more than 100%."), details={"field": "fee_pct"}
            )
    else:
        hospital = partner_pct if mode == GpMode.COOPERATIVE else ZERO
        platform = HUNDRED - hospital - expert_pct - premium_pct
        if platform < MIN_PLATFORM_PERCENT:
            raise ValidationFailed(
                _("The shares leave %(left)s%% for the chain; it needs at least %(min)s%%.")
                % {"left": platform, "min": MIN_PLATFORM_PERCENT},
                details={"field": "partner_pct" if mode == GpMode.COOPERATIVE else "expert_pct"},
            )
    return {
        "platform_pct": platform,
        "hospital_pct": hospital,
        "expert_pct": expert_pct,
        "premium_pct": premium_pct,
        "travel_pct": ZERO,
    }


@transaction.atomic
def center_rule_add(
    *,
    by: User,
    center: Organization,
    mode: str,
    effective_from: date,
    partner_pct: object = "0",
    fee_pct: object = "0",
    monthly_fee: object = "0",
    expert_pct: object = "0",
    premium_pct: object = "0",
    note: str = "",
) -> ShareRule:
    """Operations add a share-rule version for a GP center by its operating mode (which must be the center's:
    a rule written for another mode is refused naming both). The version number is the next of the center's; work
    waiting for a rule is charged at once."""
    from tiercare.core.access import require_role
    from tiercare.finance.services import parse_money, parse_percent, unpriced_retry

    require_role(by, *WRITERS)
    if center.kind != "gp_center":
        raise ValidationFailed(_("This page keeps GP centers' rules only."), details={"field": "center"})
    if mode not in GpMode.values:
        raise ValidationFailed(_("Choose the center's operating mode."), details={"field": "mode"})
    if mode != center.gp_mode:
        raise ValidationFailed(
            _("%(center)s operates as “%(actual)s”; a rule for “%(mode)s” does not apply to it.")
            % {"center": center.name, "actual": GpMode(center.gp_mode).label, "mode": GpMode(mode).label},
            details={"field": "mode"},
        )

    def pct(value: object, name: str) -> Decimal:
        return parse_percent("0" if value in (None, "") else value, field_name=name)

    parts = rule_percentages(
        mode,
        partner_pct=pct(partner_pct, "partner_pct"),
        fee_pct=pct(fee_pct, "fee_pct"),
        expert_pct=pct(expert_pct, "expert_pct"),
        premium_pct=pct(premium_pct, "premium_pct"),
    )
    fee = parse_money("0" if monthly_fee in (None, "") else monthly_fee, field_name="monthly_fee", minimum=ZERO)
    if fee and mode != GpMode.FRANCHISE:
        raise ValidationFailed(_("Only a franchise pays a fee per month."), details={"field": "monthly_fee"})
    last = ShareRule.objects.filter(hospital=center).aggregate(v=Max("version"))["v"] or 0
    rule = ShareRule(
        hospital=center,
        version=last + 1,
        effective_from=effective_from,
        center_mode=mode,
        monthly_fee=fee,
        note=(note or "").strip()[:200],
        created_by=by,
        **parts,
    )
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise Conflict(_("Another rule version was saved at the same moment; reload and try again.")) from None
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=rule,
        changes={"mode": mode, "monthly_fee": str(fee), **{k: str(v) for k, v in parts.items()}},
    )
    unpriced_retry(hospital_id=center.pk)
    return rule


def center_rules(*, for_user: User) -> QuerySet[ShareRule]:
    """Every GP center's rule versions, newest first per center (finance readers)."""
    qs = ShareRule.objects.filter(hospital__kind="gp_center").select_related("hospital", "created_by")
    return qs.order_by("hospital__name", "-version") if is_reader(for_user) else qs.none()


# --- costs --------------------------------------------------------------------------------------------------------
COST_NOTE_MAX = 200
VOID_REASON_MAX = 300


@transaction.atomic
def center_cost_add(
    *, by: User, center: Organization, month: date, category: str, amount: object, note: str = ""
) -> CenterCost:
    """A cost of ``center`` (resolved through ``access_center_for_chain``) for ``month``: operations,
    administrators, or the center's lead (others 403). Never edited afterwards: voided and entered again."""
    from tiercare.finance.services import parse_money

    if not can_write_costs(by, center):
        raise Forbidden(_("Only the center's lead and operations enter its costs."))
    if category not in CostCategory.values:
        raise ValidationFailed(_("Choose a cost category."), details={"field": "category"})
    if month is None:
        raise ValidationFailed(_("Enter a month as YYYY-MM, like 2026-10."), details={"field": "month"})
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationFailed(_("Costs are entered for this month or earlier."), details={"field": "month"})
    value = parse_money(amount, field_name="amount", minimum=Decimal("0.01"))
    note = (note or "").strip()
    if len(note) > COST_NOTE_MAX:
        raise ValidationFailed(_("At most 200 characters."), details={"field": "note"})
    cost = CenterCost.objects.create(
        center=center, month=month, category=category, amount=value, note=note, entered_by=by
    )
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=cost,
        changes={"month": month.isoformat(), "category": category, "amount": str(value)},
    )
    return cost


def center_cost_void(*, by: User, cost: CenterCost, reason: str) -> CenterCost:
    """Void a cost with a reason (kept and audited; left out of the accounts). The row is locked, so two racing
    voids void it once."""
    if not can_write_costs(by, cost.center):
        raise Forbidden(_("Only the center's lead and operations enter its costs."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the cost is voided."), details={"field": "reason"})
    if len(reason) > VOID_REASON_MAX:
        raise ValidationFailed(_("At most 300 characters."), details={"field": "reason"})
    with transaction.atomic():
        locked = CenterCost.objects.select_for_update().get(pk=cost.pk)
        if locked.voided_at is not None:
            raise Conflict(_("This cost is already voided."), details={"field": "reason"})
        locked.voided_at = timezone.now()
        locked.voided_by = by
        locked.void_reason = reason
        locked.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes={"voided": True}, reason=reason)
    return locked


def cost_list(*, center: Organization, month: date | None = None) -> QuerySet[CenterCost]:
    """The center's costs (voided ones too, marked), of one month or all; for a user who may read the center."""
    qs = CenterCost.objects.filter(center=center).select_related("entered_by", "voided_by")
    if month is not None:
        qs = qs.filter(month=month_start(month))
    return qs.order_by("-month", "category", "created_at")


# --- the accounts -------------------------------------------------------------------------------------------------
@dataclass
class CenterMonth:
    """One center's month of the chain's accounts (module docstring)."""

    center_id: Any
    month: date
    charges: int = 0
    revenue: Decimal = ZERO
    contract_fees: Decimal = ZERO
    services: Decimal = ZERO
    by_payer: dict[str, Decimal] = field(default_factory=dict)
    platform: Decimal = ZERO
    hospital: Decimal = ZERO
    expert: Decimal = ZERO
    premium: Decimal = ZERO
    travel: Decimal = ZERO
    franchise_fee: Decimal = ZERO
    costs_by_category: dict[str, Decimal] = field(default_factory=dict)
    mode: str = ""

    @property
    def chain(self) -> Decimal:
        return self.platform + self.franchise_fee

    @property
    def partner(self) -> Decimal:
        return self.hospital - self.franchise_fee

    @property
    def parts(self) -> Decimal:
        return self.chain + self.partner + self.expert + self.premium + self.travel

    @property
    def balanced(self) -> bool:
        return self.revenue == self.parts and self.revenue == self.contract_fees + self.services

    @property
    def costs(self) -> Decimal:
        return sum(self.costs_by_category.values(), ZERO)

    @property
    def result(self) -> Decimal:
        return self.revenue - self.expert - self.premium - self.travel - self.costs

    @property
    def payer_rows(self) -> list[tuple[str, str, Decimal]]:
        """(code, label, amount) in the order of ``Payer``, then "payer not recorded"; only the non-zero ones."""
        labels = dict(Payer.choices) | {NOT_RECORDED: _("Payer not recorded")}
        order = [*Payer.values, NOT_RECORDED]
        return [(k, str(labels[k]), self.by_payer[k]) for k in order if self.by_payer.get(k)]

    @property
    def cost_rows(self) -> list[tuple[str, str, Decimal]]:
        labels = dict(CostCategory.choices)
        return [(k, str(labels[k]), v) for k, v in sorted(self.costs_by_category.items()) if v]

    def as_dict(self) -> dict[str, Any]:
        return {
            "center_id": self.center_id,
            "month": self.month,
            "mode": self.mode,
            "charges": self.charges,
            "revenue": self.revenue,
            "contract_fees": self.contract_fees,
            "services": self.services,
            "by_payer": dict(self.by_payer),
            "chain": self.chain,
            "partner": self.partner,
            "franchise_fee": self.franchise_fee,
            "expert": self.expert,
            "premium": self.premium,
            "travel": self.travel,
            "costs": self.costs,
            "costs_by_category": dict(self.costs_by_category),
            "result": self.result,
            "balanced": self.balanced,
        }


def _rule_at(rules: list[ShareRule], on: date) -> ShareRule | None:
    """The rule in force on ``on`` among one center's rules (latest effective_from not after it, higher version on a
    tie), like ``services.rule_in_force``."""
    best = None
    for r in rules:
        if r.effective_from <= on and (
            best is None or (r.effective_from, r.version) > (best.effective_from, best.version)
        ):
            best = r
    return best


def center_months(center_ids: list[Any], months: list[date]) -> dict[tuple[Any, date], CenterMonth]:
    """The accounts of each center and month asked for (zeros where nothing happened), in a fixed number of
    queries: the charges grouped by center, month and kind; the payer rows of the contract charges; the costs;
    the rules (for the franchise fee and the mode)."""
    if not center_ids or not months:
        return {}
    start, end = min(months), next_month(max(months))
    out = {(c, m): CenterMonth(center_id=c, month=m) for c in center_ids for m in months}
    charges = Charge.objects.filter(hospital_id__in=center_ids, occurred_on__gte=start, occurred_on__lt=end)
    rows = (
        charges.annotate(m=TruncMonth("occurred_on"))
        .values("hospital_id", "m", "fact_kind")
        .annotate(
            n=Count("id"),
            **share_sums(),
        )
    )
    for r in rows:
        row = out.get((r["hospital_id"], _month(r["m"])))
        if row is None:
            continue
        amount = _q(r["amount"])
        row.charges += r["n"]
        row.revenue += amount
        if r["fact_kind"] == FactKind.CONTRACT:
            row.contract_fees += amount
        else:
            row.services += amount
        row.platform += _q(r["platform"])
        row.hospital += _q(r["hospital"])
        row.expert += _q(r["expert"])
        row.premium += _q(r["premium"])
        row.travel += _q(r["travel"])
    payers = (
        ChargePayer.objects.filter(charge__in=charges.filter(fact_kind=FactKind.CONTRACT))
        .annotate(m=TruncMonth("charge__occurred_on"))
        .values("charge__hospital_id", "m", "payer")
        .annotate(s=Sum("amount"))
    )
    for p in payers:
        row = out.get((p["charge__hospital_id"], _month(p["m"])))
        if row is not None:
            row.by_payer[p["payer"]] = row.by_payer.get(p["payer"], ZERO) + _q(p["s"])
    for row in out.values():
        recorded = sum(row.by_payer.values(), ZERO)
        if row.contract_fees != recorded:
            row.by_payer[NOT_RECORDED] = row.contract_fees - recorded
    costs = (
        CenterCost.objects.filter(center_id__in=center_ids, month__gte=start, month__lt=end, voided_at__isnull=True)
        .values("center_id", "month", "category")
        .annotate(s=Sum("amount"))
    )
    for c in costs:
        row = out.get((c["center_id"], c["month"]))
        if row is not None:
            row.costs_by_category[c["category"]] = _q(c["s"])
    rules: dict[Any, list[ShareRule]] = defaultdict(list)
    for version in ShareRule.objects.filter(hospital_id__in=center_ids, effective_from__lt=end):
        rules[version.hospital_id].append(version)
    for (center_id, month), row in out.items():
        rule = _rule_at(rules[center_id], next_month(month) - timedelta(days=1))
        if rule is not None:
            row.mode = rule.center_mode
            if rule.center_mode == GpMode.FRANCHISE:
                row.franchise_fee = rule.monthly_fee
    return out


@dataclass
class CenterSummary:
    """A center on the chain dashboard: its month's and last 12 months' accounts and the care dashboard's figures
    for its teams (``care.selectors.dashboard``)."""

    center: Organization
    month: CenterMonth
    year: list[CenterMonth]
    care: dict[str, Any]

    @property
    def year_revenue(self) -> Decimal:
        return sum((m.revenue for m in self.year), ZERO)

    @property
    def year_result(self) -> Decimal:
        return sum((m.result for m in self.year), ZERO)

    @property
    def year_chain(self) -> Decimal:
        return sum((m.chain for m in self.year), ZERO)


def care_figures(center: Organization, today: date | None = None) -> dict[str, Any]:
    """The care dashboard's figures for the center's teams, as that dashboard computes them."""
    from tiercare.care.models import GpTeam
    from tiercare.care.selectors import dashboard

    return dashboard(teams=GpTeam.objects.filter(center=center), today=today)


def chain_summary(*, for_user: User, month: date, today: date | None = None) -> list[CenterSummary]:
    """Every GP center ``for_user`` may read, compared for ``month`` and the 12 months ending with it."""
    rows = list(chain_centers(for_user))
    months = last_months(month)
    accounts = center_months([c.pk for c in rows], months)
    return [
        CenterSummary(
            center=c,
            month=accounts[(c.pk, months[-1])],
            year=[accounts[(c.pk, m)] for m in months],
            care=care_figures(c, today),
        )
        for c in rows
    ]


def center_year(center: Organization, *, until: date) -> list[CenterMonth]:
    """The 12 months of a center's accounts ending with ``until``'s month, oldest first."""
    months = last_months(until)
    accounts = center_months([center.pk], months)
    return [accounts[(center.pk, m)] for m in months]
