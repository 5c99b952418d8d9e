"""The consults cast on top of the standing cast: a telemedicine agreement between the tertiary hospital and GP
center A, the patient's written consent to remote consultation, a second pediatrics expert and a cardiology expert
(both at the tertiary hospital, covered, with years of practice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests import factories as f
from tiercare.consults import services
from tiercare.core.models import Role
from tiercare.core.notify import InMemoryBackend
from tiercare.network.models import AgreementKind, SupportAgreement
from tiercare.people.models import Consent, ConsentScope

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Net:
    agreement: Any
    consent: Any
    expert2: Any
    expert2_practitioner: Any
    cardiologist: Any
    cardiologist_practitioner: Any


def expert(username: str, name: str, org: Any, specialty: str = "pediatrics", **kw: Any) -> tuple[Any, Any]:
    user = f.UserFactory(username=username, role=Role.EXPERT)
    p = f.PractitionerFactory(user=user, name=name, home_organization=org, specialty=specialty, **kw)
    f.InsurancePolicyFactory(practitioner=p)
    return user, p


@pytest.fixture(autouse=True)
def _outbox() -> Any:
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def net(cast: Any) -> Net:
    today = f.today()
    agreement = SupportAgreement.objects.create(
        kind=AgreementKind.TELEMEDICINE,
        supporting=cast.tertiary,
        supported=cast.center_a,
        valid_from=today - timedelta(days=30),
        reference="YC-2026-01",
    )
    consent = Consent.objects.create(
        person=cast.patient_person,
        scope=ConsentScope.TELECONSULTATION,
        granted_to=cast.center_a,
        granted_at=f.timezone.now() - timedelta(days=1),
    )
    u2, p2 = expert("expert2", "钱专家", cast.tertiary)
    u3, p3 = expert("cardio", "孙专家", cast.tertiary, specialty="cardiology")
    return Net(agreement, consent, u2, p2, u3, p3)


@pytest.fixture
def case(cast: Any, net: Net) -> Any:
    return services.case_create(
        by=cast.gp,
        person=cast.patient_person,
        question="持续发热5天，抗生素无效，是否需要上转？",
        history="既往体健",
        findings="WBC 15.2",
        current_treatment="头孢克肟",
    )


@pytest.fixture
def mdt(cast: Any, net: Net, case: Any) -> Any:
    """An MDT opened by the GP who requested the case, handed to operations to coordinate."""
    return services.mdt_create(
        by=cast.gp,
        case=case,
        specialties=["pediatrics", "cardiology"],
        deadline=timezone.now() + timedelta(days=3),
        coordinator=cast.ops,
    )
