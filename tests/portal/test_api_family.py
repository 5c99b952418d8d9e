"""The family API: the same scope as the pages (members the caller holds), booking and cancelling through the
outreach rules; another family's ids are 404 (audited), staff are 403."""

from __future__ import annotations

import pytest

from tiercare.core.models import AuditEvent
from tiercare.outreach.models import Booking

pytestmark = pytest.mark.django_db


def test_members_are_the_caller_and_the_members_held(cast, family, api):
    status, body = api(family.mother).get("family/members")
    assert status == 200
    assert [m["name"] for m in body] == ["陈丽", "陈小宝"]
    assert body[1]["proxy"] == {"kind": "guardian", "valid_until": "2037-09-08"}
    assert api(family.mother).get(f"family/members/{family.child.pk}")[0] == 200
    for other in (family.father.pk, cast.person_b.pk, cast.child_person.pk):
        assert api(family.mother).get(f"family/members/{other}")[0] == 404
    assert AuditEvent.objects.filter(actor=family.mother, action="denied", person_id=family.father.pk).exists()
    assert api(cast.gp).get("family/members")[0] == 403


def test_book_and_cancel_through_the_api(cast, family, api):
    status, body = api(family.mother).post(
        "family/bookings", {"session": str(family.clinic.pk), "person": str(family.child.pk)}
    )
    assert status == 201 and body["place_number"] == 1 and body["person"] == str(family.child.pk)
    status, body2 = api(family.mother).post(
        "family/bookings", {"session": str(family.clinic.pk), "person": str(family.child.pk)}
    )
    assert status == 409 and body2["code"] == "already_booked"
    status, _ = api(family.mother).post(
        "family/bookings", {"session": str(family.clinic.pk), "person": str(family.father.pk)}
    )
    assert status == 404
    assert api(cast.patient).post(f"family/bookings/{body['id']}/cancel")[0] == 404  # another family's booking
    status, body = api(family.mother).post(f"family/bookings/{body['id']}/cancel")
    assert status == 200 and body["status"] == "cancelled"
    assert not Booking.objects.filter(status="active").exists()
