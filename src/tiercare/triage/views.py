"""The triage page, for patients and GP-center front desks: no sign-in, the same service as the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tiercare.core.errors import RateLimited
from tiercare.core.middleware import client_ip
from tiercare.triage.forms import TriageForm
from tiercare.triage.services import triage_complaint


@require_http_methods(["GET", "POST"])
def triage_page(request: HttpRequest) -> HttpResponse:
    """The form; on a valid POST the ranked specialties, the red-flag advice and the experts and sessions. A
    refused form keeps what was typed, with each error beside its field (422); past the rate limit, 429."""
    form = TriageForm(request.POST or None)
    answer, status = None, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                answer = triage_complaint(
                    complaint=data["complaint"], age_years=data["age_years"], sex=data["sex"], ip=client_ip(request)
                )
                status = 200
            except RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
    return render(request, "triage/triage.html", {"form": form, "answer": answer}, status=status)
