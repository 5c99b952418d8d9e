"""Races the database settles (PostgreSQL): two pharmacists reviewing one e-prescription at once (one approves, one
returns) leave exactly one review; two dispensing it at once dispense it once."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.concurrency import race_outcomes
from tests.consults.online.conftest import (
    PASSWORD,
    online,  # noqa: F401
)
from tiercare.consults import services
from tiercare.consults.models import EPrescription, Transition
from tiercare.core.errors import Conflict
from tiercare.core.models import Role
from tiercare.network.models import StaffRole

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(*calls):
    return race_outcomes(*calls, refused=(Conflict,))


def test_one_review_and_one_dispensing_when_two_pharmacists_race(cast, online):  # noqa: F811
    second = f.staff_user(Role.PHARMACIST, cast.center_a, username="pharmacist_2", staff_role=StaffRole.PHARMACIST)
    c = services.online_consult_request(
        by=cast.patient, person=cast.patient_person, diagnosis=online.enrollment, question="续药"
    )
    c = services.online_reauth(by=cast.gp, consult=c, password=PASSWORD)
    rx = services.eprescription_sign(
        by=cast.gp, consult=c, lines=[{"drug": "amlodipine_5mg", "dose": "5mg qd", "supply_days": 28}]
    )
    approve = lambda: services.eprescription_review(by=online.pharmacist, prescription=rx, approve=True)  # noqa: E731
    ret = lambda: services.eprescription_review(by=second, prescription=rx, approve=False, reason="核对剂量")  # noqa: E731
    assert _race(approve, ret) == ["ok", "refused"]
    rx.refresh_from_db()
    assert Transition.objects.filter(object_id=rx.pk, from_state="pending_review").count() == 1
    if rx.status == "approved":
        dispense = [
            lambda u=u: services.eprescription_dispense(by=u, prescription=rx) for u in (online.pharmacist, second)
        ]
        assert _race(*dispense) == ["ok", "refused"]
        assert EPrescription.objects.get(pk=rx.pk).status == "dispensed"
