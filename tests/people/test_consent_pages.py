"""Consent (issue 12 item 1, regulation §6): recorded per purpose with signer and evidence (a scanned paper, a tablet
signature, an SMS code), viewed on the patient's page and in the API, withdrawn with a reason (future sharing stops,
what was shared stays). Bad input answered beside the field with nothing stored; an outsider refused (404)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone
from tests import factories as f
from tests.care.factories import page_client, page_text

from tiercare.core.errors import ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.people.consent_views import error_context
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.referrals import services as referrals
from tiercare.referrals.models import Referral

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def liu(cast):
    """刘六, registered at hospital A: the coordinator's patient."""
    return Person.objects.get(name="刘六")


def _today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _form(**kw):
    return {"purpose": "referral", "signer": "patient", "method": "paper", "signed_on": _today(), **kw}


def _post(client, person, data, files=None, **query):
    q = "&".join(f"{k}={v}" for k, v in {"person": person.pk, **query}.items())
    return client.post(f"/people/consents/new/?{q}", {**data, **(files or {})})


def _pdf(name="同意书.pdf", content=PDF, ctype="application/pdf"):
    return {"document": SimpleUploadedFile(name, content, content_type=ctype)}


def test_coordinator_records_a_paper_consent_seen_on_the_patient_page(cast, liu):
    coord = page_client(cast.coordinator)
    r = _post(coord, liu, _form(valid_until=_today(365)), _pdf(), next=f"/people/persons/{liu.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/people/persons/{liu.pk}/"
    c = Consent.objects.get(person=liu)
    assert (c.scope, c.signer, c.method, c.document_type, c.recorded_by) == (
        "referral",
        "patient",
        "paper",
        "application/pdf",
        cast.coordinator,
    )
    assert c.granted_to == cast.hospital_a and c.valid_until == timezone.localdate() + timedelta(days=365)
    assert AuditEvent.objects.filter(object_type="people.consent", object_id=str(c.pk), action="create").exists()
    page = page_text(coord.get(f"/people/persons/{liu.pk}/"))
    assert f'id="consent-{c.pk}"' in page and "纸质签字" in page and "有效" in page
    doc = coord.get(f"/people/consents/{c.pk}/document/")
    assert doc.status_code == 200 and b"".join(doc.streaming_content) == PDF
    assert doc["Cache-Control"] == "private, no-store"


def test_guardian_signs_for_a_child_on_a_tablet(cast):
    child = cast.child_person  # born 2015: under 14
    gp = page_client(cast.gp)
    r = _post(gp, child, _form(purpose="teleconsultation", method="tablet", signature=SIGNATURE))
    assert r.status_code == 422 and 'id="id_signer-error"' in page_text(r)  # the child cannot sign for themself
    r = _post(
        gp,
        child,
        _form(
            purpose="teleconsultation",
            method="tablet",
            signature=SIGNATURE,
            signer="guardian",
            given_by="张三",
            signer_relation="父亲",
        ),
    )
    assert r.status_code == 302
    c = Consent.objects.get(person=child)
    assert (c.signer, c.given_by, c.signer_relation, c.document_type) == ("guardian", "张三", "父亲", "image/png")


def test_sms_code_proves_the_consent(cast, liu, django_capture_on_commit_callbacks):
    coord = page_client(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        r = coord.post(f"/people/consents/sms-code/?person={liu.pk}", {"purpose": "mdt", "phone": "13900001111"})
    assert r.status_code == 200 and "139****1111" in page_text(r)
    [sms] = InMemoryBackend.outbox
    assert sms.recipient == "13900001111" and sms.template_code == "consent_sms_code"
    code = sms.params["code"]
    wrong = "000000" if code != "000000" else "111111"
    r = _post(coord, liu, _form(purpose="mdt", method="sms", sms_code=wrong))
    assert r.status_code == 422 and 'id="id_sms_code-error"' in page_text(r)
    assert not Consent.objects.filter(person=liu).exists()
    assert _post(coord, liu, _form(purpose="mdt", method="sms", sms_code=code)).status_code == 302
    c = Consent.objects.get(person=liu)
    assert c.method == "sms" and c.sms_phone_masked == "139****1111"
    # the code is used once
    assert _post(coord, liu, _form(purpose="mdt", method="sms", sms_code=code)).status_code == 422


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        ({"purpose": ""}, None, "purpose"),
        ({"method": ""}, None, "method"),
        ({"signed_on": "昨天"}, None, "signed_on"),  # wrong type
        ({"signed_on": _today(3)}, None, "signed_on"),  # signing in the future
        ({"valid_until": _today(-1)}, None, "valid_until"),  # validity already past
        ({"signer": "proxy", "signer_relation": "儿子"}, None, "given_by"),
        ({"signer": "guardian", "given_by": "王某"}, None, "signer_relation"),
        ({}, None, "document"),  # paper without its scan
        ({}, {"document": ("notes.txt", b"just text, not a scan", "text/plain")}, "document"),  # wrong type
        ({}, {"document": ("big.pdf", PDF + b"0" * 2048, "application/pdf")}, "document"),  # too large
        ({"method": "tablet", "signature": "data:image/png;base64,@@@"}, None, "signature"),
        ({"method": "sms", "sms_code": "123456"}, None, "sms_code"),  # no code was sent
    ],
)
def test_bad_consent_input_is_answered_beside_the_field_and_nothing_stored(cast, liu, settings, data, files, field):
    settings.CONSULTS_ATTACHMENT_MAX_BYTES = 1024
    upload = None
    if files:
        name, content, ctype = files["document"]
        upload = {"document": SimpleUploadedFile(name, content, content_type=ctype)}
    r = _post(page_client(cast.coordinator), liu, _form(**{"given_by": "", **data}), upload)
    text = page_text(r)
    assert r.status_code == 422, text
    assert f'id="id_{field}-error"' in text
    assert not Consent.objects.exists()
    # the form keeps what was typed
    if data.get("signed_on") and data["signed_on"] != "昨天":
        assert f'value="{data["signed_on"]}"' in text


