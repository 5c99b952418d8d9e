"""The center's pages: the chronic-care dashboard (a center's or team's figures, the hypertension target
decision), the center's worklists of lapsed contracts and owed care, and the center lead's page."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tiercare.care import access, selectors, services
from tiercare.care.forms import (
    TargetDecisionForm,
    program_name,
    show_domain_error,
)
from tiercare.care.views import _name_suggestion_program
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.query import query_uuid

WORKLIST_LABELS = {
    "overdue": _("Overdue"),
    "due_this_week": _("Due this week"),
    "uncontrolled": _("Not controlled"),
    "risk_rose": _("Risk rose"),
    "suggestions": _("Referral suggested"),
    "screening": _("Screening or re-check overdue"),
    "lost": _("Lost to follow-up"),
    "removed": _("Removed"),
}
CENTER_WORKLIST_LABELS = {
    "lapsed": _("Contract lapsed"),
    "escalated": _("Referral suggestions past their deadline"),
}


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    return _dashboard_page(request)


def _dashboard_page(
    request: AuthedRequest, *, target_form: TargetDecisionForm | None = None, status: int = 200
) -> HttpResponse:
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    team = query_uuid(request, "team")
    all_teams = selectors.dashboard_teams(for_user=request.user).select_related("center")
    teams = all_teams.filter(pk=team) if team and all_teams.filter(pk=team).exists() else all_teams
    data = selectors.dashboard(teams=teams)
    decisions = _target_decisions(all_teams)
    if request.user.role in ("gp", "admin"):  # services.protocol_variant_decide: a GP of the center decides
        bound = {target_form.prefix: target_form} if target_form is not None else {}
        for c in decisions:
            c["form"] = bound.get(f"target-{c['center'].pk}") or TargetDecisionForm(center_id=c["center"].pk)
    ctx = {"data": data, "teams": all_teams, "team": str(team or ""), "target_decisions": decisions}
    return render(request, "care/dashboard.html", ctx, status=status)


@login_required
@require_POST
def target_decide(request: AuthedRequest, center_id: uuid.UUID) -> HttpResponse:
    """Record the center's hypertension target at 65 or more from the dashboard (the API's ``care_variant_decide``):
    a center where the user has no team is 404; anyone but a GP of the center is refused by the service (403); a
    missing choice or reason is answered beside the field."""
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    team = selectors.dashboard_teams(for_user=request.user).filter(center_id=center_id).first()
    if team is None:
        raise NotFound(gettext("Not found."))
    form = TargetDecisionForm(request.POST, center_id=team.center_id)
    if form.is_valid():
        try:
            services.protocol_variant_decide(
                by=request.user, center=team.center, protocol_code="hypertension", variant="HTN-TARGET-65-150",
                enabled=form.cleaned_data["enabled"], reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, gettext("The center's decision is recorded."))
            return redirect(f"{reverse('care:dashboard')}#target-decisions")
    return _dashboard_page(request, target_form=form, status=422)


@login_required
def center_worklist(request: AuthedRequest, center_id: str, kind: str) -> HttpResponse:
    """A center's worklists kept by its lead: ``lapsed`` (residents whose contract lapsed while they need care:
    renew, or end the enrolment with a reason; a transfer is a contract with another team) and ``escalated``
    (referral suggestions no one acted on by their deadline)."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    center = access.access_center_lead(request.user, center_id)
    kind = kind if kind in selectors.CENTER_WORKLISTS else "lapsed"
    ctx: dict[str, Any] = {
        "center": center,
        "kind": kind,
        "kind_label": CENTER_WORKLIST_LABELS[kind],
        "kinds": CENTER_WORKLIST_LABELS.items(),
    }
    if kind == "lapsed":
        people = list(selectors.lapsed_persons(center_ids=[center.pk])[:500])
        programs = selectors.active_enrollments_by_person([p.pk for p in people])
        for p in people:
            p.programs = [(e, program_name(e.protocol_code)) for e in programs.get(p.pk, [])]  # type: ignore[attr-defined]
        ctx["people"] = people
        person_ids = [p.pk for p in people]
    else:
        suggestions = list(selectors.escalated_suggestions(center_ids=[center.pk])[:500])
        for s in suggestions:
            _name_suggestion_program(s)
        ctx["suggestions"] = suggestions
        person_ids = [s.person_id for s in suggestions]
    audit_patient_read(actor=request.user, person_ids=person_ids, object_type=f"care.center_worklist.{kind}")
    return render(request, "care/center_worklist.html", ctx)


@login_required
def center_lead(request: AuthedRequest, center_id: str) -> HttpResponse:
    """Name the center's lead (``services.center_lead_set``), who owns its "contract lapsed" and "escalated"
    worklists: operations, administrators or the current lead; anyone else 404. A choice that is not one of the
    center's family doctors or health managers is refused beside the field; nothing changes."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin", "ops")
    center = access.access_center_for_lead(request.user, center_id)
    candidates = list(services.center_lead_candidates(center.pk))
    error, status, chosen = "", 200, ""
    if request.method == "POST":
        chosen = request.POST.get("member", "")
        member = next((m for m in candidates if str(m.pk) == chosen), None)
        if member is None:
            error, status = gettext("Choose a family doctor or health manager of a team at this center."), 422
        else:
            try:
                services.center_lead_set(by=request.user, center=center, member=member)
            except ValidationFailed:  # no longer a candidate (changed meanwhile): the same words beside the field
                error, status = gettext("Choose a family doctor or health manager of a team at this center."), 422
            else:
                if request.user.role in ("ops", "admin") or services.is_center_lead(request.user, center.pk):
                    return redirect(f"{reverse('care:center_lead', args=[center.pk])}?named={member.pk}")
                # a lead who handed over no longer opens this page: back to the care page, told it is done
                messages.success(request, gettext("The center's lead is named."))
                return redirect("care:index")
    ctx = {
        "center": center,
        "candidates": candidates,
        "lead": next((m for m in candidates if m.center_lead), None),
        "error": error,
        "chosen": chosen,
        "named": request.GET.get("named", ""),
    }
    return render(request, "care/center_lead.html", ctx, status=status)


def _target_decisions(teams: Any) -> list[dict[str, Any]]:
    """Each center's latest recorded decision on the >=65 hypertension target (issue 11), or none (the default)."""
    from tiercare.care.models import ProtocolVariantDecision

    centers = {t.center_id: t.center for t in teams}
    latest: dict[Any, Any] = {}
    for d in ProtocolVariantDecision.objects.filter(
        center_id__in=centers, protocol_code="hypertension", variant="HTN-TARGET-65-150"
    ).select_related("decided_by"):
        latest.setdefault(d.center_id, d)
    return [{"center": c, "decision": latest.get(pk)} for pk, c in centers.items()]
