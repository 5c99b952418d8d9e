"""Pages of the consults app: the hard-case workspace, opening a case (with attachments and its consent), a case with
its forms (attachments, ask for a tele-consultation, a second opinion or an MDT), a tele-consultation (the expert's
answer with outcome coding, request for more information or decline; the requester's reply), a second opinion (draft,
sign, addendum), attachments, the dashboard. MDT pages and experts' meeting hours are in ``mdt_views``.

Thin: one access function and one service each. A refused write answers 422 with the page as it was, the form as
typed and the service's message next to the field it names; nothing is stored. Forms post with htmx (the page's
body is swapped from the answer; a success navigates with HX-Redirect) and work without JavaScript (post, then
redirect).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from tiercare.consults import access, selectors, services
from tiercare.consults.forms import (
    AddendumForm,
    AnswerForm,
    AskForm,
    AttachmentForm,
    CancelForm,
    CaseForm,
    DeclineForm,
    MdtForm,
    MessageForm,
    OpinionForm,
)
from tiercare.consults.metrics import consult_metrics
from tiercare.consults.models import (
    OPEN_CONSULT,
    OPEN_OPINION,
    Case,
    ConsultStatus,
    MdtMeeting,
    OpinionStatus,
    Outcome,
    SecondOpinion,
    Teleconsult,
)
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import Conflict, DomainError, ValidationFailed
from tiercare.core.files import attachment_response
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.core.query import query_uuid
from tiercare.people.models import ConsentScope

# --- shared by the consults pages -------------------------------------------------------------------------------------


def htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def done(request: HttpRequest, url: str) -> HttpResponse:
    """After a write: htmx navigates to ``url`` (HX-Redirect), a plain form post is redirected there."""
    if htmx(request):
        return HttpResponse(status=200, headers={"HX-Redirect": url})
    return redirect(url)


def _strip_field(message: str, field: str) -> str:
    for sep in (": ", "："):
        if field and message.startswith(field + sep):
            return message[len(field) + len(sep) :]
    return message


def show_error(form: Any, exc: DomainError, rename: dict[str, str | None] | None = None) -> None:
    """A refused write's message next to the form field it concerns (``rename`` maps the service's field name to the
    form's; None puts it above the form), without the ``field:`` prefix the API keeps."""
    details = exc.details if isinstance(exc.details, dict) else {}
    field = str(details.get("field") or "")
    target = (rename or {}).get(field, field) if field else (rename or {}).get(exc.code)
    message = _strip_field(exc.message, field)
    form.add_error(target if target in form.fields and not form.fields[target].widget.is_hidden else None, message)


def consent_link(person_id: object, purpose: str, next_url: str) -> str:
    """The page where the patient's consent is recorded, coming back to ``next_url``; "" while the people app has no
    such page (the refusal is then shown without the link)."""
    try:
        base = reverse("people:consent-new")
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode({'person': str(person_id), 'purpose': purpose, 'next': next_url})}"


# --- workspace --------------------------------------------------------------------------------------------------------


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "inbox": selectors.expert_inbox(for_user=user) if user.role == Role.EXPERT else None,
        "mine": selectors.requester_open(for_user=user) if user.role in services.CASE_OPENERS else None,
        "risk": selectors.ops_late_or_at_risk(for_user=user) if user.role in (Role.OPS, Role.ADMIN) else None,
        "can_open": user.role in services.TELECONSULT_ASKERS,
    }
    return render(request, "consults/index.html", context)


# --- opening a case ---------------------------------------------------------------------------------------------------


