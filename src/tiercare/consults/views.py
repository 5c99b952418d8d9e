"""Pages of the consults app: the hard-case workspace, a case, a second opinion, attachments, the dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tiercare.consults import access, selectors, services
from tiercare.consults.metrics import consult_metrics
from tiercare.consults.models import MdtMeeting, OpinionStatus
from tiercare.core.access import require_role
from tiercare.core.files import attachment_response
from tiercare.core.models import Role


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "inbox": selectors.expert_inbox(for_user=user) if user.role == Role.EXPERT else None,
        "mine": selectors.requester_open(for_user=user) if user.role in services.CASE_OPENERS else None,
        "risk": selectors.ops_late_or_at_risk(for_user=user) if user.role in (Role.OPS, Role.ADMIN) else None,
    }
    return render(request, "consults/index.html", context)


@login_required
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    case = access.access_case_by_id(request.user, case_id, reason="case page")
    context = {
        "case": case,
        "attachments": case.attachments.all(),
        "teleconsults": case.teleconsults.select_related("expert").prefetch_related("messages__author"),
        "opinions": case.opinions.select_related("expert", "signed_by").prefetch_related("addenda"),
    }
    meetings = {
        m.mdt_case_id: m
        for m in MdtMeeting.objects.filter(mdt_case__case=case)
        .select_related("chair", "signed_by")
        .prefetch_related("participants__practitioner")
    }
    context["mdts"] = [(m, meetings.get(m.pk)) for m in case.mdt_cases.select_related("site")]
    return render(request, "consults/case.html", context)


@login_required
def opinion_detail(request: HttpRequest, opinion_id: str) -> HttpResponse:
    op = access.access_opinion_by_id(request.user, opinion_id, reason="opinion page")
    practitioner = getattr(request.user, "practitioner", None)
    editable = op.status == OpinionStatus.ASSIGNED and practitioner is not None and op.expert_id == practitioner.pk
    return render(request, "consults/opinion.html", {"opinion": op, "editable": editable})


@login_required
@require_POST
def opinion_edit(request: HttpRequest, opinion_id: str) -> HttpResponse:
    """Save (or save and sign) the draft. A signed opinion is refused by the service with 409."""
    op = access.access_opinion_by_id(request.user, opinion_id, reason="opinion edit")
    text = request.POST.get("text", "")[:20000]
    if request.POST.get("sign"):
        services.opinion_sign(by=request.user, opinion=op, text=text)
    else:
        services.opinion_draft(by=request.user, opinion=op, text=text)
    return redirect("consults:opinion", opinion_id=op.pk)


@login_required
@require_POST
def opinion_addendum(request: HttpRequest, opinion_id: str) -> HttpResponse:
    op = access.access_opinion_by_id(request.user, opinion_id, reason="addendum")
    services.opinion_addendum(by=request.user, opinion=op, text=request.POST.get("text", "")[:8000])
    return redirect("consults:opinion", opinion_id=op.pk)


@login_required
def attachment_download(request: HttpRequest, attachment_id: str) -> FileResponse:
    """The only way to an attachment: access-checked (404 to anyone not on the case), audited, never cached."""
    att = access.access_attachment_by_id(request.user, attachment_id)
    return attachment_response(
        default_storage.open(att.file.name, "rb"), filename=att.filename, content_type=att.content_type
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.OPS, Role.ADMIN, Role.AUDITOR)
    return render(request, "consults/dashboard.html", {"m": consult_metrics()})
