"""Referral pages: worklists (htmx tabs), one referral with its timeline and actions, the create form, reserved
capacity, the dashboard. Each view parses, calls one access function and one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tiercare.core.access import STAFF_ROLES, require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.files import attachment_response
from tiercare.core.http import AuthedRequest
from tiercare.network.models import Department, Tier
from tiercare.network.practice import basis_label
from tiercare.people.access import access_person_by_id
from tiercare.people.consent_views import offer_from_error
from tiercare.referrals import selectors, services
from tiercare.referrals.access import access_referral_by_id
from tiercare.referrals.forms import AttachmentForm, CapacityForm, ReferralForm, TransitionForm, show_domain_error
from tiercare.referrals.models import Referral, Status
from tiercare.referrals.rules import PAGE_ACTIONS, Side, action_label, offered_actions, side_label, step_label

# The button of each action on the referral page.
ACTION_BUTTONS = {
    "send": gettext_lazy("Send"),
    "accept": gettext_lazy("Accept"),
    "decline": gettext_lazy("Decline"),
    "schedule": gettext_lazy("Schedule"),
    "arrive": gettext_lazy("Patient arrived"),
    "treat": gettext_lazy("Treated"),
    "back_refer": gettext_lazy("Refer back"),
    "confirm_receipt": gettext_lazy("Confirm receipt"),
    "cancel": gettext_lazy("Cancel the referral"),
    "escalate": gettext_lazy("Escalate"),
}

TABS: dict[str, dict[str, Any]] = {
    "waiting": {"waiting_on": "me"},
    "overdue": {"overdue": True},
    "arriving": {"arriving_today": True},
    "back": {"back_referrals": True},
    "open": {"open": True},
    "all": {},
}


@login_required
def worklist(request: AuthedRequest) -> HttpResponse:
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
    context = {
        "page": page,
        "tab": tab,
        "tabs": list(TABS),
        "clinical": clinical,
        "can_refer": request.user.role in services.REFERRER_ROLES,
        "staff": request.user.role in STAFF_ROLES,
    }
    template = "referrals/_rows.html" if request.headers.get("HX-Request") else "referrals/worklist.html"
    return render(request, template, context)


def _timeline(ref: Referral, clinical: bool) -> list[dict[str, Any]]:
    """The referral's moves as people read them: what happened (and the state it led to), who on which side, why."""
    rows = []
    for t in ref.transitions.select_related("by").order_by("at", "created_at"):
        what = action_label(t.action)
        if t.to_status != t.from_status or t.action == "create":
            what = f"{what} → {Status(t.to_status).label}" if t.to_status in Status.values else what
        who = str(t.by) if t.by else _("system")  # the display name (the username only when none is set)
        rows.append(
            {
                "at": t.at,
                "action": t.action,
                "what": what,
                "who": f"{who} · {side_label(t.side)}",
                "reason": t.reason if clinical else "",
            }
        )
    return rows


def _detail_page(
    request: AuthedRequest,
    ref: Referral,
    sides: set[str],
    *,
    posted: TransitionForm | None = None,
    attach_form: AttachmentForm | None = None,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    """The referral page: where it stands, its content for the clinical sides, one form per action the user may take
    now (``rules.offered_actions``, nothing else), the timeline. ``posted``: an action's form as posted, with its
    errors; ``refused``: a refusal that belongs to no form (the action is no longer possible)."""
    clinical = selectors.can_read_clinical(sides)
    offered = offered_actions(ref.status, sides, escalated=ref.escalated_at is not None)
    action_forms = [
        (
            a,
            ACTION_BUTTONS[a],
            posted if posted is not None and posted.action == a else TransitionForm(action=a, referral=ref),
        )
        for a in offered
    ]
    can_attach = bool(sides & {Side.REFERRING, Side.RECEIVING}) and ref.is_open
    context = {
        "ref": ref,
        "sides": sorted(sides),
        "clinical": clinical,
        "actions": offered,
        "action_forms": action_forms,
        "refused": refused,
        "due_step_label": step_label(ref.due_step) if ref.due_step else "",
        "basis_label": basis_label(ref.expert_practice_basis) if ref.expert_practice_basis else "",
        "timeline": _timeline(ref, clinical),
        "green": services.green_status(ref),
        "attachments": ref.attachments.all() if clinical else [],
        "attach_form": (attach_form or AttachmentForm()) if can_attach else None,
    }
    return render(request, "referrals/detail.html", context, status=status)


@login_required
def detail(request: AuthedRequest, referral_id: str) -> HttpResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="referral page")
    return _detail_page(request, ref, sides)


