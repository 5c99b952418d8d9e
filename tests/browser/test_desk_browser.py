"""Issue 12, the referral desk and the worklist call in a real browser: each side sees only the actions the referral's
state allows it (a treated referral cannot be cancelled); marking a patient arrived before the scheduled day asks
for the reason beside the field and keeps it in the timeline; a GP's worklist call needs a chosen outcome, and one
unanswered call keeps the patient on the list. Outsiders are refused: another hospital's coordinator gets the
not-found page, the patient cannot open the new-referral page, another center's GP cannot call."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.care.factories import contract, enrol, team_with
from tests.factories import PASSWORD
from tests.referrals.conftest import receiving_user

from tiercare.care.models import Enrollment, OutreachCall
from tiercare.people.models import Consent, ConsentScope
from tiercare.referrals import services
from tiercare.referrals.models import Referral
from tiercare.referrals.rules import Side

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def desk(cast):
    dept = f.DepartmentFactory(organization=cast.tertiary, name="小儿内科", specialty="pediatrics")
    receiver = receiving_user(cast.tertiary, "tert_coord")
    Consent.objects.create(
        person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=1)
    )
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team)

    def referral(to: str) -> Referral:
        ref = services.referral_create(
            by=cast.gp, person=cast.patient_person, receiving_department=dept, reason="持续高热", diagnosis_text="发热"
        ).referral
        path = {
            "accepted": [("accept", {})],
            "scheduled": [("accept", {}), ("schedule", {"scheduled_for": _in_days(3)})],
            "treated": [("accept", {}), ("schedule", {"scheduled_for": timezone.now()}), ("arrive", {}), ("treat", {})],
        }.get(to, [])
        for action, kw in path:
            ref = services.referral_transition(referral=ref, by=receiver, sides={Side.RECEIVING}, action=action, **kw)
        return ref

    return referral


def _in_days(n: int) -> datetime:
    day = timezone.localdate() + timedelta(days=n)
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _actions(page) -> list[str]:
    return page.locator("#actions input[name=action]").evaluate_all("els => els.map(e => e.value)")


def test_the_desk_sees_only_allowed_actions_and_an_early_arrival_asks_for_a_reason(page, cast, desk, shot):
    treated = desk("treated")
    scheduled = desk("scheduled")
    sign_in(page, "tert_coord", PASSWORD)
    page.goto(f"/referrals/{treated.pk}/")
    assert _actions(page) == ["back_refer"]  # treated: only the back-referral; no cancel, no arrive
    assert page.locator("#actions button").all_inner_texts() == ["下转"]

    page.goto(f"/referrals/{scheduled.pk}/")
    assert _actions(page) == ["arrive"]
    form = page.locator("#action-arrive")
    day = timezone.localdate(scheduled.scheduled_for).isoformat()
    assert f"患者预约在 {day} 就诊" in form.inner_text()
    form.locator("button").click()
    page.wait_for_selector("#action-arrive .field-error")
    assert "请说明提前登记到院的原因" in page.inner_text("#action-arrive .field-error")
    assert Referral.objects.get(pk=scheduled.pk).status == "scheduled"
    shot(page, "referral-early-arrival-reason-zh")
    page.locator("#action-arrive textarea[name=reason]").fill("患儿高热惊厥，家属提前送院")
    page.locator("#action-arrive button").click()
    page.wait_for_selector("h1 .badge:has-text('已到院')")
    last = page.locator("#timeline tbody tr").last
    assert "登记到院 → 已到院" in last.inner_text() and "患儿高热惊厥，家属提前送院" in last.inner_text()
    assert _actions(page) == ["treat"]

    page.context.clear_cookies()
    sign_in(page, "gp", PASSWORD)  # the referring side: a treated referral can no longer be cancelled
    page.goto(f"/referrals/{treated.pk}/")
    assert page.locator("#actions").count() == 0
    page.goto(f"/referrals/{desk('accepted').pk}/")
    assert _actions(page) == ["cancel"]

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)
    assert page.goto(f"/referrals/{scheduled.pk}/").status == 404
    page.context.clear_cookies()
    sign_in(page, "patient", PASSWORD)
    response = page.goto("/referrals/new/")
    assert response.status == 403 and page.locator("nav").count() >= 1  # refused inside the site's frame
    assert page.locator("#referral-form").count() == 0


def test_a_gps_worklist_call_needs_a_chosen_outcome(page, cast, shot):
    today = timezone.localdate()
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team, start=today - timedelta(days=200))
    e = enrol(cast.gp, cast.patient_person, on=today - timedelta(days=150))
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=today - timedelta(days=20))
    url = f"/care/teams/{team.pk}/worklists/overdue/"
    sign_in(page, "gp", PASSWORD)
    page.goto(url)
    row = page.locator(f"#row-{e.pk}")
    select = row.locator(f"select[name='call-{e.pk}-outcome']")
    assert select.input_value() == ""  # no outcome preselected
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#row-{e.pk} .field-error")
    assert "请选择通话结果" in page.inner_text(f"#row-{e.pk} .field-error")
    assert not OutreachCall.objects.exists()

    page.locator(f"#row-{e.pk} select[name='call-{e.pk}-outcome']").select_option("unreachable")
    page.locator(f"#row-{e.pk} button[type=submit]").click()
    page.wait_for_selector(f"#row-{e.pk} .call-result")
    assert "第 1 次未能联系上" in page.inner_text(f"#row-{e.pk} .call-result")
    shot(page, "care-worklist-unreachable-zh")
    e.refresh_from_db()
    assert e.outreach_removed_reason == ""  # still the team's to call again tomorrow

    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)
    assert page.goto(url).status == 404
