"""Outreach pages: the ops planning board (plan or re-plan in the task worker, the changes a proposal makes before it
is confirmed, adjustments, the declined-sessions worklist), an expert's calendar, availability and leave, the
coordinator's requests and bookings, a session (book, move, cancel, the expert's answer), the session report, and
the ICS feeds (by token, no session).

Forms answer bad input next to the field in the page's language, keep what was typed and store nothing (422); the
planning board's adjustments answer htmx with the refreshed proposal (its cards, changes and grids agree) or the
refusal's reason.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.core.query import query_uuid
from tiercare.network.models import Practitioner
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach import ics, selectors, services
from tiercare.outreach.access import (
    access_assignment_by_id,
    access_expert_by_id,
    access_plan_by_id,
    access_plan_run_by_id,
    access_session_by_id,
)
from tiercare.outreach.forms import (
    AnswerForm,
    AvailabilityForm,
    BookForm,
    ExpertPickForm,
    LeaveForm,
    MoveAssignmentForm,
    PlanForm,
    ProcedureFormSet,
    ReportForm,
    RequestForm,
    SessionChangeForm,
    SurgeryFormSet,
    show_domain_error,
)
from tiercare.outreach.models import (
    BookingStatus,
    CalendarFeed,
    ExpertAvailability,
    FeedKind,
    OutreachProfile,
    SessionKind,
)
from tiercare.outreach.session_flow import label, session_answer
from tiercare.people.access import access_person_by_id

_FIELD_PREFIX = re.compile(r"^[a-z_]+\s*[:：]\s*")

# --- planning board ---------------------------------------------------------------------------------------------


def _without_field(message: str) -> str:
    """A refusal's message without the API's leading ``field:`` (users never see internal field names)."""
    return _FIELD_PREFIX.sub("", message)


def _plan_context(request: AuthedRequest, plan: Any, error: str = "") -> dict[str, Any]:
    """The proposal section: counts that agree (covered = requests − unmet), the changes it makes, its grids."""
    if plan is None:
        return {"plan": None}
    requests = int(plan.stats.get("requests", 0) or 0)
    unmet = len(plan.uncovered)
    return {
        "plan": plan,
        "covered": max(0, requests - unmet),
        "requested": max(requests, unmet),
        "unmet": unmet,
        "diff": selectors.replan_diff(plan) if plan.status == "proposed" else None,
        "unmet_rows": [{**u, "kind_label": label(SessionKind, u.get("kind", ""))} for u in plan.uncovered],
        "by_expert": selectors.plan_grid(plan, by="expert"),
        "by_site": selectors.plan_grid(plan, by="site"),
        "plan_error": error,
    }


def _board(request: AuthedRequest, *, form: PlanForm | None = None, plan: Any = None, error: str = "", status=200):
    require_role(request.user, *selectors.PLANNERS)
    plans = selectors.plan_list(for_user=request.user)
    if plan is None:
        plan_id = query_uuid(request, "plan")
        plan = access_plan_by_id(request.user, plan_id) if plan_id else plans.first()
    run_id = query_uuid(request, "run")
    run = access_plan_run_by_id(request.user, run_id) if run_id else None
    runs = [r for r in selectors.plan_run_list(for_user=request.user, active=True)[:5] if run is None or r.pk != run.pk]
    requests = selectors.with_progress(selectors.request_list(for_user=request.user, status="open")[:200])
    context = {
        "run": run,
        "runs": runs,
        "plans": plans[:10],
        "form": form or PlanForm(initial={"start": timezone.localdate(), "weeks": 4, "seconds": 5}),
        "requests": requests,
        "declined": selectors.declined_sessions(for_user=request.user)[:50],
        "experts": selectors.expert_choices(for_user=request.user),
        **_plan_context(request, plan, error),
    }
    return render(request, "outreach/plan_board.html", context, status=status)


@login_required
def plan_board(request: AuthedRequest) -> HttpResponse:
    return _board(request)


@login_required
@require_POST
def plan_new(request: AuthedRequest) -> HttpResponse:
    """Queue a plan or a re-plan for the task worker: the page answers at once and polls the run's progress."""
    require_role(request.user, *selectors.PLANNERS)
    form = PlanForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            run = services.plan_run_start(
                by=request.user, start=d["start"], weeks=d["weeks"], seconds=d["seconds"], replan=d["replan"]
            )
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            return redirect(f"{reverse('outreach:plan')}?run={run.pk}")
    return _board(request, form=form, status=422)


