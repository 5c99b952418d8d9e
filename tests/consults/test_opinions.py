"""Second opinions: signed (who, when), immutable once signed through the UI, the API, the admin, the model and the
database; corrections are addenda; the patient sees it in their record."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tiercare.consults import services
from tiercare.consults.models import OpinionAddendum, OpinionStatus, SecondOpinion, SignedOpinionError, Transition
from tiercare.core.errors import Conflict, Forbidden

pytestmark = pytest.mark.django_db
TEXT = "诊断：川崎病可能性大。建议：完善心脏超声，静脉丙种球蛋白。"


@pytest.fixture
def signed(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_draft(by=cast.expert, opinion=op, text="草稿")
    services.opinion_sign(by=cast.expert, opinion=op, text=TEXT)
    op.refresh_from_db()
    return op


def test_sign_records_who_and_when(cast, signed):
    assert signed.status == OpinionStatus.SIGNED and signed.text == TEXT
    assert signed.signed_by == cast.expert and signed.signed_at is not None
    assert signed.first_answer_at == signed.signed_at
    assert Transition.objects.filter(object_id=signed.pk, to_state="signed", by=cast.expert).exists()


def test_only_the_assigned_expert_writes_and_signs(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    for user in (net.expert2, cast.gp):
        with pytest.raises(Forbidden):
            services.opinion_sign(by=user, opinion=op, text=TEXT)


def test_service_refuses_changes_and_addenda_are_separate_rows(cast, net, signed):
    with pytest.raises(Conflict) as exc:
        services.opinion_draft(by=cast.expert, opinion=signed, text="改")
    assert exc.value.code == "illegal_transition" and exc.value.details["state"] == "signed"
    with pytest.raises(Conflict):
        services.opinion_sign(by=cast.expert, opinion=signed, text="改")
    with pytest.raises(Forbidden):
        services.opinion_addendum(by=net.expert2, opinion=signed, text="x")
    add = services.opinion_addendum(by=cast.expert, opinion=signed, text="更正：剂量2g/kg")
    signed.refresh_from_db()
    assert signed.text == TEXT and OpinionAddendum.objects.get(opinion=signed) == add


def test_model_save_refuses_a_changed_signed_text(signed):
    signed.text = "tampered"
    with pytest.raises(SignedOpinionError):
        signed.save()
    add = OpinionAddendum.objects.create(opinion=signed, text="a", signed_by=signed.signed_by)
    add.text = "b"
    with pytest.raises(SignedOpinionError):
        add.save()


def test_database_trigger_refuses_a_changed_signed_text(signed):
    with pytest.raises(DatabaseError), transaction.atomic():
        SecondOpinion.objects.filter(pk=signed.pk).update(text="tampered")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE consults_secondopinion SET signed_at = NULL WHERE id = %s", [signed.pk.hex])
    signed.refresh_from_db()
    assert signed.text == TEXT and signed.signed_at is not None
    # Every column of a signed row is frozen, not only the text (tests/consults/test_signed_records_append_only.py).
    with pytest.raises(DatabaseError), transaction.atomic():
        SecondOpinion.objects.filter(pk=signed.pk).update(reminded_at=signed.signed_at)


def test_api_refuses_edit_of_a_signed_opinion(cast, signed, api):
    status, body = api(cast.expert).patch(f"consults/opinions/{signed.pk}", {"text": "改"})
    assert status == 409 and body["code"] == "illegal_transition" and body["details"]["state"] == "signed"
    status, body = api(cast.expert).post(f"consults/opinions/{signed.pk}/sign", {"text": "改"})
    assert status == 409
    status, body = api(cast.expert).post(f"consults/opinions/{signed.pk}/addenda", {"text": "补充"})
    assert status == 201
    signed.refresh_from_db()
    assert signed.text == TEXT


def test_ui_shows_no_form_and_refuses_a_posted_edit(cast, signed):
    c = Client()
    c.force_login(cast.expert)
    page = c.get(f"/consults/opinions/{signed.pk}/")
    assert page.status_code == 200 and b'name="sign"' not in page.content and "川崎病".encode() in page.content
    response = c.post(f"/consults/opinions/{signed.pk}/edit/", {"text": "改"})
    # Refused on the opinion's own page (issue 12: never the bare error page), the signed text as it was.
    assert response.status_code == 422 and "无法完成此操作" not in response.content.decode()
    assert "川崎病".encode() in response.content and b'name="sign"' not in response.content
    signed.refresh_from_db()
    assert signed.text == TEXT


def test_ui_edit_before_signing_works(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    c = Client()
    c.force_login(cast.expert)
    assert b'name="sign"' in c.get(f"/consults/opinions/{op.pk}/").content
    assert c.post(f"/consults/opinions/{op.pk}/edit/", {"text": TEXT, "sign": "1"}).status_code == 302
    op.refresh_from_db()
    assert op.status == "signed" and op.text == TEXT


def test_admin_is_read_only_once_signed(cast, signed):
    c = Client()
    c.force_login(cast.admin)
    url = f"/admin/consults/secondopinion/{signed.pk}/change/"
    page = c.get(url)
    assert page.status_code == 200 and b'name="text"' not in page.content
    c.post(url, {"text": "tampered", "specialty": "pediatrics", "priority": "routine"})
    signed.refresh_from_db()
    assert signed.text == TEXT
    assert c.post(f"/admin/consults/secondopinion/{signed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SecondOpinion.objects.filter(pk=signed.pk).exists()


def test_patient_sees_the_signed_opinion_in_their_record(cast, signed, api):
    status, body = api(cast.patient).get(f"consults/opinions/{signed.pk}")
    assert status == 200 and body["text"] == TEXT and body["signed_by"]
    c = Client()
    c.force_login(cast.patient)
    assert "川崎病".encode() in c.get(f"/consults/cases/{signed.case_id}/").content
    assert api(cast.gp_b).get(f"consults/opinions/{signed.pk}")[0] == 404
