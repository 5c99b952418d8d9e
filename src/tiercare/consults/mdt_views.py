"""MDT pages: the MDT case (the organiser picks experts per specialty or leaves them to the slot finder, sees its
proposals and books one; the chair signs the conclusion once the meeting has started) and the expert's own meeting
hours outside working hours. Same habits as ``views``: one access function and one service each, a refusal answers
422 with the form as typed and the message beside its field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tiercare.consults import access, availability, services
from tiercare.consults.forms import (
    WEEKDAYS,
    ConclusionForm,
    ExpertsForm,
    MeetingHoursForm,
    MinutesForm,
    expert_field_name,
)
from tiercare.consults.models import MdtCase, MdtMeeting, MdtStatus, MeetingHours
from tiercare.consults.views import done, show_error
from tiercare.core.access import require_role
from tiercare.core.errors import Conflict, DomainError, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.network.models import Practitioner


def _proposals(mdt: MdtCase, picks: ExpertsForm) -> list[dict[str, Any]]:
    """The slot finder's proposals for the organiser's picks, each with its experts by specialty (names)."""
    only = picks.experts() if picks.is_bound and picks.is_valid() else None
    if picks.is_bound and not picks.is_valid():
        return []
    found = services.mdt_propose(mdt=mdt, only=only)
    names = Practitioner.objects.in_bulk({pk for p in found for pk in p.experts.values()})
    return [{"p": p, "experts": [(spec, names[p.experts[spec]]) for spec in mdt.specialties]} for p in found]


def mdt_page(
    request: AuthedRequest,
    mdt: MdtCase,
    *,
    status: int = 200,
    picks: ExpertsForm | None = None,
    book_form: ExpertsForm | None = None,
    conclusion_form: ConclusionForm | None = None,
    minutes_form: MinutesForm | None = None,
) -> HttpResponse:
    user = request.user
    meeting = (
        MdtMeeting.objects.filter(mdt_case=mdt)
        .select_related("chair", "signed_by")
        .prefetch_related("participants__practitioner")
        .first()
    )
    context: dict[str, Any] = {"mdt": mdt, "case": mdt.case, "meeting": meeting, "book_form": book_form}
    if mdt.status == MdtStatus.REQUESTED and services.can_organise(user, mdt):
        picks = picks or ExpertsForm(request.GET or None, mdt=mdt)
        context["picks"] = picks
        context["proposals"] = _proposals(mdt, picks)
        if picks.is_bound and not picks.is_valid():
            status = 422
    practitioner = getattr(user, "practitioner", None)
    is_chair = meeting is not None and practitioner is not None and meeting.chair_id == practitioner.pk
    open_meeting = meeting is not None and meeting.signed_at is None and mdt.status == MdtStatus.SCHEDULED
    if meeting is not None and open_meeting and (is_chair or services.can_organise(user, mdt)):
        initial = {"minutes": meeting.minutes, "video_link": meeting.video_link}
        context["minutes_form"] = minutes_form or MinutesForm(initial=initial, prefix="m")
    if meeting is not None and is_chair and meeting.signed_at is None and mdt.status == MdtStatus.SCHEDULED:
        context["conclusion_form"] = conclusion_form or ConclusionForm(prefix="c")
        context["not_started"] = timezone.now() < meeting.starts_at
    return render(request, "consults/mdt.html", context, status=status)


@login_required
def mdt_detail(request: AuthedRequest, mdt_id: str) -> HttpResponse:
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="MDT page")
    return mdt_page(request, mdt)


def _book_error(form: ExpertsForm, exc: DomainError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    spec = details.get("specialty")
    if isinstance(spec, str) and expert_field_name(spec) in form.fields:
        message = exc.message
        for prefix in ("experts: ", "experts："):
            message = message.removeprefix(prefix)
        form.add_error(expert_field_name(spec), message)
    else:
        show_error(form, exc, {"starts_at": None, "experts": None, "chair": None})


@login_required
@require_POST
def mdt_book(request: AuthedRequest, mdt_id: str) -> HttpResponse:
    """Book a proposed time (the API's ``mdt_book``): the experts come back through the MDT's expert querysets; the
    service checks again that each is allowed, in their hours and free (two organisers racing: one wins)."""
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="book")
    form = ExpertsForm(request.POST, mdt=mdt, booking=True)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.mdt_book(
                by=request.user, mdt=mdt, starts_at=d["starts_at"], experts=form.experts(), chair=form.chair(),
                video_link=d["video_link"],
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            _book_error(form, exc)
        else:
            return done(request, reverse("consults:mdt", args=[mdt.pk]))
    mdt.refresh_from_db()
    return mdt_page(request, mdt, book_form=form, status=422)


@login_required
@require_POST
def mdt_minutes(request: AuthedRequest, mdt_id: str) -> HttpResponse:
    """The chair (or the organiser) keeps the minutes and the video link (the API's ``mdt_minutes``) until the
    conclusion is signed."""
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="minutes")
    meeting = MdtMeeting.objects.filter(mdt_case=mdt).first()
    if meeting is None:
        raise services.illegal(mdt.status, "minutes")
    form = MinutesForm(request.POST, prefix="m")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.mdt_minutes(by=request.user, meeting=meeting, minutes=d["minutes"], video_link=d["video_link"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:mdt", args=[mdt.pk]))
    return mdt_page(request, mdt, minutes_form=form, status=422)


@login_required
@require_POST
def mdt_conclude(request: AuthedRequest, mdt_id: str) -> HttpResponse:
    """The chair signs the conclusion (the API's ``mdt_conclude``); before the meeting has started the refusal is
    shown beside the conclusion, which is kept as typed."""
    mdt = access.access_mdt_by_id(request.user, mdt_id, reason="conclude")
    meeting = MdtMeeting.objects.filter(mdt_case=mdt).first()
    if meeting is None:
        raise services.illegal(mdt.status, "conclude")
    form = ConclusionForm(request.POST, prefix="c")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.mdt_conclude(
                by=request.user, meeting=meeting, conclusion=d["conclusion"], action=d["action"],
                care_plan=d["care_plan"],
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc, {"meeting_not_started": "conclusion"})
        else:
            return done(request, reverse("consults:mdt", args=[mdt.pk]))
    return mdt_page(request, mdt, conclusion_form=form, status=422)


# --- the expert's meeting hours ---------------------------------------------------------------------------------------


def hours_page(request: AuthedRequest, *, form: MeetingHoursForm | None = None, status: int = 200) -> HttpResponse:
    practitioner = getattr(request.user, "practitioner", None)
    rows = MeetingHours.objects.filter(practitioner=practitioner) if practitioner else MeetingHours.objects.none()
    days = dict(WEEKDAYS)
    context = {"rows": [(r, days.get(r.weekday, "")) for r in rows], "form": form or MeetingHoursForm()}
    return render(request, "consults/hours.html", context, status=status)


@login_required
def hours(request: AuthedRequest) -> HttpResponse:
    """The expert's MDT meeting hours outside working hours (a weekend morning, an evening): without them the slot
    finder proposes no weekend or night time for them."""
    require_role(request.user, Role.EXPERT)
    if request.method != "POST":
        return hours_page(request)
    form = MeetingHoursForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            availability.meeting_hours_add(by=request.user, weekday=d["weekday"], start=d["start"], end=d["end"])
        except ValidationFailed as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:hours"))
    return hours_page(request, form=form, status=422)


@login_required
@require_POST
def hours_remove(request: AuthedRequest, hours_id: str) -> HttpResponse:
    require_role(request.user, Role.EXPERT)
    row = access.access_meeting_hours_by_id(request.user, hours_id)
    availability.meeting_hours_remove(by=request.user, row=row)
    return done(request, reverse("consults:hours"))
