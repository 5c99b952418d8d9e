"""The triage page, for patients and GP-center front desks: no sign-in, the same service as the API; and the
registrations-per-episode page for operations and GP-center leads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from tiercare.core.errors import Forbidden, RateLimited
from tiercare.core.http import AuthedRequest
from tiercare.core.middleware import client_ip
from tiercare.people.access import access_person_by_id
from tiercare.triage import selectors
from tiercare.triage.forms import TriageForm
from tiercare.triage.services import RECORDER_ROLES, triage_complaint, triage_use_record


@require_http_methods(["GET", "POST"])
def triage_page(request: HttpRequest) -> HttpResponse:
    """The form; on a valid POST the ranked specialties, the red-flag advice and the experts and sessions. A
    refused form keeps what was typed, with each error beside its field (422); past the rate limit, 429. A signed-in
    front desk (GP center, coordinator) may name the patient: the triage's first choice is then recorded, so that
    the registrations that follow are counted against it (a patient they may not see: 404)."""
    user = request.user
    front_desk = user.is_authenticated and getattr(user, "role", None) in RECORDER_ROLES
    form = TriageForm(request.POST or None, front_desk=front_desk)
    answer, status, recorded = None, 200, False
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            person = None
            if data.get("patient"):  # a patient the front desk may not see: 404 before anything is counted
                person = access_person_by_id(user, data["patient"], reason="triage")  # type: ignore[arg-type]
            try:
                answer = triage_complaint(
                    complaint=data["complaint"], age_years=data["age_years"], sex=data["sex"], ip=client_ip(request)
                )
                status = 200
            except RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
            if answer is not None and person is not None:
                triage_use_record(
                    by=user,  # type: ignore[arg-type]
                    person=person,
                    first_specialty=answer.specialties[0].code,
                    urgent=answer.urgent,
                )
                recorded = True
    ctx = {"form": form, "answer": answer, "recorded": recorded}
    return render(request, "triage/triage.html", ctx, status=status)


@login_required
def registrations_page(request: AuthedRequest) -> HttpResponse:
    """Registrations per episode of care: the monthly mean per center and network-wide beside the seed's 2.6, the
    simulated year with and without triage (said to be simulated), and how triage's first choice compared with the
    treating department. Operations, administrators and auditors see every center; a GP-center lead sees theirs;
    anyone else 403. Counts and means only: no patient is shown, so no patient read is audited."""
    if selectors.registration_center_ids(request.user) == []:
        raise Forbidden(gettext("Only operations and GP-center leads see registrations per episode."))
    chart = selectors.registrations_chart(for_user=request.user, today=timezone.localdate())
    columns = [c["values"] for c in chart["centers"]] + [
        chart["network"],
        chart["without_triage"],
        chart["with_triage"],
    ]
    rows = [[month, *(col[i] for col in columns)] for i, month in enumerate(chart["months"])]
    agreement = [
        (gettext("Counted episodes"), chart["agreement"]["real"]),
        (gettext("Simulated episodes with triage"), chart["agreement"]["simulated"]),
    ]
    return render(request, "triage/registrations.html", {"chart": chart, "rows": rows, "agreement": agreement})
