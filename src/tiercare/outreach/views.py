"""Outreach pages: the ops planning board, an expert's calendar, the coordinator's requests and bookings, a session,
and the ICS feeds (by token, no session)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import ValidationFailed
from tiercare.core.models import Role
from tiercare.core.query import query_uuid
from tiercare.network.models import Department, Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach import ics, selectors, services
from tiercare.outreach.access import (
    access_assignment_by_id,
    access_plan_by_id,
    access_plan_run_by_id,
    access_session_by_id,
)
from tiercare.outreach.forms import BookForm, MoveAssignmentForm, PlanForm, RequestForm, SessionChangeForm
from tiercare.outreach.models import CalendarFeed, FeedKind
from tiercare.people.access import access_person_by_id


def _form_error(form) -> ValidationFailed:  # type: ignore[no-untyped-def]
    field, errors = next(iter(form.errors.items()))
    return ValidationFailed(f"{field}: {errors[0]}", details={"fields": form.errors.get_json_data()})


@login_required
def plan_board(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *selectors.PLANNERS)
    plans = selectors.plan_list(for_user=request.user)
    plan_id = query_uuid(request, "plan")
    plan = access_plan_by_id(request.user, plan_id) if plan_id else plans.first()
    run_id = query_uuid(request, "run")
    run = access_plan_run_by_id(request.user, run_id) if run_id else None
    runs = [r for r in selectors.plan_run_list(for_user=request.user, active=True)[:5] if run is None or r.pk != run.pk]
    context = {
        "plan": plan,
        "run": run,
        "runs": runs,
        "plans": plans[:10],
        "form": PlanForm(initial={"start": timezone.localdate(), "weeks": 4}),
        "requests": selectors.request_list(for_user=request.user, status="open")[:200],
        "by_expert": selectors.plan_grid(plan, by="expert") if plan else None,
        "by_site": selectors.plan_grid(plan, by="site") if plan else None,
    }
    return render(request, "outreach/plan_board.html", context)


@login_required
@require_POST
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    # Queued for the task worker: the page answers at once and polls the run's progress (never solves here).
    run = services.plan_run_start(by=request.user, **form.cleaned_data)
    return redirect(f"/outreach/plan/?run={run.pk}")


@login_required
def plan_run_status(request: HttpRequest, run_id: str) -> HttpResponse:
    """htmx: a planning run's progress bar, polled every 2 s until it is done (then a link to the proposal) or
    failed (then the error)."""
    run = access_plan_run_by_id(request.user, run_id)
    return render(request, "outreach/_plan_run.html", {"run": run})


@login_required
@require_POST
def plan_confirm(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = access_plan_by_id(request.user, plan_id)
    services.plan_confirm(by=request.user, plan=plan)
    return redirect(f"/outreach/plan/?plan={plan.pk}")


@login_required
@require_POST
def plan_adjust(request: HttpRequest, plan_id: str, assignment_id: str) -> HttpResponse:
    """htmx: remove (``action=remove``) or move an assignment; answers the re-rendered grids."""
    plan = access_plan_by_id(request.user, plan_id)
    row = access_assignment_by_id(request.user, plan, assignment_id)
    if request.POST.get("action") == "remove":
        services.plan_assignment_remove(by=request.user, assignment=row)
    else:
        form = MoveAssignmentForm(request.POST)
        if not form.is_valid():
            raise _form_error(form)
        d = form.cleaned_data
        expert = get_object_or_404(Practitioner, pk=d["expert"]) if d.get("expert") else None
        services.plan_assignment_move(
            by=request.user, assignment=row, expert=expert, on=d.get("date"), half_day=d.get("half_day") or None
        )
    context = {
        "plan": plan,
        "by_expert": selectors.plan_grid(plan, by="expert"),
        "by_site": selectors.plan_grid(plan, by="site"),
    }
    return render(request, "outreach/_plan_grids.html", context)


@login_required
def expert_calendar(request: HttpRequest) -> HttpResponse:
    """An expert's sessions (their own; operations may pass ?expert=) with the ICS subscription link."""
    require_role(request.user, Role.EXPERT, *selectors.ALL_SEEING)
    if request.user.role == Role.EXPERT:
        expert = get_object_or_404(Practitioner, user=request.user)
    else:
        expert = get_object_or_404(Practitioner, pk=query_uuid(request, "expert"))
    sessions = selectors.session_list(
        for_user=request.user, expert=expert.pk, date_from=timezone.localdate() - timezone.timedelta(days=14)
    )
    feed = ics.feed_for_expert(expert)
    return render(request, "outreach/calendar.html", {"expert": expert, "sessions": sessions, "feed": feed})