def test_withdrawal_stops_future_referrals_and_keeps_the_one_made(cast, liu):
    dept = f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    coord = page_client(cast.coordinator)
    assert _post(coord, liu, _form(), _pdf()).status_code == 302
    consent = Consent.objects.get(person=liu)
    made = referrals.referral_create(
        by=cast.coordinator, person=liu, receiving_department=dept, reason="胸痛", diagnosis_text="冠心病？"
    ).referral
    r = coord.post(f"/people/consents/{consent.pk}/withdraw/", {f"w-{consent.pk}-reason": ""})
    assert r.status_code == 422 and f'id="id_w-{consent.pk}-reason-error"' in page_text(r)
    r = coord.post(f"/people/consents/{consent.pk}/withdraw/", {f"w-{consent.pk}-reason": "患者本人要求撤回"})
    assert r.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdraw_reason == "患者本人要求撤回"
    assert consent.withdrawn_by == cast.coordinator
    assert AuditEvent.objects.filter(object_id=str(consent.pk), action="update", reason="患者本人要求撤回").exists()
    assert Referral.objects.filter(pk=made.pk, consent=consent).exists()  # what was shared stays
    with pytest.raises(ValidationFailed) as refused:
        referrals.referral_create(
            by=cast.coordinator, person=liu, receiving_department=dept, reason="复查", diagnosis_text="冠心病"
        )
    assert refused.value.code == "consent_missing"
    # a second withdrawal is refused
    assert coord.post(f"/people/consents/{consent.pk}/withdraw/", {f"w-{consent.pk}-reason": "x"}).status_code == 409


