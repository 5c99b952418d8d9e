"""Care pages: team worklists (with xlsx) and their call form, household plan, a person's plan with the rules that
fired and the team's forms (record a follow-up, enrol in a program, act on an open referral suggestion: make the
referral up or dismiss it), the patient's own plan, and the center/team dashboard. Thin: one access function and one
selector or service each.

The forms post with htmx and get back the part of the page they change (the person's plan, one worklist row); a
refused write answers 422 with the form re-rendered and the service's message next to the field it names, and
stores nothing. Without JavaScript the same views redirect after a write (post/redirect/get).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tiercare.care import access, selectors, services
from tiercare.care.export import worklist_rows
from tiercare.care.forms import (
    CallForm,
    EnrollmentForm,
    FollowUpForm,
    MedicationForm,
    SuggestionDismissForm,
    SuggestionReferForm,
    VoidForm,
    program_name,
    protocol_or_none,
    show_domain_error,
)
from tiercare.care.models import ControlClass, Enrollment, OutreachOutcome, ReferralSuggestion, SuggestionStatus
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.context import zh_active
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.query import query_uuid
from tiercare.network.models import Department, Specialty
from tiercare.people.consent_views import offer_from_error
from tiercare.people.models import Person

WORKLIST_LABELS = {
    "overdue": _("Overdue"),
    "due_this_week": _("Due this week"),
    "uncontrolled": _("Not controlled"),
    "risk_rose": _("Risk rose"),
    "suggestions": _("Referral suggested"),
    "home_urgent": _("Home readings to act on"),
    "screening": _("Screening or re-check overdue"),
    "lost": _("Lost to follow-up"),
    "removed": _("Removed"),
}
CENTER_WORKLIST_LABELS = {
    "lapsed": _("Contract lapsed"),
    "escalated": _("Referral suggestions past their deadline"),
}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _kinds() -> list[tuple[str, Any]]:
    return [(k, WORKLIST_LABELS.get(k, k)) for k in selectors.WORKLISTS]


def _worklist_rows(enrollments: list[Enrollment]) -> list[dict[str, Any]]:
    """``export.worklist_rows`` with what the page adds: the program's name, labels, the reminder date."""
    rows = worklist_rows(enrollments, timezone.localdate())
    names = {code: program_name(code) for code in {e.protocol_code for e in enrollments}}  # one read per protocol
    for row, e in zip(rows, enrollments, strict=True):
        reason = row["outreach_removed_reason"]
        row["program_name"] = names[row["protocol_code"]]
        row["control_label"] = ControlClass(e.control_class).label if e.control_class in ControlClass.values else ""
        row["removed_label"] = OutreachOutcome(reason).label if reason in OutreachOutcome.values else reason
        row["remind_after"] = e.remind_after
        row["call_form"] = CallForm(prefix=f"call-{e.pk}")
    return rows


def _name_programs(plan: dict[str, Any]) -> None:
    """Name each program of a plan (and each follow-up's) in the page's language."""
    for f in plan["recent_followups"]:
        f.program_name = program_name(f.enrollment.protocol_code)
    today = timezone.localdate()
    for e in plan["enrollments"]:
        e.program_name = program_name(e.protocol_code)
        e.risk_stale = _risk_stale(e, plan, today) if e.risk_percent is not None else ""


