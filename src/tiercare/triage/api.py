"""``POST /api/v1/triage``: anonymous (patients use it before they have an account), rate-limited per address."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tiercare.core.api import ErrorOut
from tiercare.core.middleware import client_ip
from tiercare.triage.schemas import TriageIn, TriageOut
from tiercare.triage.services import TriageAnswer, triage_complaint

router = Router(tags=["triage"])


@router.post(
    "/triage",
    auth=None,
    response={200: TriageOut, 400: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    operation_id="triage",
    summary="Rank the specialties for a complaint",
)
def triage(request: HttpRequest, payload: TriageIn) -> TriageAnswer:
    """The specialties that should see this complaint first (best first), whether it is urgent and why, and the
    experts and next clinic sessions of those specialties. No sign-in; 429 past the per-address limit."""
    return triage_complaint(
        complaint=payload.complaint, age_years=payload.age_years, sex=payload.sex, ip=client_ip(request)
    )
