"""Household pages for care teams: the list (scoped) and one household with its members (audited)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tiercare.core.access import require_role
from tiercare.people import selectors
from tiercare.people.access import access_household_by_id


@login_required
def households(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *selectors.PERSON_READER_ROLES)
    q = request.GET.get("q", "").strip()[:60] or None
    page = Paginator(selectors.household_list(for_user=request.user, q=q), 50).get_page(request.GET.get("page"))
    selectors.audit_households_read(
        actor=request.user, household_ids=[h.pk for h in page.object_list], reason="households page"
    )
    return render(request, "people/households.html", {"page": page, "q": q or ""})


@login_required
def household_detail(request: HttpRequest, household_id: str) -> HttpResponse:
    household = access_household_by_id(request.user, household_id, reason="household page")
    members = selectors.household_members(household=household)
    return render(request, "people/household.html", {"household": household, "members": members})