@login_required
@require_POST
def move(request: AuthedRequest, referral_id: str) -> HttpResponse:
    """Take one action on the referral. Refused input comes back beside its field on the referral page (422), with
    what was typed; an action the referral's state or the user's side does not allow is refused (409 / 403) with the
    reason above the forms, and the page then offers only what is possible."""
    ref, sides = access_referral_by_id(request.user, referral_id, reason="referral page action")
    action = request.POST.get("action", "")
    if action not in PAGE_ACTIONS:
        raise ValidationFailed(_("Choose one of the actions the page offers."), code="unknown_action")
    try:
        services.check_action(ref, sides, action)
    except (Conflict, Forbidden) as exc:
        return _detail_page(request, ref, sides, refused=exc.message, status=exc.status)
    form = TransitionForm(request.POST, action=action, referral=ref)
    if form.is_valid():
        try:
            if action == "escalate":
                services.referral_escalate(referral=ref, by=request.user, sides=sides, reason=form.payload()["reason"])
            else:
                services.referral_transition(
                    referral=ref, by=request.user, sides=sides, action=action, **form.payload()
                )
        except (Conflict, Forbidden) as exc:  # the referral moved meanwhile
            ref, sides = access_referral_by_id(request.user, referral_id, reason="referral page action")
            return _detail_page(request, ref, sides, refused=exc.message, status=exc.status)
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            return redirect("referrals:detail", referral_id=ref.pk)
    return _detail_page(request, ref, sides, posted=form, status=422)


@login_required
@require_POST
def attach(request: AuthedRequest, referral_id: str) -> HttpResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="attach file")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(by=request.user, referral=ref, sides=sides, upload=form.cleaned_data["file"])
        except (ValidationFailed, Conflict, Forbidden) as exc:
            show_domain_error(form, exc)
            return _detail_page(request, ref, sides, attach_form=form, status=exc.status)
        return redirect("referrals:detail", referral_id=ref.pk)
    return _detail_page(request, ref, sides, attach_form=form, status=422)


@login_required
def attachment(request: AuthedRequest, referral_id: str, attachment_id: str) -> FileResponse:
    ref, sides = access_referral_by_id(request.user, referral_id, reason="open attachment")
    row = ref.attachments.filter(pk=attachment_id).first() if selectors.can_read_clinical(sides) else None
    if row is None:
        raise NotFound(_("No such attachment."))
    return attachment_response(row.file.open("rb"), filename=row.name, content_type=row.content_type)


@login_required
def create(request: AuthedRequest) -> HttpResponse:
    """Write a referral up: for the roles that refer (anyone else, a patient included, is refused with 403)."""
    require_role(request.user, *services.REFERRER_ROLES)
    form = ReferralForm(request.POST or None, user=request.user)
    consent_offer = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["person"] = access_person_by_id(request.user, data["person"].pk, reason="referral")
            try:
                result = services.referral_create(by=request.user, **data)
            except (ValidationFailed, Conflict, Forbidden) as exc:
                # no consent on file: offer to record it here, keeping the form as typed
                consent_offer = offer_from_error(exc, request.path) if isinstance(exc, ValidationFailed) else None
                if consent_offer is not None:
                    form.add_error("person", exc.message.removeprefix("consent: "))
                else:
                    show_domain_error(form, exc)
                    status = exc.status
            else:
                return redirect("referrals:detail", referral_id=result.referral.pk)
    return render(request, "referrals/create.html", {"form": form, "consent_offer": consent_offer}, status=status)


@login_required
def capacity(request: AuthedRequest) -> HttpResponse:
    """The network's reserved green-channel places: staff read them; the department's staff and operations publish."""
    require_role(request.user, *STAFF_ROLES)
    departments = Department.objects.filter(organization__tier=Tier.TERTIARY).select_related("organization")
    form = CapacityForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.capacity_publish(
                    by=request.user, department=d["department"], on=d["date"], kind=d["kind"], places=d["places"]
                )
            except (ValidationFailed, Conflict, Forbidden) as exc:
                show_domain_error(form, exc)
                status = exc.status
            else:
                return redirect("referrals:capacity")
    rows = selectors.capacity_list(for_user=request.user)[:200]
    return render(request, "referrals/capacity.html", {"form": form, "rows": rows}, status=status)


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *STAFF_ROLES)
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
