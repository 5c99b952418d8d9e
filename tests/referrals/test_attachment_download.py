"""A referral attachment downloads like a case attachment: never cached or sniffed, only for those on the referral."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.referrals.helpers import reach

pytestmark = pytest.mark.django_db


def test_download_is_private_no_store_and_refused_to_outsider(net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ref = reach(net, "sent")
    client = Client()
    client.force_login(net.cast.gp)
    pdf = SimpleUploadedFile("检验报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert client.post(f"/api/v1/referrals/{ref.pk}/attachments", {"file": pdf}).status_code == 201
    row = ref.attachments.get()
    url = f"/referrals/{ref.pk}/attachments/{row.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    outsider = Client()
    outsider.force_login(net.cast.outsider)
    assert outsider.get(url).status_code == 404
