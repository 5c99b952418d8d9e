"""Care pages: team worklists (with xlsx), household plan, a person's plan with the rules that fired, the
patient's own plan, and the center/team dashboard. Thin: one access function and one selector each."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tiercare.care import access, selectors, services
from tiercare.care.export import worklist_rows
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if request.user.role == "patient":
        return redirect("care:my_plan")
    require_role(request.user, *selectors.TEAM_ROLES, "admin", "ops")
    teams = list(selectors.team_list(for_user=request.user))
    for t in teams:
        t.panels = services.team_panels(t)  # type: ignore[attr-defined]
    return render(request, "care/index.html", {"teams": teams, "kinds": selectors.WORKLISTS})


@login_required
def worklist(request: HttpRequest, team_id: str, kind: str) -> HttpResponse:
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    team = access.access_team(request.user, team_id)
    kind = kind if kind in selectors.WORKLISTS else "overdue"
    rows = list(selectors.worklist(team=team, kind=kind)[:500])
    audit_patient_read(actor=request.user, person_ids=[e.person_id for e in rows], object_type="care.worklist")
    ctx = {
        "team": team,
        "kind": kind,
        "kinds": selectors.WORKLISTS,
        "rows": worklist_rows(rows, timezone.localdate()),
    }
    return render(request, "care/worklist.html", ctx)


@login_required
def household(request: HttpRequest, household_id: str) -> HttpResponse:
    hh = access.access_household(request.user, household_id, reason="household plan page")
    people = selectors.person_list(for_user=request.user, household=hh.pk)
    members = [selectors.person_plan(person=p, followups=8) for p in people]
    contract = selectors.contract_list(for_user=request.user, household=hh.pk, status="active").first()
    return render(request, "care/household.html", {"household": hh, "contract": contract, "members": members})


@login_required
def person(request: HttpRequest, person_id: str) -> HttpResponse:
    p = access.access_person(request.user, person_id, reason="plan page")
    return render(request, "care/person.html", {"plan": selectors.person_plan(person=p, followups=8)})


@login_required
def my_plan(request: HttpRequest) -> HttpResponse:
    require_role(request.user, "patient")
    me = getattr(request.user, "person", None)
    p = access.access_person(request.user, me.pk if me else "-", reason="own plan")
    return render(request, "care/person.html", {"plan": selectors.person_plan(person=p, followups=8), "own": True})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    team = request.GET.get("team") or None
    all_teams = selectors.dashboard_teams(for_user=request.user).select_related("center")
    teams = all_teams.filter(pk=team) if team and all_teams.filter(pk=team).exists() else all_teams
    data = selectors.dashboard(teams=teams)
    return render(request, "care/dashboard.html", {"data": data, "teams": all_teams, "team": team or ""})
