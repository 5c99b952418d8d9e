"""The family's demo: the mother login with a password and by SMS, her son's next visit as proxy (not her
husband's record), public clinics at her county hospital with places; deterministic."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tiercare.core.notify import InMemoryBackend
from tiercare.demo.builder import DemoBuilder
from tiercare.outreach.models import ExpertSession
from tiercare.people.models import Person
from tiercare.portal.demo import MOTHER_PHONE, mother_id_number, portal_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    today = timezone.localdate()
    DemoBuilder(seed=5, today=today, households=5).build()
    return portal_demo(seed=5, today=today)


def test_the_mother_sees_her_sons_next_visit_and_clinics_with_places(demo):
    assert demo["families"] == 1 and demo["clinics"] >= 2
    c = Client()
    assert c.post("/login/", {"username": "mother", "password": "tiercare-demo"}).status_code == 302
    page = c.get("/family/").content.decode()
    assert "陈小宝" in page and "专家门诊" in page  # the son's booked clinic is his next visit
    assert "陈强" not in page
    clinics = c.get("/family/clinics/").content.decode()
    first = ExpertSession.objects.filter(kind="clinic").order_by("date").first()
    assert f"session-{first.pk}" in clinics and "剩余11个号" in clinics
    for s in ExpertSession.objects.all():
        assert s.basis  # every clinic placed on a legal basis


def test_the_mother_signs_in_by_sms_with_her_real_name(demo):
    mother = Person.objects.get(user__username="mother")
    InMemoryBackend.outbox.clear()
    c = Client()
    c.post("/family/login/", {"phone": MOTHER_PHONE, "action": "send"})
    code = InMemoryBackend.outbox[-1].params["code"]
    response = c.post(
        "/family/login/",
        {
            "phone": MOTHER_PHONE,
            "code": code,
            "name": "陈丽",
            "id_number": mother_id_number(mother.division_id),
            "action": "check",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/family/"


def test_the_patient_login_holds_proxies_for_the_rest_of_the_household(demo):
    from tiercare.people.models import Proxy
    from tiercare.people.proxies import portal_person_ids

    head = Person.objects.get(user__username="patient")
    others = head.membership.household.members.exclude(person=head).count()
    assert Proxy.objects.filter(holder=head).count() == others
    assert len(portal_person_ids(head.user)) == others + 1


def test_the_patient_login_books_a_visit_with_the_flagship_team(db):
    from tiercare.care.demo import care_demo
    from tiercare.portal import gp_visits
    from tiercare.portal.models import GpVisit

    today = timezone.localdate()
    DemoBuilder(seed=5, today=today, households=5).build()
    care_demo(5, today)
    portal_demo(seed=5, today=today)

    head = Person.objects.get(user__username="patient")
    team = gp_visits.contracted_team(head)
    assert team is not None and team.center.gp_mode == "flagship"
    c = Client()
    assert c.post("/login/", {"username": "patient", "password": "tiercare-demo"}).status_code == 302
    page = c.get(f"/family/gp-visits/?person={head.pk}").content.decode()
    slot = gp_visits.slots(team, start=timezone.localdate())[0]
    assert slot.key in page
    response = c.post("/family/gp-visits/", {"person": str(head.pk), "team": str(team.pk), "slot": slot.key})
    assert response.status_code == 302
    assert GpVisit.objects.filter(person=head, team=team, starts_at=slot.starts_at, status="active").exists()
    assert "家庭医生门诊" in c.get("/family/").content.decode()  # the booked visit shows on the family page
