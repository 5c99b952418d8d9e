"""Hard cases through their pages in a real browser (issue 12), each as the role that does the job, each with an
outsider refused: a county-hospital coordinator opens a case with an attachment (the patient's consent on file) and
asks a tele-consultation, and sees the expert it was routed to and the deadline; the expert answers it with an
outcome; a GP organises an MDT through the slot finder and books a time, and the chair signs the conclusion once the
meeting has started."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

from tiercare.consults import services
from tiercare.consults.models import Case, MdtCase, MdtMeeting, Teleconsult
from tiercare.core.models import Role
from tiercare.network.models import AgreementKind, SupportAgreement
from tiercare.people.models import Consent, ConsentScope, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"
QUESTION = "反复咳嗽3周，胸片右下肺阴影，抗感染效果差，请专家会诊。"


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def submit(page, selector: str) -> None:
    """Click a form's button and wait for the page it leads to (htmx navigates with HX-Redirect)."""
    with page.expect_navigation():
        page.click(selector)


def submit_refused(page, selector: str, error_id: str) -> str:
    """Click a form's button that the server refuses (422): the form comes back with the message beside the field."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 422):
        page.click(selector)
    error = page.locator(f"#{error_id}")
    expect(error).to_be_visible()
    assert "无法完成此操作" not in page.inner_text("body")
    return error.inner_text()


@pytest.fixture
def hospital_patient(cast):
    """刘六, registered at 甲县人民医院, with written consent to remote consultation on file there; the tertiary
    hospital's telemedicine agreement with 甲县人民医院."""
    SupportAgreement.objects.create(
        kind=AgreementKind.TELEMEDICINE,
        supporting=cast.tertiary,
        supported=cast.hospital_a,
        valid_from=timezone.localdate() - timedelta(days=30),
        reference="YC-2026-07",
    )
    person = Person.objects.get(name="刘六")
    Consent.objects.create(
        person=person,
        scope=ConsentScope.TELECONSULTATION,
        granted_to=cast.hospital_a,
        granted_at=timezone.now() - timedelta(days=1),
    )
    return person


