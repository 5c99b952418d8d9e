"""The case file through the API and pages: creation, attachments (checked, stored, served only to the case's
people), who reads what, and the audit of every read."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from tests.consults.conftest import PDF, PNG
from tiercare.consults import services
from tiercare.consults.models import CaseAttachment, MdtCase
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def upload(user, case_id, name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(user)
    response = client.post(
        f"/api/v1/consults/cases/{case_id}/attachments", {"file": SimpleUploadedFile(name, content, content_type)}
    )
    return response.status_code, response.json()


def test_gp_opens_a_case_through_the_api(cast, net, api):
    status, body = api(cast.gp).post(
        "consults/cases", {"person": str(cast.patient_person.pk), "question": "反复咳嗽", "findings": "胸片正常"}
    )
    assert status == 201, body
    assert body["person_name"] == "张三" and body["requesting_org"] == str(cast.center_a.pk)
    assert AuditEvent.objects.filter(object_id=body["id"], action="create", actor=cast.gp).exists()


def test_case_without_consent_is_refused_with_the_reason(cast, api):
    status, body = api(cast.gp).post("consults/cases", {"person": str(cast.patient_person.pk), "question": "?"})
    assert status == 422 and body["code"] == "consent_missing"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"question": "?"}, "person"),
        ({"person": "not-a-uuid", "question": "?"}, "person"),
        ({"person": None}, "person"),
    ],
)
def test_bad_case_input_names_the_field(cast, net, api, payload, field):
    status, body = api(cast.gp).post("consults/cases", payload)
    assert status == 422 and field in body["message"]


def test_attachment_accepted_stored_and_served_only_to_people_on_the_case(cast, net, case, api):
    status, body = upload(cast.gp, case.pk, "血常规.pdf", PDF)
    assert status == 201, body
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    row = CaseAttachment.objects.get(pk=body["id"])
    assert default_storage.exists(row.file.name) and "血常规" not in row.file.name
    url = body["url"]

    owner = Client()
    owner.force_login(cast.gp)
    response = owner.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(actor=cast.gp, action="read", object_id=str(row.pk)).exists()

    # Another GP at the same center, a GP elsewhere, an expert not assigned, ops: the exact URL answers 404.
    for stranger in (cast.health_manager, cast.gp_b, net.expert2, cast.ops, cast.outsider):
        other = Client()
        other.force_login(stranger)
        assert other.get(url).status_code == 404, stranger
        assert AuditEvent.objects.filter(actor=stranger, action="denied", object_id=str(row.pk)).exists()
    assert Client().get(url).status_code == 302  # anonymous: to sign-in

    # The patient sees their own case's files; the assigned expert too.
    services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    for reader in (cast.patient, cast.expert):
        c = Client()
        c.force_login(reader)
        assert c.get(url).status_code == 200, reader


def test_media_url_does_not_serve_attachments(cast, net, case):
    row = services.attachment_add(
        by=cast.gp, case=case, upload=__import__("django.core.files.base").core.files.base.ContentFile(PDF, "a.pdf")
    )
    c = Client()
    c.force_login(cast.gp)
    assert c.get(f"/media/{row.file.name}").status_code == 404


def test_wrong_type_is_refused_and_nothing_else_is_lost(cast, net, case, api):
    assert upload(cast.gp, case.pk, "ok.png", PNG, "image/png")[0] == 201
    status, body = upload(cast.gp, case.pk, "report.pdf", b"MZ\x90\x00 this is an exe", "application/pdf")
    assert status == 422 and body["code"] == "file_type_refused" and "report.pdf" in body["message"]
    case.refresh_from_db()
    assert case.question.startswith("持续发热")
    assert list(case.attachments.values_list("filename", flat=True)) == ["ok.png"]


def test_too_large_is_refused(cast, net, case, settings):
    settings.CONSULTS_ATTACHMENT_MAX_BYTES = len(PDF) - 1
    status, body = upload(cast.gp, case.pk, "big.pdf", PDF)
    assert status == 422 and body["code"] == "file_too_large" and body["details"]["limit"] == len(PDF) - 1
    settings.CONSULTS_ATTACHMENT_MAX_BYTES = len(PDF)
    assert upload(cast.gp, case.pk, "big.pdf", PDF)[0] == 201  # exactly at the limit


def test_outsider_cannot_attach_or_read(cast, net, case, api):
    assert upload(cast.gp_b, case.pk, "x.pdf", PDF)[0] == 404
    assert api(cast.gp_b).get(f"consults/cases/{case.pk}")[0] == 404
    assert api(cast.ops).get(f"consults/cases/{case.pk}")[0] == 404


def test_case_read_is_audited_and_list_is_scoped(cast, net, case, api):
    status, body = api(cast.patient).get(f"consults/cases/{case.pk}")
    assert status == 200 and body["question"] == case.question
    assert AuditEvent.objects.filter(actor=cast.patient, action="read", person_id=cast.patient_person.pk).exists()
    assert api(cast.gp).get("consults/cases")[1]["count"] == 1
    assert api(cast.gp_b).get("consults/cases")[1]["count"] == 0


def test_teleconsult_api_flow_and_illegal_transition(cast, net, case, api):
    status, tc = api(cast.gp).post("consults/teleconsults", {"case": str(case.pk), "specialty": "pediatrics"})
    assert status == 201, tc
    assert api(cast.expert).post(f"consults/teleconsults/{tc['id']}/messages", {"body": "建议血培养"})[0] == 201
    status, closed = api(cast.expert).post(
        f"consults/teleconsults/{tc['id']}/close", {"outcome": "advice_only_referral_avoided"}
    )
    assert status == 200 and closed["status"] == "closed" and closed["filed_to"] == str(cast.center_a.pk)
    status, body = api(cast.expert).post(f"consults/teleconsults/{tc['id']}/close", {"outcome": "referral_needed"})
    assert status == 409 and body == {
        "code": "illegal_transition",
        "message": body["message"],
        "details": {"state": "closed", "wanted": "closed"},
    }
    status, detail = api(cast.gp).get(f"consults/teleconsults/{tc['id']}")
    assert status == 200 and [m["body"] for m in detail["messages"]] == ["建议血培养"]
    assert api(net.expert2).get(f"consults/teleconsults/{tc['id']}")[0] == 404
    assert api(cast.gp_b).post(f"consults/teleconsults/{tc['id']}/messages", {"body": "x"})[0] == 404


def test_request_for_someone_elses_case_names_the_field(cast, net, case, api):
    status, body = api(cast.gp_b).post("consults/teleconsults", {"case": str(case.pk), "specialty": "pediatrics"})
    assert status == 422 and body["details"]["field"] == "case"


def test_unknown_specialty_and_outcome_are_422(cast, net, case, api):
    assert api(cast.gp).post("consults/teleconsults", {"case": str(case.pk), "specialty": "astrology"})[0] == 422
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    status, body = api(cast.expert).post(f"consults/teleconsults/{tc.pk}/close", {"outcome": "maybe"})
    assert status == 422 and "outcome" in body["message"]


def test_patient_asks_for_a_second_opinion_but_not_a_teleconsult(cast, net, api):
    status, case = api(cast.patient).post(
        "consults/cases", {"person": str(cast.child_person.pk), "question": "孩子的诊断对吗？"}
    )
    assert status == 422 and case["code"] == "consent_missing"  # consent is per person: the child has none
    status, case = api(cast.patient).post(
        "consults/cases", {"person": str(cast.patient_person.pk), "question": "对吗？"}
    )
    assert status == 201, case
    status, body = api(cast.patient).post("consults/teleconsults", {"case": case["id"], "specialty": "pediatrics"})
    assert status == 403
    status, body = api(cast.patient).post("consults/opinions", {"case": case["id"], "specialty": "pediatrics"})
    assert status == 201 and body["expert"] == str(cast.expert_practitioner.pk)
    assert api(cast.expert).get(f"consults/cases/{case['id']}")[0] == 200


def test_mdt_deadline_without_zone_is_shanghai_time(cast, net, case, api):
    from datetime import timedelta

    from django.utils import timezone

    naive = (timezone.localtime() + timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    status, body = api(cast.gp).post(
        "consults/mdt",
        {"case": str(case.pk), "specialties": ["pediatrics", "cardiology"], "deadline": naive.isoformat()},
    )
    assert status == 201, body
    assert timezone.localtime(MdtCase.objects.get(pk=body["id"]).deadline).replace(tzinfo=None) == naive
