"""Excel export and import of the directory: round trip, bad rows, two-step confirm, limits, roles, CLI."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, AuditEvent, User
from tiercare.network import excel
from tiercare.network.models import (
    ImportBatch,
    ImportStatus,
    InsurancePolicy,
    Organization,
    Practitioner,
    SiteRegistration,
)

pytestmark = pytest.mark.django_db

EXPERT_HEADER = [
    "姓名",
    "性别",
    "职称",
    "专科",
    "执业证书编码",
    "主要执业机构",
    "可手术",
    "独立执业起始",
    "手机",
]


@dataclass
class Directory:
    ops: User
    coordinator: User
    group: Organization
    tertiary: Organization
    site: Organization
    expert: Practitioner


@pytest.fixture
def directory() -> Directory:
    ops = User.objects.create_user(username="ops", password="ops-pass-2024", role="ops")
    coordinator = User.objects.create_user(username="coord", password="coord-pass-2024", role="coordinator")
    group = Organization.objects.create(name="天府医生集团", kind="doctor_group")
    tertiary = Organization.objects.create(
        name="锦城大学附属第一医院", short_name="锦大一院", kind="hospital", tier="tertiary"
    )
    site = Organization.objects.create(name="新津区人民医院", kind="hospital", tier="secondary")
    expert = Practitioner.objects.create(
        name="赵专家",
        sex="1",
        title="chief",
        specialty="pediatrics",
        license_number="110510000000001",
        home_organization=tertiary,
        doctor_group=group,
        can_operate=True,
        independent_practice_since=date(2008, 7, 1),
        phone="13800138000",
    )
    return Directory(ops, coordinator, group, tertiary, site, expert)


def xlsx(rows: list[list[Any]]) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "upload.xlsx"
    return out


def english_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def practitioner_writes() -> int:
    return AuditEvent.objects.filter(object_type="network.practitioner", action=AuditAction.CREATE).count()


# -- round trip ----------------------------------------------------------------------------------------------


def test_export_then_import_gives_back_the_same_rows(directory: Directory) -> None:
    d = directory
    Practitioner.objects.create(
        name="钱医生",
        sex="2",
        title="associate_chief",
        specialty="gynecology",
        license_number="110510000000002",
        home_organization=d.tertiary,
        doctor_group=d.group,
    )
    SiteRegistration.objects.create(
        practitioner=d.expert,
        site=d.site,
        kind="filing",
        valid_from=date(2024, 1, 1),
        scope="儿科",
        reference="BA-2024-001",
    )
    SiteRegistration.objects.create(
        practitioner=d.expert,
        site=d.tertiary,
        kind="main",
        valid_from=date(2008, 7, 1),
        valid_to=date(2030, 12, 31),
    )
    InsurancePolicy.objects.create(
        practitioner=d.expert,
        insurer="人保财险",
        number="PICC-001",
        valid_from=date(2024, 1, 1),
        valid_to=date(2024, 12, 31),
        cover_amount=Decimal("1000000.00"),
    )

    def snapshot() -> tuple[set[tuple[Any, ...]], ...]:
        return (
            set(
                Practitioner.objects.values_list(
                    "name",
                    "sex",
                    "title",
                    "specialty",
                    "license_number",
                    "home_organization__name",
                    "can_operate",
                    "independent_practice_since",
                    "phone",
                    "doctor_group__name",
                )
            ),
            set(
                SiteRegistration.objects.values_list(
                    "practitioner__license_number",
                    "site__name",
                    "kind",
                    "valid_from",
                    "valid_to",
                    "scope",
                    "reference",
                )
            ),
            set(
                InsurancePolicy.objects.values_list(
                    "practitioner__license_number",
                    "insurer",
                    "number",
                    "valid_from",
                    "valid_to",
                    "cover_amount",
                )
            ),
        )

    before = snapshot()
    files = {}
    for kind in ("experts", "registrations", "insurance"):
        content, n = excel.export_workbook(by=d.ops, kind=kind)
        files[kind] = content
        event = AuditEvent.objects.filter(action=AuditAction.EXPORT, details__kind=kind).get()
        assert event.details["rows"] == n and event.actor == d.ops
    header = [c.value for c in load_workbook(io.BytesIO(files["experts"])).active[1]]
    assert header[:9] == EXPERT_HEADER

    SiteRegistration.objects.all().delete()
    InsurancePolicy.objects.all().delete()
    Practitioner.objects.all().delete()
    for kind in ("experts", "registrations", "insurance"):
        batch = excel.import_preview(by=d.ops, kind=kind, file=io.BytesIO(files[kind]), filename=f"{kind}.xlsx")
        assert batch.errors == [] and batch.status == ImportStatus.PREVIEWED
        assert excel.import_confirm(by=d.ops, batch=batch) == len(batch.rows)
    assert snapshot() == before


def test_english_headers_in_any_order_labels_and_excel_dates(directory: Directory) -> None:
    sheet = xlsx(
        [
            [
                "licence number",
                "title",
                "name",
                "main institution",
                "can operate",
                "independent practice since",
                "specialty",
                "sex",
            ],
            [
                "110510000000009",
                "Attending physician",
                "孙医生",
                "锦大一院",
                "yes",
                datetime(2015, 3, 2),
                "oncology",
                "女",
            ],
            [
                "110510000000010",
                "副主任医师",
                "李医生",
                "锦城大学附属第一医院",
                "否",
                "2016/4/5",
                "Pediatrics",
                "male",
            ],
        ]
    )
    batch = excel.import_preview(by=directory.ops, kind="experts", file=sheet)
    assert batch.errors == []
    assert excel.import_confirm(by=directory.ops, batch=batch) == 2
    sun = Practitioner.objects.get(license_number="110510000000009")
    assert (sun.title, sun.specialty, sun.sex, sun.can_operate, sun.independent_practice_since) == (
        "attending",
        "oncology",
        "2",
        True,
        date(2015, 3, 2),
    )
    assert sun.home_organization == directory.tertiary and sun.doctor_group == directory.group
    li = Practitioner.objects.get(license_number="110510000000010")
    assert (li.title, li.specialty, li.can_operate, li.independent_practice_since) == (
        "associate_chief",
        "pediatrics",
        False,
        date(2016, 4, 5),
    )


# -- bad rows, two steps -------------------------------------------------------------------------------------


def bad_expert_sheet() -> io.BytesIO:
    return xlsx(
        [
            EXPERT_HEADER,
            [
                "王医生",
                "男",
                "主任医师",
                "pediatrics",
                "110510000000101",
                "锦城大学附属第一医院",
                "是",
                "2010-09-01",
                "13900139000",
            ],
            ["周医生", "女", "教授", "gynecology", "110510000000102", "锦城大学附属第一医院", "否", "", ""],
            [
                "吴医生",
                "男",
                "chief",
                "oncology",
                "110510000000103",
                "锦城大学附属第一医院",
                "是",
                "2010-13-45",
                "",
            ],
            ["郑医生", "女", "attending", "oncology", "110510000000104", "不存在医院", "否", "", ""],
            ["冯医生", "男", "resident", "", "110510000000105", "", "否", "", ""],
            ["王医生", "男", "chief", "pediatrics", "110510000000101", "锦城大学附属第一医院", "是", "", ""],
            ["赵医生", "男", "chief", "pediatrics", "110510000000001", "锦城大学附属第一医院", "是", "", ""],
        ]
    )


def test_bad_rows_are_named_and_good_rows_written_only_at_confirm(directory: Directory) -> None:
    count, writes = Practitioner.objects.count(), practitioner_writes()
    with translation.override("en"):
        batch = excel.import_preview(by=directory.ops, kind="experts", file=bad_expert_sheet())
        sheet = excel.sheet_for("experts")
        messages = [excel.row_message(sheet, e) for e in batch.errors]

    assert messages == [
        "Row 3, title: unknown title '教授'",
        "Row 4, independent practice since: not a date: '2010-13-45'; write it as YYYY-MM-DD",
        "Row 5, main institution: unknown organization '不存在医院'",
        "Row 7, licence number: duplicate of row 2 in this file",
        "Row 8, licence number: licence number 110510000000001 is already in the directory",
    ]
    assert [r["row"] for r in batch.rows] == [2, 6]
    assert [r["row"] for r in batch.rejected] == [3, 4, 5, 7, 8]
    # Nothing is written at preview: not the rows, not their audit events.
    assert Practitioner.objects.count() == count and practitioner_writes() == writes

    assert excel.import_confirm(by=directory.ops, batch=batch) == 2
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CONFIRMED and batch.confirmed_at is not None
    assert Practitioner.objects.count() == count + 2 and practitioner_writes() == writes + 2
    wang = Practitioner.objects.get(license_number="110510000000101")
    assert (wang.title, wang.phone, wang.doctor_group) == ("chief", "13900139000", directory.group)
    imported = AuditEvent.objects.get(action=AuditAction.IMPORT, object_id=str(batch.pk))
    assert imported.details["rows"] == 2 and imported.actor == directory.ops


def test_bad_rows_download_and_upload_again_after_fixing(directory: Directory) -> None:
    batch = excel.import_preview(by=directory.ops, kind="experts", file=bad_expert_sheet())
    ws = load_workbook(io.BytesIO(excel.rejected_workbook(batch))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-2:] == ("原行号", "错误原因")
    assert [r[-2] for r in rows[1:]] == [3, 4, 5, 7, 8]
    assert "教授" in rows[1][-1] and rows[1][0] == "周医生"

    excel.import_confirm(by=directory.ops, batch=batch)
    ws["C2"] = "主任医师"  # fix row 3's title; upload the sheet back, extra columns and all
    fixed = io.BytesIO()
    ws.parent.save(fixed)
    fixed.seek(0)
    with translation.override("en"):
        again = excel.import_preview(by=directory.ops, kind="experts", file=fixed)
    assert [r["values"]["name"] for r in again.rows] == ["周医生"] and again.ignored_columns == []
    # The row that repeated row 2 of the first file now meets it in the directory.
    assert {
        "row": 5,
        "field": "license_number",
        "reason": "licence number 110510000000101 is already in the directory",
    } in again.errors


def test_confirming_twice_imports_once(directory: Directory) -> None:
    batch = excel.import_preview(by=directory.ops, kind="experts", file=bad_expert_sheet())
    count = Practitioner.objects.count()
    assert excel.import_confirm(by=directory.ops, batch=batch) == 2
    with pytest.raises(Conflict):
        excel.import_confirm(by=directory.ops, batch=batch)
    assert Practitioner.objects.count() == count + 2
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_confirm_refuses_rows_that_no_longer_pass_and_writes_nothing(directory: Directory) -> None:
    batch = excel.import_preview(by=directory.ops, kind="experts", file=bad_expert_sheet())
    Practitioner.objects.create(name="王医生", title="chief", license_number="110510000000101")
    count = Practitioner.objects.count()
    with translation.override("en"), pytest.raises(ValidationFailed) as info:
        excel.import_confirm(by=directory.ops, batch=batch)
    assert info.value.message.startswith("Row 2, licence number: licence number 110510000000101 is already")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED and Practitioner.objects.count() == count


def test_registrations_and_insurance_checks(directory: Directory) -> None:
    d = directory
    regs = xlsx(
        [
            ["执业证书编码", "姓名", "执业地点", "类型", "起始日期", "截止日期", "执业范围", "备案号"],
            ["110510000000001", "赵专家", "新津区人民医院", "备案", "2024-01-01", None, "儿科", "BA-1"],
            ["110510000000001", "赵专家", "新津区人民医院", "annual", "2024-01-01", None, "", ""],
            ["110510000000001", "钱专家", "新津区人民医院", "filing", "2024-02-01", None, "", ""],
            ["999", "", "新津区人民医院", "filing", "2024-02-01", None, "", ""],
            ["110510000000001", "", "天府医生集团", "added", "2024-02-01", None, "", ""],
            ["110510000000001", "", "新津区人民医院", "main", "2024-02-01", "2023-01-01", "", ""],
        ]
    )
    with translation.override("en"):
        batch = excel.import_preview(by=d.ops, kind="registrations", file=regs)
    reasons = {e["row"]: (e["field"], e["reason"]) for e in batch.errors}
    assert reasons[3] == ("kind", "unknown registration kind 'annual'; write 主要执业机构, 备案 or 增加注册")
    assert reasons[4] == ("practitioner_name", "licence number 110510000000001 belongs to 赵专家, not 钱专家")
    assert reasons[5] == ("license_number", "no practitioner with licence number '999'")
    assert reasons[6][0] == "site" and "doctor group" in reasons[6][1]
    assert reasons[7] == ("valid_to", "ends on 2023-01-01, before it starts on 2024-02-01")
    assert [r["row"] for r in batch.rows] == [2]
    assert batch.rows[0]["values"]["kind"] == "filing"

    policies = xlsx(
        [
            ["执业证书编码", "保险公司", "保单号", "起始日期", "截止日期", "保额"],
            ["110510000000001", "人保财险", "P-1", "2025-01-01", "2025-12-31", "100万"],
            ["110510000000001", "人保财险", "P-1", "2026-01-01", "2026-12-31", 1000000],
            ["110510000000001", "平安产险", "P-2", "2025-01-01", "2025-12-31", "0"],
        ]
    )
    with translation.override("en"):
        batch = excel.import_preview(by=d.ops, kind="insurance", file=policies)
    assert [(e["row"], e["field"], e["reason"]) for e in batch.errors] == [
        (3, "number", "duplicate of row 2 in this file"),
        (4, "cover_amount", "must be more than 0"),
    ]
    assert excel.import_confirm(by=d.ops, batch=batch) == 1
    assert InsurancePolicy.objects.get(number="P-1").cover_amount == Decimal("1000000.00")


# -- refused files -------------------------------------------------------------------------------------------


def test_not_xlsx_oversized_or_too_many_rows_is_refused_clearly(directory: Directory) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationFailed, match="is not an Excel workbook"):
            excel.import_preview(
                by=directory.ops, kind="experts", file=io.BytesIO(b"name,title\n"), filename="experts.csv"
            )
        with pytest.raises(ValidationFailed, match=r"old Excel 97-2003 file \(\.xls\)"):
            excel.import_preview(
                by=directory.ops,
                kind="experts",
                file=io.BytesIO(b"\xd0\xcf\x11\xe0" * 8),
                filename="experts.xls",
            )
        with pytest.raises(ValidationFailed, match="up to 5 MB"):
            excel.import_preview(
                by=directory.ops,
                kind="experts",
                file=io.BytesIO(b"\0" * (excel.MAX_UPLOAD_BYTES + 1)),
                filename="big.xlsx",
            )
        many = [EXPERT_HEADER] + [
            [f"医生{i}", "", "chief", "", f"L{i}", "", "", "", ""] for i in range(excel.MAX_ROWS + 1)
        ]
        with pytest.raises(ValidationFailed, match="more than 5,000 rows"):
            excel.import_preview(by=directory.ops, kind="experts", file=xlsx(many))
        with pytest.raises(ValidationFailed, match="Missing column “职称 / title”"):
            excel.import_preview(by=directory.ops, kind="experts", file=xlsx([["姓名", "执业证书编码"], ["x", "y"]]))
    assert ImportBatch.objects.count() == 0


def test_only_directory_writers_import(directory: Directory) -> None:
    with pytest.raises(Forbidden):
        excel.import_preview(by=directory.coordinator, kind="experts", file=bad_expert_sheet())
    with pytest.raises(Forbidden):
        excel.export_workbook(by=directory.coordinator, kind="experts")


# -- pages ---------------------------------------------------------------------------------------------------


def test_pages_upload_preview_confirm_and_download(directory: Directory) -> None:
    client = english_client(directory.ops)
    page = client.get(reverse("network:excel"))
    assert page.status_code == 200
    assert reverse("network:excel_export", kwargs={"kind": "experts"}) in page.content.decode()

    export = client.get(reverse("network:excel_export", kwargs={"kind": "experts"}))
    assert export.status_code == 200 and export["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in export["Content-Disposition"]

    count = Practitioner.objects.count()
    upload = SimpleUploadedFile("专家.xlsx", bad_expert_sheet().getvalue(), content_type=excel.XLSX_CONTENT_TYPE)
    preview = client.post(reverse("network:excel_import"), {"kind": "experts", "file": upload})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "unknown title &#x27;教授&#x27;" in html and "Import 2 good rows" in html
    batch = ImportBatch.objects.get()
    assert reverse("network:excel_confirm", kwargs={"batch_id": batch.pk}) in html
    assert reverse("network:excel_errors", kwargs={"batch_id": batch.pk}) in html
    assert Practitioner.objects.count() == count

    errors = client.get(reverse("network:excel_errors", kwargs={"batch_id": batch.pk}))
    assert errors.status_code == 200 and errors["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert load_workbook(io.BytesIO(errors.content)).active.max_row == 6  # header + 5 bad rows

    confirm_url = reverse("network:excel_confirm", kwargs={"batch_id": batch.pk})
    assert client.post(confirm_url).status_code == 302
    second = client.post(confirm_url, follow=True)  # the double click
    assert "already been confirmed" in second.content.decode()
    assert Practitioner.objects.count() == count + 2


def test_page_upload_of_a_non_xlsx_file_says_so(directory: Directory) -> None:
    client = english_client(directory.ops)
    upload = SimpleUploadedFile("experts.csv", b"name,title\n", content_type="text/csv")
    response = client.post(reverse("network:excel_import"), {"kind": "experts", "file": upload})
    assert response.status_code == 422
    assert "“experts.csv” is not an Excel workbook (.xlsx)" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_coordinator_is_refused_and_batches_are_private(directory: Directory) -> None:
    client = english_client(directory.coordinator)
    batch = excel.import_preview(by=directory.ops, kind="experts", file=bad_expert_sheet())
    assert client.get(reverse("network:excel")).status_code == 403
    assert client.get(reverse("network:excel_export", kwargs={"kind": "experts"})).status_code == 403
    upload = SimpleUploadedFile("e.xlsx", bad_expert_sheet().getvalue())
    assert client.post(reverse("network:excel_import"), {"kind": "experts", "file": upload}).status_code == 403
    assert client.post(reverse("network:excel_confirm", kwargs={"batch_id": batch.pk})).status_code == 403
    assert client.get(reverse("network:excel_errors", kwargs={"batch_id": batch.pk})).status_code == 403
    assert Client().get(reverse("network:excel")).status_code == 302  # anonymous: to the sign-in page

    other_ops = User.objects.create_user(username="ops2", password="ops2-pass-2024", role="ops")
    other = english_client(other_ops)
    assert other.get(reverse("network:excel_batch", kwargs={"batch_id": batch.pk})).status_code == 404
    assert other.post(reverse("network:excel_confirm", kwargs={"batch_id": batch.pk})).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED


# -- command line --------------------------------------------------------------------------------------------


def test_cli_prints_row_errors_and_writes_only_with_confirm(directory: Directory, tmp_path: Any) -> None:
    path = tmp_path / "experts.xlsx"
    path.write_bytes(bad_expert_sheet().getvalue())
    count = Practitioner.objects.count()
    out = io.StringIO()
    with pytest.raises(CommandError, match="5 rows have errors"):
        call_command("directory_excel", "import", "experts", str(path), "--user", "ops", "--lang", "en", stdout=out)
    printed = out.getvalue()
    assert "Row 3, title: unknown title '教授'" in printed
    assert "Row 5, main institution: unknown organization '不存在医院'" in printed
    assert "Nothing written" in printed
    assert Practitioner.objects.count() == count and ImportBatch.objects.count() == 0

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory_excel",
            "import",
            "experts",
            str(path),
            "--user",
            "ops",
            "--confirm",
            "--lang",
            "en",
            stdout=out,
        )
    assert "2 rows imported" in out.getvalue()
    assert Practitioner.objects.count() == count + 2

    exported = tmp_path / "out.xlsx"
    call_command("directory_excel", "export", "experts", "--out", str(exported), stdout=io.StringIO())
    assert load_workbook(exported).active.max_row == Practitioner.objects.filter(doctor_group__isnull=False).count() + 1


# -- a row's errors at once; practice start and certificate number -------------------------------------------


def test_a_rows_errors_are_reported_all_at_once(directory: Directory) -> None:
    """A row with a bad title, a 5-digit certificate number, a practice start in the future and an unknown
    institution is named for all four in one preview, not one layer per upload."""
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    sheet = xlsx(
        [
            EXPERT_HEADER,
            ["钱医生", "男", "教授", "oncology", "11051", "不存在医院", "否", tomorrow, ""],
        ]
    )
    with translation.override("en"):
        batch = excel.import_preview(by=directory.ops, kind="experts", file=sheet)
    assert sorted((e["field"], e["reason"]) for e in batch.errors) == [
        ("home_organization", "unknown organization '不存在医院'"),
        ("independent_practice_since", "The date must lie between 1900-01-01 and today."),
        ("license_number", "not a practising certificate number: '11051'; it has 15 digits"),
        ("title", "unknown title '教授'"),
    ]
    assert batch.rows == [] and [r["row"] for r in batch.rejected] == [2]


@pytest.mark.parametrize(
    ("number", "days_from_today", "refused"),
    [
        ("110510000000201", 0, set()),  # practice starting today is allowed
        ("110510000000202", 1, {"independent_practice_since"}),
        ("11051", -1, {"license_number"}),
        ("1105100000002031", -1, {"license_number"}),  # 16 digits
        ("11051000000020X", -1, {"license_number"}),
        ("110510000000204".translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}), -1, set()),  # full-width (IME)
    ],
)
def test_practice_start_and_certificate_number(
    directory: Directory, number: str, days_from_today: int, refused: set[str]
) -> None:
    since = timezone.localdate() + timedelta(days=days_from_today)
    sheet = xlsx([EXPERT_HEADER, ["钱医生", "男", "chief", "oncology", number, "", "否", since.isoformat(), ""]])
    batch = excel.import_preview(by=directory.ops, kind="experts", file=sheet)
    assert {e["field"] for e in batch.errors} == refused
    if not refused:
        assert excel.import_confirm(by=directory.ops, batch=batch) == 1
        assert Practitioner.objects.get(name="钱医生").independent_practice_since == since
    else:
        assert batch.rows == []
