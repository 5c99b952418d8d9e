"""Issue 11, item 11: the >=65 hypertension target (<150/90, NBPHS 3rd ed.) is the default; a center may record a
clinical decision (who, when, why; audited; on the dashboard and the API) to use 140/90 at every age, and
HTN-UNSAT-2X fires under either target."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from tests.care.factories import HTN_OK, contract, enrol, followup, page_client, page_text, second_team, team_with

from tiercare.care.models import ProtocolVariantDecision
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def e(cast):  # the patient is 65 (born 1 May 1960)
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)
    return enrol(cast.gp, cast.patient_person)


def _decide(api, user, center, enabled, reason="老年患者跌倒风险评估后决定"):
    return api(user).post(
        f"care/centers/{center.pk}/protocol-decisions",
        {"variant": "HTN-TARGET-65-150", "enabled": enabled, "reason": reason},
    )


def test_default_is_the_age_target_and_a_recorded_decision_switches_to_140_90(cast, api, e):
    assert followup(cast.gp, e, date(2026, 1, 3), {**HTN_OK, "sbp_mmhg": 145}).control_class == "satisfactory"
    followup(cast.gp, e, date(2026, 1, 10), {**HTN_OK, "sbp_mmhg": 135})
    status, body = _decide(api, cast.gp, cast.center_a, False)
    assert status == 201 and body["enabled"] is False and body["decided_by"] == cast.gp.username
    d = ProtocolVariantDecision.objects.get()
    assert (d.decided_by, d.reason) == (cast.gp, "老年患者跌倒风险评估后决定")
    assert AuditEvent.objects.filter(action="create", object_type="care.protocolvariantdecision").exists()
    first = followup(cast.gp, e, date(2026, 2, 1), {**HTN_OK, "sbp_mmhg": 145})
    assert first.control_class == "unsatisfactory" and "HTN-UNSAT-1ST" in first.fired_rule_ids
    second = followup(cast.gp, e, date(2026, 2, 14), {**HTN_OK, "sbp_mmhg": 142})
    assert "HTN-UNSAT-2X" in second.fired_rule_ids  # under the decided target too
    status, body = api(cast.gp).get(f"care/centers/{cast.center_a.pk}/protocol-decisions")
    assert status == 200 and [x["enabled"] for x in body] == [False]


def test_a_decision_needs_a_reason_and_a_real_variant(cast, api, e):
    status, body = _decide(api, cast.gp, cast.center_a, False, reason=" ")
    assert status == 422 and body["details"]["field"] == "reason"
    status, body = api(cast.gp).post(
        f"care/centers/{cast.center_a.pk}/protocol-decisions", {"variant": "HTN-NONE", "enabled": False, "reason": "x"}
    )
    assert status == 422 and body["details"]["field"] == "variant"
    assert not ProtocolVariantDecision.objects.exists()


def test_another_centers_doctor_and_the_health_manager_cannot_decide(cast, api, e):
    second_team(cast)
    assert _decide(api, cast.gp_b, cast.center_a, False)[0] == 404
    assert _decide(api, cast.outsider, cast.center_a, False)[0] == 403
    assert _decide(api, cast.health_manager, cast.center_a, False)[0] == 403
    assert not ProtocolVariantDecision.objects.exists()


def test_the_dashboard_shows_the_centers_target_and_who_decided(cast, api, e):
    body = page_text(page_client(cast.gp).get("/care/dashboard/"))
    assert "默认，未记录中心决定" in body.split('id="target-decisions"')[1]
    _decide(api, cast.gp, cast.center_a, False)
    body = page_text(page_client(cast.gp).get("/care/dashboard/")).split('id="target-decisions"')[1]
    assert "各年龄均低于 140/90 mmHg" in body and "老年患者跌倒风险评估后决定" in body
