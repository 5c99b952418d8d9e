"""The finance pages: reconciliation by month, hospital settlements, charges, price lists and share rules (operations
add versions), the unpriced-work worklist (a price added there charges the work at once), and expert statements (an
expert sees their own, readers all; PDF and xlsx downloads; operations issue a month and record corrections).
Ids from outside go through ``finance.access``; writes through ``finance.services``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiercare.care.forms import show_domain_error
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import DomainError, NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.core.pdf import pdf_response, render_pdf_template
from tiercare.finance import payer_services, selectors, services
from tiercare.finance.access import (
    access_coverage_person,
    access_expert_for_statements,
    access_hospital_for_prices,
    access_incident_by_id,
    access_incident_expert,
    access_incident_person,
    access_incident_source,
    access_settlement_by_id,
    access_statement_by_id,
    access_unpriced_by_id,
)
from tiercare.finance.export import fact_url, service_label, statement_context, statement_xlsx
from tiercare.finance.forms import (
    CorrectionForm,
    CoverageForm,
    EstimateForm,
    IncidentForm,
    IncidentMoveForm,
    IssueForm,
    MonthField,
    PriceForm,
    ShareRuleForm,
    UnpricedPriceForm,
)
from tiercare.finance.models import FactKind, Incident, IncidentStatus, InstitutionTier

PAGE_ROWS = 300


def _readers(request: AuthedRequest) -> None:
    require_role(request.user, *selectors.READERS)


def _month_param(request: AuthedRequest) -> date | None:
    raw = request.GET.get("month", "")
    if not raw:
        return None
    try:
        return MonthField().clean(raw)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a bad month in the address shows the default month
        return None


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """Experts land on their statements, readers on the reconciliation."""
    if request.user.role == Role.EXPERT:
        return redirect("finance:statements")
    _readers(request)
    return redirect("finance:reconciliation")


@login_required
def reconciliation(request: AuthedRequest) -> HttpResponse:
    """Per month: charges = platform + hospitals + experts + premiums + travel, to the fen."""
    _readers(request)
    return render(
        request,
        "finance/reconciliation.html",
        {"months": selectors.reconciliation(), "open_unpriced": selectors.unpriced_list(for_user=request.user).count()},
    )


def _issue_month(request: AuthedRequest, issue: Any) -> tuple[IssueForm, list[Any] | None]:
    """The form that issues a month's documents (statements, settlements), and what a valid POST issued (finance
    writers only; a refused month shows beside its field)."""
    form = IssueForm(request.POST or None)
    issued: list[Any] | None = None
    if request.method == "POST":
        require_role(request.user, *selectors.WRITERS)
        if form.is_valid():
            try:
                issued = issue(by=request.user, month=form.cleaned_data["month"])
            except DomainError as exc:
                show_domain_error(form, exc)
    return form, issued


@login_required
@require_http_methods(["GET", "POST"])
def settlements(request: AuthedRequest) -> HttpResponse:
    """A month's settlement per partner hospital: the charges billed, its share, what it pays the group; operations
    issue the month's settlement documents here. A hospital's coordinator or director lands on their issued ones."""
    if not selectors.is_reader(request.user):
        return redirect("finance:settlement_docs")
    form, issued = _issue_month(request, services.settlements_issue_month)
    months = selectors.charge_months()
    month = _month_param(request) or (months[0] if months else services.month_start(timezone.localdate()))
    docs = {d.hospital_id: d for d in selectors.settlement_doc_list(for_user=request.user).filter(month=month)}
    rows = [(r, docs.get(r.hospital_id)) for r in selectors.settlements(month=month)]
    return render(
        request,
        "finance/settlements.html",
        {
            "month": month,
            "months": months,
            "rows": rows,
            "form": form,
            "issued": issued,
            "can_write": selectors.is_writer(request.user),
        },
        status=422 if form.errors else 200,
    )


@login_required
def settlement_docs(request: AuthedRequest) -> HttpResponse:
    """The issued settlements the user may read (a hospital's coordinators and directors: their hospital's)."""
    qs = selectors.settlement_doc_list(for_user=request.user)
    if not (selectors.is_reader(request.user) or request.user.role in selectors.SETTLEMENT_HOSPITAL_ROLES):
        raise NotFound(_("No such page."))
    return render(request, "finance/settlement_docs.html", {"docs": qs[:PAGE_ROWS]})


def _settlement_context(request: AuthedRequest, settlement_id: str) -> dict[str, Any]:
    doc = access_settlement_by_id(request.user, settlement_id)
    rows = [
        {
            "line": ln,
            "service": service_label(ln.service),
            "fact": f"{FactKind(ln.fact_kind).label if ln.fact_kind in FactKind.values else ''} "
            f"{str(ln.fact_id)[:8].upper()}",
            "url": fact_url(ln.fact_kind, ln.fact_id),
        }
        for ln in selectors.settlement_lines(doc)
    ]
    return {"doc": doc, "rows": rows}


@login_required
def settlement_doc(request: AuthedRequest, settlement_id: str) -> HttpResponse:
    """One issued settlement: every charge it carries (date, service, the work, expert, amount, hospital's share)."""
    return render(request, "finance/settlement_doc.html", _settlement_context(request, settlement_id))


@login_required
def settlement_doc_pdf(request: AuthedRequest, settlement_id: str) -> HttpResponse:
    context = _settlement_context(request, settlement_id)
    pdf = render_pdf_template("finance/settlement_pdf.html", context, request=request)
    return pdf_response(pdf, f"{_('Settlement')}-{context['doc'].number}.pdf")


@login_required
def charges(request: AuthedRequest) -> HttpResponse:
    """The charges of a month (optionally of one hospital), each with its fact, price version and split."""
    _readers(request)
    months = selectors.charge_months()
    month = _month_param(request) or (months[0] if months else services.month_start(timezone.localdate()))
    hospital = request.GET.get("hospital") or None
    qs = selectors.charge_list(for_user=request.user, month=month)
    if hospital:
        from tiercare.core.access import as_uuid

        qs = qs.filter(hospital_id=as_uuid(hospital))
    return render(
        request,
        "finance/charges.html",
        {"month": month, "months": months, "charges": qs[:PAGE_ROWS], "count": qs.count(), "limit": PAGE_ROWS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def prices(request: AuthedRequest) -> HttpResponse:
    """Price versions per hospital and service; operations add one (a new price, or an edit: the next version)."""

    def add(data: dict[str, Any]) -> str:
        price = services.price_add(
            by=request.user,
            hospital=access_hospital_for_prices(request.user, data["hospital"].pk),
            service=data["service"],
            amount=data["amount"],
            effective_from=data["effective_from"],
            note=data["note"],
        )
        return f"{reverse('finance:prices')}#price-{price.pk}"

    return versions_page(
        request,
        PriceForm(request.POST or None),
        add,
        "finance/prices.html",
        prices=selectors.price_list(for_user=request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def shares(request: AuthedRequest) -> HttpResponse:
    """Revenue-share rule versions per hospital; operations add one (the platform takes the rest)."""

    def add(data: dict[str, Any]) -> str:
        services.share_rule_add(
            by=request.user,
            hospital=access_hospital_for_prices(request.user, data["hospital"].pk),
            effective_from=data["effective_from"],
            hospital_pct=data["hospital_pct"],
            expert_pct=data["expert_pct"],
            premium_pct=data["premium_pct"],
            travel_pct=data["travel_pct"],
            note=data["note"],
        )
        return reverse("finance:shares")

    return versions_page(
        request,
        ShareRuleForm(request.POST or None),
        add,
        "finance/shares.html",
        rules=selectors.share_rule_list(for_user=request.user),
    )


def versions_page(request: AuthedRequest, form: Any, add: Any, template: str, **listing: Any) -> HttpResponse:
    """A list of versions with the form that adds one: finance readers read; a POST (finance writers only) adds the
    version through ``add(cleaned_data)`` and goes where it answers, or shows the form again with the refusal beside
    its field and what was typed kept (422)."""
    _readers(request)
    if request.method == "POST":
        require_role(request.user, *selectors.WRITERS)
        if form.is_valid():
            try:
                target = add(form.cleaned_data)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                return redirect(target)
    context = {**listing, "form": form, "can_write": selectors.is_writer(request.user)}
    return render(request, template, context, status=422 if form.errors else 200)


@login_required
def unpriced(request: AuthedRequest) -> HttpResponse:
    """Operations' worklist of work that found no price or rule in force; never silently free."""
    _readers(request)
    items = list(selectors.unpriced_list(for_user=request.user)[:PAGE_ROWS])
    return render(
        request,
        "finance/unpriced.html",
        {"items": items, "can_write": selectors.is_writer(request.user), "forms": {}},
    )


@login_required
@require_POST
def unpriced_price(request: AuthedRequest, work_id: str) -> HttpResponse:
    """Add the price that covers one unpriced item (its hospital and service); the charge is made at once."""
    work = access_unpriced_by_id(request.user, work_id)
    form = UnpricedPriceForm(request.POST, work_on=work.occurred_on)
    if form.is_valid():
        try:
            services.price_add(
                by=request.user,
                hospital=work.hospital,
                service=work.service,
                amount=form.cleaned_data["amount"],
                effective_from=form.cleaned_data["effective_from"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            work.refresh_from_db()
            if work.resolved_at is not None:
                return redirect(f"{reverse('finance:charges')}?month={work.occurred_on:%Y-%m}#charge-{work.charge_id}")
            form.add_error(None, _("The price is saved, but this work still waits for a share rule."))
    items = list(selectors.unpriced_list(for_user=request.user)[:PAGE_ROWS])
    return render(
        request,
        "finance/unpriced.html",
        {"items": items, "can_write": True, "forms": {work.pk: form}},
        status=422,
    )


@login_required
@require_http_methods(["GET", "POST"])
def statements(request: AuthedRequest) -> HttpResponse:
    """The statements the user may read; operations issue a month's statements for every expert here."""
    form, issued = _issue_month(request, services.statements_issue_month)
    expert = request.GET.get("expert")
    qs = selectors.statement_list(for_user=request.user)
    if expert and selectors.is_reader(request.user):
        qs = qs.filter(expert=access_expert_for_statements(request.user, expert))
    return render(
        request,
        "finance/statements.html",
        {
            "statements": qs[:PAGE_ROWS],
            "form": form,
            "issued": issued,
            "can_write": selectors.is_writer(request.user),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def statement(request: AuthedRequest, statement_id: str) -> HttpResponse:
    """One statement: its lines, gross, tax, net; operations record a correction for the next statement."""
    st = access_statement_by_id(request.user, statement_id)
    lines = list(selectors.statement_lines(st))
    form = CorrectionForm(request.POST or None, lines=lines)
    saved = None
    if request.method == "POST":
        require_role(request.user, *selectors.WRITERS)
        if form.is_valid():
            data = form.cleaned_data
            line = next((ln for ln in lines if str(ln.pk) == data["line"]), None)
            try:
                saved = services.adjustment_add(
                    by=request.user, expert=st.expert, amount=data["amount"], reason=data["reason"], corrects=line
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                form = CorrectionForm(lines=lines)
    context = statement_context(st, lines)
    context.update({"form": form, "saved": saved, "can_write": selectors.is_writer(request.user)})
    return render(request, "finance/statement.html", context, status=422 if form.errors else 200)


@login_required
def statement_pdf(request: AuthedRequest, statement_id: str) -> HttpResponse:
    st = access_statement_by_id(request.user, statement_id)
    context = statement_context(st, list(selectors.statement_lines(st)))
    pdf = render_pdf_template("finance/statement_pdf.html", context, request=request)
    name = _("Statement")
    return pdf_response(pdf, f"{name}-{st.number}.pdf")


@login_required
def statement_xlsx_download(request: AuthedRequest, statement_id: str) -> HttpResponse:
    st = access_statement_by_id(request.user, statement_id)
    data = statement_xlsx(st, list(selectors.statement_lines(st)))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="statement-{st.number}.xlsx"'
    return response


# --- incidents and disputes ---------------------------------------------------------------------------------------
SOURCE_ROWS = 100


def incident_sources(user: Any) -> list[tuple[str, str]]:
    """The work ``user`` may record an incident against, as choices "kind:id" (the latest of each kind; no
    patient names, so offering them reads no patient's record)."""
    from tiercare.consults.access import case_scope_q
    from tiercare.consults.models import Case
    from tiercare.outreach.models import ExpertSession
    from tiercare.outreach.selectors import session_scope_q
    from tiercare.referrals.models import Referral
    from tiercare.referrals.selectors import scope_q

    if not selectors.can_record_incidents(user):
        return []
    today = timezone.localdate()
    sessions = (
        ExpertSession.objects.filter(session_scope_q(user), date__lte=today)
        .select_related("site", "expert")
        .order_by("-date")[:SOURCE_ROWS]
    )
    cases = Case.objects.filter(case_scope_q(user)).select_related("requesting_org").order_by("-created_at")
    referrals = (
        Referral.objects.filter(scope_q(user))
        .select_related("referring_organization", "receiving_organization")
        .order_by("-created_at")
    )
    choices = [
        (f"session:{s.pk}", f"{_('Expert session')} {s.date:%Y-%m-%d} {s.site.name} {s.expert.name}") for s in sessions
    ]
    choices += [
        (
            f"case:{c.pk}",
            f"{_('Consultation case')} {timezone.localtime(c.created_at):%Y-%m-%d} {c.requesting_org.name}",
        )
        for c in cases.distinct()[:SOURCE_ROWS]
    ]
    choices += [
        (
            f"referral:{r.pk}",
            f"{_('Referral')} {timezone.localtime(r.created_at):%Y-%m-%d} "
            f"{r.referring_organization.name} → {r.receiving_organization.name}",
        )
        for r in referrals[:SOURCE_ROWS]
    ]
    return choices


def _incident_experts() -> list[tuple[str, str]]:
    from tiercare.network.models import Practitioner

    return [(str(p.pk), p.name) for p in Practitioner.objects.filter(user__role=Role.EXPERT).order_by("name")]


def _record_incident(request: AuthedRequest, form: IncidentForm) -> Incident | None:
    """Resolve the form's ids through the access functions and record; a refusal goes beside its field."""
    data = form.cleaned_data
    kind, _sep, source_id = data["source"].partition(":")
    try:
        source = access_incident_source(request.user, kind, source_id)
        expert = access_incident_expert(request.user, data["expert"]) if data["expert"] else None
        person = None
        if data["about_patient"]:
            person_id = getattr(source, "person_id", None)
            if person_id is None:
                raise ValidationFailed(
                    _("An expert session names no single patient."), details={"field": "about_patient"}
                )
            person = access_incident_person(request.user, person_id)
        return services.incident_record(
            by=request.user,
            kind=data["kind"],
            source=source,
            occurred_on=data["occurred_on"],
            summary=data["summary"],
            expert=expert,
            person=person,
        )
    except NotFound:
        raise
    except DomainError as exc:
        show_domain_error(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def incidents(request: AuthedRequest) -> HttpResponse:
    """The incidents and disputes the user may see (open ones; ?all=1 for closed too), and the form to record one
    (operations; a coordinator for their own hospital). Reading the list is audited for the patients it names."""
    if request.method == "POST":
        require_role(request.user, *selectors.INCIDENT_RECORDERS)
    can_record = selectors.can_record_incidents(request.user)
    form = IncidentForm(
        request.POST or None,
        sources=incident_sources(request.user) if can_record else (),
        experts=_incident_experts() if can_record else (),
    )
    if request.method == "POST" and form.is_valid():
        incident = _record_incident(request, form)
        if incident is not None:
            return redirect("finance:incident", incident_id=incident.pk)
    show_all = request.GET.get("all") == "1"
    rows = list(selectors.incident_list(for_user=request.user, open_only=not show_all)[:PAGE_ROWS])
    audit_patient_read(
        actor=request.user, person_ids=[r.person_id for r in rows if r.person_id], object_type="finance.incident"
    )
    return render(
        request,
        "finance/incidents.html",
        {"incidents": rows, "form": form, "can_record": can_record, "show_all": show_all},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident(request: AuthedRequest, incident_id: str) -> HttpResponse:
    """One incident with its history; operations move it one step (closing names the outcome), with a reason."""
    item = access_incident_by_id(request.user, incident_id)
    form = IncidentMoveForm(request.POST or None)
    if request.method == "POST":
        require_role(request.user, *selectors.INCIDENT_MOVERS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.incident_move(
                    by=request.user, incident=item, to=data["to"], reason=data["reason"], outcome=data["outcome"]
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                return redirect("finance:incident", incident_id=item.pk)
    return render(
        request,
        "finance/incident.html",
        {
            "incident": item,
            "transitions": item.transitions.select_related("by"),
            "next_states": [IncidentStatus(s).label for s in services.INCIDENT_MOVES[item.status]],
            "form": form,
            "can_move": selectors.can_move_incidents(request.user) and item.status != IncidentStatus.CLOSED,
        },
        status=422 if form.errors else 200,
    )


# --- patient payers ------------------------------------------------------------------------------------------------
def _year_param(request: AuthedRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


@login_required
@require_http_methods(["GET", "POST"])
def coverage(request: AuthedRequest, person_id: str) -> HttpResponse:
    """A person's coverage (whoever may see the person; the read is audited), the form to record one (the GP team
    and coordinators), the year's charges with who paid what and the deductible and cap use summed from them, and
    an estimate of who pays what for a price at an institution level (GET parameters)."""
    person = access_coverage_person(request.user, person_id)
    can_record = request.user.role in services.COVERAGE_RECORDERS
    if request.method == "POST":
        require_role(request.user, *services.COVERAGE_RECORDERS)
    form = CoverageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.coverage_record(
                by=request.user,
                person=person,
                scheme=data["scheme"],
                region_code=data["region_code"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                member_number=data["member_number"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("finance:coverage", person_id=person.pk)
    estimate_form = EstimateForm(
        request.GET if "amount" in request.GET else None,
        initial={"on": timezone.localdate(), "tier": InstitutionTier.GRASSROOTS},
    )
    estimate = use = None
    year = _year_param(request) or timezone.localdate().year
    if estimate_form.is_bound and estimate_form.is_valid():
        data = estimate_form.cleaned_data
        year = data["on"].year
        try:
            estimate, use = payer_services.payers_estimate_stored(
                person=person,
                amount=services.parse_money(data["amount"], field_name="amount", minimum=Decimal("0.00")),
                tier=data["tier"],
                on=data["on"],
                special_needs=data["special_needs"],
            )
        except DomainError as exc:
            show_domain_error(estimate_form, exc)
    coverages = list(person.coverages.select_related("region"))
    return render(
        request,
        "finance/coverage.html",
        {
            "person": person,
            "coverages": coverages,
            "form": form,
            "can_record": can_record,
            "estimate_form": estimate_form,
            "estimate": estimate,
            "use": use,
            "year": year,
            "year_use": payer_services.payers_year_uses(person=person, year=year),
            "year_charges": selectors.person_year_charges(person=person, year=year),
        },
        status=422 if form.errors or estimate_form.errors else 200,
    )
