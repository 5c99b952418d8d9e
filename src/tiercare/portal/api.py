"""The family's API (for a family's own app): the members the caller may see with their plan and coming visits, and
booking or cancelling a place in a public specialist clinic. The same access functions and services as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Router

from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.outreach import services as outreach_services
from tiercare.outreach.models import Booking
from tiercare.portal import selectors
from tiercare.portal.access import access_family_booking, access_member, access_public_clinic
from tiercare.portal.schemas import FamilyBookingIn, FamilyBookingOut, FamilyMemberOut

router = Router(tags=["family"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _visit(v: selectors.Visit) -> dict[str, Any]:
    return {"on": v.on, "at": v.at, "what": v.what, "place": v.place, "map_url": v.map_url, "bring": v.bring}


def _member(m: selectors.Member) -> dict[str, Any]:
    return {
        "id": m.person.pk,
        "name": m.person.name,
        "is_self": m.is_self,
        "proxy": {"kind": m.proxy.kind, "valid_until": m.proxy.valid_until} if m.proxy else None,
        "programs": [e.protocol_code for e in m.programs],
        "next_visit": _visit(m.next_visit) if m.next_visit else None,
        "visits": [_visit(v) for v in m.visits],
    }


def _booking(b: Booking) -> dict[str, Any]:
    s = b.session
    return {
        "id": b.pk,
        "session": s.pk,
        "person": b.person_id,
        "place_number": b.place_number,
        "status": b.status,
        "date": s.date,
        "half_day": s.half_day,
        "site": s.site.name,
        "department": s.department.name,
        "expert": s.expert.name,
    }


@router.get("/family/members", response={200: list[FamilyMemberOut], **ERRORS}, operation_id="family_members")
def family_members(request: AuthedRequest) -> list[dict[str, Any]]:
    """The caller (a patient login) and the members they hold an in-force proxy for; each read audited."""
    require_role(request.user, Role.PATIENT)
    members = selectors.family_members(for_user=request.user)
    selectors.audit_family_read(actor=request.user, person_ids=[m.person.pk for m in members], reason="family API")
    return [_member(m) for m in members]


@router.get("/family/members/{person_id}", response={200: FamilyMemberOut, **ERRORS}, operation_id="family_member")
def family_member(request: AuthedRequest, person_id: UUID) -> dict[str, Any]:
    person = access_member(request.user, person_id, reason="family API: member")
    row = next(m for m in selectors.family_members(for_user=request.user) if m.person.pk == person.pk)
    return _member(row)


@router.post("/family/bookings", response={201: FamilyBookingOut, **ERRORS}, operation_id="family_book")
def family_book(request: AuthedRequest, payload: FamilyBookingIn) -> tuple[int, dict[str, Any]]:
    """A place in a public specialist clinic for the caller or a member they hold a proxy for (409 when full or
    already booked)."""
    session = access_public_clinic(request.user, payload.session)
    person = access_member(request.user, payload.person, reason="family API: booking")
    booking = outreach_services.booking_self_create(by=request.user, session=session, person=person)
    return 201, _booking(booking)


@router.post(
    "/family/bookings/{booking_id}/cancel",
    response={200: FamilyBookingOut, **ERRORS},
    operation_id="family_booking_cancel",
)
def family_booking_cancel(request: AuthedRequest, booking_id: UUID) -> dict[str, Any]:
    """Cancel a place up to 24 hours before the clinic (409 later)."""
    booking = access_family_booking(request.user, booking_id, reason="family API: cancel booking")
    outreach_services.booking_self_cancel(by=request.user, booking=booking)
    booking.refresh_from_db()
    return _booking(booking)
