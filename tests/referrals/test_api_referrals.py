"""Creating and reading referrals through the API: consent, sides, idempotency, the wrong user's 404, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests import factories as f
from tests.referrals.conftest import publish
from tests.referrals.helpers import reach

from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.referrals import services
from tiercare.referrals.models import CapacityBooking, IdempotencyKey, Referral, ReferralTransition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox():
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()


def body(net, **kw):
    data = {
        "person": str(net.cast.patient_person.pk),
        "receiving_department": str(net.dept.pk),
        "reason": "持续高热5天，抗感染无效",
        "diagnosis_text": "发热待查",
        "diagnosis_code": "R50.900",
        "diagnosis_system": "ICD-10 国家临床版",
        "diagnosis_version": "2.0",
        "urgency": "priority",
    }
    data.update(kw)
    return data


def test_gp_refers_up_and_the_receiving_side_is_told(net, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        status, out = api(net.cast.gp).post("referrals", body(net))
    assert status == 201, out
    assert out["status"] == "sent" and out["urgency"] == "priority"
    assert out["referring_organization"] == str(net.cast.center_a.pk)
    assert out["diagnosis_code"] == "R50.900" and out["patient_name"] == "张三"
    assert out["due_step"] == "accept" and out["my_sides"] == ["referring"]
    ref = Referral.objects.get(pk=out["id"])
    assert ref.consent == net.consent and ref.referring_practitioner == net.cast.gp.practitioner
    assert list(ref.transitions.values_list("action", flat=True)) == ["create", "send"]
    assert AuditEvent.objects.filter(object_id=str(ref.pk), action="create", person_id=ref.person_id).exists()
    assert [n.recipient for n in InMemoryBackend.outbox] == ["user:tert_coord"]


def test_refused_without_referral_consent_or_after_withdrawal(net, api):
    net.consent.withdrawn_at = timezone.now()
    net.consent.save()
    status, out = api(net.cast.gp).post("referrals", body(net))
    assert status == 422 and out["code"] == "consent_missing"
    assert "consent" in out["message"]
    assert not Referral.objects.exists()


def test_only_grassroots_to_tertiary(net, api):
    grassroots_dept = f.DepartmentFactory(organization=net.cast.hospital_b)
    status, out = api(net.cast.gp).post("referrals", body(net, receiving_department=str(grassroots_dept.pk)))
    assert status == 422 and out["details"]["field"] == "receiving_department"


def test_patient_outside_my_care_is_404(net, api):
    status, _ = api(net.cast.gp_b).post("referrals", body(net))
    assert status == 404
    assert not Referral.objects.exists()


def test_named_expert_needs_a_legal_basis_and_it_is_recorded(net, api):
    expert = net.cast.expert_practitioner  # main institution: the tertiary hospital
    status, out = api(net.cast.gp).post("referrals", body(net, named_expert=str(expert.pk)))
    assert status == 201, out
    ref = Referral.objects.get(pk=out["id"])
    assert (ref.expert_practice_basis, ref.expert_practice_on) == ("main_institution", timezone.localdate())
    outsider = f.PractitionerFactory(covered=True, home_organization=net.cast.hospital_b)
    status, out = api(net.cast.gp).post("referrals", body(net, named_expert=str(outsider.pk)))
    assert status == 422 and out["code"] == "no_practice_basis"
    # the named expert reads the referral as receiving side
    assert api(net.cast.expert).get(f"referrals/{ref.pk}")[1]["my_sides"] == ["receiving"]


def test_same_idempotency_key_and_body_creates_one_referral(net, api):
    publish(net, 3)
    client = api(net.cast.gp)
    first = client.post("referrals", body(net, green_channel=True), HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("referrals", body(net, green_channel=True), HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first[0], again[0]) == (201, 200)
    assert first[1]["id"] == again[1]["id"]
    assert again[1]["reservation"] == first[1]["reservation"]
    assert Referral.objects.count() == 1 and CapacityBooking.objects.count() == 1
    status, out = client.post("referrals", body(net, urgency="routine"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert status == 409 and out["code"] == "idempotency_key_reused"
    # the key is the user's: another user's same key is another request
    hm = api(net.cast.health_manager).post("referrals", body(net), HTTP_IDEMPOTENCY_KEY="k-1")
    assert hm[0] == 201 and Referral.objects.count() == 2


def test_a_crash_after_booking_leaves_neither_booking_nor_referral(net, api, monkeypatch):
    cap = publish(net, 1)
    real = services.create._record  # _send records the "send" move through it

    def crash(ref, **kw):
        if kw["action"] == "send":
            assert CapacityBooking.objects.filter(referral=ref).exists()  # the place was booked …
            raise RuntimeError("power cut")  # … and then the process died
        return real(ref, **kw)

    monkeypatch.setattr(services.create, "_record", crash)
    with pytest.raises(RuntimeError):
        net.create(green_channel=True, idempotency_key="crash-1", payload_hash="h")
    assert not Referral.objects.exists()
    assert not CapacityBooking.objects.exists()
    assert not ReferralTransition.objects.exists()
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(services.create, "_record", real)
    result = net.create(green_channel=True, idempotency_key="crash-1", payload_hash="h")  # the retry works
    assert result.created and CapacityBooking.objects.get().capacity == cap


def test_who_may_read_a_referral(net, api):
    ref = reach(net, "sent")
    url = f"referrals/{ref.pk}"
    cast = net.cast
    # the parties
    assert api(cast.gp).get(url)[1]["reason"]
    assert api(cast.health_manager).get(url)[1]["my_sides"] == ["referring"]
    assert api(net.receiver).get(url)[1]["diagnosis_text"] == "川崎病？"
    assert api(cast.patient).get(url)[1]["my_sides"] == ["patient"]
    ops = api(cast.ops).get(url)[1]
    assert ops["status"] == "sent" and ops["reason"] is None and ops["patient_name"] is None
    # everyone else: 404, as if it did not exist, and the refusal audited
    for user in (cast.outsider, cast.gp_b, cast.coordinator, net.other_receiver, cast.auditor):
        status, out = api(user).get(url)
        assert status == 404, user
        assert api(user).post(f"{url}/transitions", {"action": "cancel", "reason": "x"})[0] == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(ref.pk), actor=cast.outsider).exists()
    assert AuditEvent.objects.filter(action="read", object_id=str(ref.pk), actor=cast.ops).exists()


def test_a_patient_sees_their_own_referrals_only(net, api):
    mine = reach(net, "sent")
    other_person = f.PersonFactory(household=net.cast.household_b)
    from tiercare.people.models import Consent

    Consent.objects.create(person=other_person, scope="referral", granted_at=timezone.now() - timedelta(days=1))
    theirs = net.create(by=net.cast.gp_b, person=other_person).referral
    status, out = api(net.cast.patient).get("referrals")
    assert status == 200 and [r["id"] for r in out["items"]] == [str(mine.pk)]
    assert api(net.cast.patient).get(f"referrals/{theirs.pk}")[0] == 404


def test_attachments_are_type_and_size_checked(net, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    ref = reach(net, "sent")
    client = Client()
    client.force_login(net.cast.gp)
    pdf = SimpleUploadedFile("检验报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(f"/api/v1/referrals/{ref.pk}/attachments", {"file": pdf})
    assert response.status_code == 201, response.content
    assert ref.attachments.get().size == len(b"%PDF-1.4 test")
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    response = client.post(f"/api/v1/referrals/{ref.pk}/attachments", {"file": exe})
    assert response.status_code == 422 and response.json()["code"] == "file_type"
    disguised = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(f"/api/v1/referrals/{ref.pk}/attachments", {"file": disguised})
    assert response.status_code == 422 and response.json()["code"] == "file_type"  # the bytes decide, not the label
    assert ref.attachments.count() == 1
    outsider = Client()
    outsider.force_login(net.cast.outsider)
    assert outsider.post(f"/api/v1/referrals/{ref.pk}/attachments", {"file": pdf}).status_code == 404
