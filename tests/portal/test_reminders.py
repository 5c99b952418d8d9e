"""SMS reminders (approved templates as data, variables checked) sent by `manage.py tick`: follow-ups due,
clinic and referral appointments, the visit owed after a back-referral, medicine refills; quiet hours; a recorded
opt-out; once per occasion. Education texts the team sends and the family reads."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.portal.conftest import TZ, make_referral
from tiercare.care.models import Enrollment, MedicationRecord
from tiercare.core.models import AuditEvent
from tiercare.core.notify import TEMPLATES, InMemoryBackend
from tiercare.outreach.models import Booking
from tiercare.portal.content import PLACEHOLDER, sms_templates, topics
from tiercare.portal.models import EducationSent, ReminderKind, ReminderOptOut, ReminderSent
from tiercare.portal.reminders import in_quiet_hours, send_due

pytestmark = pytest.mark.django_db

MOTHER_PHONE = "13912345678"


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _enrol(person, due: date, code="hypertension"):
    return Enrollment.objects.create(
        person=person,
        protocol_code=code,
        protocol_version="2020",
        protocol_sha256="x",
        enrolled_on=date(2026, 1, 5),
        next_due_on=due,
    )


@pytest.fixture
def phones(family):
    family.mother_person.phone = MOTHER_PHONE
    family.mother_person.save()
    InMemoryBackend.outbox.clear()
    return family


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour)


def test_templates_are_data_with_declared_variables_and_every_kind_has_one():
    templates = sms_templates()
    assert {t.kind for t in templates.values()} == set(ReminderKind.values)
    for t in templates.values():
        assert set(PLACEHOLDER.findall(t.zh)) == set(t.variables)
        assert TEMPLATES[t.code][0] == t.zh  # registered with the notification backend
    assert all(
        t.program in {"hypertension", "diabetes_t2", "cardiovascular_risk", "cancer_survivorship"}
        for t in topics().values()
    )


def test_a_followup_due_reminds_once_by_tick_and_never_in_quiet_hours(phones):
    today = timezone.localdate()
    _enrol(phones.mother_person, today + timedelta(days=2))
    assert send_due(_at(today, 22)) == {"sent": 0, "opted_out": 0, "no_phone": 0, "quiet_hours": 1}
    assert in_quiet_hours(_at(today, 7)) and not in_quiet_hours(_at(today, 8))
    assert InMemoryBackend.outbox == []
    with time_machine.travel(_at(today, 9), tick=False):
        call_command("tick", stdout=io.StringIO())  # `manage.py tick` runs the portal's job
    (sms,) = InMemoryBackend.outbox
    assert sms.recipient == MOTHER_PHONE and sms.template_code == "portal_followup_due"
    assert set(sms.params) == {"name", "program", "date", "place"}
    assert sms.params["name"] == "陈丽" and sms.params["place"] == "甲县人民医院"
    assert "高血压" in sms.text and "{" not in sms.text
    assert send_due(_at(today, 10))["sent"] == 0  # once per occasion
    assert len(InMemoryBackend.outbox) == 1


def test_a_childs_reminders_go_to_the_proxy_and_cover_every_kind(cast, phones):
    family = phones
    tomorrow = timezone.localdate() + timedelta(days=1)
    family.clinic.date = tomorrow
    family.clinic.save()
    Booking.objects.create(session=family.clinic, place_number=3, person=family.child, booked_by=family.mother)
    make_referral(cast, family.child, scheduled_for=_at(tomorrow, 9))
    back = make_referral(
        cast,
        family.child,
        status="back_referred",
        back_referred_at=timezone.now(),
        discharge_summary="出院",
        care_plan="随访",
    )
    MedicationRecord.objects.create(
        person=family.child,
        drug_name="布地奈德",
        supply_days=28,
        prescribed_on=timezone.localdate() - timedelta(days=26),
    )
    counts = send_due(_at(timezone.localdate(), 10))
    assert counts["sent"] == 4
    kinds = {m.template_code for m in InMemoryBackend.outbox}
    assert kinds == {
        "portal_appointment",
        "portal_referral_appointment",
        "portal_back_referral_visit",
        "portal_medication_refill",
    }
    assert {m.recipient for m in InMemoryBackend.outbox} == {MOTHER_PHONE}  # the child has no phone
    assert ReminderSent.objects.get(key=f"back_referral:{back.pk}").phones_masked == "139****5678"


def test_no_phone_and_no_proxy_is_recorded_not_sent(cast, family):
    _enrol(family.father, timezone.localdate() + timedelta(days=1))
    assert send_due(_at(timezone.localdate(), 10))["no_phone"] == 1
    assert ReminderSent.objects.get(person=family.father).status == "no_phone"


def test_opt_out_is_recorded_and_respected_then_withdrawn(phones):
    family = phones
    c = _client(family.mother)
    response = c.post("/family/reminders/", {"person": str(family.child.pk), "action": "off"})
    assert response.status_code == 302
    opt = ReminderOptOut.objects.get(person=family.child, withdrawn_at__isnull=True)
    assert opt.recorded_by == family.mother and opt.via == "family_page"
    assert AuditEvent.objects.filter(object_type="portal.reminderoptout", person_id=family.child.pk).exists()
    _enrol(family.child, timezone.localdate() + timedelta(days=1), code="diabetes_t2")
    assert send_due(_at(timezone.localdate(), 10))["opted_out"] == 1
    assert InMemoryBackend.outbox == []
    c.post("/family/reminders/", {"person": str(family.child.pk), "action": "on"})
    assert not ReminderOptOut.objects.filter(person=family.child, withdrawn_at__isnull=True).exists()
    assert ReminderOptOut.objects.filter(person=family.child).count() == 1  # the history stays
    # the husband (not held) cannot be switched by the mother
    assert c.post("/family/reminders/", {"person": str(family.father.pk), "action": "off"}).status_code == 404


def test_the_team_sends_education_and_the_family_reads_it(cast, phones, django_capture_on_commit_callbacks):
    family = phones
    gp_a = _staff_of_hospital_a(cast)
    page = _client(gp_a).get(f"/family/team/persons/{family.mother_person.pk}/education/")
    assert page.status_code == 200 and "htn-salt" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(gp_a).post(
            f"/family/team/persons/{family.mother_person.pk}/education/", {"topic": "htn-salt"}
        )
    assert response.status_code == 302
    assert InMemoryBackend.outbox[-1].template_code == "portal_education"
    again = _client(gp_a).post(f"/family/team/persons/{family.mother_person.pk}/education/", {"topic": "htn-salt"})
    assert again.status_code == 200 and EducationSent.objects.count() == 1
    reading = _client(family.mother).get("/family/reading/").content.decode()
    assert "少吃盐，血压更稳" in reading and re.search("5克", reading)
    assert EducationSent.objects.get().read_at is not None
    # another center's GP and the patient herself cannot send
    assert _client(cast.gp_b).get(f"/family/team/persons/{family.mother_person.pk}/education/").status_code == 404
    assert _client(family.mother).get(f"/family/team/persons/{family.mother_person.pk}/education/").status_code == 403
    # another family sees none of it
    assert "少吃盐" not in _client(cast.patient).get("/family/reading/").content.decode()


def _staff_of_hospital_a(cast):
    from tests import factories as f
    from tiercare.core.models import Role

    return f.staff_user(Role.GP, cast.hospital_a, username="gp_hospital_a")
