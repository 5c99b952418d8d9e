"""Issue 14, needs survey: the assessment page refuses a bad value beside its field and keeps the input; the
campaign's ranking is reproducible and each score's parts add up to its total; a ranked department moves into the
partner pipeline; the pipeline accepts only legal moves, each a transition row, ending with a reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests import factories as f
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.programs import services
from tiercare.programs.definitions import load_template
from tiercare.programs.models import Assessment, Program, ProgramTransition
from tiercare.programs.selectors import campaign_ranking

pytestmark = pytest.mark.django_db

GOOD = {
    "doctors": "2",
    "senior_titles": "0",
    "nurses": "5",
    "beds": "8",
    "annual_admissions": "300",
    "equipment": ["monitor", "oxygen"],
    "room_layout": "none",
    "written_norms": "some",
    "core_skills_pass_rate": "45",
    "referral_out_rate": "35",
    "distance_km": "160",
}


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_a_bad_value_is_refused_beside_its_field_and_the_input_kept(cast):
    url = f"/programs/assess/{cast.dept_a.pk}/"
    response = _client(cast.coordinator).post(url, {**GOOD, "doctors": "999", "nurses": "7"})
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'name="doctors"[^>]*value="999"', html)
    assert re.search(r'name="nurses"[^>]*value="7"', html)
    assert 'id="id_doctors-error"' in html and "200" in html
    assert not Assessment.objects.exists()

    response = _client(cast.coordinator).post(url, GOOD)
    assert response.status_code == 200
    a = Assessment.objects.get()
    assert a.department == cast.dept_a and a.answers["doctors"] == 2
    assert a.template_version == load_template().version
    assert sum(p["need"] for p in a.parts) == a.need and sum(p["feasibility"] for p in a.parts) == a.feasibility
    assert AuditEvent.objects.filter(action="create", object_type="programs.assessment").exists()


def test_a_coordinator_of_another_hospital_cannot_assess_this_department(cast):
    response = _client(cast.outsider).get(f"/programs/assess/{cast.dept_a.pk}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=cast.outsider, action="denied", object_id=str(cast.dept_a.pk)).exists()
    with pytest.raises(Forbidden):
        services.assessment_record(by=cast.outsider, department=cast.dept_a, answers={})


def test_the_service_refuses_a_value_out_of_range_naming_the_item(cast):
    with pytest.raises(ValidationFailed) as exc:
        services.assessment_record(by=cast.ops, department=cast.dept_a, answers={**GOOD, "referral_out_rate": 101})
    assert exc.value.details == {"field": "referral_out_rate"}


def _survey(cast: Any) -> tuple[Any, list[Any]]:
    campaign = services.campaign_create(by=cast.ops, name="2026年基层科室调研")
    depts = [f.DepartmentFactory(organization=cast.hospital_b, name=n, specialty="pediatrics") for n in "丙乙甲"]
    answers = [GOOD, GOOD, {**GOOD, "distance_km": "10"}]
    for d, ans in zip(depts, answers, strict=True):
        services.assessment_record(by=cast.ops, department=d, answers=ans, campaign=campaign)
    return campaign, depts


def test_the_ranking_is_reproducible_ties_broken_by_name_and_parts_add_up(cast):
    campaign, depts = _survey(cast)
    first = [a.department.name for a in campaign_ranking(campaign)]
    assert first == [a.department.name for a in campaign_ranking(campaign)]
    # 丙 and 乙 tie (same answers): by name; 甲 is close to a tertiary hospital, so it needs less.
    assert first[:2] == sorted(["丙", "乙"]) and first[2] == "甲"
    html = _client(cast.ops).get(f"/programs/survey/{campaign.pk}/").content.decode()
    rows = re.findall(
        r'<td class="need">(\d+)</td><td class="feasibility">(\d+)</td><td class="total">(\d+)</td>'
        r'\s*<td><ul class="parts">(.*?)</ul>',
        html,
        re.S,
    )
    assert len(rows) == 3
    for need, feas, total, parts in rows:
        needs = [int(n) for n in re.findall(r'data-need="(\d+)"', parts)]
        feass = [int(n) for n in re.findall(r'data-feasibility="(\d+)"', parts)]
        assert sum(needs) == int(need) and sum(feass) == int(feas) and int(need) + int(feas) == int(total)


def test_ops_move_a_ranked_department_into_the_pipeline(cast):
    campaign, depts = _survey(cast)
    response = _client(cast.ops).post(f"/programs/survey/{campaign.pk}/", {"department": str(depts[0].pk)})
    assert response.status_code == 302
    program = Program.objects.get(department=depts[0])
    assert program.stage == "prospect" and program.assessment.campaign == campaign
    assert ProgramTransition.objects.filter(program=program, to_stage="prospect", by=cast.ops).exists()
    # once only: an open program per department
    response = _client(cast.ops).post(f"/programs/survey/{campaign.pk}/", {"department": str(depts[0].pk)})
    assert response.status_code == 422 and Program.objects.filter(department=depts[0]).count() == 1
    # a coordinator cannot read the survey
    assert _client(cast.coordinator).get(f"/programs/survey/{campaign.pk}/").status_code == 404


def test_only_legal_moves_are_accepted_and_ending_needs_a_reason(cast, program):
    assert program.stage == "building"
    with pytest.raises(Conflict):
        services.program_move(by=cast.ops, program=program, to="graduated")
    with pytest.raises(ValidationFailed):
        services.program_move(by=cast.ops, program=program, to="ended")
    with pytest.raises(Forbidden):
        services.program_move(by=cast.coordinator, program=program, to="evaluated")
    page = _client(cast.ops).get(f"/programs/{program.pk}/").content.decode()
    offered = re.findall(r'<option value="(\w+)"', page.split('id="move-form"')[1])
    assert offered == ["evaluated", "ended"]
    response = _client(cast.ops).post(f"/programs/{program.pk}/move/", {"to": "ended", "reason": ""})
    assert response.status_code == 422
    response = _client(cast.ops).post(f"/programs/{program.pk}/move/", {"to": "ended", "reason": "医院更换院长"})
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.stage == "ended"
    last = ProgramTransition.objects.filter(program=program).last()
    assert (last.from_stage, last.to_stage, last.by, last.reason) == ("building", "ended", cast.ops, "医院更换院长")
    assert list(ProgramTransition.objects.filter(program=program).values_list("to_stage", flat=True)) == [
        "prospect", "assessed", "agreement_signed", "building", "ended",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(object_id=str(program.pk), action="update", reason="医院更换院长").exists()


def test_a_coordinator_finds_their_hospitals_departments_to_assess_and_ops_reassess_into_the_survey(cast):
    page = _client(cast.coordinator).get("/programs/").content.decode()
    assert f"/programs/assess/{cast.dept_a.pk}/" in page
    assert f"/programs/assess/{cast.dept_a.pk}/" not in _client(cast.outsider).get("/programs/").content.decode()
    campaign, depts = _survey(cast)
    link = f"/programs/assess/{depts[2].pk}/?campaign={campaign.pk}"
    assert link in _client(cast.ops).get(f"/programs/survey/{campaign.pk}/").content.decode()
    response = _client(cast.ops).post(link, GOOD)
    assert response.status_code == 200
    # the latest assessment counts: 甲 now ties 丙 and 乙, and the name breaks the tie
    assert [a.department.name for a in campaign_ranking(campaign)] == ["丙", "乙", "甲"]


def test_operations_start_a_survey_on_the_page_and_others_may_not(cast):
    from tiercare.programs.models import SurveyCampaign

    client = _client(cast.ops)
    assert 'id="campaign-form"' in client.get("/programs/").content.decode()
    response = client.post("/programs/survey/new/", {"name": "2027年县医院调研"})
    campaign = SurveyCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/programs/survey/{campaign.pk}/"
    again = client.post("/programs/survey/new/", {"name": "2027年县医院调研"})
    assert again.status_code == 422 and 'id="id_name-error"' in again.content.decode()
    assert AuditEvent.objects.filter(object_type="programs.surveycampaign", action="create").count() == 1
    for user in (cast.coordinator, cast.expert):
        assert _client(user).post("/programs/survey/new/", {"name": "另一个"}).status_code == 403
    assert SurveyCampaign.objects.count() == 1
