"""The portal's cast on top of the standing one (tests/conftest.py): a mother holding a guardian's proxy for her
child only (not for her husband), in a household of three at hospital A's county; a public pediatric clinic with two
places; a referral of the child with an appointment and a back-referral plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import factories as f
from tiercare.core.models import Role
from tiercare.network.models import Department
from tiercare.outreach.models import ExpertSession
from tiercare.people.models import Consent, Proxy
from tiercare.referrals.models import Referral

TZ = ZoneInfo("Asia/Shanghai")


@dataclass
class Family:
    mother: Any
    mother_person: Any
    child: Any
    father: Any
    household: Any
    clinic: Any
    proxy: Any


def make_clinic(cast: Any, *, days: int = 7, places: int = 2, half_day: str = "am", **kw: Any) -> ExpertSession:
    return ExpertSession.objects.create(
        expert=kw.pop("expert", cast.expert_practitioner),
        department=cast.dept_a,
        site=cast.hospital_a,
        date=f.today() + timedelta(days=days),
        half_day=half_day,
        kind=kw.pop("kind", "clinic"),
        places=places,
        basis="registration",
        basis_reference="BA-1",
        **kw,
    )


def make_referral(cast: Any, person: Any, **kw: Any) -> Referral:
    consent = Consent.objects.create(person=person, scope="referral", granted_at=datetime.now(TZ))
    gp_practitioner = cast.gp.practitioner
    return Referral.objects.create(
        person=person,
        status=kw.pop("status", "scheduled"),
        reason="反复喘息",
        diagnosis_text="支气管哮喘",
        referring_organization=cast.center_a,
        referring_practitioner=gp_practitioner,
        receiving_organization=cast.tertiary,
        receiving_department=Department.objects.get_or_create(
            organization=cast.tertiary, name="儿童呼吸科", defaults={"specialty": "pediatrics"}
        )[0],
        consent=consent,
        created_by=cast.gp,
        **kw,
    )


@pytest.fixture
def family(cast: Any) -> Family:
    household = f.HouseholdFactory(name="陈家", registered_at=cast.hospital_a, division_id="510129")
    mother_user = f.UserFactory(username="mother", role=Role.PATIENT)
    mother = f.PersonFactory(name="陈丽", sex="2", birth_date=date(1990, 6, 1), user=mother_user, household=household)
    child = f.PersonFactory(name="陈小宝", sex="1", birth_date=date(2019, 9, 9), household=household)
    father = f.PersonFactory(name="陈强", sex="1", birth_date=date(1988, 1, 1), household=household)
    proxy = Proxy.objects.create(
        holder=mother,
        person=child,
        kind="guardian",
        evidence_kind="birth_certificate",
        evidence_reference="出生医学证明 P510000002",
        valid_from=date(2019, 9, 9),
        valid_until=date(2037, 9, 8),
    )
    return Family(
        mother=mother_user,
        mother_person=mother,
        child=child,
        father=father,
        household=household,
        clinic=make_clinic(cast),
        proxy=proxy,
    )
