"""Issue 10: the referring side of a GP center's referral is the referring TEAM (and the doctor who wrote it), not
the whole center. Another team's GP, or a GP on no team, of the same center neither reads nor cancels it; a
grassroots hospital (no teams) keeps its organization-level referring side."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.care.factories import team_with
from tests.referrals.helpers import reach

from tiercare.care.models import GpTeamMember
from tiercare.core.models import Role
from tiercare.people.models import Consent, ConsentScope
from tiercare.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _refused(api, user, ref):
    url = f"referrals/{ref.pk}"
    client = api(user)
    status, body = client.get("referrals")
    assert status == 200 and str(ref.pk) not in {i["id"] for i in body["items"]}, user
    assert client.get(url)[0] == 404, user
    assert client.post(f"{url}/transitions", {"action": "cancel", "reason": "x"})[0] == 404, user
    assert client.client.get(f"/referrals/{ref.pk}/").status_code == 404, user
    ref.refresh_from_db()
    assert ref.status == "sent"


def test_other_team_and_no_team_gps_of_the_center_are_refused(net, api):
    ref = reach(net, "sent")
    other_team_gp = f.staff_user(Role.GP, net.cast.center_a, username="gp_team_b")
    team_with(net.cast.center_a, other_team_gp, name="B组")
    no_team_gp = f.staff_user(Role.GP, net.cast.center_a, username="gp_no_team")
    for user in (other_team_gp, no_team_gp):
        _refused(api, user, ref)


def test_the_referring_team_sees_it_and_loses_it_on_leaving(net, api):
    ref = reach(net, "sent")
    hm = net.cast.health_manager
    status, body = api(hm).get(f"referrals/{ref.pk}")
    assert status == 200 and body["my_sides"] == ["referring"] and body["reason"]
    assert str(ref.pk) in {i["id"] for i in api(hm).get("referrals")[1]["items"]}
    GpTeamMember.objects.filter(practitioner__user=hm).update(active=False)
    _refused(api, hm, ref)
    # The doctor who wrote the referral keeps it.
    assert api(net.cast.gp).get(f"referrals/{ref.pk}")[1]["my_sides"] == ["referring"]


def test_grassroots_hospital_keeps_its_organization_level_side(net, api):
    cast = net.cast
    person = cast.household_hospital_a.members.get().person
    Consent.objects.create(person=person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1))
    ref = net.create(by=cast.coordinator, person=person).referral
    colleague = f.staff_user(Role.COORDINATOR, cast.hospital_a, username="coordinator2")
    status, body = api(colleague).get(f"referrals/{ref.pk}")
    assert status == 200 and body["my_sides"] == ["referring"]
    assert api(cast.outsider).get(f"referrals/{ref.pk}")[0] == 404
    assert Referral.objects.filter(pk=ref.pk, status="sent").exists()
