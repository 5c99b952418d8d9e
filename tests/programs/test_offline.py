"""Issue 14, offline: a blank needs-assessment sheet filled in Excel and read back (each bad row named by number
and reason, nothing written until the whole sheet is good), and a program's monthly actuals the same way; milestone
evidence files checked like every attachment and served only to those who may see the program."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.programs.factories import month_start
from tiercare.core.models import AuditEvent
from tiercare.programs.models import Assessment, KpiActual, MilestoneEvidence

pytestmark = pytest.mark.django_db

FILLED = {
    "doctors": 3, "senior_titles": 1, "nurses": 6, "beds": 12, "annual_admissions": 800,
    "room_layout": "部分符合规范", "written_norms": "none", "core_skills_pass_rate": 60,
    "referral_out_rate": 40, "distance_km": 180,
}  # fmt: skip


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _fill(content: bytes, answers: dict[str, Any], column: int = 5) -> SimpleUploadedFile:
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        code = row[0].value
        if code in answers:
            ws.cell(row=row[0].row, column=column, value=answers[code])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("filled.xlsx", out.getvalue())


def test_a_blank_assessment_filled_offline_is_read_back_with_row_errors(cast):
    client = _client(cast.coordinator)
    blank = client.get(f"/programs/assess/{cast.dept_a.pk}/blank.xlsx")
    assert blank.status_code == 200
    codes = [r[0] for r in load_workbook(io.BytesIO(blank.content)).worksheets[0].iter_rows(values_only=True)]
    assert "doctors" in codes and "equipment.monitor" in codes and "equipment.incubator" not in codes  # pediatrics
    url = f"/programs/assess/{cast.dept_a.pk}/import/"
    bad = {**FILLED, "doctors": 999, "room_layout": "很好", "equipment.monitor": "也许"}
    response = client.post(url, {"file": _fill(blank.content, bad)})
    assert response.status_code == 422
    html = response.content.decode()
    row_of = {c: i + 1 for i, c in enumerate(codes)}
    for code in ("doctors", "room_layout", "equipment.monitor"):
        assert f"第 {row_of[code]} 行" in html, code
    assert "200" in html and not Assessment.objects.exists()
    response = client.post(url, {"file": _fill(blank.content, {**FILLED, "equipment.monitor": "有"})})
    assert response.status_code == 200
    a = Assessment.objects.get()
    assert a.answers["room_layout"] == "partial" and a.answers["equipment"] == ["monitor"] and a.answers["beds"] == 12
    assert a.assessed_by == cast.coordinator


def test_a_file_that_is_not_a_workbook_is_refused_beside_the_field(cast):
    response = _client(cast.coordinator).post(
        f"/programs/assess/{cast.dept_a.pk}/import/", {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")}
    )
    assert response.status_code == 422 and 'id="id_file-error"' in response.content.decode()
    assert _client(cast.outsider).get(f"/programs/assess/{cast.dept_a.pk}/blank.xlsx").status_code == 404


def test_monthly_actuals_are_imported_from_a_sheet_all_or_nothing(cast, program):
    client = _client(cast.coordinator)
    sheet = client.get(f"/programs/{program.pk}/actuals/blank.xlsx")
    assert sheet.status_code == 200
    wb = load_workbook(io.BytesIO(sheet.content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(min_row=2))
    assert [r[1].value for r in rows] == ["neonates_admitted"] * 3  # three months so far; derived KPIs not asked
    ws.cell(row=2, column=5, value=7)
    ws.cell(row=3, column=5, value=-1)
    ws.append([f"{month_start(1):%Y-%m}", "cases_seen", "", "", 5])
    out = io.BytesIO()
    wb.save(out)
    url = f"/programs/{program.pk}/actuals/import/"
    response = client.post(url, {"file": SimpleUploadedFile("a.xlsx", out.getvalue())})
    assert response.status_code == 422
    html = response.content.decode()
    assert "第 3 行" in html and "第 5 行" in html and not KpiActual.objects.exists()
    ws.cell(row=3, column=5, value=9)
    ws.delete_rows(5)
    out = io.BytesIO()
    wb.save(out)
    assert client.post(url, {"file": SimpleUploadedFile("a.xlsx", out.getvalue())}).status_code == 302
    values = {(a.month, a.value) for a in KpiActual.objects.filter(kpi="neonates_admitted")}
    assert values == {(month_start(2), 7), (month_start(1), 9)}
    assert _client(cast.outsider).post(url, {"file": SimpleUploadedFile("a.xlsx", out.getvalue())}).status_code == 404
    assert _client(cast.ops).get(f"/programs/{program.pk}/actuals/blank.xlsx").status_code == 403


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_milestone_evidence_is_checked_and_served_only_to_those_who_see_the_program(
    cast, program, director_b, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    milestone = program.milestones.first()
    url = f"/programs/{program.pk}/milestones/{milestone.pk}/evidence/"
    client = _client(cast.coordinator)
    refused = client.post(url, {"file": SimpleUploadedFile("ward.png", b"MZ not an image at all")})
    assert refused.status_code == 422 and "PDF" in refused.content.decode()
    assert not MilestoneEvidence.objects.exists()
    assert client.post(url, {"file": SimpleUploadedFile("病房.png", PNG)}).status_code == 302
    ev = MilestoneEvidence.objects.get()
    assert (ev.name, ev.content_type, ev.uploaded_by) == ("病房.png", "image/png", cast.coordinator)
    assert AuditEvent.objects.filter(object_type="programs.milestoneevidence", action="create").exists()
    page = client.get(f"/programs/{program.pk}/").content.decode()
    assert "病房.png" in page
    download = client.get(f"/programs/{program.pk}/evidence/{ev.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Cache-Control"] == "private, no-store"
    for user in (cast.outsider, director_b):
        assert _client(user).get(f"/programs/{program.pk}/evidence/{ev.pk}/").status_code == 404
    assert _client(cast.outsider).post(url, {"file": SimpleUploadedFile("x.png", PNG)}).status_code == 404
    assert MilestoneEvidence.objects.count() == 1
