"""Household and person pages for care teams and coordinators: the household list (scoped), one household with its
members (audited) and the forms to register a household and add a member, one person with their household, their
consents and the forms to move them to another household or record a death or a move away; the search endpoints of
the person and household pickers (every person shown audited as read). Thin: one access function and one selector or
service each. A refused write answers 422 with the form as typed and the message beside the field; nothing stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.widgets import PICKER_LIMIT
from tiercare.people import selectors, services
from tiercare.people.access import access_household_by_id, access_person_by_id
from tiercare.people.consent_views import consent_rows
from tiercare.people.forms import (
    ContactForm,
    HouseholdEditForm,
    HouseholdForm,
    LeaveForm,
    MemberForm,
    MoveForm,
    show_error,
)
from tiercare.people.models import Household, Person
from tiercare.people.widgets import household_label, person_label

REFUSED = (ValidationFailed, Conflict, Forbidden)


def _can_write(request: AuthedRequest) -> bool:
    return request.user.role in services.PERSON_WRITERS


@login_required
def households(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    q = request.GET.get("q", "").strip()[:60] or None
    page = Paginator(selectors.household_list(for_user=request.user, q=q), 50).get_page(request.GET.get("page"))
    selectors.audit_households_read(
        actor=request.user, household_ids=[h.pk for h in page.object_list], reason="households page"
    )
    ctx = {"page": page, "q": q or "", "can_write": _can_write(request)}
    return render(request, "people/households.html", ctx)


@login_required
def household_new(request: AuthedRequest) -> HttpResponse:
    """Register a household at the user's GP center or hospital; then its members are added on its page."""
    require_role(request.user, *services.PERSON_WRITERS)
    form = HouseholdForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(by=request.user, data=dict(form.cleaned_data))
        except REFUSED as exc:
            show_error(form, exc)
        else:
            return redirect("people:household", household_id=household.pk)
    status = 422 if form.is_bound else 200
    return render(request, "people/household_new.html", {"form": form}, status=status)


def _household_page(
    request: AuthedRequest,
    household: Household,
    *,
    member_form: MemberForm | None = None,
    edit_form: HouseholdEditForm | None = None,
    status: int = 200,
) -> HttpResponse:
    members = selectors.household_members(household=household)
    ctx: dict[str, Any] = {
        "household": household,
        "members": members,
        "can_write": _can_write(request),
        "care_team": request.user.role in ("gp", "health_manager", "admin"),
        "added": request.GET.get("added", ""),
    }
    if ctx["can_write"]:
        ctx["member_form"] = member_form or MemberForm()
        initial = {"name": household.name, "address": household.address}
        ctx["edit_form"] = edit_form or HouseholdEditForm(initial=initial)
    return render(request, "people/household.html", ctx, status=status)


@login_required
def household_detail(request: AuthedRequest, household_id: str) -> HttpResponse:
    household = access_household_by_id(request.user, household_id, reason="household page")
    return _household_page(request, household)


@login_required
@require_POST
def member_new(request: AuthedRequest, household_id: str) -> HttpResponse:
    """Register a member (``services.person_register``): the ID number is checked, a number already registered is
    refused beside the field without saying whose it is."""
    require_role(request.user, *services.PERSON_WRITERS)
    household = access_household_by_id(request.user, household_id, reason="register member", members_read=False)
    form = MemberForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            person = services.person_register(
                by=request.user,
                household=household,
                relation=d["relation"],
                data=form.data_for_service(),
                id_kind=d["id_kind"] if d["id_number"] else "",
                id_number=d["id_number"].strip(),
            )
        except REFUSED as exc:
            show_error(form, exc)
        else:
            return redirect(f"{reverse('people:household', args=[household.pk])}?added={person.pk}#members")
    household = access_household_by_id(request.user, household.pk, reason="household page")
    return _household_page(request, household, member_form=form, status=422)


