"""The referral cast: a tertiary pediatrics department and its coordinator, a staff member of another tertiary
department, the patient's referral consent, and helpers to create and move referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests import factories as f
from tests.care.factories import contract, team_with

from tiercare.core.models import Role
from tiercare.network.models import PractitionerRole, StaffRole
from tiercare.people.models import Consent, ConsentScope
from tiercare.referrals import services
from tiercare.referrals.selectors import sides_of


@dataclass
class Net:
    cast: Any
    dept: Any
    other_dept: Any
    receiver: Any
    other_receiver: Any
    consent: Any

    def create(self, *, by: Any = None, person: Any = None, **kw: Any) -> Any:
        by = by or self.cast.gp
        data = {
            "reason": "持续高热，疑似川崎病",
            "diagnosis_text": "川崎病？",
            "diagnosis_code": "M30.300",
            "diagnosis_system": "ICD-10 国家临床版",
            "diagnosis_version": "2.0",
        }
        data.update(kw)
        return services.referral_create(
            by=by,
            person=person or self.cast.patient_person,
            receiving_department=kw.pop("dept", self.dept),
            **{k: v for k, v in data.items() if k != "dept"},
        )

    def move(self, referral: Any, action: str, by: Any, **kw: Any) -> Any:
        return services.referral_transition(referral=referral, by=by, sides=sides_of(by, referral), action=action, **kw)


def receiving_user(org: Any, username: str, department: Any = None) -> Any:
    user = f.staff_user(Role.COORDINATOR, org, username=username)
    if department is not None:
        PractitionerRole.objects.filter(practitioner__user=user).update(department=department)
    return user


@pytest.fixture
def net(cast: Any) -> Net:
    dept = f.DepartmentFactory(organization=cast.tertiary, name="小儿内科", specialty="pediatrics")
    other = f.DepartmentFactory(organization=cast.tertiary, name="妇科", specialty="gynecology")
    receiver = receiving_user(cast.tertiary, "tert_coord")
    other_receiver = f.staff_user(Role.GP, cast.tertiary, username="tert_gyn", staff_role=StaffRole.PHYSICIAN)
    PractitionerRole.objects.filter(practitioner__user=other_receiver).update(department=other)
    consent = Consent.objects.create(
        person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
    )
    # The referring team: the GP and the health manager of center A's team holding the patient's household.
    contract(cast.gp, cast.household_a, team_with(cast.center_a, cast.gp, cast.health_manager, name="A组"))
    return Net(
        cast=cast, dept=dept, other_dept=other, receiver=receiver, other_receiver=other_receiver, consent=consent
    )


def publish(net: Net, places: int, on: date | None = None, kind: str = "clinic") -> Any:
    return services.capacity_publish(
        by=net.cast.ops, department=net.dept, on=on or timezone.localdate(), kind=kind, places=places
    )
