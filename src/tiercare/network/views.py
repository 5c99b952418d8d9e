"""Directory pages: experts with filters, organizations, one organization, the network overview; the search
endpoints of the expert and department pickers."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tiercare.core.access import STAFF_ROLES, require_role
from tiercare.core.errors import NotFound
from tiercare.core.http import AuthedRequest
from tiercare.core.query import query_uuid
from tiercare.core.widgets import PICKER_LIMIT
from tiercare.network import selectors, widgets
from tiercare.network.forms import ExpertFilterForm, OrganizationFilterForm
from tiercare.network.models import InsurancePolicy, Practitioner, PractitionerRole, Specialty, Tier
from tiercare.network.practice import practice_bases


@login_required
def experts(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *STAFF_ROLES)
    form = ExpertFilterForm(request.GET or None)
    filters: dict = {}
    site = on = None
    if form.is_valid():
        data = form.cleaned_data
        site, on = data.get("allowed_at"), data.get("on") or selectors.today()
        filters = {
            "q": data.get("q") or None,
            "specialty": data.get("specialty") or None,
            "organization": data["home"].pk if data.get("home") else None,
            "allowed_at": site,
            "on": on,
            "insurance_expiring_days": settings.INSURANCE_EXPIRY_WARNING_DAYS
            if data.get("insurance_expiring")
            else None,
        }
    qs = selectors.practitioner_list(for_user=request.user, experts_only=True, **filters).prefetch_related(
        Prefetch("insurance_policies", queryset=InsurancePolicy.objects.order_by("-valid_to"))
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = []
    today = selectors.today()
    bases = practice_bases(page, site, on) if site is not None and on is not None else {}
    for p in page:
        current = next((pol for pol in p.insurance_policies.all() if pol.is_valid_on(today)), None)
        days_left = (current.valid_to - today).days if current else None
        rows.append({"p": p, "cover": current, "days_left": days_left, "basis": bases.get(p.pk)})
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "site": site,
        "on": on,
        "warn_days": settings.INSURANCE_EXPIRY_WARNING_DAYS,
        "errors": form.errors if form.is_bound else {},
    }
    template = "network/_expert_rows.html" if request.headers.get("HX-Request") else "network/experts.html"
    return render(request, template, context)


@login_required
def organizations(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *STAFF_ROLES)
    form = OrganizationFilterForm(request.GET or None)
    kwargs: dict = {}
    if form.is_valid():
        d = form.cleaned_data
        kwargs = {
            "q": d.get("q") or None,
            "tier": d.get("tier") or None,
            "partner": {"yes": True, "no": False}.get(d.get("partner") or ""),
        }
    qs = selectors.organization_list(for_user=request.user, **kwargs).annotate(n_departments=Count("departments"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "network/_organization_rows.html" if request.headers.get("HX-Request") else "network/organizations.html"
    return render(request, template, {"form": form, "page": page})


@login_required
def organization_detail(request: AuthedRequest, org_id: str) -> HttpResponse:
    require_role(request.user, *STAFF_ROLES)
    org = selectors.organization_list(for_user=request.user).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("No such organization."))
    today = selectors.today()
    departments = selectors.department_list(for_user=request.user, organization=org.pk)
    partnerships = {p.department_id: p for p in selectors.partnership_list(for_user=request.user, organization=org.pk)}
    dept_rows = [{"d": d, "partnership": partnerships.get(d.pk)} for d in departments]
    allowed = selectors.practitioner_list(for_user=request.user, allowed_at=org, on=today, experts_only=True)
    return render(
        request,
        "network/organization.html",
        {
            "org": org,
            "departments": dept_rows,
            "today": today,
            "is_partner": any(p.is_active_on(today) for p in partnerships.values()),
            "allowed_count": allowed.count(),
            "allowed_sample": allowed[:12],
            "home_experts": selectors.practitioner_list(for_user=request.user, organization=org.pk)[:50],
        },
    )


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *STAFF_ROLES)
    data = selectors.network_overview(for_user=request.user)
    labels = dict(Specialty.choices)
    tiers = dict(Tier.choices)
    chart = {
        "specialty": {
            "labels": [str(labels.get(r["specialty"], r["specialty"])) for r in data["by_specialty"]],
            "values": [r["n"] for r in data["by_specialty"]],
        },
        "county": {
            "labels": [r["department__organization__county"] for r in data["partners_by_county"]],
            "values": [r["n"] for r in data["partners_by_county"]],
        },
        "tiers": [
            {"name": str(tiers.get(r["tier"], _("Doctor group"))), "value": r["n"]} for r in data["orgs_by_tier"]
        ],
        "titles": {
            "specialty": _("Experts by specialty"),
            "county": _("Partner hospitals by county"),
            "tiers": _("Organizations by tier"),
        },
    }
    return render(request, "network/overview.html", {"data": data, "chart": chart})


def _picker_results(request: AuthedRequest, rows: list, label: Callable[[Any], str], q: str) -> HttpResponse:
    shown = rows[:PICKER_LIMIT]
    results = [{"value": r.pk, "label": label(r)} for r in shown]
    ctx = {"results": results, "q": q, "more": len(rows) > PICKER_LIMIT}
    return render(request, "core/widgets/_picker_results.html", ctx)


@login_required
def expert_search(request: AuthedRequest) -> HttpResponse:
    """The expert picker's matches (``network.widgets.ExpertPicker``): at most a dozen practitioners by name,
    pinyin or initials; ``experts_only=1`` for the doctor group's experts, ``center=<id>`` for one organization's
    staff."""
    require_role(request.user, *STAFF_ROLES)
    q = request.GET.get("q", "").strip()[:60]
    if not q:
        return _picker_results(request, [], widgets.practitioner_label, q)
    qs = Practitioner.objects.filter(is_active=True)
    if request.GET.get("experts_only"):
        qs = qs.filter(doctor_group__isnull=False)
    center = query_uuid(request, "center")
    if center:
        qs = qs.filter(pk__in=PractitionerRole.objects.filter(organization_id=center).values("practitioner_id"))
    needle = q.lower().replace(" ", "")
    match = Q(name__icontains=q)
    if needle.isascii() and needle.isalpha():
        match |= Q(name_pinyin__startswith=needle) | Q(name_initials__startswith=needle)
    qs = qs.filter(match).select_related("home_organization").order_by("name_pinyin", "pk")
    return _picker_results(request, list(qs[: PICKER_LIMIT + 1]), widgets.practitioner_label, q)


@login_required
def department_search(request: AuthedRequest) -> HttpResponse:
    """The department picker's matches (``network.widgets.DepartmentPicker``); ``tier=tertiary`` keeps to
    tertiary hospitals."""
    require_role(request.user, *STAFF_ROLES)
    q = request.GET.get("q", "").strip()[:60]
    rows = list(widgets.department_search(q=q, tier=request.GET.get("tier", ""))[: PICKER_LIMIT + 1])
    return _picker_results(request, rows, widgets.department_label, q)