def test_a_lapsed_consent_does_not_allow_sharing(cast, liu):
    dept = f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    Consent.objects.create(
        person=liu,
        scope=ConsentScope.REFERRAL,
        granted_at=timezone.now() - timedelta(days=400),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(ValidationFailed):
        referrals.referral_create(
            by=cast.coordinator, person=liu, receiving_department=dept, reason="胸痛", diagnosis_text="冠心病？"
        )


@pytest.mark.parametrize("who", ["outsider", "gp_b", "expert"])
def test_outsider_is_refused_on_every_consent_page(cast, liu, who):
    consent = Consent.objects.create(person=liu, scope=ConsentScope.REFERRAL, granted_at=timezone.now())
    client = page_client(getattr(cast, who))
    expected = 403 if who == "expert" else 404
    assert client.get(f"/people/consents/new/?person={liu.pk}").status_code == expected
    assert _post(client, liu, _form(), _pdf()).status_code == expected
    assert client.post(f"/people/consents/sms-code/?person={liu.pk}", {"purpose": "mdt"}).status_code == expected
    assert client.post(f"/people/consents/{consent.pk}/withdraw/", {f"w-{consent.pk}-reason": "x"}).status_code == 404
    assert client.get(f"/people/consents/{consent.pk}/document/").status_code == 404
    assert client.get(f"/people/persons/{liu.pk}/").status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and Consent.objects.count() == 1
    assert not InMemoryBackend.outbox


def test_consent_api_records_lists_and_withdraws(cast, liu, api):
    coord = api(cast.coordinator)
    status, body = coord.post(
        f"persons/{liu.pk}/consents", {"purpose": "research", "method": "tablet", "signature": SIGNATURE}
    )
    assert status == 201, body
    assert body["purpose"] == "research" and body["has_document"] and body["in_force"]
    status, rows = coord.get(f"persons/{liu.pk}/consents")
    assert status == 200 and [r["id"] for r in rows] == [body["id"]]
    status, bad = coord.post(f"persons/{liu.pk}/consents", {"purpose": "research", "method": "paper"})
    assert status == 422 and bad["details"]["field"] == "document"
    status, out = api(cast.outsider).post(f"consents/{body['id']}/withdraw", {"reason": "x"})
    assert status == 404
    status, out = coord.post(f"consents/{body['id']}/withdraw", {"reason": "不再参加研究"})
    assert status == 200 and out["withdrawn_at"] and not out["in_force"]
    assert api(cast.outsider).get(f"persons/{liu.pk}/consents")[0] == 404


def test_referral_page_refused_for_lack_of_consent_offers_to_record_it_in_place(cast, liu):
    dept = f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    coord = page_client(cast.coordinator)
    data = {
        "person": str(liu.pk),
        "receiving_department": str(dept.pk),
        "urgency": "routine",
        "reason": "胸痛待查",
        "diagnosis_text": "冠心病？",
        "capacity_kind": "clinic",
    }
    r = coord.post("/referrals/new/", data)
    text = page_text(r)
    assert r.status_code == 422 and 'id="consent-offer"' in text
    assert f"/people/consents/new/?person={liu.pk}&purpose=referral&next=%2Freferrals%2Fnew%2F" in text
    assert "胸痛待查" in text  # the referral form keeps what was typed
    assert not Referral.objects.exists()
    # the offered form, opened in place, records the consent; the referral then goes through
    offered = coord.get(f"/people/consents/new/?person={liu.pk}&purpose=referral&inplace=1", HTTP_HX_REQUEST="true")
    assert offered.status_code == 200 and 'id="consent-form"' in page_text(offered)
    r = coord.post(
        f"/people/consents/new/?person={liu.pk}&purpose=referral&inplace=1",
        {**_form(), **_pdf()},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and 'id="consent-recorded"' in page_text(r)
    assert coord.post("/referrals/new/", data).status_code == 302
    assert Referral.objects.filter(person=liu).count() == 1


def test_refusal_page_of_a_consent_missing_error_offers_the_consent_form(cast, liu):
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = cast.coordinator
    exc = ValidationFailed(
        "consent: none", code="consent_missing", details={"person": str(liu.pk), "scope": "teleconsultation"}
    )
    ctx = error_context(request, exc)
    assert ctx["error_includes"] == ["people/_consent_offer.html"]
    assert (
        "purpose=teleconsultation" in ctx["consent_offer"]["url"]
        and "next=%2Fsomewhere%2F%3Fx%3D1" in (ctx["consent_offer"]["url"])
    )
    request.user = cast.expert  # someone who may not record consent gets no offer
    assert error_context(request, exc) == {}


def test_admin_shows_a_consent_read_only_and_audits_the_read(cast, liu):
    consent = Consent.objects.create(person=liu, scope=ConsentScope.RESEARCH, granted_at=timezone.now())
    admin = page_client(cast.admin)
    r = admin.get(f"/admin/people/consent/{consent.pk}/change/")
    assert r.status_code == 200 and 'name="_save"' not in r.content.decode()
    assert admin.post(f"/admin/people/consent/{consent.pk}/change/", {"scope": "referral"}).status_code == 403
    assert admin.get("/admin/people/consent/add/").status_code == 403
    consent.refresh_from_db()
    assert consent.scope == "research"
    assert AuditEvent.objects.filter(actor=cast.admin, object_id=str(consent.pk), reason="admin").exists()


def test_a_second_code_within_a_minute_is_refused_and_sends_nothing(cast, liu, api, django_capture_on_commit_callbacks):
    coord = api(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = coord.post(
            f"persons/{liu.pk}/consent-codes", {"purpose": "teleconsultation", "phone": "13900001111"}
        )
        assert status == 201 and body["phone_masked"] == "139****1111"
        status, body = coord.post(
            f"persons/{liu.pk}/consent-codes", {"purpose": "teleconsultation", "phone": "13900001111"}
        )
    assert status == 429 and len(InMemoryBackend.outbox) == 1
    status, body = api(cast.outsider).post(f"persons/{liu.pk}/consent-codes", {"purpose": "teleconsultation"})
    assert status == 404