def test_coordinator_opens_a_case_and_asks_a_teleconsult_and_an_outsider_is_refused(page, cast, hospital_patient, shot):
    sign_in(page, "coordinator", PASSWORD)
    page.goto("/consults/")
    page.click("#open-case")
    page.wait_for_url("**/consults/cases/new/")
    assert page.inner_text("h1") == "开立病例"
    page.select_option("#id_person", str(hospital_patient.pk))
    page.fill("#id_history", "吸烟20年")
    message = submit_refused(page, "#case-form button[type=submit]", "id_question-error")  # no question
    assert message and "question" not in message
    expect(page.locator("#id_person")).to_have_value(str(hospital_patient.pk))  # input kept
    expect(page.locator("#id_history")).to_have_value("吸烟20年")
    assert not Case.objects.exists()

    page.fill("#id_question", QUESTION)
    page.set_input_files("#id_files", files=[{"name": "胸片报告.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    submit(page, "#case-form button[type=submit]")
    case = Case.objects.get()
    page.wait_for_url(f"**/consults/cases/{case.pk}/")
    assert page.inner_text("h1") == "病例 · 刘六"
    assert "胸片报告.pdf" in page.inner_text("#attachments")
    assert case.requested_by == cast.coordinator and case.attachments.count() == 1

    page.select_option("#id_tc-specialty", "pediatrics")
    submit(page, "#teleconsult-form button[type=submit]")
    tc = Teleconsult.objects.get()
    page.wait_for_url(f"**/consults/teleconsults/{tc.pk}/")
    assert page.inner_text("#tc-expert") == "赵专家"  # routed to the expert registered at 甲县人民医院
    assert page.inner_text("#tc-deadline") == local(tc.deadline)
    assert tc.expert == cast.expert_practitioner and tc.status == "assigned"
    shot(page, "consults-teleconsult-asked-zh")

    page.context.clear_cookies()
    sign_in(page, "outsider", PASSWORD)  # a coordinator of 乙县人民医院
    for url in (f"/consults/cases/{case.pk}/", f"/consults/teleconsults/{tc.pk}/"):
        response = page.goto(url)
        assert response.status == 404 and "刘六" not in page.content() and QUESTION not in page.content()
    page.goto("/consults/cases/new/")
    assert page.locator(f"#id_person option[value='{hospital_patient.pk}']").count() == 0


@pytest.fixture
def asked(cast, hospital_patient):
    case = services.case_create(by=cast.coordinator, person=hospital_patient, question=QUESTION)
    return services.teleconsult_request(by=cast.coordinator, case=case, specialty="pediatrics")


def test_expert_answers_a_teleconsult_with_its_outcome_and_another_expert_is_refused(page, cast, asked, shot):
    other = f.UserFactory(username="expert2", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="钱专家", home_organization=cast.tertiary, specialty="pediatrics")
    sign_in(page, "expert", PASSWORD)
    page.goto("/consults/")
    page.click(f"a[href='/consults/teleconsults/{asked.pk}/']")
    page.wait_for_url(f"**/consults/teleconsults/{asked.pk}/")
    assert QUESTION in page.inner_text("body")
    page.fill("#id_answer-body", "考虑支原体肺炎，建议阿奇霉素3天，1周后复查胸片。")
    message = submit_refused(page, "#answer-form button[type=submit]", "id_answer-outcome-error")  # no outcome
    assert "outcome" not in message
    expect(page.locator("#id_answer-body")).to_have_value("考虑支原体肺炎，建议阿奇霉素3天，1周后复查胸片。")
    asked.refresh_from_db()
    assert asked.status == "assigned" and not asked.messages.exists()

    page.select_option("#id_answer-outcome", "advice_only_referral_avoided")
    submit(page, "#answer-form button[type=submit]")
    expect(page.locator("#tc-outcome")).to_have_text("仅给出建议，无需转诊")
    assert page.locator("#answer-form").count() == 0  # closed: nothing more to answer
    asked.refresh_from_db()
    assert asked.status == "closed" and asked.outcome == "advice_only_referral_avoided"
    assert asked.filed_to == cast.hospital_a and asked.messages.get().author == cast.expert
    shot(page, "consults-teleconsult-answered-zh")

    page.context.clear_cookies()
    sign_in(page, "expert2", PASSWORD)
    response = page.goto(f"/consults/teleconsults/{asked.pk}/")
    assert response.status == 404 and QUESTION not in page.content()


@pytest.fixture
def gp_case(cast):
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
    user = f.UserFactory(username="cardio", role=Role.EXPERT)
    cardio = f.PractitionerFactory(user=user, name="孙专家", home_organization=cast.tertiary, specialty="cardiology")
    f.InsurancePolicyFactory(practitioner=cardio)
    return services.case_create(by=cast.gp, person=cast.patient_person, question="胸闷心悸伴发热，心肌炎待排")


def test_gp_organises_an_mdt_through_the_slot_finder_and_the_chair_concludes(page, cast, gp_case, shot):
    sign_in(page, "gp", PASSWORD)
    page.goto(f"/consults/cases/{gp_case.pk}/")
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.check("#mdt-form input[value=pediatrics]")
    page.fill("#id_mdt-deadline", deadline)
    message = submit_refused(page, "#mdt-form button[type=submit]", "id_mdt-specialties-error")  # one specialty
    assert "两个专科" in message
    page.check("#mdt-form input[value=cardiology]")
    submit(page, "#mdt-form button[type=submit]")
    mdt = MdtCase.objects.get()
    page.wait_for_url(f"**/consults/mdt/{mdt.pk}/")
    assert mdt.specialties == ["pediatrics", "cardiology"] and mdt.requested_by == cast.gp

    # The organiser picks the pediatric expert; the slot finder picks the cardiologist and proposes times.
    page.select_option("#id_expert_pediatrics", str(cast.expert_practitioner.pk))
    with page.expect_navigation():
        page.click("#picks-form button[type=submit]")
    proposals = page.locator("form.proposal")
    expect(proposals.first).to_be_visible()
    assert "赵专家" in proposals.first.inner_text() and "孙专家" in proposals.first.inner_text()
    [first, *_] = services.mdt_propose(mdt=mdt, only={"pediatrics": cast.expert_practitioner})
    assert proposals.first.locator(".slot-time").inner_text().startswith(local(first.starts_at)[:10])
    shot(page, "consults-mdt-proposals-zh")
    submit(page, "form.proposal >> nth=0 >> button[type=submit]")
    meeting = MdtMeeting.objects.get()
    assert meeting.starts_at == first.starts_at and meeting.chair == cast.expert_practitioner
    expect(page.locator("#mdt-status")).to_have_text("已安排")
    assert local(meeting.starts_at)[11:] in page.inner_text("#meeting-time")

    page.context.clear_cookies()
    sign_in(page, "gp_b", PASSWORD)  # a GP of another center
    response = page.goto(f"/consults/mdt/{mdt.pk}/")
    assert response.status == 404 and cast.patient_person.name not in page.content()

    # The chair: before the meeting starts the conclusion is refused beside it and kept as typed.
    page.context.clear_cookies()
    sign_in(page, "expert", PASSWORD)
    page.goto(f"/consults/mdt/{mdt.pk}/")
    page.fill("#id_c-conclusion", "病毒性心肌炎可能性小，按社区获得性肺炎治疗。")
    message = submit_refused(page, "#conclusion-form button[type=submit]", "id_c-conclusion-error")
    assert "会诊开始后" in message
    expect(page.locator("#id_c-conclusion")).to_have_value("病毒性心肌炎可能性小，按社区获得性肺炎治疗。")
    assert MdtMeeting.objects.get().signed_at is None

    with time_machine.travel(meeting.starts_at + timedelta(minutes=45), tick=True):
        page.context.clear_cookies()
        sign_in(page, "expert", PASSWORD)  # sessions last 8 hours
        page.goto(f"/consults/mdt/{mdt.pk}/")
        page.fill("#id_c-conclusion", "病毒性心肌炎可能性小，按社区获得性肺炎治疗。")
        page.select_option("#id_c-action", "care_plan")
        page.fill("#id_c-care_plan", "社区随访体温、心率，1周后复查心电图。")
        submit(page, "#conclusion-form button[type=submit]")
        expect(page.locator("#conclusion")).to_contain_text("按社区获得性肺炎治疗")
        shot(page, "consults-mdt-concluded-zh")
    meeting.refresh_from_db()
    mdt.refresh_from_db()
    assert meeting.signed_by == cast.expert and meeting.action == "care_plan" and mdt.status == "concluded"
