"""The coordinator's two withdrawals as pages (the API's ``cancel_session_request`` and ``cancel_booking``): an open
session request, and one patient's place in a session. Each resolves its id through the access function (404 for a
request or booking the user may not see), calls the one service, and returns to the page the form was on with what
happened (a refusal, such as a request already scheduled, is said there in words)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiercare.core.errors import Conflict
from tiercare.core.http import AuthedRequest
from tiercare.outreach import services
from tiercare.outreach.access import access_booking_by_id, access_request_by_id

REASON_MAX = 300


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()[:REASON_MAX]


@login_required
@require_POST
def request_cancel(request: AuthedRequest, request_id: str) -> HttpResponse:
    """Withdraw an open request (its department's coordinator, or operations); its confirmed sessions stay."""
    req = access_request_by_id(request.user, request_id)
    try:
        services.request_cancel(by=request.user, request=req, reason=_reason(request))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The request is withdrawn."))
    return redirect("outreach:coordinator")


@login_required
@require_POST
def booking_cancel(request: AuthedRequest, booking_id: str) -> HttpResponse:
    """Give back one patient's place (a coordinator of the host hospital); the place is free for the next booking."""
    booking = access_booking_by_id(request.user, booking_id)
    try:
        services.booking_cancel(by=request.user, booking=booking, reason=_reason(request))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The booking of %(name)s is cancelled.") % {"name": booking.person.name})
    return redirect("outreach:session", session_id=booking.session_id)
