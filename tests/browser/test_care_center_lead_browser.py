"""Issue 11 in a real browser: operations name a center's lead on the center's page (who then owns the lapsed and
escalated worklists); the new lead hands over to another member; an outsider (a GP of another center) gets 404."""

import pytest
from tests.browser.conftest import sign_in
from tests.care.factories import team_with
from tests.factories import PASSWORD

from tiercare.care.models import GpTeamMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_operations_name_the_center_lead_and_the_lead_hands_over(page, cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    gp = GpTeamMember.objects.get(team=team, practitioner=cast.gp.practitioner)
    hm = GpTeamMember.objects.get(team=team, practitioner=cast.health_manager.practitioner)
    url = f"/care/centers/{cast.center_a.pk}/lead/"
    sign_in(page, "ops", PASSWORD)
    page.goto("/care/")
    page.locator(f'a.center-lead-link[href="{url}"]').first.click()
    assert "未指定" in page.locator("#current-lead").inner_text()
    page.select_option("#id_member", str(gp.pk))
    page.locator("#center-lead-form button.primary").click()
    page.wait_for_selector("#lead-named")
    assert cast.gp.practitioner.name in page.locator("#current-lead").inner_text()
    gp.refresh_from_db()
    assert gp.center_lead
    # the lead hands over to the health manager
    page.context.clear_cookies()
    sign_in(page, "gp", PASSWORD)
    page.goto(url)
    page.select_option("#id_member", str(hm.pk))
    page.locator("#center-lead-form button.primary").click()
    page.wait_for_url("**/care/")  # no longer the lead: back to the care page, told it is done
    assert "已指定中心负责人" in page.content()
    assert list(GpTeamMember.objects.filter(center_lead=True)) == [hm]
    assert page.goto(url).status == 404
    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)
    assert page.goto(url).status == 404
