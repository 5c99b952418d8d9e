"""Referral forms answer bad input beside the field, in the user's language, keeping what was typed and storing
nothing; a patient cannot open the pages of those who refer or publish capacity; each party of a move gets one
message written for them."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from tests.referrals.conftest import publish
from tests.referrals.helpers import reach

from tiercare.core.notify import InMemoryBackend, render
from tiercare.people.models import Consent
from tiercare.referrals.models import Referral, ReferralAttachment, ReservedCapacity

pytestmark = pytest.mark.django_db
INTERNAL = ("person", "receiving_department", "reason", "discharge_summary", "care_plan", "scheduled_for", "file")


def page_client(user, lang=None):
    c = Client(raise_request_exception=False)
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c


def text(response) -> str:
    return html.unescape(response.content.decode())


def errors_shown(page: str) -> list[str]:
    """Every message the page shows as an error (beside a field or above a form)."""
    return [m.strip() for m in re.findall(r'class="(?:field-error|errors)"[^>]*>([^<]*)<', page)]


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="id_[a-z_]*?{field}-error"[^>]*>([^<]*)<', page)
    return match.group(1) if match else ""


def assert_no_internal_names(page: str) -> None:
    shown = " ".join(errors_shown(page))
    assert shown, "no error shown"
    for name in INTERNAL:
        assert name not in shown, (name, shown)
    assert "无法完成此操作" not in page


# --- the new-referral form ---------------------------------------------------------------------------------------
def _referral_data(net, **kw):
    data = {
        "person": str(net.cast.patient_person.pk),
        "receiving_department": str(net.dept.pk),
        "urgency": "routine",
        "reason": "高热不退",
        "diagnosis_text": "发热待查",
        "capacity_kind": "clinic",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_an_empty_reason_and_no_department_are_shown_beside_their_fields_and_the_rest_is_kept(net):
    response = page_client(net.cast.gp).post(
        "/referrals/new/", _referral_data(net, reason="", receiving_department="", summary="三天前开始发热")
    )
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "reason") and field_error(page, "receiving_department")
    assert "三天前开始发热" in page and 'value="发热待查"' in page  # what was typed is kept
    assert_no_internal_names(page)
    assert not Referral.objects.exists()


def test_a_past_wanted_from_day_is_refused_beside_its_field(net):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = page_client(net.cast.gp).post("/referrals/new/", _referral_data(net, wanted_from=yesterday))
    assert response.status_code == 422
    page = text(response)
    assert "该日期已过去" in field_error(page, "wanted_from")
    assert_no_internal_names(page)
    assert not Referral.objects.exists()


def test_missing_consent_is_said_above_the_form_in_the_users_language(net):
    Consent.objects.all().delete()
    response = page_client(net.cast.gp).post("/referrals/new/", _referral_data(net))
    assert response.status_code == 422
    page = text(response)
    assert "请先登记患者的转诊知情同意" in " ".join(errors_shown(page)) and 'value="发热待查"' in page
    assert_no_internal_names(page)
    english = text(page_client(net.cast.gp, "en").post("/referrals/new/", _referral_data(net)))
    assert "Record the patient's referral consent first." in " ".join(errors_shown(english))
    assert not Referral.objects.exists()


# --- the action forms on the referral page ------------------------------------------------------------------------
def test_declining_without_a_reason_is_answered_beside_the_field(net):
    ref = reach(net, "sent")
    response = page_client(net.receiver).post(f"/referrals/{ref.pk}/move/", {"action": "decline", "reason": "  "})
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "reason") and 'id="action-decline"' in page
    assert_no_internal_names(page)
    assert Referral.objects.get(pk=ref.pk).status == "sent"


def test_a_back_referral_without_its_care_plan_keeps_the_discharge_summary_typed(net):
    ref = reach(net, "treated")
    data = {"action": "back_refer", "discharge_summary": "体温正常三天，出院", "care_plan": ""}
    response = page_client(net.receiver).post(f"/referrals/{ref.pk}/move/", data)
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "care_plan") and not field_error(page, "discharge_summary")
    assert "体温正常三天，出院" in page.split('id="action-back_refer"')[1]
    assert_no_internal_names(page)
    assert Referral.objects.get(pk=ref.pk).status == "treated"


def test_attaching_without_a_file_or_a_wrong_type_is_answered_beside_the_file_field(net):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ref = reach(net, "sent")
    c = page_client(net.cast.gp)
    response = c.post(f"/referrals/{ref.pk}/attach/", {})
    assert response.status_code == 422 and field_error(text(response), "file")
    assert_no_internal_names(text(response))
    exe = SimpleUploadedFile("report.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    response = c.post(f"/referrals/{ref.pk}/attach/", {"file": exe})
    assert response.status_code == 422 and "PDF" in field_error(text(response), "file")
    assert not ReferralAttachment.objects.exists()


def test_capacity_for_a_past_day_is_refused_beside_the_date(net):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"department": str(net.dept.pk), "date": yesterday, "kind": "clinic", "places": "3"}
    response = page_client(net.cast.ops).post("/referrals/capacity/", data)
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "date") and 'value="3"' in page
    assert not ReservedCapacity.objects.exists()


# --- who may open the pages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/referrals/new/", "/referrals/capacity/", "/referrals/dashboard/"])
def test_a_patient_is_refused_the_staff_pages_in_the_site_frame(net, url):
    publish(net, 2)
    for method in ("get", "post"):
        response = getattr(page_client(net.cast.patient), method)(url, {})
        assert response.status_code == 403, (url, method)
        page = text(response)
        assert 'class="errors"' in page and "<nav" in page  # the site's frame, with its way back
        assert net.dept.name not in page
    assert not Referral.objects.exists()
    worklist = text(page_client(net.cast.patient).get("/referrals/"))
    assert "/referrals/new/" not in worklist and "/referrals/capacity/" not in worklist


def test_those_who_refer_and_staff_still_open_them(net):
    assert page_client(net.cast.gp).get("/referrals/new/").status_code == 200
    assert page_client(net.cast.auditor).get("/referrals/new/").status_code == 403  # auditors do not refer
    assert page_client(net.cast.auditor).get("/referrals/capacity/").status_code == 200
    assert page_client(net.receiver).get("/referrals/capacity/").status_code == 200


# --- one message per party ---------------------------------------------------------------------------------------
@pytest.fixture
def outbox():
    InMemoryBackend.outbox.clear()
    yield InMemoryBackend.outbox
    InMemoryBackend.outbox.clear()


def _sent(outbox):
    return [(n.recipient, n.template_code) for n in outbox]


def _patient(net):
    p = net.cast.patient_person
    return p.phone or f"person:{p.pk}"


def test_each_party_of_a_move_gets_one_message_written_for_them(net, outbox, django_capture_on_commit_callbacks):
    ref = reach(net, "accepted")
    outbox.clear()
    when = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        ref = net.move(ref, "schedule", net.receiver, scheduled_for=when)
    assert sorted(_sent(outbox)) == sorted(
        [("user:gp", "referral_scheduled"), (_patient(net), "referral_scheduled_patient")]
    )
    to_gp, to_patient = (n for n in sorted(outbox, key=lambda n: n.template_code))
    assert "请告知患者" in to_gp.text and net.cast.patient_person.name in to_gp.text
    assert to_patient.text.startswith("您的转诊已预约") and net.dept.name in to_patient.text
    assert not any("tert_coord" in r for r, _code in _sent(outbox))  # the desk made the move

    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        net.move(ref, "cancel", net.cast.ops, reason="重复转诊")
    sent = _sent(outbox)
    assert len(sent) == len({r for r, _c in sent})  # nobody twice
    assert set(sent) == {
        ("user:tert_coord", "referral_cancelled"),
        ("user:gp", "referral_cancelled_referrer"),
        (_patient(net), "referral_cancelled_patient"),
    }
    texts = {n.template_code: render(n.template_code, n.params) for n in outbox}
    assert "运营" in texts["referral_cancelled"] and "无需再处理" in texts["referral_cancelled"]
    assert "另作安排" in texts["referral_cancelled_referrer"]
    for body in texts.values():
        assert not re.search(r"[a-z]+_[a-z]+|\{", body), body


def test_the_referring_side_cancelling_tells_the_desk_not_itself(net, outbox, django_capture_on_commit_callbacks):
    ref = reach(net, "sent")
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        net.move(ref, "cancel", net.cast.gp, reason="家属要求")
    assert _sent(outbox) == [("user:tert_coord", "referral_cancelled")]
    assert "转出方" in outbox[0].text


def test_overdue_messages_name_the_step_in_chinese(net, outbox, django_capture_on_commit_callbacks):
    from tiercare.referrals.tasks import tick

    reach(net, "sent")
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(days=4))
    overdue = [n for n in outbox if n.template_code == "referral_overdue"]
    escalated = [n for n in outbox if n.template_code == "referral_escalated"]
    assert overdue and escalated
    for n in overdue + escalated:
        assert "接收或拒绝" in n.text and "accept" not in n.text


def test_a_referral_sent_from_an_english_page_tells_the_desk_its_urgency_in_chinese(
    net, outbox, django_capture_on_commit_callbacks
):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        reach(net, "sent")
    texts = {n.text for n in outbox if n.template_code == "referral_sent"}
    assert texts and all("（普通）" in t and "Routine" not in t for t in texts), texts
