"""Pages for family-doctor contracts and teams: a household's contract (sign one with a package and its members,
end it with a reason; renewing is ``views.contract_renew``, and the team's renewal list is ``views.contracts_ending``),
and the teams of a center (build a team, assign and remove GPs, nurses and health managers).

Each view resolves every id through an access function (404 to anyone else, audited) and calls one service; a
refused write answers 422 with the form as typed and the message beside the field, and stores nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tiercare.care import access, selectors, services, teams
from tiercare.care.forms import show_domain_error
from tiercare.care.models import CareContract, ContractStatus, GpTeam, Package
from tiercare.care.team_forms import ContractEndForm, ContractSignForm, TeamForm, TeamMemberForm
from tiercare.core.access import require_role
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.people.access import access_household_by_id
from tiercare.people.models import Household

REFUSED = (ValidationFailed, Conflict, Forbidden)
CONTRACT_ROLES = (*selectors.TEAM_ROLES, Role.ADMIN)


def _contract_page(
    request: AuthedRequest,
    household: Household,
    *,
    sign_form: ContractSignForm | None = None,
    end_form: ContractEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    contracts = list(
        CareContract.objects.filter(household=household).select_related("team").order_by("-start", "-created_at")
    )
    active = next((c for c in contracts if c.status == ContractStatus.ACTIVE), None)
    my_teams = selectors.team_list(for_user=request.user)
    ctx: dict[str, Any] = {
        "household": household,
        "contracts": contracts,
        "active": active,
        "members": household.members.select_related("person").order_by("created_at"),
        "covered": set(active.enrolled.filter(active=True).values_list("person_id", flat=True)) if active else set(),
        "signed": request.GET.get("signed", ""),
        "renewed": request.GET.get("renewed", ""),
        "packages": Package.choices,
        "ending_url": reverse("care:contracts_ending", args=[active.team_id]) if active else "",
    }
    if active is None:
        ctx["sign_form"] = sign_form or ContractSignForm(household=household, teams=my_teams)
    else:
        ctx["end_form"] = end_form or ContractEndForm()
    return render(request, "care/household_contract.html", ctx, status=status)


@login_required
def household_contract(request: AuthedRequest, household_id: str) -> HttpResponse:
    """The household's family-doctor contract: the active one (renew, end), or the form to sign one; history."""
    require_role(request.user, *CONTRACT_ROLES)
    household = access_household_by_id(request.user, household_id, reason="contract page")
    return _contract_page(request, household)


@login_required
@require_POST
def contract_sign(request: AuthedRequest, household_id: str) -> HttpResponse:
    """Sign the household with one of the user's teams (``services.contract_sign``)."""
    require_role(request.user, *CONTRACT_ROLES)
    household = access_household_by_id(request.user, household_id, reason="sign contract")
    form = ContractSignForm(request.POST, household=household, teams=selectors.team_list(for_user=request.user))
    result = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            result = services.contract_sign(
                by=request.user,
                household=household,
                team=d["team"],
                start=d["start"],
                end=d["end"],
                package=d["package"],
                persons=list(d["persons"]),
            )
        except REFUSED as exc:
            show_domain_error(form, exc)
    if result is None:
        return _contract_page(request, household, sign_form=form, status=422)
    url = reverse("care:household-contract", args=[household.pk])
    return redirect(f"{url}?signed={result.contract.pk}")


@login_required
@require_POST
def contract_end(request: AuthedRequest, contract_id: str) -> HttpResponse:
    """End (terminate) an active contract with a reason (``services.contract_terminate``)."""
    require_role(request.user, *CONTRACT_ROLES)
    contract = access.access_contract(request.user, contract_id, reason="end contract")
    form = ContractEndForm(request.POST)
    if form.is_valid():
        try:
            services.contract_terminate(
                by=request.user, contract=contract, on=timezone.localdate(), reason=form.cleaned_data["reason"]
            )
        except REFUSED as exc:
            show_domain_error(form, exc)
        else:
            return redirect("care:household-contract", household_id=contract.household_id)
    household = access_household_by_id(request.user, contract.household_id, reason="contract page")
    return _contract_page(request, household, end_form=form, status=422)


