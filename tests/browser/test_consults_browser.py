"""An expert's hard-case path in a real browser: the GP's second-opinion request waits in the expert's inbox, the
expert opens the case, saves a draft, then signs the opinion (the form goes away); a GP of another center gets the
not-found page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

from tiercare.consults import services
from tiercare.network.models import AgreementKind, SupportAgreement
from tiercare.people.models import Consent, ConsentScope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUESTION = "持续发热5天，抗生素无效，是否需要上转？"
DRAFT = "草稿：考虑川崎病。"
SIGNED = "诊断：川崎病可能性大。建议：完善心脏超声。"


@pytest.fixture
def opinion(cast):
    """As tests/consults/conftest.py sets it up: a telemedicine agreement, the patient's consent, a case, a request."""
    SupportAgreement.objects.create(
        kind=AgreementKind.TELEMEDICINE,
        supporting=cast.tertiary,
        supported=cast.center_a,
        valid_from=timezone.localdate() - timedelta(days=30),
        reference="YC-2026-01",
    )
    Consent.objects.create(
        person=cast.patient_person,
        scope=ConsentScope.TELECONSULTATION,
        granted_to=cast.center_a,
        granted_at=timezone.now() - timedelta(days=1),
    )
    case = services.case_create(by=cast.gp, person=cast.patient_person, question=QUESTION, history="既往体健")
    return services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")


def test_expert_drafts_and_signs_a_second_opinion_and_another_center_cannot_see_it(page, cast, opinion, shot):
    assert opinion.expert_id == cast.expert_practitioner.pk
    sign_in(page, "expert", PASSWORD)
    page.goto("/consults/")
    assert page.inner_text("h1") == "疑难病例"
    assert "我的待办" in page.inner_text("body")
    page.click(f"a[href='/consults/opinions/{opinion.pk}/']")  # the inbox leads to the opinion itself
    page.wait_for_selector("textarea#text")
    assert page.inner_text("h1") == f"第二诊疗意见 · {cast.patient_person.name}"
    page.click(f"a[href='/consults/cases/{opinion.case_id}/']")
    page.wait_for_url(f"**/consults/cases/{opinion.case_id}/")
    assert page.inner_text("h1") == f"病例 · {cast.patient_person.name}"
    assert QUESTION in page.inner_text("body")

    page.click(f"a[href='/consults/opinions/{opinion.pk}/']")
    page.wait_for_selector("textarea#text")
    page.fill("textarea#text", DRAFT)
    with page.expect_navigation():
        page.click("button:has-text('保存草稿')")
    expect(page.locator("textarea#text")).to_have_value(DRAFT)  # no string eval under the Content-Security-Policy
    opinion.refresh_from_db()
    assert opinion.text == DRAFT and opinion.status == "assigned" and opinion.signed_at is None

    page.fill("textarea#text", SIGNED)
    with page.expect_navigation():
        page.click("button[name=sign]")
    page.wait_for_selector("text=签署人")
    assert page.locator("textarea#text").count() == 0  # signed: no more editing
    assert SIGNED in page.inner_text(".panel")
    assert "已签署" in page.inner_text("p.muted")
    shot(page, "consults-opinion-signed-zh")
    opinion.refresh_from_db()
    assert opinion.status == "signed" and opinion.text == SIGNED and opinion.signed_by_id == cast.expert.pk

    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)
    page.goto("/consults/")
    assert page.locator(f"a[href='/consults/cases/{opinion.case_id}/']").count() == 0
    for url in (f"/consults/cases/{opinion.case_id}/", f"/consults/opinions/{opinion.pk}/"):
        response = page.goto(url)
        assert response.status == 404
        assert page.inner_text("h1") == "无法完成此操作"  # the not-found page, in Chinese
        assert SIGNED not in page.content() and cast.patient_person.name not in page.content()
