"""Records of online consultations are kept as outpatient records (≥15 years) and their chat ≥3 years: the purge
command deletes only what the law no longer keeps, and a retention setting can lengthen but never shorten these."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from tests.consults.online.conftest import PASSWORD
from tiercare.consults import services
from tiercare.consults.models import EPrescription, OnlineConsult, OnlineMessage
from tiercare.consults.models.online import online_chat_retention, online_record_retention, years_after
from tiercare.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _consult_with_chat(cast, online):
    c = services.online_consult_request(
        by=cast.patient, person=cast.patient_person, diagnosis=online.enrollment, question="续药"
    )
    photo = SimpleUploadedFile("bp.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png")
    services.online_message(by=cast.patient, consult=c, body="这是血压计照片", image=photo)
    c = services.online_reauth(by=cast.gp, consult=c, password=PASSWORD)
    rx = services.eprescription_sign(
        by=cast.gp, consult=c, lines=[{"drug": "amlodipine_5mg", "dose": "5mg qd", "supply_days": 28}]
    )
    c = services.online_close(by=cast.gp, consult=c, summary="续方")
    return c, rx


def test_purge_keeps_what_the_law_keeps(cast, online, time_machine, django_capture_on_commit_callbacks):
    c, rx = _consult_with_chat(cast, online)
    today = timezone.localdate()
    assert (
        c.retain_until == years_after(15, today) and rx.__class__.objects.get(pk=rx.pk).retain_until == c.retain_until
    )
    message = OnlineMessage.objects.get(consult=c)
    assert message.retain_until == years_after(3, today)
    image_name = message.image.name
    from django.core.files.storage import default_storage

    assert default_storage.exists(image_name)

    time_machine.move_to(timezone.now() + timedelta(days=365 * 3 - 2))  # still within 3 years: nothing goes
    call_command("purge_online_records", stdout=StringIO())
    assert OnlineMessage.objects.filter(consult=c).exists()

    time_machine.move_to(timezone.now() + timedelta(days=5))  # past 3 years: the chat goes, the record stays
    out = StringIO()
    call_command("purge_online_records", "--dry-run", stdout=out)
    assert OnlineMessage.objects.filter(consult=c).exists() and "1" in out.getvalue()
    with django_capture_on_commit_callbacks(execute=True):  # the photo leaves storage once the rows are gone
        call_command("purge_online_records", stdout=StringIO())
    assert not OnlineMessage.objects.filter(consult=c).exists()
    assert not default_storage.exists(image_name)
    assert OnlineConsult.objects.filter(pk=c.pk).exists() and EPrescription.objects.filter(pk=rx.pk).exists()

    time_machine.move_to(timezone.now() + timedelta(days=365 * 12 - 10))  # 15 years not yet over
    call_command("purge_online_records", stdout=StringIO())
    assert OnlineConsult.objects.filter(pk=c.pk).exists()

    time_machine.move_to(timezone.now() + timedelta(days=20))
    call_command("purge_online_records", stdout=StringIO())
    assert not OnlineConsult.objects.filter(pk=c.pk).exists() and not EPrescription.objects.filter(pk=rx.pk).exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.DELETE, object_type="consults.onlineconsult", reason="retention purge"
        ).count()
        == 2
    )


def test_a_retention_setting_lengthens_but_never_shortens(settings):
    today = timezone.localdate()
    settings.ONLINE_RECORD_RETENTION_YEARS = 5
    settings.ONLINE_CHAT_RETENTION_YEARS = 1
    assert online_record_retention() == years_after(15, today) and online_chat_retention() == years_after(3, today)
    settings.ONLINE_RECORD_RETENTION_YEARS = 30
    settings.ONLINE_CHAT_RETENTION_YEARS = 10
    assert online_record_retention() == years_after(30, today) and online_chat_retention() == years_after(10, today)
