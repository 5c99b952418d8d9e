"""Issue 11 item 12: a GP's cardiology question can be a tele-consult to one of the departments the demo's tertiary
hospitals have for GP centers (cardiology, endocrinology, ...), and it reaches that department's own staff doctor
(hospital staff, not a doctor-group member)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tiercare.consults import services
from tiercare.consults.demo import consults_demo
from tiercare.core.models import User
from tiercare.network.models import Department, PractitionerRole
from tiercare.people.models import Consent, ConsentScope

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("specialty", ["cardiology", "endocrinology"])
def test_a_gp_teleconsult_reaches_the_staff_doctor_of_the_tertiary_department(api, specialty):
    call_command("load_demo", "--households", "20", "--seed", "7", "--network-only", stdout=StringIO())
    consults_demo(7, timezone.localdate())  # the telemedicine agreements and the written consents
    gp = User.objects.get(username="gp")
    consent = Consent.objects.filter(scope=ConsentScope.TELECONSULTATION, recorded_by=gp).order_by("person__name")
    person = consent.last().person
    case = services.case_create(by=gp, person=person, question="新发高血压合并蛋白尿，降压方案？")
    tc = services.teleconsult_request(by=gp, case=case, specialty=specialty)
    doctor = tc.expert
    departments = Department.objects.filter(
        pk__in=PractitionerRole.objects.filter(practitioner=doctor).values("department_id"), specialty=specialty
    )
    # the department's own doctor at a tertiary hospital, not a doctor-group expert
    assert departments.filter(organization__tier="tertiary").exists()
    assert doctor.home_department.specialty == specialty and doctor.doctor_group_id is None
    status, body = api(gp).get("consults/teleconsults")
    assert status == 200 and str(tc.pk) in {row["id"] for row in body["items"]}