@login_required
def case_new(request: AuthedRequest) -> HttpResponse:
    """Open a case with its attachments (the API's case create and attachment add, in one transaction: a refused
    file or a missing consent stores nothing). Without the patient's consent the refusal links to recording it."""
    require_role(request.user, *services.TELECONSULT_ASKERS)
    link = ""
    if request.method == "POST":
        form = CaseForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    case = services.case_create(
                        by=request.user, person=d["person"], question=d["question"], history=d["history"],
                        findings=d["findings"], current_treatment=d["current_treatment"],
                    )  # fmt: skip
                    for upload in d["files"]:
                        services.attachment_add(by=request.user, case=case, upload=upload)
            except (ValidationFailed, Conflict) as exc:
                person = d["person"]  # before the error takes it out of cleaned_data
                show_error(form, exc, {"consent": "person", "file": "files"})
                if exc.code == "consent_missing":
                    back = f"{reverse('consults:case_new')}?person={person.pk}"
                    link = consent_link(person.pk, ConsentScope.TELECONSULTATION, back)
            else:
                return done(request, reverse("consults:case", args=[case.pk]))
        status = 422
    else:
        picked = query_uuid(request, "person")
        chosen = access.case_patients(request.user).filter(pk=picked).first() if picked else None
        form = CaseForm(user=request.user, initial={"person": chosen.pk if chosen else None})
        status = 200
    # The patient list shows names: one audit row naming everyone offered (until a search picker replaces it).
    offered = form.fields["person"].queryset.values_list("pk", flat=True)  # type: ignore[attr-defined]
    audit_patient_read(actor=request.user, person_ids=list(offered), object_type="consults.case_form")
    return render(request, "consults/case_new.html", {"form": form, "consent_link": link}, status=status)


# --- a case and its forms ---------------------------------------------------------------------------------------------


def _case_forms(request: AuthedRequest, case: Case) -> dict[str, Any]:
    user = request.user
    out: dict[str, Any] = {}
    if services.can_upload(user, case):
        out["attach_form"] = AttachmentForm()
    if case.requested_by_id == user.pk:
        if user.role in services.TELECONSULT_ASKERS:
            out["teleconsult_form"] = AskForm(prefix="tc")
        out["opinion_form"] = AskForm(prefix="op")
    if user.role in services.MDT_OPENERS and services.may_open_mdt(user, case):
        out["mdt_form"] = MdtForm(prefix="mdt")
    return out


def case_page(request: AuthedRequest, case: Case, *, status: int = 200, **bound: Any) -> HttpResponse:
    """The case with its attachments, tele-consultations, opinions and MDTs, and the forms the user may use
    (``bound``: a form as posted, when its write was refused)."""
    context: dict[str, Any] = {
        "case": case,
        "attachments": case.attachments.all(),
        "teleconsults": case.teleconsults.select_related("expert").prefetch_related("messages__author"),
        "opinions": case.opinions.select_related("expert", "signed_by").prefetch_related("addenda"),
        **_case_forms(request, case),
        **bound,
    }
    meetings = {
        m.mdt_case_id: m
        for m in MdtMeeting.objects.filter(mdt_case__case=case)
        .select_related("chair", "signed_by")
        .prefetch_related("participants__practitioner")
    }
    context["mdts"] = [(m, meetings.get(m.pk)) for m in case.mdt_cases.select_related("site")]
    return render(request, "consults/case.html", context, status=status)


@login_required
def case_detail(request: AuthedRequest, case_id: str) -> HttpResponse:
    case = access.access_case_by_id(request.user, case_id, reason="case page")
    return case_page(request, case)


@login_required
@require_POST
def attachment_add(request: AuthedRequest, case_id: str) -> HttpResponse:
    case = access.access_case_by_id(request.user, case_id, reason="attach")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                for upload in form.cleaned_data["files"]:
                    services.attachment_add(by=request.user, case=case, upload=upload)
        except ValidationFailed as exc:
            show_error(form, exc, {"file": "files"})
        else:
            return done(request, reverse("consults:case", args=[case.pk]) + "#attachments")
    return case_page(request, case, attach_form=form, status=422)