@login_required
def plan_run_status(request: AuthedRequest, run_id: str) -> HttpResponse:
    """htmx: a planning run's progress bar, polled every 2 s until it is done (then a link to the proposal and its
    changes) or failed (then the error)."""
    run = access_plan_run_by_id(request.user, run_id)
    return render(request, "outreach/_plan_run.html", {"run": run})


@login_required
@require_POST
def plan_confirm(request: AuthedRequest, plan_id: str) -> HttpResponse:
    plan = access_plan_by_id(request.user, plan_id)
    try:
        services.plan_confirm(by=request.user, plan=plan)
    except (ValidationFailed, Conflict) as exc:
        plan.refresh_from_db()
        return _board(request, plan=plan, error=_without_field(str(exc.message)), status=422)
    return redirect(f"{reverse('outreach:plan')}?plan={plan.pk}")


@login_required
@require_POST
def plan_adjust(request: AuthedRequest, plan_id: str, assignment_id: str) -> HttpResponse:
    """htmx: remove (``action=remove``) or move an assignment; answers the proposal section (cards, changes, grids
    and unmet list, which agree), or the same with the refusal's reason (422, swapped by the board's htmx config)."""
    require_role(request.user, *selectors.PLANNERS)
    plan = access_plan_by_id(request.user, plan_id)
    row = access_assignment_by_id(request.user, plan, assignment_id)
    error = ""
    try:
        if request.POST.get("action") == "remove":
            services.plan_assignment_remove(by=request.user, assignment=row)
        else:
            form = MoveAssignmentForm(request.POST, user=request.user)
            if not form.is_valid():
                error = " ".join(str(m) for msgs in form.errors.values() for m in msgs)
            else:
                d = form.cleaned_data
                services.plan_assignment_move(
                    by=request.user, assignment=row, expert=d.get("expert"), on=d.get("date"),
                    half_day=d.get("half_day") or None,
                )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        problems = details.get("problems") or []
        error = " ".join(str(p.get("message", "")) for p in problems) or _without_field(str(exc.message))
    plan.refresh_from_db()
    context = _plan_context(request, plan, error)
    return render(request, "outreach/_plan_section.html", context, status=422 if error else 200)


# --- experts: calendar, answer, availability and leave ------------------------------------------------------------


def _chosen_expert(request: AuthedRequest) -> tuple[Practitioner | None, ExpertPickForm | None]:
    """The expert a page is about: an expert themself; operations choose (``?expert=``, a picker when absent or
    not a valid choice, never a 500)."""
    if request.user.role == Role.EXPERT:
        if request.GET.get("expert"):  # an id from outside: resolved through the access rule (404 for another's)
            return access_expert_by_id(request.user, request.GET["expert"]), None
        return get_object_or_404(Practitioner, user=request.user), None
    if "expert" not in request.GET:
        return None, ExpertPickForm(user=request.user)
    form = ExpertPickForm(request.GET, user=request.user)
    if form.is_valid():
        return access_expert_by_id(request.user, form.cleaned_data["expert"].pk), form
    if _is_uuid(request.GET["expert"]):  # a well-formed id of no expert this user may see: not found
        access_expert_by_id(request.user, request.GET["expert"])
    return None, form


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True


@login_required
def expert_calendar(request: AuthedRequest) -> HttpResponse:
    """An expert's sessions with their answers and the ICS subscription link (their own; operations choose)."""
    require_role(request.user, Role.EXPERT, *selectors.ALL_SEEING)
    expert, pick = _chosen_expert(request)
    if expert is None:
        return render(request, "outreach/calendar.html", {"pick": pick}, status=400 if pick and pick.is_bound else 200)
    sessions = selectors.session_list(
        for_user=request.user, expert=expert.pk, date_from=timezone.localdate() - timedelta(days=14)
    )
    feed = ics.feed_for_expert(expert)
    context = {"expert": expert, "sessions": sessions, "feed": feed, "pick": pick}
    return render(request, "outreach/calendar.html", context)


def _availability_forms(expert: Practitioner) -> AvailabilityForm:
    profile = OutreachProfile.objects.filter(practitioner=expert).first()
    current = [f"{a.weekday}{a.half_day}" for a in ExpertAvailability.objects.filter(practitioner=expert)]
    return AvailabilityForm(
        initial={
            "half_days": current,
            "weekly_limit": profile.weekly_limit if profile else 3,
            "home_city": profile.home_city if profile else "",
        }
    )


