"""Referral pages: worklists (htmx tabs), one referral with its timeline and actions, the create form, reserved
capacity, the dashboard. Each view parses, calls one access function and one service or selector, renders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import NotFound, ValidationFailed
from tiercare.core.files import attachment_response
from tiercare.network.models import Department, Tier
from tiercare.people.access import access_person_by_id
from tiercare.people.consent_views import offer_from_error
from tiercare.referrals import selectors, services
from tiercare.referrals.access import access_referral_by_id
from tiercare.referrals.forms import AttachmentForm, CapacityForm, ReferralForm, TransitionForm
from tiercare.referrals.models import Status
from tiercare.referrals.rules import Side, legal_actions

TABS = {
    "waiting": {"waiting_on": "me"},
    "overdue": {"overdue": True},
    "arriving": {"arriving_today": True},
    "back": {"back_referrals": True},
    "open": {"open": True},
    "all": {},
}


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "waiting")
    tab = tab if tab in TABS else "waiting"
    qs = selectors.referral_list(for_user=request.user, **TABS[tab])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    clinical = request.user.role not in selectors.OPS_ROLES
    if clinical:
        audit_patient_read(
            actor=request.user,
            person_ids=[r.person_id for r in page],
            object_type="referrals.referral",
            reason="worklist",
        )
    context = {"page": page, "tab": tab, "tabs": list(TABS), "clinical": clinical}
    template = "referrals/_rows.html" if request.headers.get("HX-Request") else "referrals/worklist.html"
    return render(request, template, context)


@login_required
def detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="referral page")
    actions = sorted({a for s in sides for a in legal_actions(ref.status, s)})
    if Side.OPS in sides and ref.is_open:
        actions.append("escalate")
    context = {
        "ref": ref,
        "sides": sorted(sides),
        "clinical": selectors.can_read_clinical(sides),
        "actions": actions,
        "timeline": ref.transitions.select_related("by").order_by("at", "created_at"),
        "green": services.green_status(ref),
        "attachments": ref.attachments.all() if selectors.can_read_clinical(sides) else [],
        "attach_form": AttachmentForm() if sides & {Side.REFERRING, Side.RECEIVING} and ref.is_open else None,
    }
    return render(request, "referrals/detail.html", context)


@login_required
@require_POST
def move(request: HttpRequest, referral_id: str) -> HttpResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="referral page action")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
    data = form.cleaned_data
    if data["action"] == "escalate":
        services.referral_escalate(referral=ref, by=request.user, sides=sides, reason=data["reason"])
    else:
        services.referral_transition(
            referral=ref,
            by=request.user,
            sides=sides,
            action=data["action"],
            reason=data["reason"],
            scheduled_for=data["scheduled_for"],
            discharge_summary=data["discharge_summary"],
            care_plan=data["care_plan"],
        )
    return redirect("referrals:detail", referral_id=ref.pk)


@login_required
@require_POST
def attach(request: HttpRequest, referral_id: str) -> HttpResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="attach file")
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationFailed(_("file: choose a file."), details={"field": "file"})
    services.attachment_add(by=request.user, referral=ref, sides=sides, upload=form.cleaned_data["file"])
    return redirect("referrals:detail", referral_id=ref.pk)


@login_required
def attachment(request: HttpRequest, referral_id: str, attachment_id: str) -> FileResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="open attachment")
    row = ref.attachments.filter(pk=attachment_id).first() if selectors.can_read_clinical(sides) else None
    if row is None:
        raise NotFound(_("No such attachment."))
    return attachment_response(row.file.open("rb"), filename=row.name, content_type=row.content_type)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = ReferralForm(request.POST or None, user=request.user)
    consent_offer = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["person"] = access_person_by_id(request.user, data["person"].pk, reason="referral")
        try:
            result = services.referral_create(by=request.user, **data)
        except ValidationFailed as exc:  # no consent on file: offer to record it here, keeping the form as typed
            consent_offer = offer_from_error(exc, request.path)
            if consent_offer is None:
                raise
            form.add_error("person", exc.message.removeprefix("consent: "))
        else:
            return redirect("referrals:detail", referral_id=result.referral.pk)
    # A refused form (a patient the user may not see is "not one of the choices") is a 422, as the care forms answer.
    status = 422 if request.method == "POST" else 200
    return render(request, "referrals/create.html", {"form": form, "consent_offer": consent_offer}, status=status)


@login_required
def capacity(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(organization__tier=Tier.TERTIARY).select_related("organization")
    form = CapacityForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.capacity_publish(
            by=request.user, department=d["department"], on=d["date"], kind=d["kind"], places=d["places"]
        )
        return redirect("referrals:capacity")
    rows = selectors.capacity_list(for_user=request.user)[:200]
    status = 422 if request.method == "POST" else 200
    return render(request, "referrals/capacity.html", {"form": form, "rows": rows}, status=status)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    metrics = selectors.referral_metrics(for_user=request.user)
    chart = {
        "hours": {
            "labels": [_("Sent → accepted"), _("Sent → arrival"), _("Sent → back-referral")],
            "values": [
                metrics["hours_sent_to_accepted"],
                metrics["hours_sent_to_arrival"],
                metrics["hours_sent_to_back_referral"],
            ],
        },
        "status": [{"name": str(Status(k).label), "value": v} for k, v in metrics["by_status"].items() if v],
        "queues": {
            "labels": [q["department"] for q in metrics["queue_length"]],
            "values": [q["waiting"] for q in metrics["queue_length"]],
        },
        "titles": {
            "hours": _("Mean hours from sending"),
            "status": _("Referrals by status"),
            "queues": _("Green-channel queue per department"),
        },
    }
    return render(request, "referrals/dashboard.html", {"m": metrics, "chart": chart})