# --- teams --------------------------------------------------------------------------------------------------------


@login_required
def team_list(request: AuthedRequest) -> HttpResponse:
    """The teams the user belongs to or manages, and the centers where they may build one."""
    require_role(request.user, *selectors.TEAM_ROLES, Role.OPS, Role.ADMIN)
    own = selectors.team_list(for_user=request.user).values("pk")
    managed = teams.managed_teams(request.user).values("pk")
    rows = list(
        GpTeam.objects.filter(Q(pk__in=own) | Q(pk__in=managed))
        .select_related("center")
        .prefetch_related("members__practitioner")
        .order_by("center__name", "name")
    )
    ctx = {"teams": rows, "can_create": teams.managed_centers(request.user).exists()}
    return render(request, "care/teams.html", ctx)


@login_required
def team_new(request: AuthedRequest) -> HttpResponse:
    """Build a team at a GP center (``services.team_create``): operations for any center (a new center gets its
    first team this way), a center's lead for theirs."""
    require_role(request.user, *selectors.TEAM_ROLES, Role.OPS, Role.ADMIN)
    form = TeamForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                by=request.user, center=form.cleaned_data["center"], name=form.cleaned_data["name"]
            )
        except REFUSED as exc:
            show_domain_error(form, exc)
        else:
            return redirect("care:team", team_id=team.pk)
    return render(request, "care/team_new.html", {"form": form}, status=422 if form.is_bound else 200)


def _team_page(
    request: AuthedRequest, team: Any, *, member_form: TeamMemberForm | None = None, status: int = 200
) -> Any:
    manages = teams.managed_teams(request.user).filter(pk=team.pk).exists()
    ctx: dict[str, Any] = {
        "team": team,
        "members": team.members.select_related("practitioner").order_by("-active", "role", "created_at"),
        "manages": manages,
        "is_member": selectors.team_list(for_user=request.user).filter(pk=team.pk).exists()
        and request.user.role != Role.OPS,
        "panels": services.team_panels(team),
    }
    if manages:
        can_name_lead = request.user.role in (Role.OPS, Role.ADMIN)
        ctx["member_form"] = member_form or TeamMemberForm(team=team, can_name_lead=can_name_lead)
    return render(request, "care/team.html", ctx, status=status)


@login_required
def team_detail(request: AuthedRequest, team_id: str) -> HttpResponse:
    require_role(request.user, *selectors.TEAM_ROLES, Role.OPS, Role.ADMIN)
    return _team_page(request, access.access_team_page(request.user, team_id))


@login_required
@require_POST
def team_member_add(request: AuthedRequest, team_id: str) -> HttpResponse:
    """Assign a GP, nurse or health manager of the center to the team (``teams.team_member_add``)."""
    require_role(request.user, *selectors.TEAM_ROLES, Role.OPS, Role.ADMIN)
    team = access.access_managed_team(request.user, team_id)
    can_name_lead = request.user.role in (Role.OPS, Role.ADMIN)
    form = TeamMemberForm(request.POST, team=team, can_name_lead=can_name_lead)
    if form.is_valid():
        d = form.cleaned_data
        try:
            teams.team_member_add(
                by=request.user,
                team=team,
                practitioner=d["practitioner"],
                role=d["role"],
                hours_per_week=d["hours_per_week"],
                center_lead=d.get("center_lead", False),
            )
        except REFUSED as exc:
            show_domain_error(form, exc)
        else:
            return redirect("care:team", team_id=team.pk)
    return _team_page(request, team, member_form=form, status=422)


@login_required
@require_POST
def team_member_end(request: AuthedRequest, member_id: str) -> HttpResponse:
    require_role(request.user, *selectors.TEAM_ROLES, Role.OPS, Role.ADMIN)
    member = access.access_team_member(request.user, member_id)
    teams.team_member_end(by=request.user, member=member)
    return redirect("care:team", team_id=member.team_id)
