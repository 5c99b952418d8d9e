"""Issue 12: a follow-up filed in error is voided, and a prescription recorded, from the person's care page (before,
only through the API's ``care_void`` and ``care_prescribe``): bad input is answered beside the field with what was
typed kept, and another team, the patient or an outsider is refused, storing nothing."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests.care.factories import HTN_HIGH, contract, enrol, followup, page_client, page_text, second_team, team_with

from tiercare.care.models import FollowUp, MedicationRecord
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def fu(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    return followup(cast.gp, e, date(2026, 5, 20), HTN_HIGH)


def test_the_team_voids_a_follow_up_with_a_reason(cast, fu):
    c = page_client(cast.health_manager)
    page = page_text(c.get(f"/care/persons/{cast.patient_person.pk}/"))
    assert f"/care/followups/{fu.pk}/void/" in page
    r = c.post(f"/care/followups/{fu.pk}/void/", {f"void-{fu.pk}-reason": "录错了患者"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/care/persons/{cast.patient_person.pk}/"
    assert "该随访已作废" in page_text(r)
    fu.refresh_from_db()
    assert fu.voided_at is not None and fu.void_reason == "录错了患者"
    assert f"/care/followups/{fu.pk}/void/" not in page_text(r)  # it left the plan
    assert AuditEvent.objects.filter(object_id=str(fu.pk), actor=cast.health_manager, action="update").exists()


def test_a_void_without_a_reason_is_answered_beside_the_field(cast, fu):
    r = page_client(cast.gp).post(f"/care/followups/{fu.pk}/void/", {f"void-{fu.pk}-reason": ""})
    html = page_text(r)
    assert r.status_code == 422 and "无法完成此操作" not in html
    assert f'id="id_void-{fu.pk}-reason-error"' in html and "这个字段是必填项" in html
    fu.refresh_from_db()
    assert fu.voided_at is None


def test_another_team_or_the_patient_cannot_void(cast, fu):
    second_team(cast)  # gp_b has a team of their own, at center B
    for user in (cast.gp_b, cast.patient, cast.outsider, cast.ops):
        r = page_client(user).post(f"/care/followups/{fu.pk}/void/", {f"void-{fu.pk}-reason": "x"})
        assert r.status_code in (403, 404), user
    fu.refresh_from_db()
    assert fu.voided_at is None and FollowUp.objects.filter(voided_at__isnull=False).count() == 0


def _rx(**kw):
    data = {
        "rx-drug_name": "氨氯地平片",
        "rx-drug_class": "ordinary",
        "rx-dose": "5mg 每日一次",
        "rx-supply_days": "28",
        "rx-prescribed_on": "2026-06-01",
    }
    return {**data, **kw}


def test_the_gp_records_a_long_prescription(cast, fu):
    c = page_client(cast.gp)
    assert f"/care/persons/{cast.patient_person.pk}/medications/" in page_text(
        c.get(f"/care/persons/{cast.patient_person.pk}/")
    )
    r = c.post(f"/care/persons/{cast.patient_person.pk}/medications/", _rx(), follow=True)
    assert "处方已保存" in page_text(r) and "氨氯地平片" in page_text(r)
    rx = MedicationRecord.objects.get(person=cast.patient_person)
    assert (rx.supply_days, rx.prescribed_by, rx.dose) == (28, cast.gp, "5mg 每日一次")
    assert AuditEvent.objects.filter(object_id=str(rx.pk), action="create", actor=cast.gp).exists()


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"rx-supply_days": "90"}, "supply_days", "最长"),
        ({"rx-supply_days": "56"}, "assessment", ""),
        ({"rx-supply_days": "28", "rx-drug_class": "narcotic"}, "drug_class", ""),
        ({"rx-supply_days": "二十八"}, "supply_days", "整数"),
        ({"rx-drug_name": ""}, "drug_name", "必填"),
        ({"rx-prescribed_on": "2026-13-01"}, "prescribed_on", ""),
    ],
)
def test_a_refused_prescription_is_answered_beside_the_field(cast, fu, change, field, words):
    r = page_client(cast.gp).post(f"/care/persons/{cast.patient_person.pk}/medications/", _rx(**change))
    html = page_text(r)
    assert r.status_code == 422 and "无法完成此操作" not in html
    marker = f'id="id_rx-{field}-error"'
    assert marker in html, html[:3000]
    assert words in html[html.index(marker) :][:400]
    assert "5mg 每日一次" in html  # kept
    assert not MedicationRecord.objects.exists()


def test_another_team_or_the_patient_cannot_prescribe(cast, fu):
    second_team(cast)
    for user in (cast.gp_b, cast.patient, cast.outsider, cast.ops):
        r = page_client(user).post(f"/care/persons/{cast.patient_person.pk}/medications/", _rx())
        assert r.status_code in (403, 404), user
    assert not MedicationRecord.objects.exists()


def test_a_gp_records_the_centers_hypertension_target_from_the_dashboard(cast, fu):
    from tiercare.care.models import ProtocolVariantDecision

    c = page_client(cast.gp)
    url = f"/care/centers/{cast.center_a.pk}/target/"
    assert url in page_text(c.get("/care/dashboard/"))
    prefix = f"target-{cast.center_a.pk}"
    r = c.post(url, {f"{prefix}-enabled": "0"})
    html = page_text(r)
    assert r.status_code == 422 and f'id="id_{prefix}-reason-error"' in html
    assert not ProtocolVariantDecision.objects.exists()
    r = c.post(
        url, {f"{prefix}-enabled": "0", f"{prefix}-reason": "中心讨论决定：老年患者同样控制在140/90以下"}, follow=True
    )
    assert "本中心的决定已保存" in page_text(r) and "140/90" in page_text(r)
    d = ProtocolVariantDecision.objects.get(center=cast.center_a)
    assert (d.enabled, d.decided_by, d.variant) == (False, cast.gp, "HTN-TARGET-65-150")


def test_only_a_gp_of_the_center_records_its_target(cast, fu):
    from tiercare.care.models import ProtocolVariantDecision

    second_team(cast)
    url = f"/care/centers/{cast.center_a.pk}/target/"
    prefix = f"target-{cast.center_a.pk}"
    data = {f"{prefix}-enabled": "0", f"{prefix}-reason": "x"}
    assert page_client(cast.gp_b).post(url, data).status_code == 404
    assert page_client(cast.outsider).post(url, data).status_code == 403
    assert page_client(cast.health_manager).post(url, data).status_code == 403
    assert not ProtocolVariantDecision.objects.exists()
