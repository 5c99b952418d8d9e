"""The online follow-up world: center A's team (the standing GP as family doctor, with ≥3 years of practice, the
center's consent to online practice and valid cover) holds household A; the patient 张三 has hypertension diagnosed
in person (an enrolment with a face-to-face follow-up); a pharmacist works at center A."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from tests import factories as f
from tests.care.factories import HTN_OK, contract, enrol, followup, team_with
from tiercare.core.models import Role
from tiercare.network.models import OnlinePracticeConsent, StaffRole

PASSWORD = f.PASSWORD  # the factories' password: the doctor re-authenticates with the one they sign in with


@pytest.fixture
def online(cast: Any) -> SimpleNamespace:
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, timezone.localdate() - timedelta(days=30), HTN_OK)
    doctor = cast.gp.practitioner
    doctor.independent_practice_since = timezone.localdate() - timedelta(days=365 * 8)
    doctor.save()
    f.InsurancePolicyFactory(practitioner=doctor)
    consent = OnlinePracticeConsent.objects.create(
        practitioner=doctor, organization=cast.center_a, valid_from=timezone.localdate() - timedelta(days=30)
    )
    cast.gp.set_password(PASSWORD)
    cast.gp.save()
    pharmacist = f.staff_user(Role.PHARMACIST, cast.center_a, username="pharmacist", staff_role=StaffRole.PHARMACIST)
    pharmacist_b = f.staff_user(
        Role.PHARMACIST, cast.center_b, username="pharmacist_b", staff_role=StaffRole.PHARMACIST
    )
    return SimpleNamespace(
        team=team, enrollment=e, doctor=doctor, consent=consent, pharmacist=pharmacist, pharmacist_b=pharmacist_b
    )
