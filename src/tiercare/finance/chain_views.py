"""The chain's pages (issue 15 items 3 and 6): the chain dashboard comparing every GP center, one center's 12 months
of accounts, its costs (entered by its lead or operations, voided with a reason), and GP centers' share rules by
operating mode. What the figures mean is ``finance.chain``'s docstring, repeated on the pages. Ids from outside go
through the access functions of ``finance.chain``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiercare.care.forms import show_domain_error
from tiercare.core.errors import DomainError, Forbidden
from tiercare.core.http import AuthedRequest
from tiercare.finance import chain, selectors
from tiercare.finance.chain_forms import CenterRuleForm, CostForm, VoidForm
from tiercare.finance.forms import MonthField
from tiercare.finance.models import CenterCost
from tiercare.finance.views import versions_page
from tiercare.network.models import GpMode, Organization


def _month(request: AuthedRequest) -> date:
    """The month asked for (?month=YYYY-MM), else this month; a bad one shows this month."""
    raw = request.GET.get("month", "")
    try:
        month = MonthField().clean(raw) if raw else None
    except Exception:  # noqa: BLE001 - a bad month in the address shows the default month
        month = None
    return month or chain.month_start(timezone.localdate())


def _month_links(month: date) -> list[date]:
    return list(reversed(chain.last_months(max(month, chain.month_start(timezone.localdate())))))


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Every GP center compared on revenue and result (the month and 12 months), contracts and the care dashboard's
    follow-up and control figures. A center's lead is taken to their own center's page."""
    if not selectors.is_reader(request.user):
        own = chain.chain_centers(request.user).first()
        if own is None:
            raise Forbidden(_("The chain's accounts are for operations, finance and the centers' leads."))
        return redirect("finance:chain_center", center_id=own.pk)
    month = _month(request)
    rows = chain.chain_summary(for_user=request.user, month=month)
    names = [r.center.short_name or r.center.name for r in rows]
    chart = {
        "titles": {
            "revenue": _("Revenue, last 12 months (yuan)"),
            "result": _("Operating result, last 12 months (yuan)"),
            "contracts": _("Active contracted residents"),
        },
        "revenue": {"labels": names, "values": [str(r.year_revenue) for r in rows]},
        "result": {"labels": names, "values": [str(r.year_result) for r in rows]},
        "contracts": {"labels": names, "values": [r.care["contracted_residents"] for r in rows]},
    }
    return render(
        request,
        "finance/chain.html",
        {"rows": rows, "month": month, "months": _month_links(month), "chart": chart, "is_reader": True},
    )


def _center_context(request: AuthedRequest, center: Organization, month: date) -> dict[str, Any]:
    year = chain.center_year(center, until=month)
    chart = {
        "titles": {
            "revenue": _("Revenue by month (yuan)"),
            "result": _("Operating result by month (yuan)"),
        },
        "revenue": {"labels": [f"{m.month:%Y-%m}" for m in year], "values": [str(m.revenue) for m in year]},
        "result": {"labels": [f"{m.month:%Y-%m}" for m in year], "values": [str(m.result) for m in year]},
    }
    return {
        "center": center,
        "month": month,
        "months": _month_links(month),
        "year": year,
        "current": year[-1],
        "chart": chart,
        "costs": list(chain.cost_list(center=center, month=month)),
        "can_write": chain.can_write_costs(request.user, center),
        "is_reader": selectors.is_reader(request.user),
    }


@login_required
def center(request: AuthedRequest, center_id: str) -> HttpResponse:
    """One center's 12 months of accounts ending with the chosen month, that month in detail, and a chart."""
    found = chain.access_center_for_chain(request.user, center_id)
    context = _center_context(request, found, _month(request))
    context["care"] = chain.care_figures(found)
    return render(request, "finance/chain_center.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def costs(request: AuthedRequest, center_id: str) -> HttpResponse:
    """A center's costs of a month and the form to enter one (its lead, operations); finance and auditors read."""
    found = chain.access_center_for_chain(request.user, center_id)
    month = _month(request)
    form = CostForm(request.POST or None, initial={"month": f"{month:%Y-%m}"})
    if request.method == "POST":
        if not chain.can_write_costs(request.user, found):
            raise Forbidden(_("Only the center's lead and operations enter its costs."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                cost = chain.center_cost_add(
                    by=request.user,
                    center=found,
                    month=data["month"],
                    category=data["category"],
                    amount=data["amount"],
                    note=data["note"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                url = reverse("finance:chain_costs", kwargs={"center_id": found.pk})
                return redirect(f"{url}?month={cost.month:%Y-%m}#cost-{cost.pk}")
    return _costs_page(request, found, month, form, {})


def _costs_page(
    request: AuthedRequest, found: Organization, month: date, form: CostForm, void_forms: dict[Any, VoidForm]
) -> HttpResponse:
    context = _center_context(request, found, month)
    rows = [(c, void_forms.get(c.pk) or VoidForm(auto_id=f"id_void_{c.pk.hex[:8]}_%s")) for c in context["costs"]]
    context.update({"form": form, "cost_rows": rows})
    failed = form.errors or any(f.errors for f in void_forms.values())
    return render(request, "finance/chain_costs.html", context, status=422 if failed else 200)


@login_required
@require_POST
def cost_void(request: AuthedRequest, cost_id: str) -> HttpResponse:
    """Void one cost with a reason; the accounts leave it out from then on."""
    cost: CenterCost = chain.access_cost_to_void(request.user, cost_id)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            chain.center_cost_void(by=request.user, cost=cost, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            url = reverse("finance:chain_costs", kwargs={"center_id": cost.center_id})
            return redirect(f"{url}?month={cost.month:%Y-%m}#cost-{cost.pk}")
    return _costs_page(
        request, cost.center, cost.month, CostForm(initial={"month": f"{cost.month:%Y-%m}"}), {cost.pk: form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: AuthedRequest) -> HttpResponse:
    """GP centers' share-rule versions with their operating mode; operations add one by the center's mode."""
    modes = dict(GpMode.choices)

    def add(data: dict[str, Any]) -> str:
        rule = chain.center_rule_add(
            by=request.user,
            center=chain.access_center_for_rules(request.user, data["center"].pk),
            mode=data["mode"],
            effective_from=data["effective_from"],
            partner_pct=data["partner_pct"],
            fee_pct=data["fee_pct"],
            monthly_fee=data["monthly_fee"],
            expert_pct=data["expert_pct"],
            premium_pct=data["premium_pct"],
            note=data["note"],
        )
        return f"{reverse('finance:chain_rules')}#rule-{rule.pk}"

    return versions_page(
        request,
        CenterRuleForm(request.POST or None),
        add,
        "finance/chain_rules.html",
        rules=[(r, modes.get(r.center_mode, "")) for r in chain.center_rules(for_user=request.user)],
        centers=chain.centers(),
        is_reader=True,
    )