def _risk_stale(e: Enrollment, plan: dict[str, Any], today: Any) -> str:
    """Why the enrolment's risk may no longer be used (issue 11: older than 12 months, or the age now outside the
    equation's range); a risk whose follow-up is not among the recent ones counts as stale."""
    from tiercare.care.risk import risk_staleness

    fu = next((f for f in plan["recent_followups"] if f.enrollment_id == e.pk and f.risk_percent is not None), None)
    if fu is None:
        return "older_than_12_months"
    return risk_staleness(
        equation=fu.risk_equation or "china_par",
        computed_on=timezone.localtime(fu.measured_at).date(),
        age_now=services.age_on(plan["person"], today),
        today=today,
    )


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    if request.user.role == "patient":
        return redirect("care:my_plan")
    require_role(request.user, *selectors.TEAM_ROLES, "admin", "ops")
    teams = list(selectors.team_list(for_user=request.user))
    for t in teams:
        t.panels = services.team_panels(t)  # type: ignore[attr-defined]
    led = selectors.led_centers(for_user=request.user)
    return render(
        request,
        "care/index.html",
        {
            "teams": teams,
            "kinds": _kinds(),
            "led_centers": led,
            "center_kinds": CENTER_WORKLIST_LABELS.items(),
            "can_name_leads": request.user.role in ("ops", "admin"),
        },
    )


@login_required
def worklist(request: AuthedRequest, team_id: str, kind: str) -> HttpResponse:
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    team = access.access_team(request.user, team_id)
    kind = kind if kind in selectors.WORKLISTS else "overdue"
    rows = list(selectors.worklist(team=team, kind=kind)[:500])
    returned = list(selectors.returned_referrals(team=team)[:500]) if kind == "suggestions" else []
    readings = list(selectors.urgent_readings(team=team)[:500]) if kind == "home_urgent" else []
    audit_patient_read(
        actor=request.user,
        person_ids=[e.person_id for e in rows] + [s.person_id for s in returned] + [r.person_id for r in readings],
        object_type="care.worklist",
    )
    ctx = {
        "team": team,
        "kind": kind,
        "kind_label": WORKLIST_LABELS.get(kind, kind),
        "kinds": _kinds(),
        "rows": _worklist_rows(rows),
        "returned": returned,
        "readings": readings,
        "can_call": request.user.role in selectors.TEAM_ROLES,
    }
    return render(request, "care/worklist.html", ctx)


