"""The registrations-per-episode page (operations, auditors, GP-center leads; others 403) and the front desk's
recorded triage on the triage page (a patient they may not see: 404, nothing recorded)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.care.factories import team_with
from tiercare.care.models import GpTeamMember
from tiercare.triage.models import Episode, Scenario, TriageRequest, TriageUse

pytestmark = pytest.mark.django_db
URL = "/triage/registrations/"


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _episodes(cast):
    this_month = timezone.localdate().replace(day=1)
    for key, center, n in (("a", cast.center_a, 2), ("b", cast.center_b, 4)):
        Episode.objects.create(
            first_registration=key, person=cast.patient_person, center=center, started_on=this_month, registrations=n,
            first_specialty="ent", treating_specialty="ent",
        )  # fmt: skip
    Episode.objects.create(
        first_registration="sim", scenario=Scenario.WITHOUT_TRIAGE, started_on=this_month, registrations=3,
        first_specialty="ent", treating_specialty="ent",
    )  # fmt: skip


def _data(response):
    return json.loads(re.search(r'id="registrations-data"[^>]*>(.*?)</script>', response.content.decode(), re.S)[1])


def test_operations_see_every_center_the_network_the_simulation_said_to_be_simulated_and_the_seed(cast):
    _episodes(cast)
    response = _client(cast.ops).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="simulated-note"' in text and "模拟" in text and "2.6" in text
    assert 'id="registrations-chart"' in text and "echarts" in text
    data = _data(response)
    assert data["network"][-1] == 3.0 and data["without_triage"][-1] == 3.0 and data["seed"] == 2.6
    assert {c["name"] for c in data["centers"]} == {"甲全科中心", "乙全科中心"}
    assert "张三" not in text  # counts only, never a patient


def test_a_center_lead_sees_their_center_and_a_gp_who_leads_none_is_refused(cast):
    _episodes(cast)
    assert _client(cast.gp).get(URL).status_code == 403
    team = team_with(cast.center_a, name="甲一组")
    GpTeamMember.objects.create(team=team, practitioner=cast.gp.practitioner, role="gp", center_lead=True)
    response = _client(cast.gp).get(URL)
    assert response.status_code == 200
    assert [c["name"] for c in _data(response)["centers"]] == ["甲全科中心"]
    assert "乙全科中心" not in response.content.decode()


def test_others_are_refused_and_anonymous_users_sent_to_sign_in(cast):
    assert _client(cast.coordinator).get(URL).status_code == 403
    assert _client(cast.patient).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


CHILD = {"complaint": "孩子发烧三天，咳嗽", "age": "4", "age_unit": "years", "sex": "male"}


def test_a_front_desk_records_the_triage_for_their_patient_and_not_for_a_stranger(cast):
    response = _client(cast.gp).post("/triage/", {**CHILD, "patient": str(cast.child_person.pk)})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert 'id="triage-recorded"' in response.content.decode()
    use = TriageUse.objects.get()
    assert (use.person, use.first_specialty, use.urgent, use.recorded_by) == (
        cast.child_person,
        "pediatrics",
        False,
        cast.gp,
    )
    assert use.at > timezone.now() - timedelta(minutes=1)
    # a coordinator of another hospital may not see the child: 404, nothing recorded
    counted = TriageRequest.objects.count()
    response = _client(cast.outsider).post("/triage/", {**CHILD, "patient": str(cast.child_person.pk)})
    assert response.status_code == 404
    assert TriageUse.objects.count() == 1 and TriageRequest.objects.count() == counted  # nothing stored


def test_the_anonymous_page_has_no_patient_field_and_operations_record_nothing(cast):
    assert 'name="patient"' not in Client().get("/triage/").content.decode()
    assert 'name="patient"' not in _client(cast.ops).get("/triage/").content.decode()
    response = _client(cast.ops).post("/triage/", {**CHILD, "patient": str(cast.child_person.pk)})
    assert response.status_code == 200 and not TriageUse.objects.exists()  # an anonymous triage, nothing recorded
