"""The consults pages' forms (issue 12): each answers bad input beside the field, in Chinese, with what was typed
kept and nothing stored — never the 「无法完成此操作」 page with an internal field name (``text``, ``reason``, …);
each id comes through the user's access querysets (an outsider's id refused beside the field, a page of a case the
user is not on answers 404)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.consults.conftest import PDF
from tiercare.consults import services
from tiercare.consults.models import Case, CaseAttachment, MdtCase, MdtMeeting, MeetingHours, SecondOpinion, Teleconsult
from tiercare.network.models import Practitioner
from tiercare.people.models import Consent

pytestmark = pytest.mark.django_db
REFUSED_PAGE = "无法完成此操作"


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def field_error(response, field_id: str) -> str:
    """The message shown beside the field ``field_id`` (care/_field.html: ``<span id="<id>-error">``)."""
    html = response.content.decode()
    m = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>([^<]*)<', html)
    assert m, f"no error beside {field_id}"
    return m.group(1)


def assert_refused_beside(response, field_id: str, *internal: str) -> str:
    assert response.status_code == 422
    html = response.content.decode()
    assert REFUSED_PAGE not in html
    message = field_error(response, field_id)
    assert message.strip()
    for name in internal:
        assert f"{name}:" not in message and f"{name}：" not in message
    return message


# --- opening a case ---------------------------------------------------------------------------------------------------
def test_case_form_keeps_input_and_stores_nothing_on_bad_input(cast, net):
    gp = client(cast.gp)
    assert gp.get("/consults/cases/new/").status_code == 200
    r = gp.post("/consults/cases/new/", {"person": str(cast.patient_person.pk), "question": "", "history": "既往体健"})
    assert_refused_beside(r, "id_question")
    assert "既往体健" in r.content.decode()  # what was typed is kept
    # Another center's patient: refused beside the patient field (not said whether they exist).
    r = gp.post("/consults/cases/new/", {"person": str(cast.person_b.pk), "question": "发热"})
    assert_refused_beside(r, "id_person")
    assert cast.person_b.name not in r.content.decode()
    r = gp.post("/consults/cases/new/", {"person": "not-an-id", "question": "发热"})
    assert_refused_beside(r, "id_person")
    assert not Case.objects.exists()
    assert client(cast.expert).get("/consults/cases/new/").status_code == 403


def test_case_form_refuses_a_wrong_file_or_one_too_large_and_stores_nothing(cast, net, settings):
    gp = client(cast.gp)
    base = {"person": str(cast.patient_person.pk), "question": "持续发热5天"}
    exe = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    r = gp.post("/consults/cases/new/", {**base, "files": [exe]})
    message = assert_refused_beside(r, "id_files", "file")
    assert "report.pdf" in message and "PDF" in message
    settings.CONSULTS_ATTACHMENT_MAX_BYTES = 20
    big = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    r = gp.post("/consults/cases/new/", {**base, "files": [big]})
    assert "20" in assert_refused_beside(r, "id_files", "file")
    assert "持续发热5天" in r.content.decode()
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_case_without_consent_shows_the_refusal_beside_the_patient(cast, net):
    Consent.objects.filter(pk=net.consent.pk).update(withdrawn_at=timezone.now())
    r = client(cast.gp).post("/consults/cases/new/", {"person": str(cast.patient_person.pk), "question": "发热"})
    message = assert_refused_beside(r, "id_person", "consent")
    assert "知情同意" in message
    assert not Case.objects.exists()


def test_case_opened_with_its_attachments(cast, net):
    gp = client(cast.gp)
    upload = SimpleUploadedFile("血常规.pdf", PDF, content_type="application/pdf")
    r = gp.post("/consults/cases/new/", {"person": str(cast.patient_person.pk), "question": "发热", "files": [upload]})
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/consults/cases/{case.pk}/"
    assert [a.filename for a in case.attachments.all()] == ["血常规.pdf"]
    assert client(cast.gp_b).get(f"/consults/cases/{case.pk}/").status_code == 404


def test_attachment_form_refuses_beside_the_field(cast, net, case):
    r = client(cast.gp).post(
        f"/consults/cases/{case.pk}/attachments/", {"files": [SimpleUploadedFile("a.txt", b"hello")]}
    )
    assert_refused_beside(r, "id_files", "file")
    assert not CaseAttachment.objects.exists()
    bad = {"files": [SimpleUploadedFile("a.pdf", PDF)]}
    assert client(cast.gp_b).post(f"/consults/cases/{case.pk}/attachments/", bad).status_code == 404


# --- asking -----------------------------------------------------------------------------------------------------------
def test_teleconsult_form_names_the_routed_expert_and_refuses_beside_the_field(cast, net, case):
    gp = client(cast.gp)
    r = gp.post(f"/consults/cases/{case.pk}/teleconsults/", {"tc-specialty": "", "tc-priority": "routine"})
    assert_refused_beside(r, "id_tc-specialty", "specialty")
    r = gp.post(f"/consults/cases/{case.pk}/teleconsults/", {"tc-specialty": "dermatology", "tc-priority": "routine"})
    message = assert_refused_beside(r, "id_tc-specialty", "specialty")  # no dermatologist: routing's rule, named
    assert "皮肤科" in message and "dermatology" not in message
    r = gp.post(f"/consults/cases/{case.pk}/teleconsults/", {"tc-specialty": "pediatrics", "tc-priority": "soon"})
    assert_refused_beside(r, "id_tc-priority", "priority")
    assert not Teleconsult.objects.exists()
    outsider = {"tc-specialty": "pediatrics", "tc-priority": "routine"}
    assert client(cast.gp_b).post(f"/consults/cases/{case.pk}/teleconsults/", outsider).status_code == 404
    assert not Teleconsult.objects.exists()
    r = gp.post(f"/consults/cases/{case.pk}/teleconsults/", {"tc-specialty": "pediatrics", "tc-priority": "urgent"})
    tc = Teleconsult.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/consults/teleconsults/{tc.pk}/"
    page = gp.get(r["Location"]).content.decode()
    assert cast.expert_practitioner.name in page and timezone.localtime(tc.deadline).strftime("%Y-%m-%d %H:%M") in page


def test_opinion_form_asks_and_refuses_beside_the_field(cast, net, case):
    gp = client(cast.gp)
    r = gp.post(f"/consults/cases/{case.pk}/opinions/", {"op-specialty": "pediatrics", "op-expert": "x"})
    assert_refused_beside(r, "id_op-expert")
    assert not SecondOpinion.objects.exists()
    r = gp.post(f"/consults/cases/{case.pk}/opinions/", {"op-specialty": "pediatrics", "op-priority": "routine"})
    op = SecondOpinion.objects.get()
    assert r["Location"] == f"/consults/opinions/{op.pk}/" and op.expert_id == cast.expert_practitioner.pk


# --- the expert's answer ----------------------------------------------------------------------------------------------
def test_answer_needs_an_outcome_and_a_decline_a_reason(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    expert = client(cast.expert)
    r = expert.post(
        f"/consults/teleconsults/{tc.pk}/answer/", {"answer-body": "建议加用阿奇霉素", "answer-outcome": ""}
    )
    assert_refused_beside(r, "id_answer-outcome", "outcome")
    assert "建议加用阿奇霉素" in r.content.decode()
    r = expert.post(f"/consults/teleconsults/{tc.pk}/decline/", {"decline-reason": ""})
    assert_refused_beside(r, "id_decline-reason", "reason")
    tc.refresh_from_db()
    assert tc.status == "assigned" and tc.first_answer_at is None and not tc.messages.exists()
    # The requester cannot answer; another expert does not see it.
    body = {"answer-body": "x", "answer-outcome": "referral_needed"}
    assert client(cast.gp).post(f"/consults/teleconsults/{tc.pk}/answer/", body).status_code == 403
    assert client(net.expert2).post(f"/consults/teleconsults/{tc.pk}/answer/", body).status_code == 404


def test_more_information_keeps_it_open_then_the_requester_replies_and_the_expert_closes(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    expert, gp = client(cast.expert), client(cast.gp)
    r = expert.post(
        f"/consults/teleconsults/{tc.pk}/answer/",
        {"answer-body": "请补充胸片", "answer-outcome": "more_information_needed"},
    )
    assert r.status_code == 302
    tc.refresh_from_db()
    assert tc.status == "answered" and tc.outcome == "" and tc.first_answer_at is not None
    assert "已请求补充资料" in gp.get(f"/consults/teleconsults/{tc.pk}/").content.decode()
    r = gp.post(f"/consults/teleconsults/{tc.pk}/reply/", {"msg-body": ""})
    assert_refused_beside(r, "id_msg-body", "body")
    assert gp.post(f"/consults/teleconsults/{tc.pk}/reply/", {"msg-body": "胸片：右下肺浸润"}).status_code == 302
    r = expert.post(
        f"/consults/teleconsults/{tc.pk}/answer/",
        {"answer-body": "社区获得性肺炎", "answer-outcome": "advice_only_referral_avoided"},
    )
    tc.refresh_from_db()
    assert r.status_code == 302 and tc.status == "closed" and tc.outcome == "advice_only_referral_avoided"
    assert [m.body for m in tc.messages.order_by("created_at")] == ["请补充胸片", "胸片：右下肺浸润", "社区获得性肺炎"]
    r = expert.post(
        f"/consults/teleconsults/{tc.pk}/answer/", {"answer-body": "再补充", "answer-outcome": "referral_needed"}
    )
    assert r.status_code == 422 and REFUSED_PAGE not in r.content.decode()  # closed: refused above the form


def test_decline_routes_to_another_expert(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    r = client(cast.expert).post(f"/consults/teleconsults/{tc.pk}/decline/", {"decline-reason": "本周外出手术"})
    assert r.status_code == 302
    tc.refresh_from_db()
    assert tc.expert_id == net.expert2_practitioner.pk and tc.status == "assigned"
    assert client(cast.expert).get(f"/consults/teleconsults/{tc.pk}/").status_code == 404


# --- the opinion ------------------------------------------------------------------------------------------------------
def test_signing_an_empty_opinion_is_refused_beside_the_text(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    expert = client(cast.expert)
    r = expert.post(f"/consults/opinions/{op.pk}/edit/", {"text": "  ", "sign": "1"})
    message = assert_refused_beside(r, "text", "text")
    assert "撰写" in message
    op.refresh_from_db()
    assert op.signed_at is None
    assert expert.post(f"/consults/opinions/{op.pk}/edit/", {"text": "诊断明确", "sign": "1"}).status_code == 302
    r = expert.post(f"/consults/opinions/{op.pk}/addendum/", {"text": ""})
    assert_refused_beside(r, "addendum", "text")
    r = expert.post(f"/consults/opinions/{op.pk}/edit/", {"text": "改写"})
    assert r.status_code == 422 and REFUSED_PAGE not in r.content.decode()
    op.refresh_from_db()
    assert op.text == "诊断明确" and not op.addenda.exists()


# --- MDT --------------------------------------------------------------------------------------------------------------
def test_mdt_form_refuses_beside_the_field(cast, net, case):
    gp = client(cast.gp)
    url = f"/consults/cases/{case.pk}/mdt/"
    future = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    r = gp.post(url, {"mdt-specialties": ["pediatrics"], "mdt-deadline": future})
    assert_refused_beside(r, "id_mdt-specialties", "specialties")
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = gp.post(url, {"mdt-specialties": ["pediatrics", "cardiology"], "mdt-deadline": past})
    assert_refused_beside(r, "id_mdt-deadline", "deadline")
    r = gp.post(url, {"mdt-specialties": ["pediatrics", "cardiology"], "mdt-deadline": "下周"})
    assert_refused_beside(r, "id_mdt-deadline", "deadline")
    assert not MdtCase.objects.exists()
    payload = {"mdt-specialties": ["pediatrics", "cardiology"], "mdt-deadline": future}
    assert client(cast.gp_b).post(url, payload).status_code == 404
    r = gp.post(url, payload)
    mdt = MdtCase.objects.get()
    assert r["Location"] == f"/consults/mdt/{mdt.pk}/"


def test_mdt_page_picks_experts_and_refuses_a_bad_booking_beside_the_field(cast, net, mdt):
    gp = client(cast.gp)
    page = gp.get(f"/consults/mdt/{mdt.pk}/")
    assert page.status_code == 200 and "预约此时间" in page.content.decode()
    r = gp.get(f"/consults/mdt/{mdt.pk}/", {"expert_cardiology": str(cast.expert_practitioner.pk)})
    assert_refused_beside(r, "id_expert_cardiology")  # not a cardiologist qualified here
    [first, *_] = services.mdt_propose(mdt=mdt)
    stranger = f.PractitionerFactory(name="外省专家", specialty="cardiology")
    post = {
        "starts_at": first.starts_at.isoformat(),
        "expert_pediatrics": str(first.experts["pediatrics"]),
        "expert_cardiology": str(stranger.pk),
        "chair": "pediatrics",
    }
    r = gp.post(f"/consults/mdt/{mdt.pk}/book/", post)
    assert r.status_code == 422 and REFUSED_PAGE not in r.content.decode()
    assert "book-errors" in r.content.decode()
    assert not MdtMeeting.objects.exists()
    assert client(cast.gp_b).get(f"/consults/mdt/{mdt.pk}/").status_code == 404
    post["expert_cardiology"] = str(first.experts["cardiology"])
    assert client(cast.gp_b).post(f"/consults/mdt/{mdt.pk}/book/", post).status_code == 404
    r = gp.post(f"/consults/mdt/{mdt.pk}/book/", post)
    assert r.status_code == 302 and MdtMeeting.objects.get().starts_at == first.starts_at


def test_conclusion_before_the_meeting_starts_is_refused_beside_it(cast, net, mdt):
    [first, *_] = services.mdt_propose(mdt=mdt)
    experts = {s: Practitioner.objects.get(pk=k) for s, k in first.experts.items()}
    meeting = services.mdt_book(by=cast.gp, mdt=mdt, starts_at=first.starts_at, experts=experts)
    chair = client(cast.expert)
    url = f"/consults/mdt/{mdt.pk}/conclusion/"
    with time_machine.travel(meeting.starts_at - timedelta(minutes=5), tick=False):
        chair.force_login(cast.expert)
        r = chair.post(url, {"c-conclusion": "保守治疗，两周后复查", "c-action": ""})
        message = assert_refused_beside(r, "id_c-conclusion")
        assert "会诊开始后" in message and "保守治疗，两周后复查" in r.content.decode()
        r = chair.post(url, {"c-conclusion": "", "c-action": "care_plan"})
        assert_refused_beside(r, "id_c-conclusion", "conclusion")
        assert_refused_beside(r, "id_c-care_plan", "care_plan")
    meeting.refresh_from_db()
    assert meeting.signed_at is None
    assert client(net.cardiologist).post(url, {"c-conclusion": "x"}).status_code == 403
    assert client(cast.gp_b).post(url, {"c-conclusion": "x"}).status_code == 404
    with time_machine.travel(meeting.starts_at + timedelta(minutes=40), tick=False):
        chair.force_login(cast.expert)
        r = chair.post(url, {"c-conclusion": "保守治疗", "c-action": "care_plan", "c-care_plan": "每周随访"})
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert meeting.signed_at is not None and meeting.care_plan == "每周随访"


# --- meeting hours ----------------------------------------------------------------------------------------------------
def test_meeting_hours_form(cast, net):
    expert = client(cast.expert)
    assert expert.get("/consults/hours/").status_code == 200
    r = expert.post("/consults/hours/", {"weekday": "5", "start": "12:00", "end": "09:00"})
    assert_refused_beside(r, "id_end")
    r = expert.post("/consults/hours/", {"weekday": "9", "start": "9点", "end": "12:00"})
    assert_refused_beside(r, "id_weekday")
    assert_refused_beside(r, "id_start")
    assert not MeetingHours.objects.exists()
    assert expert.post("/consults/hours/", {"weekday": "5", "start": "09:00", "end": "12:00"}).status_code == 302
    r = expert.post("/consults/hours/", {"weekday": "5", "start": "09:00", "end": "11:00"})
    assert_refused_beside(r, "id_start", "start")
    row = MeetingHours.objects.get()
    assert client(net.expert2).post(f"/consults/hours/{row.pk}/remove/").status_code == 404
    assert client(cast.gp).get("/consults/hours/").status_code == 403
    assert expert.post(f"/consults/hours/{row.pk}/remove/").status_code == 302
    assert not MeetingHours.objects.exists()


def test_missing_consent_links_to_recording_it_once_the_people_page_exists(cast, net, settings):
    """The people app's consent page is built in parallel: with it (stood in by a URL of that name) the refusal
    links to it for this patient and purpose, coming back here; without it the refusal alone is shown."""
    Consent.objects.filter(pk=net.consent.pk).update(withdrawn_at=timezone.now())
    post = {"person": str(cast.patient_person.pk), "question": "发热"}
    assert 'id="consent-missing"' not in client(cast.gp).post("/consults/cases/new/", post).content.decode() or (
        _has_consent_page()
    )
    settings.ROOT_URLCONF = "tests.consults.urls_with_consent_page"
    html = client(cast.gp).post("/consults/cases/new/", post).content.decode()
    link = re.search(r'id="consent-missing".*?href="([^"]+)"', html, re.S)
    assert link, "no link to record the consent"
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/people/consents/new/?")
    assert f"person={cast.patient_person.pk}" in url and "purpose=teleconsultation" in url
    assert "next=%2Fconsults%2Fcases%2Fnew%2F%3Fperson%3D" in url
    assert not Case.objects.exists()


def _has_consent_page() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("people:consent-new")
    except NoReverseMatch:
        return False
    return True


def test_htmx_posts_get_the_page_back_on_refusal_and_a_redirect_header_on_success(cast, net, case):
    gp = client(cast.gp)
    url = f"/consults/cases/{case.pk}/teleconsults/"
    r = gp.post(url, {"tc-specialty": "", "tc-priority": "routine"}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and 'id="consult-body"' in r.content.decode()  # htmx swaps the body from it
    assert "id_tc-specialty-error" in r.content.decode()
    r = gp.post(url, {"tc-specialty": "pediatrics", "tc-priority": "routine"}, headers={"HX-Request": "true"})
    tc = Teleconsult.objects.get()
    assert r.status_code == 200 and r["HX-Redirect"] == f"/consults/teleconsults/{tc.pk}/"


def test_malformed_query_ids_on_the_pages_are_refused_not_500(cast, net, mdt):
    gp = client(cast.gp)
    assert gp.get("/consults/cases/new/", {"person": "zzz"}).status_code == 400
    r = gp.get(f"/consults/mdt/{mdt.pk}/", {"expert_pediatrics": "zzz"})
    assert_refused_beside(r, "id_expert_pediatrics")
    # A patient of the user's own institution is preselected; someone else's id is ignored, not revealed.
    page = gp.get("/consults/cases/new/", {"person": str(cast.patient_person.pk)}).content.decode()
    assert re.search(rf'<option value="{cast.patient_person.pk}" selected>', page)
    page = gp.get("/consults/cases/new/", {"person": str(cast.person_b.pk)}).content.decode()
    assert cast.person_b.name not in page


def test_expert_declines_an_opinion_with_a_reason_and_the_next_expert_gets_a_blank_page(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_draft(by=cast.expert, opinion=op, text="初步考虑")
    expert = client(cast.expert)
    r = expert.post(f"/consults/opinions/{op.pk}/decline/", {"decline-reason": ""})
    assert_refused_beside(r, "id_decline-reason", "reason")
    op.refresh_from_db()
    assert op.expert_id == cast.expert_practitioner.pk and op.text == "初步考虑"
    assert client(net.expert2).post(f"/consults/opinions/{op.pk}/decline/", {"decline-reason": "x"}).status_code == 404
    assert expert.post(f"/consults/opinions/{op.pk}/decline/", {"decline-reason": "利益冲突"}).status_code == 302
    op.refresh_from_db()
    assert op.expert_id == net.expert2_practitioner.pk and op.status == "assigned" and op.text == ""
    assert expert.get(f"/consults/opinions/{op.pk}/").status_code == 404


def test_the_operations_coordinator_books_the_mdt_from_its_page(cast, net, mdt):
    ops = client(cast.ops)
    page = ops.get(f"/consults/mdt/{mdt.pk}/")
    assert page.status_code == 200 and 'class="care-form proposal"' in page.content.decode()
    [first, *_] = services.mdt_propose(mdt=mdt)
    post = {"starts_at": first.starts_at.isoformat(), "chair": "cardiology"}
    post |= {f"expert_{spec}": str(pk) for spec, pk in first.experts.items()}
    assert ops.post(f"/consults/mdt/{mdt.pk}/book/", post).status_code == 302
    meeting = MdtMeeting.objects.get()
    assert meeting.chair_id == first.experts["cardiology"] and meeting.starts_at == first.starts_at
    other_ops = client(f.UserFactory(username="ops2", role="ops"))
    assert other_ops.get(f"/consults/mdt/{mdt.pk}/").status_code == 404


def test_minutes_and_video_link_kept_by_the_chair_until_signed(cast, net, mdt):
    [first, *_] = services.mdt_propose(mdt=mdt)
    experts = {s: Practitioner.objects.get(pk=k) for s, k in first.experts.items()}
    meeting = services.mdt_book(by=cast.ops, mdt=mdt, starts_at=first.starts_at, experts=experts)
    chair = client(cast.expert)
    url = f"/consults/mdt/{mdt.pk}/minutes/"
    assert 'id="minutes-form"' in chair.get(f"/consults/mdt/{mdt.pk}/").content.decode()
    r = chair.post(url, {"m-minutes": "讨论：心电图正常", "m-video_link": "不是链接"})
    assert_refused_beside(r, "id_m-video_link")
    assert "讨论：心电图正常" in r.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == ""
    assert client(cast.gp_b).post(url, {"m-minutes": "x"}).status_code == 404
    # A participant who is not the chair reads the meeting, but does not keep the minutes.
    assert first.experts["cardiology"] == net.cardiologist_practitioner.pk
    participant = client(net.cardiologist)
    assert 'id="minutes-form"' not in participant.get(f"/consults/mdt/{mdt.pk}/").content.decode()
    assert participant.post(url, {"m-minutes": "x"}).status_code == 403
    r = chair.post(url, {"m-minutes": "讨论：心电图正常", "m-video_link": "https://meet.example.org/mdt-1"})
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "讨论：心电图正常" and meeting.video_link == "https://meet.example.org/mdt-1"


@pytest.mark.parametrize("kind", ["teleconsult", "opinion"])
def test_requester_withdraws_with_a_reason(cast, net, case, kind):
    ask = services.teleconsult_request if kind == "teleconsult" else services.opinion_request
    work = ask(by=cast.gp, case=case, specialty="pediatrics")
    page, url = work.get_absolute_url(), f"{work.get_absolute_url()}cancel/"
    gp = client(cast.gp)
    assert 'id="cancel-form"' in gp.get(page).content.decode()
    assert 'id="cancel-form"' not in client(cast.expert).get(page).content.decode()
    r = gp.post(url, {"cancel-reason": ""})
    assert_refused_beside(r, "id_cancel-reason", "reason")
    assert client(cast.gp_b).post(url, {"cancel-reason": "x"}).status_code == 404
    assert client(cast.expert).post(url, {"cancel-reason": "x"}).status_code == 403
    work.refresh_from_db()
    assert work.status == "assigned"
    assert gp.post(url, {"cancel-reason": "患者已转上级医院"}).status_code == 302
    work.refresh_from_db()
    assert work.status == "cancelled"
    r = gp.post(url, {"cancel-reason": "再次撤回"})
    assert r.status_code == 422 and REFUSED_PAGE not in r.content.decode()


@pytest.fixture
def back_to_chinese():
    """A request in English leaves English active in this thread: later tests expect the site's default again."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_pages_in_english(cast, net, case, back_to_chinese):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    gp = client(cast.gp)
    assert "Ask for a tele-consultation" in gp.get(f"/consults/cases/{case.pk}/", {"lang": "en"}).content.decode()
    page = gp.get(f"/consults/teleconsults/{tc.pk}/").content.decode()  # the choice is kept
    assert "Answer due by" in page and "Pediatrics" in page and "回复截止" not in page
    assert "Open a case" in gp.get("/consults/cases/new/").content.decode()
