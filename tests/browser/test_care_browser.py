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


def _record(page, sbp: str, dbp: str, measured_at: str | None = None) -> None:
    if measured_at:
        page.fill("#id_hypertension-measured_at", measured_at)
    page.fill("#id_hypertension-sbp_mmhg", sbp)
    page.fill("#id_hypertension-dbp_mmhg", dbp)
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

    _record(page, "150", "95", f"{today - timedelta(days=14)}T09:00")
    page.wait_for_selector("#followup-result [data-rule='HTN-UNSAT-1ST']")
    assert page.locator("#referral-suggestion").count() == 0

    _record(page, "900", "95")  # a slip of the keyboard: refused next to the field, nothing stored
    page.wait_for_selector("#id_hypertension-sbp_mmhg-error")
    assert "300" in page.inner_text("#id_hypertension-sbp_mmhg-error")
    assert FollowUp.objects.count() == 1

    _record(page, "150", "95")
    rule = page.locator("#followup-result [data-rule='HTN-UNSAT-2X']")
    rule.wait_for()
    assert page.inner_text("#followup-class") == "控制不满意"
    assert rule.locator("blockquote").inner_text() == protocol.rule("HTN-UNSAT-2X").source_text.zh
    assert page.locator("#referral-suggestion").is_visible()
    assert "HTN-UNSAT-2X" in page.inner_text("#referral-suggestion")
    shot(page, "care-followup-referral-zh")

    fu = FollowUp.objects.order_by("-measured_at").first()
    assert fu.control_class == "unsatisfactory" and fu.measurements["sbp_mmhg"] == 150
    assert ReferralSuggestion.objects.get(followup=fu).rule_ids == [r["id"] for r in fu.fired_rules]
