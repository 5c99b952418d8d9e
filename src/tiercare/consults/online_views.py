"""Pages of online follow-up consultations (在线复诊), mobile-first (a phone is what patients use): the patient asks
about a diagnosis made in person and writes with their doctor; the doctor re-authenticates, answers, prescribes,
closes or sends the patient to a visit in person; the pharmacist reviews e-prescriptions. Thin: one access function
and one service or selector each; a refused write answers 422 with the service's reason beside the field, the input
kept."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tiercare.care.forms import show_domain_error
from tiercare.consults import access, selectors, services
from tiercare.consults.models import OPEN_ONLINE, OnlineStatus, PrescriptionStatus, VisitKind
from tiercare.consults.online_forms import (
    FIRST_VISIT,
    AskForm,
    CloseForm,
    MessageForm,
    PrescribeForm,
    ReauthForm,
    ReviewForm,
    StopForm,
)
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import DomainError, Forbidden, NotFound
from tiercare.core.files import attachment_response
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.people.access import access_person_by_id


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """The patient's consultations and prescriptions; the doctor's queue; the pharmacist's review queue.
    ``?person=<id>`` (the family page's link) shows one person's only: a patient's self or a member they hold a
    proxy for, resolved through the people scope (anyone else: 404)."""
    user = request.user
    if user.role == Role.PHARMACIST:
        return redirect("consults:online_pharmacy")
    if user.role != Role.PATIENT and getattr(user, "practitioner", None) is None:
        raise Forbidden(gettext("Your role may not do this."))
    consult_qs = selectors.online_consult_list(for_user=user)
    prescription_qs = selectors.prescription_list(for_user=user)
    person = None
    if request.GET.get("person"):
        person = access_person_by_id(user, request.GET["person"], reason="online consultations")
        consult_qs, prescription_qs = consult_qs.filter(person=person), prescription_qs.filter(person=person)
    consults = list(consult_qs[:200])
    prescriptions = list(prescription_qs[:200]) if user.role == Role.PATIENT else []
    audit_patient_read(
        actor=user,
        person_ids=[c.person_id for c in consults] + [rx.person_id for rx in prescriptions],
        object_type="consults.onlineconsult",
        reason="online consultations",
    )
    ctx = {
        "consults": consults,
        "prescriptions": prescriptions,
        "is_patient": user.role == Role.PATIENT,
        "person": person,
    }
    return render(request, "consults/online/index.html", ctx)


@login_required
def new(request: AuthedRequest) -> HttpResponse:
    """Ask an online follow-up: pick a diagnosis made in person; a first visit is refused with the reason."""
    require_role(request.user, Role.PATIENT)
    initial = {}
    if request.method == "GET" and request.GET.get("person"):  # the family page's link: that member chosen
        initial["person"] = access_person_by_id(request.user, request.GET["person"], reason="online consultation").pk
    form = AskForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        diagnosis = None if d["diagnosis"] == FIRST_VISIT else form.enrollments[d["diagnosis"]]
        try:
            consult = services.online_consult_request(
                by=request.user, person=d["person"], diagnosis=diagnosis, question=d["question"],
                guardian_present=d["guardian_present"], guardian_name=d["guardian_name"],
                guardian_relationship=d["guardian_relationship"],
            )  # fmt: skip
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("consults:online_consult", consult.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "consults/online/new.html", {"form": form}, status=status)


def _consult_page(request: AuthedRequest, consult: Any, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    is_doctor = consult.doctor.user_id == user.pk
    services.online_mark_read(by=user, consult=consult)
    ctx = {
        "c": consult,
        "messages_": list(consult.messages.select_related("author")),
        "prescriptions": list(consult.prescriptions.order_by("-signed_at")),
        "transitions": _trail(selectors.transitions_of(consult)),
        "is_doctor": is_doctor,
        "is_open": consult.status in OPEN_ONLINE,
        "ready": is_doctor and consult.doctor_reauth_at is not None and _reauth_today(consult),
        "message_form": forms.get("message_form") or MessageForm(),
        "reauth_form": forms.get("reauth_form") or ReauthForm(),
        "prescribe_form": forms.get("prescribe_form") or PrescribeForm(),
        "stop_form": forms.get("stop_form") or StopForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "VisitKind": VisitKind,
        # a refusal of a form the page no longer shows (an urgent report hides prescribing and closing)
        "hidden_refusal": [
            str(m)
            for f in (forms.get("prescribe_form"), forms.get("close_form"))
            if f is not None
            for m in f.non_field_errors()
        ]
        if consult.urgent_reported
        else [],
    }
    return render(request, "consults/online/consult.html", ctx, status=status)


# The services' internal reasons of a transition, as the trail shows them; a doctor's own words show as written.
TRAIL_REASONS = {
    "doctor re-authenticated": _("the doctor confirmed their identity"),
    "urgent criterion met": _("what the patient reported met an urgent criterion"),
    "closed": _("closed by the doctor"),
}


def _state_label(state: str) -> str:
    for choices in (OnlineStatus, PrescriptionStatus):
        if state in choices.values:
            return str(choices(state).label)
    return state


def _trail(transitions: Any) -> list[dict[str, Any]]:
    """The transitions of a consultation or prescription in the reader's language (no internal codes)."""
    return [
        {
            "at": t.created_at,
            "by": (t.by.display_name or t.by.username) if t.by else "",
            "from": _state_label(t.from_state) if t.from_state else "",
            "to": _state_label(t.to_state),
            "reason": TRAIL_REASONS.get(t.reason, t.reason),
        }
        for t in transitions
    ]


def _reauth_today(consult: Any) -> bool:
    from django.utils import timezone

    return timezone.localdate(consult.doctor_reauth_at) == timezone.localdate()


@login_required
def consult_detail(request: AuthedRequest, consult_id: str) -> HttpResponse:
    consult = access.access_online_consult_by_id(request.user, consult_id, reason="online consultation")
    return _consult_page(request, consult)


def _post(request: AuthedRequest, consult_id: str, form_cls: Any, name: str, act: Any) -> HttpResponse:
    """Bind ``form_cls``, call ``act(consult, cleaned)``; back to the thread, or the page with the form's errors."""
    consult = access.access_online_consult_by_id(request.user, consult_id, reason="online consultation")
    form = form_cls(request.POST, request.FILES)
    if form.is_valid():
        try:
            act(consult, form)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("consults:online_consult", consult.pk)
    consult.refresh_from_db()
    return _consult_page(request, consult, status=422, **{name: form})


@login_required
@require_POST
def message(request: AuthedRequest, consult_id: str) -> HttpResponse:
    def act(c: Any, form: MessageForm) -> None:
        d = form.cleaned_data
        services.online_message(
            by=request.user, consult=c, body=d["body"], image=d["image"], reading=form.reading(),
            confirm_units=d["confirm_units"],
        )  # fmt: skip

    return _post(request, consult_id, MessageForm, "message_form", act)


@login_required
@require_POST
def reauth(request: AuthedRequest, consult_id: str) -> HttpResponse:
    return _post(
        request,
        consult_id,
        ReauthForm,
        "reauth_form",
        lambda c, f: services.online_reauth(by=request.user, consult=c, password=f.cleaned_data["password"]),
    )


@login_required
@require_POST
def prescribe(request: AuthedRequest, consult_id: str) -> HttpResponse:
    return _post(
        request,
        consult_id,
        PrescribeForm,
        "prescribe_form",
        lambda c, f: services.eprescription_sign(by=request.user, consult=c, lines=[f.cleaned_data]),
    )


@login_required
@require_POST
def stop(request: AuthedRequest, consult_id: str) -> HttpResponse:
    def act(c: Any, form: StopForm) -> None:
        d = form.cleaned_data
        services.online_send_to_visit(
            by=request.user, consult=c, kind=d["kind"], reason=d["reason"], visit_by=d["visit_by"],
            department=d["department"],
        )  # fmt: skip

    return _post(request, consult_id, StopForm, "stop_form", act)


@login_required
@require_POST
def close(request: AuthedRequest, consult_id: str) -> HttpResponse:
    return _post(
        request,
        consult_id,
        CloseForm,
        "close_form",
        lambda c, f: services.online_close(by=request.user, consult=c, summary=f.cleaned_data["summary"]),
    )


@login_required
def photo(request: AuthedRequest, message_id: str) -> FileResponse:
    m = access.access_online_message_by_id(request.user, message_id)
    if not m.image:
        raise NotFound(gettext("Not found."))
    return attachment_response(m.image.open("rb"), filename=m.image_name, content_type=m.image_type)


@login_required
def pharmacy(request: AuthedRequest) -> HttpResponse:
    """The pharmacist's queue: prescriptions of their institutions waiting for review, and the latest reviewed."""
    require_role(request.user, Role.PHARMACIST)
    waiting = list(selectors.prescription_list(for_user=request.user, status=PrescriptionStatus.PENDING_REVIEW)[:200])
    recent = list(selectors.prescription_list(for_user=request.user).exclude(status="pending_review")[:50])
    audit_patient_read(
        actor=request.user,
        person_ids=[rx.person_id for rx in waiting + recent],
        object_type="consults.eprescription",
        reason="review queue",
    )
    return render(request, "consults/online/pharmacy.html", {"waiting": waiting, "recent": recent})


def _prescription_page(
    request: AuthedRequest, rx: Any, form: ReviewForm | None = None, status: int = 200
) -> HttpResponse:
    ctx = {
        "rx": rx,
        "form": form or ReviewForm(),
        "can_review": rx.status == PrescriptionStatus.PENDING_REVIEW
        and services.is_pharmacist_of(request.user, rx.institution_id),
        "can_dispense": rx.status == PrescriptionStatus.APPROVED
        and services.is_pharmacist_of(request.user, rx.institution_id),
        "signature_ok": services.content_digest(rx.content) == rx.content_sha256,
        "transitions": _trail(selectors.transitions_of(rx)),
    }
    return render(request, "consults/online/prescription.html", ctx, status=status)


@login_required
def prescription(request: AuthedRequest, prescription_id: str) -> HttpResponse:
    rx = access.access_prescription_by_id(request.user, prescription_id, reason="e-prescription")
    return _prescription_page(request, rx)


@login_required
@require_POST
def review(request: AuthedRequest, prescription_id: str) -> HttpResponse:
    rx = access.access_prescription_by_id(request.user, prescription_id, reason="review")
    form = ReviewForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.eprescription_review(
                by=request.user, prescription=rx, approve=d["decision"] == "approve", reason=d["reason"]
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("consults:online_prescription", rx.pk)
    return _prescription_page(request, rx, form, status=422)


@login_required
@require_POST
def dispense(request: AuthedRequest, prescription_id: str) -> HttpResponse:
    rx = access.access_prescription_by_id(request.user, prescription_id, reason="dispense")
    services.eprescription_dispense(by=request.user, prescription=rx)
    return redirect("consults:online_prescription", rx.pk)