def _ask(request: AuthedRequest, case_id: str, kind: str) -> HttpResponse:
    case = access.access_case_by_id(request.user, case_id, reason=f"ask {kind}")
    prefix = "tc" if kind == "teleconsult" else "op"
    form = AskForm(request.POST, prefix=prefix)
    if form.is_valid():
        d = form.cleaned_data
        ask = services.teleconsult_request if kind == "teleconsult" else services.opinion_request
        try:
            work = ask(by=request.user, case=case, specialty=d["specialty"], priority=d["priority"], expert=d["expert"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc, {"specialty": "expert" if d["expert"] else "specialty"})
        else:
            return done(request, work.get_absolute_url())
    return case_page(request, case, status=422, **{f"{kind}_form": form})


@login_required
@require_POST
def teleconsult_new(request: AuthedRequest, case_id: str) -> HttpResponse:
    """Ask a tele-consultation on the case (the API's ``teleconsult_create``): the page it leads to names the expert
    it was routed to and the deadline."""
    return _ask(request, case_id, "teleconsult")


@login_required
@require_POST
def opinion_new(request: AuthedRequest, case_id: str) -> HttpResponse:
    """Ask a second opinion on the case (the API's ``opinion_create``)."""
    return _ask(request, case_id, "opinion")


@login_required
@require_POST
def mdt_new(request: AuthedRequest, case_id: str) -> HttpResponse:
    """Make the case an MDT case (the API's ``mdt_create``); the MDT page then proposes times."""
    require_role(request.user, *services.MDT_OPENERS)
    case = access.access_case_by_id(request.user, case_id, reason="open MDT")
    form = MdtForm(request.POST, prefix="mdt")
    if form.is_valid():
        d = form.cleaned_data
        try:
            mdt = services.mdt_create(
                by=request.user, case=case, specialties=d["specialties"], deadline=d["deadline"],
                coordinator=d["coordinator"],
            )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:mdt", args=[mdt.pk]))
    return case_page(request, case, mdt_form=form, status=422)


def _may_withdraw(request: AuthedRequest, work: Teleconsult | SecondOpinion) -> bool:
    """services.work_cancel's rule, for the page to offer the form: the requester or the coordinating ops user."""
    return request.user.pk in (work.case.requested_by_id, work.case.coordinated_by_id)


def _withdraw(request: AuthedRequest, work: Teleconsult | SecondOpinion, page: Any) -> HttpResponse:
    """Withdraw an open tele-consultation or opinion with a reason (the API's ``teleconsult_cancel`` and
    ``opinion_cancel``)."""
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.work_cancel(by=request.user, work=work, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, work.get_absolute_url())
    return page(request, work, cancel_form=form, status=422)


# --- a tele-consultation ----------------------------------------------------------------------------------------------


def teleconsult_page(request: AuthedRequest, tc: Teleconsult, *, status: int = 200, **bound: Any) -> HttpResponse:
    user = request.user
    practitioner = getattr(user, "practitioner", None)
    is_expert = practitioner is not None and tc.expert_id == practitioner.pk
    is_open = tc.status in OPEN_CONSULT
    context: dict[str, Any] = {
        "tc": tc,
        "case": tc.case,
        "messages_": tc.messages.select_related("author"),
        "transitions": selectors.transitions_of(tc),
        "asked_more": selectors.transitions_of(tc).filter(reason=Outcome.MORE_INFORMATION).exists(),
    }
    if is_expert and is_open:
        context["answer_form"] = AnswerForm(prefix="answer")
        if tc.status == ConsultStatus.ASSIGNED and tc.first_answer_at is None:
            context["decline_form"] = DeclineForm(prefix="decline")
    if tc.case.requested_by_id == user.pk and is_open:
        context["message_form"] = MessageForm(prefix="msg")
    if is_open and _may_withdraw(request, tc):
        context["cancel_form"] = CancelForm(prefix="cancel")
    context.update(bound)
    return render(request, "consults/teleconsult.html", context, status=status)


@login_required
def teleconsult_detail(request: AuthedRequest, tc_id: str) -> HttpResponse:
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="tele-consultation page")
    return teleconsult_page(request, tc)