def _person_page(
    request: AuthedRequest,
    person: Person,
    *,
    move_form: MoveForm | None = None,
    leave_form: LeaveForm | None = None,
    withdraw_forms: dict[str, Any] | None = None,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = getattr(person, "membership", None)
    ctx: dict[str, Any] = {
        "person": person,
        "household": membership.household if membership else None,
        "relation": membership.get_relation_display() if membership else "",
        "consents": consent_rows(request, person, withdraw_forms or {}),
        "can_write": _can_write(request),
        "care_team": request.user.role in ("gp", "health_manager", "admin"),
        "label": person_label(person),
    }
    if ctx["can_write"]:
        ctx["move_form"] = move_form or MoveForm(user=request.user)
        ctx["leave_form"] = leave_form or LeaveForm()
        ctx["contact_form"] = contact_form or ContactForm(
            initial={"name": person.name, "phone": person.phone, "address": person.address}
        )
    return render(request, "people/person.html", ctx, status=status)


@login_required
def person_detail(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access_person_by_id(request.user, person_id, reason="person page")
    return _person_page(request, person)


@login_required
@require_POST
def person_move(request: AuthedRequest, person_id: str) -> HttpResponse:
    """Move the person to another household (``services.person_move``); the target is resolved by the form's
    queryset, the user's households."""
    require_role(request.user, *services.PERSON_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="move household")
    form = MoveForm(request.POST, user=request.user)
    if form.is_valid():
        to = access_household_by_id(request.user, form.cleaned_data["household"].pk, reason="move household")
        try:
            services.person_move(by=request.user, person=person, to=to, relation=form.cleaned_data["relation"])
        except REFUSED as exc:
            show_error(form, exc)
        else:
            return redirect("people:person", person_id=person.pk)
    return _person_page(request, person, move_form=form, status=422)


@login_required
@require_POST
def person_leave(request: AuthedRequest, person_id: str) -> HttpResponse:
    """Record a death or a move away (``services.person_leave``)."""
    require_role(request.user, *services.PERSON_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="record death or move away")
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.person_leave(
                by=request.user, person=person, kind=form.cleaned_data["kind"], on=form.cleaned_data["on"]
            )
        except REFUSED as exc:
            show_error(form, exc, {"deceased_on": "on", "moved_away_on": "on"})
        else:
            return redirect("people:person", person_id=person.pk)
    return _person_page(request, person, leave_form=form, status=422)


def _picker_results(request: AuthedRequest, rows: list[Any], label: Any, q: str) -> HttpResponse:
    ctx = {
        "results": [{"value": r.pk, "label": label(r)} for r in rows[:PICKER_LIMIT]],
        "q": q,
        "more": len(rows) > PICKER_LIMIT,
    }
    return render(request, "core/widgets/_picker_results.html", ctx)


@login_required
def person_search(request: AuthedRequest) -> HttpResponse:
    """The person picker's matches (``people.widgets.PersonPicker``): at most a dozen of the persons the user may
    see, by name, pinyin, initials, last 4 of the ID number or mobile; each one shown is audited as read."""
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    q = request.GET.get("q", "").strip()[:60]
    rows = list(selectors.person_search(for_user=request.user, q=q)[: PICKER_LIMIT + 1])
    shown = rows[:PICKER_LIMIT]
    if shown:
        audit_patient_read(
            actor=request.user, person_ids=[p.pk for p in shown], object_type="people.person", reason="picker search"
        )
    return _picker_results(request, rows, person_label, q)


@login_required
def household_search(request: AuthedRequest) -> HttpResponse:
    """The household picker's matches (``people.widgets.HouseholdPicker``), their members audited as read."""
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    q = request.GET.get("q", "").strip()[:60]
    rows = list(selectors.household_search(for_user=request.user, q=q)[: PICKER_LIMIT + 1])
    selectors.audit_households_read(
        actor=request.user, household_ids=[h.pk for h in rows[:PICKER_LIMIT]], reason="picker search"
    )
    return _picker_results(request, rows, household_label, q)


@login_required
@require_POST
def person_edit(request: AuthedRequest, person_id: str) -> HttpResponse:
    """Correct the person's name, mobile phone or address (``services.person_update``); a bad phone number answers
    beside the field, keeping what was typed."""
    require_role(request.user, *services.PERSON_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="edit person")
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.person_update(by=request.user, person=person, data=dict(form.cleaned_data))
        except REFUSED as exc:
            show_error(form, exc)
        else:
            return redirect("people:person", person_id=person.pk)
        person.refresh_from_db()
    return _person_page(request, person, contact_form=form, status=422)


@login_required
@require_POST
def household_edit(request: AuthedRequest, household_id: str) -> HttpResponse:
    """Rename the household or correct its address (``services.household_update``)."""
    require_role(request.user, *services.PERSON_WRITERS)
    household = access_household_by_id(request.user, household_id, reason="edit household")
    form = HouseholdEditForm(request.POST)
    if form.is_valid():
        try:
            services.household_update(by=request.user, household=household, data=dict(form.cleaned_data))
        except REFUSED as exc:
            show_error(form, exc)
        else:
            return redirect("people:household", household_id=household.pk)
        household.refresh_from_db()
    return _household_page(request, household, edit_form=form, status=422)