@login_required
def availability(request: AuthedRequest) -> HttpResponse:
    """An expert's weekly half-days and leave: the expert for themself, operations for any expert (``?expert=``).
    Recording leave does not touch confirmed sessions: the page offers the re-plan."""
    require_role(request.user, Role.EXPERT, *selectors.PLANNERS)
    expert, pick = _chosen_expert(request)
    if expert is None:
        status = 400 if pick and pick.is_bound else 200
        return render(request, "outreach/availability.html", {"pick": pick}, status=status)
    avail_form, leave_form, status, saved = _availability_forms(expert), LeaveForm(), 200, ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "availability":
                avail_form = AvailabilityForm(request.POST)
                if avail_form.is_valid():
                    d = avail_form.cleaned_data
                    services.availability_set(
                        by=request.user, practitioner=expert, half_days=avail_form.half_day_pairs(),
                        weekly_limit=d["weekly_limit"], home_city=d["home_city"],
                    )  # fmt: skip
                    saved = "availability"
            elif action == "leave":
                leave_form = LeaveForm(request.POST)
                if leave_form.is_valid():
                    services.leave_add(by=request.user, practitioner=expert, **leave_form.cleaned_data)
                    saved = "leave"
        except ValidationFailed as exc:
            show_domain_error(avail_form if action == "availability" else leave_form, exc)
            saved = ""
        if saved:
            query = f"?expert={expert.pk}&saved={saved}" if request.user.role != Role.EXPERT else f"?saved={saved}"
            return redirect(reverse("outreach:availability") + query)
        status = 422
    context = {
        "expert": expert,
        "pick": pick,
        "avail_form": avail_form,
        "leave_form": leave_form,
        "leaves": selectors.leave_list(for_user=request.user, practitioner=expert.pk).filter(
            end__gte=timezone.localdate()
        ),
        "saved": request.GET.get("saved", ""),
    }
    return render(request, "outreach/availability.html", context, status=status)


# --- coordinator ----------------------------------------------------------------------------------------------


@login_required
def coordinator_page(request: AuthedRequest) -> HttpResponse:
    """A coordinator's departments: request sessions, follow each request (open → scheduled → done), see the
    sessions at their hospital and book patients."""
    require_role(request.user, Role.COORDINATOR, *selectors.PLANNERS)
    form = RequestForm(user=request.user)
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            department = data.pop("department")
            try:
                services.request_create(by=request.user, department=department, data=data)
            except ValidationFailed as exc:
                show_domain_error(form, exc)
            else:
                return redirect("outreach:coordinator")
        status = 422
    feeds = []
    if request.user.role == Role.COORDINATOR:
        orgs = {d.organization for d in form.fields["department"].queryset}  # type: ignore[attr-defined]
        feeds = [ics.feed_for_site(o) for o in sorted(orgs, key=lambda o: o.name)][:5]
    context = {
        "form": form,
        "feeds": feeds,
        "requests": selectors.with_progress(selectors.request_list(for_user=request.user)[:100]),
        "sessions": selectors.session_list(for_user=request.user, date_from=timezone.localdate(), active=True)[:100],
    }
    return render(request, "outreach/coordinator.html", context, status=status)


# --- a session --------------------------------------------------------------------------------------------------