@login_required
@require_POST
def teleconsult_answer(request: AuthedRequest, tc_id: str) -> HttpResponse:
    """The expert answers with an outcome: advice only or referral needed close it (filed into the inviting side's
    record); more information needed asks the requester and keeps it open."""
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="answer")
    form = AnswerForm(request.POST, prefix="answer")
    if form.is_valid():
        d = form.cleaned_data
        try:
            if d["outcome"] == Outcome.MORE_INFORMATION:
                services.teleconsult_ask_more(by=request.user, teleconsult=tc, body=d["body"])
            else:
                services.teleconsult_close(by=request.user, teleconsult=tc, outcome=d["outcome"], note=d["body"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc, {"note": "body"})
        else:
            return done(request, tc.get_absolute_url())
    return teleconsult_page(request, tc, answer_form=form, status=422)


@login_required
@require_POST
def teleconsult_decline(request: AuthedRequest, tc_id: str) -> HttpResponse:
    """The expert declines with a reason; it is routed to another expert (or back to operations)."""
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="decline")
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            services.work_decline(by=request.user, work=tc, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:index") + "?declined=1")
    return teleconsult_page(request, tc, decline_form=form, status=422)


@login_required
@require_POST
def teleconsult_reply(request: AuthedRequest, tc_id: str) -> HttpResponse:
    """A message in the thread: the requester's reply or further information."""
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="message")
    form = MessageForm(request.POST, prefix="msg")
    if form.is_valid():
        try:
            services.teleconsult_message(by=request.user, teleconsult=tc, body=form.cleaned_data["body"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, tc.get_absolute_url())
    return teleconsult_page(request, tc, message_form=form, status=422)


@login_required
@require_POST
def teleconsult_cancel(request: AuthedRequest, tc_id: str) -> HttpResponse:
    tc = access.access_teleconsult_by_id(request.user, tc_id, reason="cancel")
    return _withdraw(request, tc, teleconsult_page)


# --- a second opinion -------------------------------------------------------------------------------------------------


def opinion_page(request: AuthedRequest, op: SecondOpinion, *, status: int = 200, **bound: Any) -> HttpResponse:
    practitioner = getattr(request.user, "practitioner", None)
    editable = op.status == OpinionStatus.ASSIGNED and practitioner is not None and op.expert_id == practitioner.pk
    context: dict[str, Any] = {"opinion": op, "editable": editable}
    if editable:
        context["form"] = OpinionForm(initial={"text": op.text})
        if op.first_answer_at is None:
            context["decline_form"] = DeclineForm(prefix="decline")
    if op.signed_at and op.signed_by_id == request.user.pk:
        context["addendum_form"] = AddendumForm()
    if op.status in OPEN_OPINION and _may_withdraw(request, op):
        context["cancel_form"] = CancelForm(prefix="cancel")
    context.update(bound)
    return render(request, "consults/opinion.html", context, status=status)


@login_required
def opinion_detail(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    op = access.access_opinion_by_id(request.user, opinion_id, reason="opinion page")
    return opinion_page(request, op)


@login_required
@require_POST
def opinion_edit(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    """Save (or save and sign) the draft. A refusal (nothing written, already signed) is shown beside the text."""
    op = access.access_opinion_by_id(request.user, opinion_id, reason="opinion edit")
    form = OpinionForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"]
        try:
            if request.POST.get("sign"):
                services.opinion_sign(by=request.user, opinion=op, text=text)
            else:
                services.opinion_draft(by=request.user, opinion=op, text=text)
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:opinion", args=[op.pk]))
    op.refresh_from_db()
    return opinion_page(request, op, form=form, status=422)


@login_required
@require_POST
def opinion_addendum(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    op = access.access_opinion_by_id(request.user, opinion_id, reason="addendum")
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.opinion_addendum(by=request.user, opinion=op, text=form.cleaned_data["text"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:opinion", args=[op.pk]))
    return opinion_page(request, op, addendum_form=form, status=422)


@login_required
@require_POST
def opinion_decline(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    """The assigned expert declines the opinion with a reason; it goes to another expert (or back to operations)."""
    op = access.access_opinion_by_id(request.user, opinion_id, reason="decline")
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            services.work_decline(by=request.user, work=op, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_error(form, exc)
        else:
            return done(request, reverse("consults:index") + "?declined=1")
    return opinion_page(request, op, decline_form=form, status=422)


@login_required
@require_POST
def opinion_cancel(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    op = access.access_opinion_by_id(request.user, opinion_id, reason="cancel")
    return _withdraw(request, op, opinion_page)


# --- files and figures ------------------------------------------------------------------------------------------------


@login_required
def attachment_download(request: AuthedRequest, attachment_id: str) -> FileResponse:
    """The only way to an attachment: access-checked (404 to anyone not on the case), audited, never cached."""
    att = access.access_attachment_by_id(request.user, attachment_id)
    return attachment_response(
        default_storage.open(att.file.name, "rb"), filename=att.filename, content_type=att.content_type
    )


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, Role.OPS, Role.ADMIN, Role.AUDITOR)
    return render(request, "consults/dashboard.html", {"m": consult_metrics()})
