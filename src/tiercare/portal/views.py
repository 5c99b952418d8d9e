"""The family's own pages (mobile-first): the household's members the login may see, a member's plan, visits,
referrals, shared conclusions, bookings and documents. Ids from outside go through ``portal.access``; reads are
audited; writes go through the owning app's services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tiercare.care.access import access_team
from tiercare.care.forms import program_name
from tiercare.care.models import Enrollment
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied
from tiercare.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.middleware import client_ip
from tiercare.core.models import Role
from tiercare.core.pdf import pdf_response, render_pdf_template
from tiercare.outreach import selectors as outreach_selectors
from tiercare.outreach import services as outreach_services
from tiercare.outreach.ics import render_booking
from tiercare.people import proxies
from tiercare.people.access import access_person_by_id, access_proxy_by_id
from tiercare.people.models import ProxyEvidence
from tiercare.people.proxies import portal_person_ids
from tiercare.people.selectors import person_list
from tiercare.portal import gp_visits, reminders, selectors, signin
from tiercare.portal.access import (
    access_family_booking,
    access_family_gp_visit,
    access_family_referral,
    access_member,
    access_public_clinic,
)
from tiercare.portal.content import topics
from tiercare.portal.education import EDUCATION_SENDERS, education_mark_read, education_send
from tiercare.portal.forms import ProxyForm, RenewForm
from tiercare.portal.models import EducationSent, GpHours, HalfDay, ReminderSent


@login_required
def family_home(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, Role.PATIENT)
    members = selectors.family_members(for_user=request.user)
    selectors.audit_family_read(actor=request.user, person_ids=[m.person.pk for m in members], reason="family page")
    return render(request, "portal/home.html", {"members": members})


@login_required
def member(request: AuthedRequest, person_id: str) -> HttpResponse:
    person = access_member(request.user, person_id, reason="family page: member")
    row = next(m for m in selectors.family_members(for_user=request.user) if m.person.pk == person.pk)
    referrals = list(selectors.referral_list(for_user=request.user).filter(person=person)[:50])
    for r in referrals:
        r.map_url = selectors.map_url(r.receiving_organization)  # type: ignore[attr-defined]
    context = {
        "member": row,
        "referrals": referrals,
        "bookings": list(selectors.booking_list(for_user=request.user, person_ids=[person.pk])[:50]),
        "gp_visits": list(gp_visits.active_visits(person_ids=[person.pk])[:20]),
        "documents": selectors.documents(for_user=request.user, person=person),
        **selectors.shared_conclusions(for_user=request.user, person=person),
    }
    return render(request, "portal/member.html", context)


@login_required
def referral_document(request: AuthedRequest, referral_id: str) -> HttpResponse:
    """The discharge summary and back-referral care plan of a referral, as a PDF."""
    referral = access_family_referral(request.user, referral_id, reason="family page: document")
    if not (referral.discharge_summary or referral.care_plan):
        raise NotFound(_("This referral has no document yet."))
    pdf = render_pdf_template("portal/referral_document.html", {"referral": referral}, request=request)
    name = _("Back-referral plan %(name)s %(date)s.pdf") % {
        "name": referral.person.name,
        "date": (referral.back_referred_at or referral.updated_at).date().isoformat(),
    }
    return pdf_response(pdf, name)


@login_required
def sessions(request: AuthedRequest) -> HttpResponse:
    """Public specialist clinics in the family's counties (all counties with ``?all=1``), each with free places and
    a form to book a place for a member."""
    require_role(request.user, Role.PATIENT)
    members = selectors.family_members(for_user=request.user)
    selectors.audit_family_read(
        actor=request.user, person_ids=[m.person.pk for m in members], reason="family page: clinics"
    )
    show_all = request.GET.get("all") == "1"
    divisions = None if show_all else selectors.family_divisions(members=members)
    rows = list(outreach_selectors.public_clinics_bookable(on=timezone.localdate(), divisions=divisions))
    for s in rows:
        s.free = max(0, s.places - s.booked)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/sessions.html",
        {"sessions": rows, "members": members, "show_all": show_all, "error": request.GET.get("error", "")},
    )


@login_required
@require_POST
def book(request: AuthedRequest, session_id: str) -> HttpResponse:
    session = access_public_clinic(request.user, session_id)
    person = access_member(request.user, request.POST.get("person", ""), reason="family page: booking")
    try:
        booking = outreach_services.booking_self_create(by=request.user, session=session, person=person)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(reverse("portal:sessions") + ("?all=1" if request.POST.get("all") == "1" else ""))
    messages.success(
        request,
        _("Place %(n)s booked for %(name)s on %(date)s.")
        % {"n": booking.place_number, "name": person.name, "date": session.date.isoformat()},
    )
    return redirect("portal:member", person_id=person.pk)


@login_required
@require_POST
def booking_cancel(request: AuthedRequest, booking_id: str) -> HttpResponse:
    booking = access_family_booking(request.user, booking_id, reason="family page: cancel booking")
    try:
        outreach_services.booking_self_cancel(by=request.user, booking=booking)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The place is cancelled."))
    return redirect("portal:member", person_id=booking.person_id)


@login_required
def booking_ics(request: AuthedRequest, booking_id: str) -> HttpResponse:
    booking = access_family_booking(request.user, booking_id, reason="family page: calendar file")
    response = HttpResponse(render_booking(booking.session, booking.place_number), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="clinic-{booking.session.date.isoformat()}.ics"'
    return response


@sensitive_post_parameters("code", "id_number")
def sms_login(request: HttpRequest) -> HttpResponse:
    """Sign in by mobile number and SMS code: first the number (a code is sent), then the code (and, the first
    time, the real-name check). Errors beside their field, everything typed kept."""
    data = {k: request.POST.get(k, "")[:40] for k in ("phone", "code", "name", "id_number")}
    context: dict[str, Any] = {"data": data, "errors": {}, "step": "phone", "error": ""}
    if request.method == "POST":
        action = request.POST.get("action", "send")
        try:
            if action == "send":
                signin.login_code_send(phone=data["phone"], ip=client_ip(request))
                context["step"] = "code"
                context["sent"] = True
            else:
                context["step"] = "code"
                result = signin.login_code_check(
                    phone=data["phone"],
                    code=data["code"],
                    name=data["name"],
                    id_number=data["id_number"],
                    ip=client_ip(request),
                )
                login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("portal:home")
        except ValidationFailed as exc:
            field = (exc.details or {}).get("field", "")
            context["errors"][field] = exc.message.split(": ", 1)[-1]
        except DomainError as exc:
            context["error"] = exc.message
            if action == "send":  # a resend refused keeps the code form; a first send refused, the number form
                context["step"] = "code" if "code" in request.POST else "phone"
        if context["step"] == "code":
            try:
                context["needs_real_name"] = signin.needs_real_name(signin.phone_number(data["phone"]))
            except ValidationFailed:
                context["step"] = "phone"
    return render(request, "portal/login.html", context)


@login_required
def reading(request: AuthedRequest) -> HttpResponse:
    """The health texts the family's care team sent to the members the login may see; opening the page marks
    them read."""
    require_role(request.user, Role.PATIENT)
    ids = portal_person_ids(request.user)
    rows = list(EducationSent.objects.filter(person_id__in=ids).select_related("person"))
    catalogue = topics()
    items = [(r, catalogue[r.topic_id]) for r in rows if r.topic_id in catalogue]
    selectors.audit_family_read(actor=request.user, person_ids=[r.person_id for r in rows], reason="health reading")
    for r, _topic in items:
        education_mark_read(by=request.user, row=r)
    return render(request, "portal/reading.html", {"items": items})


@login_required
def reminder_settings(request: AuthedRequest) -> HttpResponse:
    """Per member the login may act for: SMS reminders on or off (the choice recorded)."""
    require_role(request.user, Role.PATIENT)
    if request.method == "POST":
        person = access_member(request.user, request.POST.get("person", ""), reason="reminder settings")
        try:
            if request.POST.get("action") == "off":
                reminders.opt_out(by=request.user, person=person)
                messages.success(request, _("SMS reminders about %(name)s are off.") % {"name": person.name})
            else:
                reminders.opt_in(by=request.user, person=person)
                messages.success(request, _("SMS reminders about %(name)s are on.") % {"name": person.name})
        except Conflict as exc:
            messages.error(request, exc.message)
        return redirect("portal:reminders")
    members = selectors.family_members(for_user=request.user)
    off = reminders.opted_out_ids({m.person.pk for m in members})
    sent = list(ReminderSent.objects.filter(person_id__in=[m.person.pk for m in members]).select_related("person")[:30])
    selectors.audit_family_read(
        actor=request.user, person_ids=[m.person.pk for m in members], reason="reminder settings"
    )
    rows = [(m, m.person.pk in off) for m in members]
    return render(request, "portal/reminders.html", {"rows": rows, "sent": sent})


@login_required
def team_education(request: AuthedRequest, person_id: str) -> HttpResponse:
    """A care-team member sends an education text to a person of their households (the topics of the person's
    programs first, then the others)."""
    require_role(request.user, *EDUCATION_SENDERS)
    person = access_person_by_id(request.user, person_id, reason="education")
    error = ""
    if request.method == "POST":
        try:
            education_send(by=request.user, person=person, topic_id=request.POST.get("topic", ""))
            messages.success(request, _("Sent to %(name)s.") % {"name": person.name})
            return redirect("portal:team_education", person_id=person.pk)
        except (ValidationFailed, Conflict) as exc:
            error = exc.message.split(": ", 1)[-1]
    programs = list(Enrollment.objects.active().filter(person=person).values_list("protocol_code", flat=True))
    sent = {r.topic_id: r for r in EducationSent.objects.filter(person=person)}
    ordered = sorted(topics().values(), key=lambda t: (t.program not in programs, t.program, t.id))
    return render(
        request,
        "portal/team_education.html",
        {
            "person": person,
            "topics": [(t, sent.get(t.id), program_name(t.program)) for t in ordered],
            "error": error,
        },
    )


@login_required
def team_proxies(request: AuthedRequest, person_id: str) -> HttpResponse:
    """The care team records who acts for a person on the family's pages (a guardian, an adult child, someone
    authorised in writing), with the evidence and validity; renews and revokes. People.proxies checks the rules."""
    require_role(request.user, *proxies.PROXY_WRITERS)
    person = access_person_by_id(request.user, person_id, reason="proxies")
    household = person.membership.household if hasattr(person, "membership") else None
    members = (
        list(person_list(for_user=request.user, household=household.pk).exclude(pk=person.pk)) if household else []
    )
    holders = [(str(m.pk), m.name) for m in members]
    form = ProxyForm(holders=holders)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "record")
        try:
            if action == "record":
                form = ProxyForm(request.POST, holders=holders)
                if form.is_valid():
                    holder = next(m for m in members if str(m.pk) == form.cleaned_data["holder"])
                    proxies.proxy_record(
                        by=request.user,
                        holder=holder,
                        person=person,
                        kind=form.cleaned_data["kind"],
                        evidence_kind=form.cleaned_data["evidence_kind"],
                        evidence_reference=form.cleaned_data["evidence_reference"],
                        valid_from=form.cleaned_data["valid_from"],
                        valid_until=form.cleaned_data["valid_until"],
                    )
                    messages.success(request, _("The proxy is recorded."))
                    return redirect("portal:team_proxies", person_id=person.pk)
            else:
                row = access_proxy_by_id(request.user, request.POST.get("proxy", ""), reason="proxies")
                if action == "revoke":
                    proxies.proxy_revoke(by=request.user, proxy=row, reason=request.POST.get("reason", ""))
                    messages.success(request, _("The proxy is revoked."))
                    return redirect("portal:team_proxies", person_id=person.pk)
                renew = RenewForm(request.POST)
                if renew.is_valid():
                    proxies.proxy_renew(by=request.user, proxy=row, **renew.cleaned_data)
                    messages.success(request, _("The proxy is renewed."))
                    return redirect("portal:team_proxies", person_id=person.pk)
                errors = {"page": " ".join(str(m) for v in renew.errors.values() for m in v)}
        except (ValidationFailed, Conflict) as exc:
            field = (exc.details or {}).get("field", "") if isinstance(exc.details, dict) else ""
            if action == "record" and field in form.fields:
                form.add_error(field, exc.message.split(": ", 1)[-1])
            else:
                errors["page"] = exc.message.split(": ", 1)[-1]
    rows = proxies.proxy_list(person=person)
    today = timezone.localdate()
    return render(
        request,
        "portal/team_proxies.html",
        {
            "person": person,
            "form": form,
            "errors": errors,
            "rows": [(r, r.in_force_on(today)) for r in rows],
            "evidence": ProxyEvidence.choices,
        },
    )


@login_required
def gp_visit_book(request: AuthedRequest) -> HttpResponse:
    """Book a visit with a member's own contracted GP team: the member, then a free slot of the coming two weeks.
    Errors beside the field; the choice kept."""
    require_role(request.user, Role.PATIENT)
    members = selectors.family_members(for_user=request.user)
    selectors.audit_family_read(
        actor=request.user, person_ids=[m.person.pk for m in members], reason="family page: GP visits"
    )
    chosen = request.POST.get("person") or request.GET.get("person") or (str(members[0].person.pk) if members else "")
    errors: dict[str, str] = {}
    person = access_member(request.user, chosen, reason="family page: GP visit") if chosen else None
    team = gp_visits.contracted_team(person) if person else None
    if request.method == "POST" and person is not None:
        if team is None or request.POST.get("team") != str(team.pk):
            audit_denied(
                actor=request.user,
                object_type="care.gpteam",
                object_id=str(request.POST.get("team", ""))[:64],
                reason="not the person's GP team",
            )
            raise NotFound(_("No such GP team."))
        try:
            visit = gp_visits.visit_book(
                by=request.user, person=person, team=team, starts_at=gp_visits.parse_slot(request.POST.get("slot", ""))
            )
            messages.success(
                request,
                _("GP visit booked for %(name)s at %(at)s.")
                % {"name": person.name, "at": timezone.localtime(visit.starts_at).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("portal:member", person_id=person.pk)
        except (ValidationFailed, Conflict) as exc:
            errors["slot"] = exc.message.split(": ", 1)[-1]
    rows = [s for s in gp_visits.slots(team, start=timezone.localdate()) if s.free] if team else []
    return render(
        request,
        "portal/gp_visits.html",
        {
            "members": members,
            "person": person,
            "team": team,
            "slots": rows,
            "errors": errors,
            "chosen_slot": request.POST.get("slot", ""),
            "cancel_hours": gp_visits.SELF_CANCEL_HOURS,
        },
    )


@login_required
@require_POST
def gp_visit_cancel(request: AuthedRequest, visit_id: str) -> HttpResponse:
    visit = access_family_gp_visit(request.user, visit_id, reason="family page: cancel GP visit")
    try:
        gp_visits.visit_cancel(by=request.user, visit=visit)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The visit is cancelled."))
    return redirect("portal:member", person_id=visit.person_id)


@login_required
def gp_visit_ics(request: AuthedRequest, visit_id: str) -> HttpResponse:
    visit = access_family_gp_visit(request.user, visit_id, reason="family page: calendar file")
    response = HttpResponse(gp_visits.render_visit(visit), content_type="text/calendar")
    day = timezone.localtime(visit.starts_at).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="gp-visit-{day}.ics"'
    return response


@login_required
def team_visits(request: AuthedRequest, team_id: str) -> HttpResponse:
    """The GP team's day list of booked visits (the coming two weeks) and its weekly visiting hours, which a
    member of the team keeps here (one row per weekday and half-day; places 0 removes it)."""
    require_role(request.user, Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)
    team = access_team(request.user, team_id)
    error = ""
    if request.method == "POST":
        try:
            gp_visits.hours_set(
                by=request.user,
                team=team,
                weekday=request.POST.get("weekday", ""),
                half_day=request.POST.get("half_day", ""),
                slot_minutes=request.POST.get("slot_minutes", ""),
                places=request.POST.get("places_per_slot", ""),
            )
            messages.success(request, _("The visiting hours are saved."))
            return redirect("portal:team_visits", team_id=team.pk)
        except ValidationFailed as exc:
            error = exc.message.split(": ", 1)[-1]
    visits = list(gp_visits.team_visits(team=team))
    selectors.audit_family_read(
        actor=request.user, person_ids=[v.person_id for v in visits], reason="GP team: booked visits"
    )
    return render(
        request,
        "portal/team_visits.html",
        {
            "team": team,
            "visits": visits,
            "hours": GpHours.objects.filter(team=team),
            "error": error,
            "data": request.POST,
            "weekdays": gp_visits.WEEKDAYS,
            "half_days": HalfDay.choices,
        },
    )
