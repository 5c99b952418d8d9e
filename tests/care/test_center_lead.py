"""Issue 11 (hazard log H-09): a center's lead — who owns its "contract lapsed" and "escalated" worklists — is named
on the center's page by operations or the current lead; anyone else gets 404; each change is audited; one lead per
center."""

from __future__ import annotations

import pytest
from tests.care.factories import page_client, page_text, team_with

from tiercare.care import services
from tiercare.care.models import GpTeamMember
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def _member(team, user) -> GpTeamMember:
    return GpTeamMember.objects.get(team=team, practitioner=user.practitioner)


def _url(cast) -> str:
    return f"/care/centers/{cast.center_a.pk}/lead/"


def test_operations_name_the_first_lead_and_it_is_audited(cast, team):
    page = page_client(cast.ops).get(_url(cast))
    assert page.status_code == 200 and "未指定" in page_text(page)
    gp = _member(team, cast.gp)
    r = page_client(cast.ops).post(_url(cast), {"member": str(gp.pk)})
    assert r.status_code == 302
    gp.refresh_from_db()
    assert gp.center_lead is True
    assert AuditEvent.objects.filter(object_type="care.gpteammember", object_id=str(gp.pk), action="update").exists()
    assert services.is_center_lead(cast.gp, cast.center_a.pk)


def test_the_current_lead_hands_over_and_stops_being_lead(cast, team):
    GpTeamMember.objects.filter(pk=_member(team, cast.gp).pk).update(center_lead=True)
    hm = _member(team, cast.health_manager)
    r = page_client(cast.gp).post(_url(cast), {"member": str(hm.pk)})
    assert r.status_code == 302 and r["Location"] == "/care/"  # no longer the lead: not back to a page it may not open
    assert list(GpTeamMember.objects.filter(center_lead=True)) == [hm]
    # the former lead may no longer open the page
    assert page_client(cast.gp).get(_url(cast)).status_code == 404
    assert page_text(page_client(cast.health_manager).get(_url(cast))).count(cast.health_manager.practitioner.name) >= 1


def test_a_team_member_who_is_not_the_lead_and_an_outsider_are_refused(cast, team):
    other = team_with(cast.center_b, cast.gp_b, name="二组")
    gp = _member(team, cast.gp)
    for user in (cast.gp, cast.health_manager, cast.gp_b, cast.patient, cast.coordinator):
        client = page_client(user)
        assert client.get(_url(cast)).status_code in (403, 404)
        assert client.post(_url(cast), {"member": str(gp.pk)}).status_code in (403, 404)
    assert not GpTeamMember.objects.filter(center_lead=True).exists()
    assert page_client(cast.gp_b).get(_url(cast)).status_code == 404
    with pytest.raises(Forbidden):
        services.center_lead_set(by=cast.gp_b, center=cast.center_a, member=gp)
    # a member of another center's team cannot be named lead of this one
    with pytest.raises(ValidationFailed):
        services.center_lead_set(by=cast.ops, center=cast.center_a, member=_member(other, cast.gp_b))


def test_a_choice_not_of_this_center_is_refused_beside_the_field(cast, team):
    other = team_with(cast.center_b, cast.gp_b, name="二组")
    r = page_client(cast.ops).post(_url(cast), {"member": str(_member(other, cast.gp_b).pk)})
    assert r.status_code == 422
    body = page_text(r)
    assert 'id="id_member-error"' in body and "请选择本中心团队中的家庭医生或健康管理师" in body
    assert not GpTeamMember.objects.filter(center_lead=True).exists()
