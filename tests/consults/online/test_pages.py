"""The online follow-up pages as their users use them: the patient asks (a first visit refused beside the field, the
question kept), the doctor re-authenticates, answers and prescribes, the pharmacist approves, the patient sees the
valid prescription; another family, another doctor and another institution's pharmacist get 404; reads audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.care.factories import page_client, page_text
from tests.consults.online.conftest import PASSWORD
from tiercare.consults.models import EPrescription, OnlineConsult
from tiercare.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_ask_answer_prescribe_approve_and_see_it_valid(cast, online):
    patient = page_client(cast.patient)
    r = patient.get("/consults/online/new/")
    assert r.status_code == 200 and "高血压" in page_text(r)
    r = patient.post(
        "/consults/online/new/",
        {"person": cast.patient_person.pk, "diagnosis": "first_visit", "question": "最近胸口痛是怎么回事？"},
    )
    assert r.status_code == 422 and "首诊" in page_text(r) and "最近胸口痛是怎么回事？" in page_text(r)
    assert not OnlineConsult.objects.exists()
    r = patient.post(
        "/consults/online/new/",
        {"person": cast.patient_person.pk, "diagnosis": online.enrollment.pk, "question": "血压平稳，药要续吗？"},
    )
    c = OnlineConsult.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/consults/online/{c.pk}/"
    patient.post(f"/consults/online/{c.pk}/messages/", {"body": "这周早上都在 130/80 左右"})

    doctor = page_client(cast.gp)
    assert "确认" in page_text(doctor.get(f"/consults/online/{c.pk}/"))  # must confirm identity first
    r = doctor.post(
        f"/consults/online/{c.pk}/prescriptions/", {"drug": "amlodipine_5mg", "dose": "5mg", "supply_days": 28}
    )
    assert r.status_code == 422 and not EPrescription.objects.exists()
    r = doctor.post(f"/consults/online/{c.pk}/reauth/", {"password": "wrong"})
    assert r.status_code == 422 and "密码" in page_text(r)
    assert doctor.post(f"/consults/online/{c.pk}/reauth/", {"password": PASSWORD}).status_code == 302
    assert doctor.post(f"/consults/online/{c.pk}/messages/", {"body": "继续服药"}).status_code == 302
    r = doctor.post(  # a controlled drug is not among the choices
        f"/consults/online/{c.pk}/prescriptions/", {"drug": "diazepam_2_5mg", "dose": "2.5mg", "supply_days": 7}
    )
    assert r.status_code == 422 and not EPrescription.objects.exists()
    r = doctor.post(
        f"/consults/online/{c.pk}/prescriptions/", {"drug": "amlodipine_5mg", "dose": "5mg 每日一次", "supply_days": 56}
    )
    assert r.status_code == 422 and "评估" in page_text(r)  # the long-prescription rule, beside its field
    r = doctor.post(
        f"/consults/online/{c.pk}/prescriptions/", {"drug": "amlodipine_5mg", "dose": "5mg 每日一次", "supply_days": 28}
    )
    rx = EPrescription.objects.get()
    assert "待药师审核" in page_text(patient.get(f"/consults/online/prescriptions/{rx.pk}/"))
    text = page_text(patient.get(f"/consults/online/{c.pk}/"))
    assert "继续服药" in text and "已读" in text  # the doctor read the patient's message

    pharmacist = page_client(online.pharmacist)
    assert str(rx.pk) in pharmacist.get("/consults/online/pharmacy/").content.decode()
    r = pharmacist.post(f"/consults/online/prescriptions/{rx.pk}/review/", {"decision": "return", "reason": ""})
    assert r.status_code == 422
    r = pharmacist.post(f"/consults/online/prescriptions/{rx.pk}/review/", {"decision": "approve"})
    assert r.status_code == 302
    text = page_text(patient.get(f"/consults/online/prescriptions/{rx.pk}/"))
    assert "有效" in text and "苯磺酸氨氯地平片" in text
    assert AuditEvent.objects.filter(
        actor=cast.patient, action=AuditAction.READ, object_id=str(rx.pk), person_id=cast.patient_person.pk
    ).exists()


def test_outsiders_get_404_and_are_audited(cast, online):
    from tiercare.consults import services

    c = services.online_consult_request(
        by=cast.patient, person=cast.patient_person, diagnosis=online.enrollment, question="续药"
    )
    c = services.online_reauth(by=cast.gp, consult=c, password=PASSWORD)
    rx = services.eprescription_sign(
        by=cast.gp, consult=c, lines=[{"drug": "amlodipine_5mg", "dose": "5mg", "supply_days": 28}]
    )
    from tests import factories as f

    other_patient = f.UserFactory(username="other_patient", role="patient")
    f.PersonFactory(name="王七", user=other_patient, household=cast.household_b)
    for user in (other_patient, cast.gp_b, cast.outsider, online.pharmacist_b, cast.health_manager):
        client = page_client(user)
        assert client.get(f"/consults/online/{c.pk}/").status_code == 404, user
        assert client.post(f"/consults/online/{c.pk}/messages/", {"body": "嗨"}).status_code == 404
    for user in (other_patient, cast.gp_b, online.pharmacist_b):
        client = page_client(user)
        assert client.get(f"/consults/online/prescriptions/{rx.pk}/").status_code == 404
        assert (
            client.post(f"/consults/online/prescriptions/{rx.pk}/review/", {"decision": "approve"}).status_code == 404
        )
    rx.refresh_from_db()
    assert rx.status == "pending_review"
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(c.pk)).count() >= 5


def test_a_reported_190_115_puts_the_patient_on_the_teams_urgent_list(cast, online):
    patient = page_client(cast.patient)
    when = (timezone.localtime() - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    r = patient.post(
        "/consults/online/readings/",
        {"enrollment": online.enrollment.pk, "measured_at": when, "sbp_mmhg": 900, "dbp_mmhg": 115},
    )
    assert r.status_code == 422 and "收缩压" in page_text(r)
    r = patient.post(
        "/consults/online/readings/",
        {"enrollment": online.enrollment.pk, "measured_at": when, "sbp_mmhg": 190, "dbp_mmhg": 115},
    )
    assert r.status_code == 302
    assert "紧急" in page_text(patient.get(r["Location"]))
    gp = page_client(cast.gp)
    text = page_text(gp.get(f"/care/teams/{online.team.pk}/worklists/home_urgent/"))
    assert cast.patient_person.name in text and "190/115" in text and "自测" in text
    other = page_client(cast.gp_b)
    assert other.get(f"/care/teams/{online.team.pk}/worklists/home_urgent/").status_code == 404


def test_an_urgent_report_leaves_the_doctor_only_the_visit_in_person(cast, online):
    from tiercare.care.models import Enrollment
    from tiercare.consults import services

    c = services.online_consult_request(
        by=cast.patient, person=cast.patient_person, diagnosis=online.enrollment, question="头晕"
    )
    patient = page_client(cast.patient)
    r = patient.post(f"/consults/online/{c.pk}/messages/", {"body": "刚量的", "sbp_mmhg": 190, "dbp_mmhg": 115})
    assert r.status_code == 302
    doctor = page_client(cast.gp)
    doctor.post(f"/consults/online/{c.pk}/reauth/", {"password": PASSWORD})
    text = page_text(doctor.get(f"/consults/online/{c.pk}/"))
    assert "紧急" in text and 'id="prescribe"' not in text and 'id="close"' not in text and 'id="stop"' in text
    r = doctor.post(f"/consults/online/{c.pk}/close/", {"summary": "继续观察"})  # posted anyway: refused, with why
    assert r.status_code == 422 and "必须终止" in page_text(r)
    today = timezone.localdate()
    r = doctor.post(
        f"/consults/online/{c.pk}/stop/",
        {"kind": "gp_visit", "reason": "血压 190/115，今天来中心", "visit_by": (today + timedelta(days=5)).isoformat()},
    )
    assert r.status_code == 422 and today.isoformat() in page_text(r)  # urgent: within a day
    r = doctor.post(
        f"/consults/online/{c.pk}/stop/",
        {"kind": "gp_visit", "reason": "血压 190/115，今天来中心", "visit_by": today.isoformat()},
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "sent_to_visit" and Enrollment.objects.get(pk=online.enrollment.pk).followup_owed_by == today
    assert "请到线下就诊" in page_text(patient.get(f"/consults/online/{c.pk}/"))
