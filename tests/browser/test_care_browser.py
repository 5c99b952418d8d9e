"""A GP's chronic-care path in a real browser: enrol a contracted patient, record follow-ups through the htmx form,
see an implausible value refused next to its field, and see the protocol's referral rule with its quoted source."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.browser.conftest import sign_in
from tests.care.factories import contract, team_with
from tests.factories import PASSWORD

from tiercare.care.models import FollowUp, ReferralSuggestion
from tiercare.care.protocols import load_protocol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def contracted(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager)
    contract(cast.gp, cast.household_a, team, start=timezone.localdate() - timedelta(days=60))
    return cast.patient_person


def _record(page, sbp: str, dbp: str, measured_at: str | None = None, answer: bool = True) -> None:
    if measured_at:
        page.fill("#id_hypertension-measured_at", measured_at)
    page.fill("#id_hypertension-sbp_mmhg", sbp)
    page.fill("#id_hypertension-dbp_mmhg", dbp)
    if answer:  # the required yes/no questions, answered "no"
        for q in ("adverse_reaction", "new_or_worse_complication", "symptoms_asked"):
            page.select_option(f"#id_hypertension-{q}", "no")
    page.click("#followup-form-hypertension button[type=submit]")


def test_gp_records_two_unsatisfactory_follow_ups_and_sees_the_referral_rule(page, contracted, shot):
    today = timezone.localdate()
    protocol = load_protocol("hypertension")
    sign_in(page, "gp", PASSWORD)
    page.goto(f"/care/persons/{contracted.pk}/")
    assert page.inner_text("h1") == contracted.name

    page.select_option("#id_enrol-protocol_code", "hypertension")
    page.fill("#id_enrol-diagnosis_code", "I10")
    page.fill("#id_enrol-enrolled_on", (today - timedelta(days=30)).isoformat())
    page.click("#enrol-form button[type=submit]")
    page.wait_for_selector("#enrol-result")
    assert protocol.name.zh in page.inner_text("#enrol-result")

    # the required yes/no questions start unanswered; left so, they are refused beside the field, nothing stored
    assert page.input_value("#id_hypertension-adverse_reaction") == ""
    _record(page, "150", "95", f"{today - timedelta(days=14)}T09:00", answer=False)
    page.wait_for_selector("#id_hypertension-adverse_reaction-error")
    assert page.is_visible("#id_hypertension-new_or_worse_complication-error")
    assert page.input_value("#id_hypertension-sbp_mmhg") == "150"  # nothing typed is lost
    assert FollowUp.objects.count() == 0
    shot(page, "care-followup-unanswered-refused-zh")

    _record(page, "150", "95", f"{today - timedelta(days=14)}T09:00")
    page.wait_for_selector("#followup-result [data-rule='HTN-UNSAT-1ST']")
    assert page.locator("#referral-suggestion").count() == 0

    _record(page, "900", "95")  # a slip of the keyboard: refused next to the field, nothing stored
    page.wait_for_selector("#id_hypertension-sbp_mmhg-error")
    assert "300" in page.inner_text("#id_hypertension-sbp_mmhg-error")
    assert FollowUp.objects.count() == 1

    _record(page, "165", "95")  # the patient is 65 or more: the target is below 150/90
    rule = page.locator("#followup-result [data-rule='HTN-UNSAT-2X']")
    rule.wait_for()
    assert page.inner_text("#followup-class") == "控制不满意"
    assert rule.locator("blockquote").inner_text() == protocol.rule("HTN-UNSAT-2X").source_text.zh
    assert page.locator("#referral-suggestion").is_visible()
    assert "HTN-UNSAT-2X" in page.inner_text("#referral-suggestion")
    shot(page, "care-followup-referral-zh")

    fu = FollowUp.objects.order_by("-measured_at").first()
    assert fu.control_class == "unsatisfactory" and fu.measurements["sbp_mmhg"] == 165
    assert ReferralSuggestion.objects.get(followup=fu).rule_ids == [r["id"] for r in fu.fired_rules]


def test_an_outsider_gets_no_follow_up_page_or_form(page, contracted, cast):
    sign_in(page, "outsider", PASSWORD)
    response = page.goto(f"/care/persons/{contracted.pk}/")
    assert response is not None and response.status in (403, 404)
    assert page.locator("#followup-form-hypertension").count() == 0