@login_required
@require_POST
def call_new(request: AuthedRequest, enrollment_id: str) -> HttpResponse:
    """Record a call to a patient on the worklist (the API's ``care_call``); htmx gets the row back as it now is."""
    require_role(request.user, *selectors.TEAM_ROLES)
    e = access.access_enrollment(request.user, enrollment_id, reason="outreach call")
    form = CallForm(request.POST, prefix=f"call-{e.pk}")
    call = None
    if form.is_valid():
        try:
            call = services.outreach_call_record(
                by=request.user, enrollment=e, outcome=form.cleaned_data["outcome"], called_at=timezone.now(),
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationFailed as exc:
            show_domain_error(form, exc)
    if not _htmx(request):
        if call is None:
            raise ValidationFailed(" ".join(str(m) for msgs in form.errors.values() for m in msgs))
        return redirect(_posted_back(request) or "care:index")
    e.refresh_from_db()
    row = _worklist_rows([e])[0]
    if call is None:
        row["call_form"] = form
    ctx = {"r": row, "can_call": True, "call": call, "next": request.POST.get("next", "")}
    return render(request, "care/_worklist_row.html", ctx, status=200 if call else 422)


@login_required
def household(request: AuthedRequest, household_id: str) -> HttpResponse:
    hh = access.access_household(request.user, household_id, reason="household plan page")
    people = selectors.person_list(for_user=request.user, household=hh.pk)
    members = [selectors.person_plan(person=p, followups=8) for p in people]
    for plan in members:
        _name_programs(plan)
    contract = selectors.contract_list(for_user=request.user, household=hh.pk, status="active").first()
    return render(request, "care/household.html", {"household": hh, "contract": contract, "members": members})


SuggestionForms = tuple[SuggestionReferForm, SuggestionDismissForm]


def _refer_form(s: ReferralSuggestion, fits: dict[str, Any]) -> SuggestionReferForm:
    """The refer form with the department that fits the rule that fired (``ReferralSuggestion.specialty``:
    cardiology for HTN-UNSAT-2X, emergency for an urgent one) chosen, when a tertiary hospital has one (``fits``:
    ``_fitting_departments``)."""
    form = SuggestionReferForm(suggestion_id=s.pk)
    if s.specialty in fits:
        form.initial["receiving_department"] = fits[s.specialty]
    return form


def _fitting_departments(specialties: set[str]) -> dict[str, Any]:
    """For each specialty, the first department a referral up may go to (the refer form's choices, by hospital then
    department), by id: one query for all the page's suggestions, not one per suggestion."""
    if not specialties:
        return {}
    choices = SuggestionReferForm(suggestion_id="-").fields["receiving_department"]
    fits: dict[str, Any] = {}
    for d in choices.queryset.filter(specialty__in=specialties):  # type: ignore[attr-defined]
        fits.setdefault(d.specialty, d.pk)
    return fits


def _suggestion_reason(s: ReferralSuggestion) -> str:
    """Why the suggestion was made, in the page's language: the explanations of the follow-up's rules whose action is
    a referral (all its rules if none is), from the protocol's own zh-Hans and English texts. The stored
    ``reason`` is the engine's English sentence, shown only when the follow-up carries no explanations."""
    fu = s.followup
    if fu is None:  # a referral made directly that came back: its stored reason says why
        return s.reason
    protocol = protocol_or_none(fu.enrollment.protocol_code)
    referring = (
        {r.id for r in protocol.rules if services.REFERRAL_ACTIONS & set(r.actions)} if protocol is not None else set()
    )
    fired = [r for r in fu.fired_rules if r.get("id") in referring] or list(fu.fired_rules)
    key, sep = ("explanation_zh", "；") if zh_active() else ("explanation_en", "; ")
    return sep.join(r[key] for r in fired if r.get(key)) or s.reason


def _specialty_label(code: str) -> str:
    return str(Specialty(code).label) if code in Specialty.values else code


def _open_suggestions(
    request: AuthedRequest, person: Person, bound: dict[str, SuggestionForms] | None = None
) -> list[dict[str, Any]]:
    """The person's open referral suggestions, newest first, each with its two forms for the team (``bound``: the
    forms as posted, by suggestion id, when a write was refused)."""
    rows = []
    qs = selectors.suggestion_list(for_user=request.user, status=SuggestionStatus.OPEN).filter(person_id=person.pk)
    suggestions = list(qs.select_related("followup__enrollment"))
    team = request.user.role in selectors.TEAM_ROLES
    fits = _fitting_departments({s.specialty for s in suggestions if s.specialty}) if team else {}
    for s in suggestions:
        _name_suggestion_program(s)
        row: dict[str, Any] = {"s": s, "reason": _suggestion_reason(s), "specialty": _specialty_label(s.specialty)}
        if team:
            refer, dismiss = (bound or {}).get(str(s.pk)) or (
                _refer_form(s, fits), SuggestionDismissForm(suggestion_id=s.pk)
            )  # fmt: skip
            row |= {"refer_form": refer, "dismiss_form": dismiss}
        rows.append(row)
    return rows


def _name_suggestion_program(s: ReferralSuggestion) -> None:
    """``s.program_name``: the program whose follow-up called for it, or — for a referral made directly that came
    back — that it was a direct referral."""
    if s.followup is not None:
        s.program_name = program_name(s.followup.enrollment.protocol_code)  # type: ignore[attr-defined]
    else:
        s.program_name = gettext("Referral made directly")  # type: ignore[attr-defined]


def _acted_suggestion(request: AuthedRequest, person: Person, suggestion_id: uuid.UUID | None) -> Any:
    """The person's suggestion the team has just acted on (named in the redirect's query), or None."""
    if suggestion_id is None:
        return None
    qs = selectors.suggestion_list(for_user=request.user, status=None).exclude(status=SuggestionStatus.OPEN)
    return qs.filter(person_id=person.pk, pk=suggestion_id).first()


def _person_page(
    request: AuthedRequest,
    person: Person,
    *,
    followup_form: FollowUpForm | None = None,
    enrol_form: EnrollmentForm | None = None,
    suggestion_forms: dict[str, SuggestionForms] | None = None,
    recorded: Any = None,
    enrolled: Enrollment | None = None,
    acted: Any = None,
    acted_error: str = "",
    consent_offer: dict[str, Any] | None = None,
    void_form: VoidForm | None = None,
    medication_form: MedicationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The person's plan, their open referral suggestions and, for their team, a follow-up form per program, the
    enrol form and the two forms of each open suggestion; ``recorded`` (a follow-up id) shows that follow-up's
    classification, the rules that fired with their source, and the referral suggestion; ``acted`` (a suggestion)
    shows what the team decided on it. htmx requests get the page's body only."""
    plan = selectors.person_plan(person=person, followups=8)
    _name_programs(plan)
    if enrolled is not None:
        enrolled.program_name = program_name(enrolled.protocol_code)  # type: ignore[attr-defined]
    ctx: dict[str, Any] = {
        "plan": plan,
        "enrolled": enrolled,
        "acted": acted,
        "acted_error": acted_error,
        "open_suggestions": _open_suggestions(request, person, suggestion_forms),
        "consent_offer": consent_offer,
    }
    if request.user.role in selectors.TEAM_ROLES:
        forms = []
        for e in plan["enrollments"]:
            protocol = protocol_or_none(e.protocol_code)
            if followup_form is not None and followup_form.protocol.code == e.protocol_code:
                forms.append((e, followup_form))
            elif protocol is not None:
                forms.append((e, FollowUpForm(protocol=protocol, initial={"person_id": person.pk})))
        ctx["followup_forms"] = forms
        ctx["enrol_form"] = enrol_form or EnrollmentForm(exclude=[e.protocol_code for e in plan["enrollments"]])
        bound = {void_form.prefix: void_form} if void_form is not None else {}
        ctx["void_forms"] = [
            (f, bound.get(f"void-{f.pk}") or VoidForm(followup_id=f.pk)) for f in plan["recent_followups"]
        ]
        ctx["void_open"] = void_form is not None
        if request.user.role in ("gp", "admin"):  # services.medication_prescribe: only a doctor prescribes
            ctx["medication_form"] = medication_form or MedicationForm(initial={"prescribed_on": timezone.localdate()})
    fu = next((f for f in plan["recent_followups"] if str(f.pk) == str(recorded)), None) if recorded else None
    if fu is not None:
        protocol = protocol_or_none(fu.enrollment.protocol_code)
        ctx["recorded"] = fu
        ctx["citation"] = protocol.source_citation if protocol else ""
        ctx["suggestion"] = ReferralSuggestion.objects.filter(followup=fu).first() if fu.referral_suggested else None
    template = "care/_person_body.html" if _htmx(request) else "care/person.html"
    return render(request, template, ctx, status=status)


@login_required
def person(request: AuthedRequest, person_id: str) -> HttpResponse:
    p = access.access_person(request.user, person_id, reason="plan page")
    acted = _acted_suggestion(request, p, query_uuid(request, "suggestion"))
    return _person_page(request, p, recorded=query_uuid(request, "recorded"), acted=acted)


@login_required
@require_POST
def followup_new(request: AuthedRequest, enrollment_id: str) -> HttpResponse:
    """Record a follow-up from the person page (the API's ``care_followup``): the protocol classifies it."""
    require_role(request.user, *selectors.TEAM_ROLES)
    e = access.access_enrollment(request.user, enrollment_id, reason="follow-up form")
    protocol = protocol_or_none(e.protocol_code)
    if protocol is None:
        raise Conflict(gettext("The program's protocol is no longer shipped."), code="protocol_missing")
    form = FollowUpForm(request.POST, protocol=protocol)
    fu = None
    if form.is_valid():
        try:
            fu = services.followup_record(
                by=request.user, enrollment=e, person_id=form.cleaned_data["person_id"],
                measured_at=form.cleaned_data["measured_at"], measurements=form.measurements(),
                confirm_units=form.cleaned_data["confirm_units"],
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
    if fu is None:
        return _person_page(request, e.person, followup_form=form, status=422)
    if not _htmx(request):
        return redirect(f"{reverse('care:person', args=[e.person_id])}?recorded={fu.pk}#followup-result")
    return _person_page(request, e.person, recorded=fu.pk)


@login_required
@require_POST
def enrol(request: AuthedRequest, person_id: str) -> HttpResponse:
    """Enrol the person in a program from their page (the API's ``care_enrol``)."""
    require_role(request.user, *selectors.TEAM_ROLES)
    p = access.access_person(request.user, person_id, reason="enrol form")
    active = Enrollment.objects.active().filter(person_id=p.pk).values_list("protocol_code", flat=True)
    form = EnrollmentForm(request.POST, exclude=list(active))
    e = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            e = services.enrollment_create(
                by=request.user, person=p, protocol_code=d["protocol_code"], diagnosis_code=d["diagnosis_code"],
                enrolled_on=d["enrolled_on"], schedule_from=d.get("schedule_from"),
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
    if e is None:
        return _person_page(request, p, enrol_form=form, status=422)
    if not _htmx(request):
        return redirect("care:person", person_id=p.pk)
    return _person_page(request, p, enrolled=e)


def _after_suggestion(
    request: AuthedRequest,
    s: ReferralSuggestion,
    done: ReferralSuggestion | None,
    forms: SuggestionForms,
    consent_offer: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a suggestion's form: the page with the decision (htmx: its body; else a redirect to it), or,
    when refused, the page with the forms as posted and the message, 422."""
    if done is None:
        s.refresh_from_db()
        if s.status != SuggestionStatus.OPEN:  # decided meanwhile (Conflict): show the decision and the message
            refused = " ".join(str(m) for f in forms for msgs in f.errors.values() for m in msgs)
            return _person_page(request, s.person, acted=s, acted_error=refused, status=422)
        return _person_page(
            request, s.person, suggestion_forms={str(s.pk): forms}, consent_offer=consent_offer, status=422
        )
    if not _htmx(request):
        return redirect(f"{reverse('care:person', args=[s.person_id])}?suggestion={s.pk}#suggestion-result")
    return _person_page(request, s.person, acted=done)


@login_required
@require_POST
def suggestion_refer(request: AuthedRequest, suggestion_id: str) -> HttpResponse:
    """Take a referral suggestion from the person page (the API's ``care_suggestion_refer``): the referral up is
    made with the referrals service's rules and messages (consent, tertiary department), the follow-up comes due
    within 14 days."""
    require_role(request.user, *selectors.TEAM_ROLES)
    s = access.access_suggestion(request.user, suggestion_id, reason="refer form")
    form = SuggestionReferForm(request.POST, suggestion_id=s.pk)
    done = offer = None
    if form.is_valid():
        d = form.cleaned_data
        department: Department = d["receiving_department"]
        try:
            done = services.suggestion_refer(
                by=request.user, suggestion=s, receiving_department=department, diagnosis_text=d["diagnosis_text"],
                diagnosis_code=d["diagnosis_code"], green_channel=d["green_channel"], summary=d["summary"],
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
            offer = offer_from_error(exc, reverse("care:person", args=[s.person_id]))  # record the consent here
    return _after_suggestion(request, s, done, (form, SuggestionDismissForm(suggestion_id=s.pk)), offer)


@login_required
@require_POST
def suggestion_dismiss(request: AuthedRequest, suggestion_id: str) -> HttpResponse:
    """Dismiss a referral suggestion from the person page (the API's ``care_suggestion_dismiss``): no referral is
    made and the reason is kept."""
    require_role(request.user, *selectors.TEAM_ROLES)
    s = access.access_suggestion(request.user, suggestion_id, reason="dismiss form")
    form = SuggestionDismissForm(request.POST, suggestion_id=s.pk)
    done = None
    if form.is_valid():
        try:
            done = services.suggestion_dismiss(by=request.user, suggestion=s, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
    return _after_suggestion(request, s, done, (SuggestionReferForm(suggestion_id=s.pk), form))


@login_required
def my_plan(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, "patient")
    me = getattr(request.user, "person", None)
    p = access.access_person(request.user, me.pk if me else "-", reason="own plan")
    plan = selectors.person_plan(person=p, followups=8)
    _name_programs(plan)
    return render(request, "care/person.html", {"plan": plan, "own": True})


@login_required
def contracts_ending(request: AuthedRequest, team_id: str) -> HttpResponse:
    """The team's contracts ending within 30 days (those within 7 flagged), each with a renewal button."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    team = access.access_team(request.user, team_id)
    contracts = list(selectors.contracts_expiring(team=team)[:500])
    ctx = {"team": team, "contracts": contracts, "kinds": _kinds(), "renewed": request.GET.get("renewed")}
    return render(request, "care/contracts_ending.html", ctx)


def _posted_back(request: HttpRequest) -> str:
    """The form's ``next`` page when it is on this site (never an open redirect), else ""."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return back if safe else ""


@login_required
@require_POST
def contract_renew(request: AuthedRequest, contract_id: str) -> HttpResponse:
    """Renew a contract for one more year with the same team (``services.contract_renew``): from the ending list
    (an active contract) or from the center's lapsed list (an expired one, also by the center's lead)."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    contract = access.access_renewable_contract(request.user, contract_id)
    package = request.POST.get("package") or None  # the renewal may change the service package
    result = services.contract_renew(by=request.user, contract=contract, package=package)
    back = _posted_back(request)
    sep = "&" if "?" in back else "?"
    return redirect(f"{back}{sep}renewed={result.contract.pk}" if back else "care:index")


@login_required
@require_POST
def enrollment_end(request: AuthedRequest, enrollment_id: str) -> HttpResponse:
    """End an enrolment with a reason (``services.enrollment_end``): from the center's lapsed list."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    e = access.access_enrollment(request.user, enrollment_id, reason="end enrolment")
    services.enrollment_end(by=request.user, enrollment=e, reason=request.POST.get("reason", ""))
    return redirect(_posted_back(request) or "care:index")


@login_required
@require_POST
def followup_void(request: AuthedRequest, followup_id: str) -> HttpResponse:
    """Void a follow-up filed in error from the person page (the API's ``care_void``): kept, never deleted; the
    enrolment is recomputed. Without a reason the form answers beside the field."""
    require_role(request.user, *selectors.TEAM_ROLES)
    fu = access.access_followup(request.user, followup_id, reason="void")
    form = VoidForm(request.POST, followup_id=fu.pk)
    if form.is_valid():
        try:
            services.followup_void(by=request.user, followup=fu, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, gettext("The follow-up is void; the plan was recomputed without it."))
            return redirect("care:person", person_id=fu.person_id)
    return _person_page(request, fu.person, void_form=form, status=422)


@login_required
@require_POST
def medication_new(request: AuthedRequest, person_id: str) -> HttpResponse:
    """Record a prescription from the person page (the API's ``care_prescribe``) within the long-prescription rules
    (more than 7 days only in a chronic-care program, at most 12 weeks, beyond 4 weeks an assessment and the
    patient's confirmation): a refusal is shown beside the field it names, with what was typed kept."""
    require_role(request.user, *selectors.TEAM_ROLES)
    person = access.access_person(request.user, person_id, reason="prescribe")
    form = MedicationForm(request.POST)
    if form.is_valid():
        try:
            services.medication_prescribe(by=request.user, person=person, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, gettext("The prescription is recorded."))
            return redirect(f"{reverse('care:person', args=[person.pk])}#medicines")
    return _person_page(request, person, medication_form=form, status=422)