@login_required
def coordinator_page(request: HttpRequest) -> HttpResponse:
    """A coordinator's departments: request sessions, see the sessions at their hospital and book patients."""
    require_role(request.user, Role.COORDINATOR, *selectors.PLANNERS)
    if request.method == "POST":
        form = RequestForm(request.POST)
        if not form.is_valid():
            raise _form_error(form)
        data = dict(form.cleaned_data)
        department = get_object_or_404(Department, pk=data.pop("department"))
        services.request_create(by=request.user, department=department, data=data)
        return redirect("outreach:coordinator")
    orgs = user_organization_ids(request.user)
    departments = (
        Department.objects.filter(organization_id__in=orgs, partnerships__isnull=False).distinct()
        if request.user.role == Role.COORDINATOR
        else Department.objects.filter(partnerships__isnull=False).distinct()
    )
    feeds = [
        ics.feed_for_site(d.organization)
        for d in departments.select_related("organization")
        if request.user.role == Role.COORDINATOR
    ][:5]
    context = {
        "form": RequestForm(),
        "departments": departments.select_related("organization"),
        "feeds": feeds,
        "requests": selectors.request_list(for_user=request.user)[:100],
        "sessions": selectors.session_list(for_user=request.user, date_from=timezone.localdate(), active=True)[:100],
    }
    return render(request, "outreach/coordinator.html", context)


@login_required
def session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    """A session: its places and bookings (patients audited), booking, move/cancel, report."""
    session = access_session_by_id(request.user, session_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "book":
            form = BookForm(request.POST)
            if not form.is_valid():
                raise _form_error(form)
            person = access_person_by_id(request.user, form.cleaned_data["person"], reason="outreach booking")
            services.booking_create(by=request.user, session=session, person=person, note=form.cleaned_data["note"])
        elif action in ("cancel", "move"):
            form = SessionChangeForm(request.POST)
            if not form.is_valid():
                raise _form_error(form)
            d = form.cleaned_data
            if action == "cancel":
                services.session_cancel(by=request.user, session=session, reason=d["reason"])
            else:
                if not d.get("date") or not d.get("half_day"):
                    raise ValidationFailed("date: give the new date and half-day.")
                services.session_move(
                    by=request.user, session=session, on=d["date"], half_day=d["half_day"], reason=d["reason"]
                )
        return redirect("outreach:session", session_id=session.pk)
    bookings = list(selectors.booking_list(for_user=request.user, session=session))
    audit_patient_read(
        actor=request.user,
        person_ids=[b.person_id for b in bookings],
        object_type="outreach.booking",
        reason="session page",
    )
    can_book = request.user.role in selectors.BOOKING_WRITERS and session.is_active
    return render(
        request,
        "outreach/session.html",
        {
            "session": session,
            "bookings": bookings,
            "can_book": can_book,
            "transitions": session.transitions.select_related("by"),
            "book_form": BookForm(),
            "can_change": request.user.role in (*selectors.PLANNERS, Role.COORDINATOR) and session.is_active,
        },
    )


def _ics_response(feed: CalendarFeed) -> HttpResponse:
    response = HttpResponse(ics.render_feed(feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def ics_expert(request: HttpRequest, token: str) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed.objects.select_related("practitioner"), kind=FeedKind.EXPERT, token=token)
    return _ics_response(feed)


def ics_site(request: HttpRequest, token: str) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed.objects.select_related("organization"), kind=FeedKind.SITE, token=token)
    return _ics_response(feed)
