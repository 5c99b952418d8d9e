"""Issue 11 in a real browser: the center lead renews a lapsed contract from the "contract lapsed" worklist; the
team's worklist puts the sickest first; an overdue referral suggestion escalated to the lead is on their list.
Each also shows an outsider (a GP of another center) refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.care.factories import HTN_OK, at, contract, enrol, team_with
from tests.factories import PASSWORD

from tiercare.care import services
from tiercare.care.models import CareContract, Enrollment, GpTeamMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
HTN_URGENT = {**HTN_OK, "sbp_mmhg": 182, "dbp_mmhg": 100}


@pytest.fixture
def team(cast):
    t = team_with(cast.center_a, cast.gp, cast.health_manager)
    GpTeamMember.objects.filter(team=t, practitioner=cast.health_manager.practitioner).update(center_lead=True)
    return t


def _outsider_refused(page, url: str) -> None:
    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)
    assert page.goto(url).status == 404


def test_center_lead_renews_a_lapsed_contract(page, cast, team, shot):
    today = timezone.localdate()
    start = services.add_years(today, -1) - timedelta(days=5)
    c = contract(cast.gp, cast.household_a, team, start=start)
    enrol(cast.gp, cast.patient_person, on=start + timedelta(days=10))
    assert services.contracts_expire(today=today) == 1
    url = f"/care/centers/{cast.center_a.pk}/worklists/lapsed/"
    sign_in(page, "health_manager", PASSWORD)
    page.goto(url)
    row = page.locator(f"#lapsed-{cast.patient_person.pk}")
    assert cast.patient_person.name in row.inner_text()
    shot(page, "care-contract-lapsed-zh")
    row.locator("button.primary").click()
    page.wait_for_selector("#renewed")
    assert page.locator(f"#lapsed-{cast.patient_person.pk}").count() == 0
    new = CareContract.objects.get(renewal_of=c)
    assert (new.team_id, new.status, new.start) == (team.pk, "active", today)
    _outsider_refused(page, url)


def test_worklist_puts_the_sickest_first(page, cast, team, shot):
    today = timezone.localdate()
    adult = f.PersonFactory(name="张二", household=cast.household_a, birth_date=today.replace(year=today.year - 60))
    contract(cast.gp, cast.household_a, team, start=today - timedelta(days=200))
    controlled = enrol(cast.gp, cast.patient_person, on=today - timedelta(days=150))
    unknown = enrol(cast.gp, adult, on=today - timedelta(days=100))
    Enrollment.objects.filter(pk=controlled.pk).update(
        next_due_on=today - timedelta(days=60), control_class="satisfactory", controlled=True, risk_percent=30.0
    )
    Enrollment.objects.filter(pk=unknown.pk).update(next_due_on=today - timedelta(days=5), risk_percent=None)
    url = f"/care/teams/{team.pk}/worklists/overdue/"
    sign_in(page, "gp", PASSWORD)
    page.goto(url)
    names = page.locator("#worklist tbody tr td:first-child a:first-child").all_inner_texts()
    # control unknown and no risk computed: never below a controlled patient, however overdue or risky
    assert names == [adult.name, cast.patient_person.name]
    shot(page, "care-worklist-order-zh")
    _outsider_refused(page, url)


def test_an_overdue_suggestion_is_escalated_and_visible_to_the_lead(page, cast, team, shot):
    today = timezone.localdate()
    contract(cast.gp, cast.household_a, team, start=today - timedelta(days=60))
    e = enrol(cast.gp, cast.patient_person, on=today - timedelta(days=30))
    made = today - timedelta(days=10)
    services.followup_record(
        by=cast.gp, enrollment=e, person_id=e.person_id, measured_at=at(made), measurements=HTN_URGENT
    )
    assert services.suggestions_escalate(today=today) == 1
    url = f"/care/centers/{cast.center_a.pk}/worklists/escalated/"
    sign_in(page, "health_manager", PASSWORD)
    page.goto(url)
    assert cast.patient_person.name in page.inner_text("#escalated tbody")
    assert "紧急" in page.inner_text("#escalated tbody") or "urgent" in page.inner_text("#escalated tbody")
    shot(page, "care-suggestion-escalated-zh")
    page.goto(f"/care/persons/{cast.patient_person.pk}/")
    assert "已上报中心负责人" in page.inner_text("#person-body")
    _outsider_refused(page, url)