def _session_page(request: AuthedRequest, session: Any, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    booked = session.bookings.filter(status=BookingStatus.ACTIVE).count()  # the count, for everyone who sees it
    bookings = list(selectors.booking_list(for_user=user, session=session))  # the names, for those who may
    audit_patient_read(
        actor=user, person_ids=[b.person_id for b in bookings], object_type="outreach.booking", reason="session page"
    )
    may_name = (
        user.role == Role.ADMIN
        or (user.role == Role.COORDINATOR and session.site_id in user_organization_ids(user))
        or (user.role == Role.EXPERT and session.expert.user_id == user.pk)
    )
    can_book = (
        user.role in selectors.BOOKING_WRITERS
        and session.is_active
        and booked < session.places
        and session.date >= timezone.localdate()
    )
    patients: list[Any] = []  # the patient is chosen with the search picker (people.widgets.PersonPicker)
    started = ics.session_times(session)[0] <= timezone.now()
    is_expert = user.role == Role.EXPERT and session.expert.user_id == user.pk
    is_host = user.role == Role.COORDINATOR and session.site_id in user_organization_ids(user)
    report = getattr(session, "report", None)  # RelatedObjectDoesNotExist is an AttributeError
    context = {
        "session": session,
        "booked": booked,
        "bookings": bookings,
        "may_name": may_name,
        "can_book": can_book,
        "can_unbook": user.role in selectors.BOOKING_WRITERS and may_name and session.is_active,
        "full": session.is_active and booked >= session.places,
        "patients": patients,
        "transitions": session.transitions.select_related("by"),
        "book_form": forms.get("book_form") or BookForm(),
        "change_form": forms.get("change_form") or SessionChangeForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "can_change": user.role in (*selectors.PLANNERS, Role.COORDINATOR) and session.is_active,
        "can_answer": is_expert and session.is_active and not started and session.response != "declined",
        "can_report": (is_expert or is_host) and session.is_active and started and report is None,
        "report_later": (is_expert or is_host) and session.is_active and not started,
        "report": report,
    }
    return render(request, "outreach/session.html", context, status=status)


@login_required
def session_detail(request: AuthedRequest, session_id: str) -> HttpResponse:
    """A session: its places (the count for all who see it, names for those who may), booking, move or cancel,
    the expert's answer, and the report (or the link to file it)."""
    session = access_session_by_id(request.user, session_id)
    if request.method != "POST":
        return _session_page(request, session)
    action = request.POST.get("action", "")
    form: Any = None
    try:
        if action == "book":
            require_role(request.user, *selectors.BOOKING_WRITERS)
            form = BookForm(request.POST)
            if not form.is_valid():
                return _session_page(request, session, status=422, book_form=form)
            person = access_person_by_id(request.user, form.cleaned_data["person"], reason="outreach booking")
            services.booking_create(by=request.user, session=session, person=person, note=form.cleaned_data["note"])
        elif action in ("cancel", "move"):
            form = SessionChangeForm(request.POST, action=action)
            if not form.is_valid():
                return _session_page(request, session, status=422, change_form=form)
            d = form.cleaned_data
            if action == "cancel":
                services.session_cancel(by=request.user, session=session, reason=d["reason"])
            else:
                services.session_move(
                    by=request.user, session=session, on=d["date"], half_day=d["half_day"], reason=d["reason"]
                )
        elif action in ("accept", "decline"):
            form = AnswerForm(request.POST, accept=action == "accept")
            if not form.is_valid():
                return _session_page(request, session, status=422, answer_form=form)
            session_answer(
                by=request.user, session=session, accept=action == "accept", reason=form.cleaned_data["reason"]
            )
        else:
            raise ValidationFailed(_("Choose what to do with the session."))
    except (ValidationFailed, Conflict) as exc:
        key = {"book": "book_form", "accept": "answer_form", "decline": "answer_form"}.get(action, "change_form")
        form = form or SessionChangeForm()
        show_domain_error(form, exc)
        session.refresh_from_db()
        return _session_page(request, session, status=422, **{key: form})
    return redirect("outreach:session", session_id=session.pk)


@login_required
def session_report(request: AuthedRequest, session_id: str) -> HttpResponse:
    """The session report: cases seen (in all and by procedure), surgeries with their grade, patients referred,
    teaching topic and each attendee. Only the session's expert or a coordinator of the host hospital, once the
    session has started; anyone else who may see the session gets 403, anyone else 404."""
    session = access_session_by_id(request.user, session_id)
    user = request.user
    is_expert = user.role == Role.EXPERT and session.expert.user_id == user.pk
    is_host = user.role == Role.COORDINATOR and session.site_id in user_organization_ids(user)
    if not (is_expert or is_host):
        raise Forbidden(_("Only the session's expert or the host hospital's coordinator files its report."))
    started = ics.session_times(session)[0] <= timezone.now()
    form, procedures, surgeries = ReportForm(), ProcedureFormSet(prefix="proc"), SurgeryFormSet(prefix="surg")
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        procedures = ProcedureFormSet(request.POST, prefix="proc")
        surgeries = SurgeryFormSet(request.POST, prefix="surg")
        if all([form.is_valid(), procedures.is_valid(), surgeries.is_valid()]):
            try:
                services.report_file(by=user, session=session, data=form.report_data(procedures, surgeries))
            except (ValidationFailed, Conflict) as exc:
                show_domain_error(form, exc, rename={"procedure_cases": "cases_seen", "attendee_list": "attendees"})
            else:
                return redirect("outreach:session", session_id=session.pk)
        status = 422
    context = {
        "session": session,
        "form": form,
        "procedures": procedures,
        "surgeries": surgeries,
        "started": started,
        "is_surgery": session.kind == "surgery",
    }
    return render(request, "outreach/report.html", context, status=status)


# --- calendar feeds ---------------------------------------------------------------------------------------------


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
