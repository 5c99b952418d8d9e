"""Excel export and import of the directory's personnel sheets: experts, site registrations, insurance.

Export writes one sheet with Chinese headers, choice fields as their Chinese labels and dates as Excel dates.

Import is two steps, so that nothing reaches the directory before a person has seen what will:

- ``import_preview`` reads the sheet (headers in Chinese or English or the column keys, in any order),
  parses every row, validates it and stores an ImportBatch with the good rows and each bad row's Excel row
  number and reason. Validation is the very code confirmation runs: every good row goes through
  ``directory_create`` inside a transaction that is then rolled back, so preview writes nothing and cannot
  disagree with confirmation.
- ``import_confirm`` writes all the good rows through ``directory_create`` (validated and audited again) in
  one transaction. If the directory changed since the preview and a row no longer passes, nothing is written
  and the row is named.

Files over 5 MB or 5,000 rows are refused: split them. Bad rows can be downloaded back as a sheet with a
reason column (``rejected_workbook``), fixed and uploaded again; the extra columns are ignored on upload.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from tiercare.core.access import DIRECTORY_WRITERS, require_role
from tiercare.core.audit import audit_record, audit_write
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.phone import PhoneError, normalize_cn_mobile
from tiercare.core.validation import check_birth_date, check_plan_date
from tiercare.network.models import (
    ImportBatch,
    ImportKind,
    ImportStatus,
    InsurancePolicy,
    Organization,
    OrgKind,
    Practitioner,
    RegistrationKind,
    SiteRegistration,
    Specialty,
    Title,
)
from tiercare.network.services import directory_create

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Sheets often carry formatted blank rows below the data; they are skipped, but reading stops after this many.
MAX_SCANNED_ROWS = 10 * MAX_ROWS
# Preview validates this many rows per rolled-back transaction (about 1.5 s of SQLite's write lock).
PREVIEW_CHUNK = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Headers of the two columns the bad-rows download adds; an upload ignores them (and these spellings of them).
SOURCE_ROW_HEADER = "原行号"
REASON_HEADER = "错误原因"
_IGNORED_HEADERS = (SOURCE_ROW_HEADER, REASON_HEADER, "source row", "reason", "row", "行号", "errors")

# GB/T 2261.1 sex codes as a sheet writes them.
SEX_LABELS_ZH = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
SEX_ALIASES = {
    **{label: code for code, label in SEX_LABELS_ZH.items()},
    "男性": "1",
    "女性": "2",
    "m": "1",
    "f": "2",
}
TITLE_ALIASES = {
    "主任医师": Title.CHIEF,
    "副主任医师": Title.ASSOCIATE_CHIEF,
    "主治医师": Title.ATTENDING,
    "住院医师": Title.RESIDENT,
    "护士": Title.NURSE,
    "健康管理师": Title.HEALTH_MANAGER,
    "行政人员": Title.STAFF,
}
# The short Chinese names of the registration kinds that forms and sheets use.
REGISTRATION_KIND_LABELS_ZH = {
    RegistrationKind.MAIN: "主要执业机构",
    RegistrationKind.FILING: "备案",
    RegistrationKind.ADDED: "增加注册",
}
_TRUE = ("是", "yes", "y", "true", "1", "√")
_FALSE = ("否", "no", "n", "false", "0", "×")


class CellError(Exception):
    """A cell's value cannot be read; ``reason`` says why, in the user's language."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RowError(Exception):
    """A row refers to something that does not exist or clashes with the directory."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class RowErrors(Exception):
    """Every reference of a row that failed, as (column, reason), so that a row's errors are reported at once."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(reason for _field, reason in errors))
        self.errors = errors


def _collect(errors: list[tuple[str, str]], resolve: Callable[[], Any]) -> Any:
    """``resolve()``, or None with its RowError added to ``errors``."""
    try:
        return resolve()
    except RowError as exc:
        errors.append((exc.field, exc.reason))
        return None


Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its key, its Chinese and English headers, and how a cell becomes a value."""

    key: str
    zh: str
    en: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()

    def header(self, language: str | None = None) -> str:
        """The header in ``language`` (default: the active one): Chinese for zh-*, English otherwise."""
        language = language or translation.get_language() or "zh-hans"
        return self.zh if language.startswith("zh") else self.en


# -- cell parsers --------------------------------------------------------------------------------------------


def _norm(value: Any) -> str:
    """A header or label for comparison: NFKC (full-width to ASCII), no spaces or * marks, lower case."""
    return re.sub(r"[\s*:]", "", unicodedata.normalize("NFKC", str(value))).lower()


def _cell_text(value: Any) -> str:
    """A cell as text. Numbers typed into a cell (licence numbers, phones) come back without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _text(max_length: int) -> Parser:
    def parse(value: Any) -> str:
        text = _cell_text(value)
        if len(text) > max_length:
            raise CellError(_("longer than %(max)s characters") % {"max": max_length})
        return text

    return parse


@cache
def _choice_table(enum: type[models.TextChoices], aliases: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Code by normalised code, English label, Chinese label (zh-hans translation) or alias. Built once."""
    table: dict[str, str] = {_norm(code): code for code in enum.values}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            table.update({_norm(str(label)): code for code, label in enum.choices})
    table.update({_norm(alias): code for alias, code in aliases})
    return table


def _choice(enum: type[models.TextChoices], unknown: str, aliases: Mapping[str, str] | None = None) -> Parser:
    """A parser accepting the code, the English or Chinese label or an alias; ``unknown`` names the value."""
    alias_items = tuple((k, str(v)) for k, v in (aliases or {}).items())

    def parse(value: Any) -> str:
        text = _cell_text(value)
        if not text:
            return ""
        code = _choice_table(enum, alias_items).get(_norm(text))
        if code is None:
            raise CellError(unknown % {"value": text})
        return code

    return parse


@cache
def _sex_table() -> dict[str, str]:
    table = {**{code: code for code in SEX_LABELS_ZH}, **{_norm(k): v for k, v in SEX_ALIASES.items()}}
    choices = Practitioner._meta.get_field("sex").choices or []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            table.update({_norm(str(label)): str(code) for code, label in choices})  # type: ignore[misc]
    return table


def _sex(value: Any) -> str:
    text = _cell_text(value)
    if not text:
        return "0"
    code = _sex_table().get(_norm(text))
    if code is None:
        raise CellError(_("unknown sex '%(value)s'; write 男, 女, 未知 or 未说明") % {"value": text})
    return code


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(value: Any) -> str | None:
    """An Excel date, or text YYYY-MM-DD (also 2024/1/5, 2024.1.5, 2024年1月5日); stored as ISO text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _cell_text(value)
    match = _DATE.match(unicodedata.normalize("NFKC", text))
    if match:
        try:
            return date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            pass
    raise CellError(_("not a date: '%(value)s'; write it as YYYY-MM-DD") % {"value": text})


def _date_within(check: Callable[[date], date]) -> Parser:
    """A date (``_date``) inside the window ``check`` enforces (core.validation: the API's same window)."""

    def parse(value: Any) -> str | None:
        iso = _date(value)
        if iso is not None:
            try:
                check(date.fromisoformat(iso))
            except ValueError as exc:
                raise CellError(str(exc)) from None
        return iso

    return parse

# 医师执业证书编码: 15 digits (the demo's and the registry's numbers); only new experts are checked against it, a
# registration or a policy names an expert already in the directory by whatever number they were entered with.
_LICENSE_NUMBER = re.compile(r"^\d{15}$")


def _license_number(value: Any) -> str:
    text = unicodedata.normalize("NFKC", _cell_text(value)).replace(" ", "")
    if text and not _LICENSE_NUMBER.match(text):
        raise CellError(
            _("not a practising certificate number: '%(value)s'; it has 15 digits") % {"value": _cell_text(value)}
        )
    return text


def _bool(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = _norm(_cell_text(value))
    if not text:
        return False
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("not yes or no: '%(value)s'; write 是 or 否") % {"value": _cell_text(value)})


def _amount(value: Any) -> str | None:
    """An amount in yuan: a number, or text such as 1,000,000 / ¥1000000 / 100万 / 1000000元."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    raw = _cell_text(value)
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        if isinstance(value, int | float | Decimal):
            amount = Decimal(str(value))
        else:
            text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", raw)).lstrip("¥").removesuffix("元")
            factor = 1
            if text.endswith("万"):
                factor, text = 10000, text[:-1]
            amount = Decimal(text) * factor
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise CellError(_("not an amount in yuan: '%(value)s'") % {"value": raw}) from None
    if amount <= 0:
        raise CellError(_("must be more than 0"))
    if amount >= Decimal(10) ** 12:
        raise CellError(_("too large: '%(value)s'") % {"value": raw})
    return str(amount.quantize(Decimal("0.01")))


def _phone(value: Any) -> str:
    text = _cell_text(value)
    if not text:
        return ""
    try:
        return normalize_cn_mobile(text)
    except PhoneError as exc:
        language = translation.get_language() or "zh-hans"
        reason = exc.message_zh if language.startswith("zh") else exc.message_en
        raise CellError(f"{reason} ('{text}')") from None


def _max(model: type[models.Model], name: str) -> int:
    return int(model._meta.get_field(name).max_length or 0)  # type: ignore[union-attr]


# -- sheets --------------------------------------------------------------------------------------------------


@dataclass
class Refs:
    """What a batch of rows refers to, fetched in a few queries."""

    orgs_by_name: dict[str, Organization] = field(default_factory=dict)
    orgs_by_short_name: dict[str, list[Organization]] = field(default_factory=dict)
    doctor_groups: list[Organization] = field(default_factory=list)
    practitioners: dict[str, Practitioner] = field(default_factory=dict)
    existing: set[tuple[Any, ...]] = field(default_factory=set)


def _zh_label(enum: type[models.TextChoices], code: str) -> str:
    if not code:
        return ""
    with translation.override("zh-hans"):
        return str(enum(code).label)


def _as_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Sheet:
    """One kind of sheet: its columns, its export, and how a parsed row becomes directory_create data."""

    kind: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    identity_field: str
    # Model field → column, for messages of model validation (``__all__`` → no column).
    field_columns: dict[str, str] = {}

    @property
    def object_type(self) -> str:
        return self.model._meta.label_lower

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def export_rows(self) -> Iterator[list[Any]]:
        raise NotImplementedError

    def identity(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        """What makes two rows of one file the same row (None: the row cannot be compared)."""
        raise NotImplementedError

    def check_row(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """Rules across the cells of one row, as (column, reason)."""
        return []

    def prepare(self, rows: list[dict[str, Any]]) -> Refs:
        raise NotImplementedError

    def to_data(self, values: dict[str, Any], refs: Refs) -> dict[str, Any]:
        """The model's keyword arguments for ``directory_create``; RowError for a reference that fails."""
        raise NotImplementedError

    def display(self, key: str, value: Any) -> str:
        """A parsed value as the preview shows it, in the active language."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return str(value)

    # Shared resolution --------------------------------------------------------------------------------------
    @staticmethod
    def _practitioners(rows: list[dict[str, Any]]) -> dict[str, Practitioner]:
        numbers = {r["license_number"] for r in rows if r.get("license_number")}
        qs = Practitioner.objects.filter(license_number__in=numbers).select_related("doctor_group")
        return {p.license_number: p for p in qs}

    @staticmethod
    def _organizations(names: set[str], refs: Refs) -> None:
        names = {n for n in names if n}
        for org in Organization.objects.filter(Q(name__in=names) | Q(short_name__in=names)):
            refs.orgs_by_name[org.name] = org
            if org.short_name:
                refs.orgs_by_short_name.setdefault(org.short_name, []).append(org)

    @staticmethod
    def _organization(name: str, refs: Refs, column: str) -> Organization:
        org = refs.orgs_by_name.get(name)
        if org is not None:
            return org
        by_short = refs.orgs_by_short_name.get(name, [])
        if len(by_short) == 1:
            return by_short[0]
        if len(by_short) > 1:
            raise RowError(
                column,
                _("'%(value)s' is the short name of several organizations; write the full name") % {"value": name},
            )
        raise RowError(column, _("unknown organization '%(value)s'") % {"value": name})

    @classmethod
    def _practitioner_or_none(
        cls, values: dict[str, Any], refs: Refs, errors: list[tuple[str, str]]
    ) -> Practitioner | None:
        """The row's practitioner, or None with the reason added to ``errors`` (no number: nothing to look up)."""
        if not values.get("license_number"):
            return None
        return _collect(errors, lambda: cls._practitioner(values, refs))

    @staticmethod
    def _practitioner(values: dict[str, Any], refs: Refs) -> Practitioner:
        number = values["license_number"]
        practitioner = refs.practitioners.get(number)
        if practitioner is None:
            raise RowError("license_number", _("no practitioner with licence number '%(value)s'") % {"value": number})
        given = values.get("practitioner_name") or ""
        if given and given != practitioner.name:
            raise RowError(
                "practitioner_name",
                _("licence number %(number)s belongs to %(name)s, not %(given)s")
                % {"number": number, "name": practitioner.name, "given": given},
            )
        return practitioner


def _license_column(parse: Parser | None = None) -> Column:
    return Column(
        "license_number",
        "执业证书编码",
        "licence number",
        parse or _text(_max(Practitioner, "license_number")),
        required=True,
        aliases=("license number", "practising certificate number", "执业证书编号"),
    )


def _practitioner_name_column() -> Column:
    return Column(
        "practitioner_name",
        "姓名",
        "name",
        _text(_max(Practitioner, "name")),
        aliases=("practitioner", "医师姓名"),
    )


class ExpertsSheet(Sheet):
    """The doctor group's experts."""

    kind = ImportKind.EXPERTS
    model = Practitioner
    identity_field = "license_number"
    field_columns = {"doctor_group": "doctor_group", "home_organization": "home_organization"}

    def __init__(self) -> None:
        self.columns = (
            Column("name", "姓名", "name", _text(_max(Practitioner, "name")), required=True),
            Column("sex", "性别", "sex", _sex),
            Column(
                "title",
                "职称",
                "title",
                _choice(Title, _("unknown title '%(value)s'"), TITLE_ALIASES),
                required=True,
            ),
            Column("specialty", "专科", "specialty", _choice(Specialty, _("unknown specialty '%(value)s'"))),
            _license_column(_license_number),
            Column(
                "home_organization",
                "主要执业机构",
                "main institution",
                _text(_max(Organization, "name")),
                aliases=("home organization", "home hospital"),
            ),
            Column("can_operate", "可手术", "can operate", _bool, aliases=("qualified to operate",)),
            Column(
                "independent_practice_since",
                "独立执业起始",
                "independent practice since",
                _date_within(check_birth_date),
            ),
            Column("phone", "手机", "mobile", _phone, aliases=("phone", "手机号", "手机号码")),
            Column("doctor_group", "医生集团", "doctor group", _text(_max(Organization, "name"))),
        )

    def export_rows(self) -> Iterator[list[Any]]:
        qs = (
            Practitioner.objects.filter(doctor_group__isnull=False)
            .select_related("home_organization", "doctor_group")
            .order_by("name_pinyin", "name")
        )
        for p in qs.iterator(chunk_size=1000):
            yield [
                p.name,
                SEX_LABELS_ZH.get(p.sex, ""),
                _zh_label(Title, p.title),
                _zh_label(Specialty, p.specialty),
                p.license_number,
                p.home_organization.name if p.home_organization else "",
                "是" if p.can_operate else "否",
                p.independent_practice_since,
                p.phone,
                p.doctor_group.name if p.doctor_group else "",
            ]

    def identity(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        return (values["license_number"],) if values.get("license_number") else None

    def check_row(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        since = _as_date(values.get("independent_practice_since"))
        today = timezone.localdate()
        if since and since > today:
            return [
                (
                    "independent_practice_since",
                    _("%(day)s is in the future; independent practice cannot start after today (%(today)s)")
                    % {"day": since.isoformat(), "today": today.isoformat()},
                )
            ]
        return []

    def prepare(self, rows: list[dict[str, Any]]) -> Refs:
        refs = Refs(doctor_groups=list(Organization.objects.filter(kind=OrgKind.DOCTOR_GROUP)))
        self._organizations({r.get("home_organization") or "" for r in rows}, refs)
        numbers = {r["license_number"] for r in rows if r.get("license_number")}
        refs.existing = {
            (n,)
            for n in Practitioner.objects.filter(license_number__in=numbers).values_list("license_number", flat=True)
        }
        return refs

    def to_data(self, values: dict[str, Any], refs: Refs) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        number = values.get("license_number") or ""
        if (number,) in refs.existing:
            errors.append(
                ("license_number", _("licence number %(value)s is already in the directory") % {"value": number})
            )
        home = values.get("home_organization") or ""
        home_org = _collect(errors, lambda: self._organization(home, refs, "home_organization")) if home else None
        group = _collect(errors, lambda: self._doctor_group(values, refs))
        if errors:
            raise RowErrors(errors)
        return {
            "name": values.get("name") or "",
            "sex": values.get("sex") or "0",
            "title": values.get("title") or "",
            "specialty": values.get("specialty") or "",
            "license_number": number,
            "home_organization": home_org,
            "can_operate": bool(values.get("can_operate")),
            "independent_practice_since": _as_date(values.get("independent_practice_since")),
            "phone": values.get("phone") or "",
            "doctor_group": group,
        }

    @staticmethod
    def _doctor_group(values: dict[str, Any], refs: Refs) -> Organization:
        name = values.get("doctor_group") or ""
        if name:
            group = next((g for g in refs.doctor_groups if name in (g.name, g.short_name)), None)
            if group is None:
                raise RowError("doctor_group", _("no doctor group named '%(value)s'") % {"value": name})
            return group
        if len(refs.doctor_groups) == 1:
            return refs.doctor_groups[0]
        if not refs.doctor_groups:
            raise RowError("doctor_group", _("the directory has no doctor group; create it first"))
        raise RowError("doctor_group", _("the directory has several doctor groups; name one in this column"))

    def display(self, key: str, value: Any) -> str:
        if key == "sex":
            return str(dict(Practitioner._meta.get_field("sex").choices).get(value, value))  # type: ignore[arg-type]
        if key == "title" and value:
            return str(Title(value).label)
        if key == "specialty" and value:
            return str(Specialty(value).label)
        return super().display(key, value)


class RegistrationsSheet(Sheet):
    """Site registrations (多点执业) of practitioners found by licence number."""

    kind = ImportKind.REGISTRATIONS
    model = SiteRegistration
    identity_field = "site"
    field_columns = {"practitioner": "license_number"}

    def __init__(self) -> None:
        self.columns = (
            _license_column(),
            _practitioner_name_column(),
            Column(
                "site",
                "执业地点",
                "practice site",
                _text(_max(Organization, "name")),
                required=True,
                aliases=("site",),
            ),
            Column(
                "kind",
                "类型",
                "kind",
                _choice(
                    RegistrationKind,
                    _("unknown registration kind '%(value)s'; write 主要执业机构, 备案 or 增加注册"),
                    {v: k for k, v in REGISTRATION_KIND_LABELS_ZH.items()},
                ),
                required=True,
            ),
            Column("valid_from", "起始日期", "valid from", _date_within(check_plan_date), required=True),
            Column("valid_to", "截止日期", "valid to", _date_within(check_plan_date)),
            Column(
                "scope",
                "执业范围",
                "scope of practice",
                _text(_max(SiteRegistration, "scope")),
                aliases=("scope",),
            ),
            Column(
                "reference",
                "备案号",
                "filing reference",
                _text(_max(SiteRegistration, "reference")),
                aliases=("reference",),
            ),
        )

    def export_rows(self) -> Iterator[list[Any]]:
        qs = (
            SiteRegistration.objects.filter(revoked=False)
            .exclude(practitioner__license_number="")
            .select_related("practitioner", "site")
            .order_by("practitioner__name_pinyin", "valid_from")
        )
        for r in qs.iterator(chunk_size=1000):
            yield [
                r.practitioner.license_number,
                r.practitioner.name,
                r.site.name,
                REGISTRATION_KIND_LABELS_ZH.get(RegistrationKind(r.kind), r.kind),
                r.valid_from,
                r.valid_to,
                r.scope,
                r.reference,
            ]

    def identity(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        key = tuple(values.get(k) for k in ("license_number", "site", "kind", "valid_from"))
        return key if all(key) else None

    def check_row(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            return [
                (
                    "valid_to",
                    _("ends on %(end)s, before it starts on %(start)s") % {"end": end, "start": start},
                )
            ]
        return []

    def prepare(self, rows: list[dict[str, Any]]) -> Refs:
        refs = Refs(practitioners=self._practitioners(rows))
        self._organizations({r.get("site") or "" for r in rows}, refs)
        existing = SiteRegistration.objects.filter(
            practitioner__in=list(refs.practitioners.values()), revoked=False
        ).values_list("practitioner_id", "site_id", "kind", "valid_from")
        refs.existing = {(p, s, k, v.isoformat()) for p, s, k, v in existing}
        return refs

    def to_data(self, values: dict[str, Any], refs: Refs) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        practitioner = self._practitioner_or_none(values, refs, errors)
        site = (
            _collect(errors, lambda: self._organization(values["site"], refs, "site")) if values.get("site") else None
        )
        key = (
            getattr(practitioner, "pk", None),
            getattr(site, "pk", None),
            values.get("kind"),
            values.get("valid_from"),
        )
        if key in refs.existing:
            errors.append(("site", _("this registration (same site, kind and start date) is already in the directory")))
        if errors:
            raise RowErrors(errors)
        return {
            "practitioner": practitioner,
            "site": site,
            "kind": values.get("kind") or "",
            "valid_from": _as_date(values.get("valid_from")),
            "valid_to": _as_date(values.get("valid_to")),
            "scope": values.get("scope") or "",
            "reference": values.get("reference") or "",
        }

    def display(self, key: str, value: Any) -> str:
        if key == "kind" and value:
            return str(RegistrationKind(value).label)
        return super().display(key, value)


class InsuranceSheet(Sheet):
    """Malpractice insurance policies of practitioners found by licence number."""

    kind = ImportKind.INSURANCE
    model = InsurancePolicy
    identity_field = "number"
    field_columns = {"practitioner": "license_number"}

    def __init__(self) -> None:
        self.columns = (
            _license_column(),
            _practitioner_name_column(),
            Column("insurer", "保险公司", "insurer", _text(_max(InsurancePolicy, "insurer")), required=True),
            Column("number", "保单号", "policy number", _text(_max(InsurancePolicy, "number")), required=True),
            Column("valid_from", "起始日期", "valid from", _date_within(check_plan_date), required=True),
            Column("valid_to", "截止日期", "valid to", _date_within(check_plan_date), required=True),
            Column(
                "cover_amount",
                "保额",
                "cover amount (yuan)",
                _amount,
                required=True,
                aliases=("保额(元)", "保额元", "cover amount"),
            ),
        )

    def export_rows(self) -> Iterator[list[Any]]:
        qs = (
            InsurancePolicy.objects.exclude(practitioner__license_number="")
            .select_related("practitioner")
            .order_by("practitioner__name_pinyin", "valid_from")
        )
        for p in qs.iterator(chunk_size=1000):
            yield [
                p.practitioner.license_number,
                p.practitioner.name,
                p.insurer,
                p.number,
                p.valid_from,
                p.valid_to,
                p.cover_amount,
            ]

    def identity(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        key = (values.get("insurer"), values.get("number"))
        return key if all(key) else None

    def check_row(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            return [
                (
                    "valid_to",
                    _("ends on %(end)s, before it starts on %(start)s") % {"end": end, "start": start},
                )
            ]
        return []

    def prepare(self, rows: list[dict[str, Any]]) -> Refs:
        refs = Refs(practitioners=self._practitioners(rows))
        numbers = {r["number"] for r in rows if r.get("number")}
        existing = InsurancePolicy.objects.filter(number__in=numbers).values_list("insurer", "number")
        refs.existing = set(existing)
        return refs

    def to_data(self, values: dict[str, Any], refs: Refs) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        practitioner = self._practitioner_or_none(values, refs, errors)
        if (values.get("insurer"), values.get("number")) in refs.existing:
            errors.append(
                (
                    "number",
                    _("policy %(insurer)s %(number)s is already in the directory")
                    % {"insurer": values["insurer"], "number": values["number"]},
                )
            )
        if errors:
            raise RowErrors(errors)
        return {
            "practitioner": practitioner,
            "insurer": values.get("insurer") or "",
            "number": values.get("number") or "",
            "valid_from": _as_date(values.get("valid_from")),
            "valid_to": _as_date(values.get("valid_to")),
            "cover_amount": Decimal(values["cover_amount"]) if values.get("cover_amount") else None,
        }


_SHEETS: dict[str, Callable[[], Sheet]] = {
    ImportKind.EXPERTS: ExpertsSheet,
    ImportKind.REGISTRATIONS: RegistrationsSheet,
    ImportKind.INSURANCE: InsuranceSheet,
}


def sheet_for(kind: str) -> Sheet:
    """The sheet of ``kind``; ValidationFailed for an unknown kind."""
    factory = _SHEETS.get(kind)
    if factory is None:
        raise ValidationFailed(
            _("Unknown sheet '%(kind)s'; choose one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ImportKind.values)}
        )
    return factory()


# -- export --------------------------------------------------------------------------------------------------


def _workbook(sheet: Sheet, header: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """A one-sheet workbook, streamed (write-only mode keeps 5,000 rows fast and small in memory)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet.kind)
    for index, text in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(text) * 2 + 4))
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([_cell(ws, text, font=bold) for text in header])
    n = 0
    for row in rows:
        ws.append([_cell(ws, value) for value in row])
        n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n


def _cell(ws: Any, value: Any, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text (no formula injection)
    return cell


def export_workbook(*, by: User | None, kind: str) -> tuple[bytes, int]:
    """The sheet of ``kind`` as .xlsx bytes, and its number of rows. Audited as an export.

    Only operations and administrators export (Forbidden otherwise). ``by=None`` is the command line, run by
    whoever holds the server (and so the database) itself.
    """
    if by is not None:
        require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(kind)
    content, n = _workbook(sheet, [c.zh for c in sheet.columns], sheet.export_rows())
    audit_record(
        actor=by,
        action=AuditAction.EXPORT,
        object_type=sheet.object_type,
        reason="" if by is not None else "manage.py directory_excel",
        details={"rows": n, "kind": kind},
    )
    return content, n


def export_filename(kind: str) -> str:
    return f"{kind}-{timezone.localdate():%Y%m%d}.xlsx"


# -- import: reading -----------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    cells: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _jsonable_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _not_xlsx(filename: str) -> ValidationFailed:
    if filename.lower().endswith(".xls"):
        return ValidationFailed(
            _(
                "“%(name)s” is an old Excel 97-2003 file (.xls). In Excel choose Save As → "
                "Excel Workbook (.xlsx) and upload that file."
            )
            % {"name": filename}
        )
    return ValidationFailed(
        _(
            "“%(name)s” is not an Excel workbook (.xlsx). Save it from Excel as Excel "
            "Workbook (.xlsx) and upload it again."
        )
        % {"name": filename or "?"}
    )


def _read_rows(file: IO[bytes], filename: str) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-blank rows of the first sheet with their Excel row numbers. Refuses non-xlsx, big files."""
    size = _file_size(file)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("The file is %(size).1f MB; files up to %(limit)s MB are accepted. Split it into smaller files.")
            % {"size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    file.seek(0)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    too_many = False
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if number > MAX_SCANNED_ROWS:
                    too_many = True
                    break
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                rows.append((number, tuple(row)))
                if len(rows) > MAX_ROWS + 1:  # the header and MAX_ROWS data rows
                    too_many = True
                    break
        finally:
            wb.close()
    except (
        InvalidFileException,
        BadZipFile,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        ParseError,
        OSError,
    ) as exc:
        # openpyxl raises these for a file that is not an xlsx workbook (zip missing, parts missing, bad XML).
        raise _not_xlsx(filename) from exc
    if too_many:
        raise ValidationFailed(
            _("The sheet has more than %(limit)s rows; split it into files of at most %(limit)s rows.")
            % {"limit": f"{MAX_ROWS:,}"}
        )
    return rows


def _header_map(sheet: Sheet, header: tuple[Any, ...]) -> tuple[dict[int, str], list[str]]:
    """Column index → column key, and the headers that were ignored. Refuses a repeated or missing column."""
    names: dict[str, str] = {}
    for column in sheet.columns:
        for name in (column.key, column.zh, column.en, *column.aliases):
            names[_norm(name)] = column.key
    ignored_known = {_norm(h) for h in _IGNORED_HEADERS}
    index: dict[int, str] = {}
    seen: dict[str, int] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        text = _cell_text(cell)
        if not text:
            continue
        key = names.get(_norm(text))
        if key is None:
            if _norm(text) not in ignored_known:
                ignored.append(text)
            continue
        if key in seen:
            raise ValidationFailed(
                _("Column “%(column)s” appears twice (columns %(first)s and %(second)s).")
                % {
                    "column": text,
                    "first": get_column_letter(seen[key] + 1),
                    "second": get_column_letter(i + 1),
                }
            )
        seen[key] = i
        index[i] = key
    missing = [c for c in sheet.columns if c.required and c.key not in seen]
    if missing:
        wanted = f"{missing[0].zh} / {missing[0].en}"
        raise ValidationFailed(
            _("Missing column “%(column)s”. The first row must hold the column headers, as in the exported file.")
            % {"column": wanted}
        )
    return index, ignored


def read_sheet(sheet: Sheet, file: IO[bytes], filename: str = "") -> tuple[list[ParsedRow], list[str]]:
    """Every data row of the upload parsed cell by cell (not yet checked against the directory)."""
    rows = _read_rows(file, filename)
    if not rows:
        raise ValidationFailed(_("The sheet is empty."))
    header_number, header = rows[0]
    if header_number != 1:
        raise ValidationFailed(_("The first row must hold the column headers, as in the exported file."))
    index, ignored = _header_map(sheet, header)
    positions = {key: i for i, key in index.items()}
    if len(rows) == 1:
        raise ValidationFailed(_("The sheet has headers but no rows."))
    parsed: list[ParsedRow] = []
    for number, raw in rows[1:]:
        cells = {key: _jsonable_cell(raw[i]) for i, key in index.items() if i < len(raw) and raw[i] is not None}
        if not cells:
            continue  # data only in ignored columns
        row = ParsedRow(number=number, cells=cells)
        for column in sheet.columns:
            i = positions.get(column.key)
            value = raw[i] if i is not None and i < len(raw) else None
            try:
                row.values[column.key] = column.parse(value)
            except CellError as exc:
                row.errors.append((column.key, exc.reason))
                continue
            if column.required and row.values[column.key] in ("", None):
                row.errors.append((column.key, _("required")))
        # Rules across cells run on the cells that could be read, so a row's errors are all reported at once.
        row.errors.extend(sheet.check_row(row.values))
        parsed.append(row)
    return parsed, ignored


# -- import: validation --------------------------------------------------------------------------------------


def _validation_errors(sheet: Sheet, exc: ValidationFailed) -> list[tuple[str, str]]:
    """A ValidationFailed from directory_create as (column, reason) pairs."""
    model_fields = {f.name for f in sheet.model._meta.get_fields()}

    def column_of(name: str) -> str:
        if name in sheet.field_columns:
            return sheet.field_columns[name]
        return name if sheet.column(name) else ""

    def split(name: str, message: str) -> tuple[str, str]:
        # Constraint and cross-field messages name their field as a "field: " prefix.
        prefix, sep, rest = message.partition(": ")
        if name in ("", NON_FIELD_ERRORS) and sep and prefix in model_fields:
            return column_of(prefix), rest
        return ("" if name == NON_FIELD_ERRORS else column_of(name)), message

    details = exc.details if isinstance(exc.details, dict) else {}
    fields = details.get("fields")
    if isinstance(fields, dict) and fields:
        return [split(name, str(message)) for name, messages in fields.items() for message in messages]
    return [split("", exc.message)]


def _check_rows(*, by: User, sheet: Sheet, rows: list[ParsedRow]) -> None:
    """Add each row's errors: duplicates in the file, unresolved references, all that directory_create checks.

    directory_create runs on every remaining row inside transactions that are rolled back, so each row is
    checked exactly as confirmation will write it. The rows go in chunks, each its own rolled-back
    transaction, so that a large file does not hold SQLite's single write lock for the whole preview; rows of
    different chunks cannot clash, since what makes two rows clash (licence number, insurer and policy
    number) is caught above as a duplicate in the file.
    """
    first_seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = sheet.identity(row.values)
        if key is None:
            continue
        if key in first_seen:
            row.errors.append(
                (sheet.identity_field, _("duplicate of row %(row)s in this file") % {"row": first_seen[key]})
            )
        else:
            first_seen[key] = row.number
    refs = sheet.prepare([row.values for row in rows])
    for start in range(0, len(rows), PREVIEW_CHUNK):
        with transaction.atomic():
            for row in rows[start : start + PREVIEW_CHUNK]:
                _check_row(by=by, sheet=sheet, row=row, refs=refs)
            transaction.set_rollback(True)


def _check_row(*, by: User, sheet: Sheet, row: ParsedRow, refs: Refs) -> None:
    """The row's references are resolved even when its cells have errors, so that all are reported together;
    ``directory_create`` (the rules of the model) runs only on a row whose cells and references are sound."""
    try:
        data = sheet.to_data(row.values, refs)
    except RowErrors as exc:
        row.errors.extend(exc.errors)
        return
    if row.errors:
        return
    try:
        with transaction.atomic():
            directory_create(by=by, model=sheet.model, data=data)
    except ValidationFailed as exc:
        row.errors.extend(_validation_errors(sheet, exc))
    except Conflict as exc:
        row.errors.append(("", exc.message))


def import_preview(*, by: User, kind: str, file: IO[bytes], filename: str = "") -> ImportBatch:
    """Parse and validate an uploaded sheet and store it as a previewed ImportBatch; write nothing else.

    Only operations and administrators import (Forbidden). A file that is not .xlsx, over 5 MB or 5,000 rows,
    or lacks a required column is refused with ValidationFailed; a bad row is not: it is kept in
    ``batch.errors`` with its Excel row number and reason, and the good rows wait in ``batch.rows`` for
    ``import_confirm``.
    """
    require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(kind)
    filename = filename or str(getattr(file, "name", "") or "")
    rows, ignored = read_sheet(sheet, file, filename)
    _check_rows(by=by, sheet=sheet, rows=rows)
    good = [{"row": r.number, "values": r.values} for r in rows if not r.errors]
    errors = [{"row": r.number, "field": f, "reason": reason} for r in rows for f, reason in r.errors]
    rejected = [{"row": r.number, "cells": r.cells} for r in rows if r.errors]
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            created_by=by,
            filename=filename[-255:],
            rows=good,
            errors=errors,
            rejected=rejected,
            ignored_columns=ignored,
        )
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=batch,
            changes={
                "kind": kind,
                "filename": batch.filename,
                "good_rows": len(good),
                "bad_rows": len(rejected),
            },
        )
    return batch


def import_confirm(*, by: User, batch: ImportBatch) -> int:
    """Write every good row of a previewed batch through directory_create in one transaction; return count.

    The batch is claimed under ``select_for_update`` (and by a conditional update, which is what serialises
    the claim on SQLite), so a double click imports once: a batch already confirmed or discarded raises
    Conflict. A row that no longer passes (the directory changed since the preview) raises ValidationFailed
    naming it, and nothing is written. Forbidden unless ``by`` is operations or an administrator.
    """
    require_role(by, *DIRECTORY_WRITERS)
    sheet = sheet_for(batch.kind)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise Conflict(_already_closed(locked), details={"status": locked.status})
        if not locked.rows:
            raise ValidationFailed(_("Nothing to import: every row of this file has an error."))
        now = timezone.now()
        claimed = ImportBatch.objects.filter(pk=locked.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.CONFIRMED, confirmed_at=now, updated_at=now
        )
        if not claimed:
            raise Conflict(_("This import has already been confirmed."))
        refs = sheet.prepare([r["values"] for r in locked.rows])
        for item in locked.rows:
            try:
                data = sheet.to_data(item["values"], refs)
                directory_create(by=by, model=sheet.model, data=data)
            except RowErrors as exc:
                raise _stale_row(sheet, item["row"], exc.errors) from exc
            except ValidationFailed as exc:
                raise _stale_row(sheet, item["row"], _validation_errors(sheet, exc)) from exc
        audit_record(
            actor=by,
            action=AuditAction.IMPORT,
            obj=locked,
            details={"kind": locked.kind, "rows": len(locked.rows), "filename": locked.filename},
        )
    batch.refresh_from_db()
    return len(batch.rows)


def import_discard(*, by: User, batch: ImportBatch) -> ImportBatch:
    """Close a previewed batch without importing it. Conflict if it was confirmed or discarded already."""
    require_role(by, *DIRECTORY_WRITERS)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        claimed = ImportBatch.objects.filter(pk=locked.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.DISCARDED, updated_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_already_closed(locked), details={"status": locked.status})
        audit_record(actor=by, action=AuditAction.UPDATE, obj=locked, details={"status": ImportStatus.DISCARDED})
    batch.refresh_from_db()
    return batch


def _already_closed(batch: ImportBatch) -> str:
    if batch.status == ImportStatus.CONFIRMED:
        return _("This import has already been confirmed.")
    return _("This import was discarded; upload the file again.")


def _stale_row(sheet: Sheet, number: int, errors: list[tuple[str, str]]) -> ValidationFailed:
    field_key, reason = errors[0]
    message = row_message(sheet, {"row": number, "field": field_key, "reason": reason})
    return ValidationFailed(
        _("%(error)s The directory changed since the preview; nothing was imported. Upload the file again.")
        % {"error": message},
        details={"row": number, "field": field_key, "reason": reason},
    )


# -- reading a batch back ------------------------------------------------------------------------------------


def access_import_batch(user: User, batch_id: Any) -> ImportBatch:
    """The batch, for the operations user who uploaded it or an administrator; NotFound for anyone else."""
    require_role(user, *DIRECTORY_WRITERS)
    qs = ImportBatch.objects.filter(pk=batch_id)
    if user.role != Role.ADMIN:
        qs = qs.filter(created_by=user)
    try:
        return qs.get()
    except (ImportBatch.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound(_("No such import.")) from None


def column_header(sheet: Sheet, key: str, language: str | None = None) -> str:
    column = sheet.column(key)
    return column.header(language) if column else key


def row_message(sheet: Sheet, error: dict[str, Any], language: str | None = None) -> str:
    """One error as a sentence: "Row 5, title: unknown title '教授'" (第 5 行 职称: …)."""
    if error.get("field"):
        return _("Row %(row)s, %(field)s: %(reason)s") % {
            "row": error["row"],
            "field": column_header(sheet, error["field"], language),
            "reason": error["reason"],
        }
    return _("Row %(row)s: %(reason)s") % {"row": error["row"], "reason": error["reason"]}


def preview_table(batch: ImportBatch, limit: int | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headers in the active language and the good rows as display text, for the preview page."""
    sheet = sheet_for(batch.kind)
    headers = [c.header() for c in sheet.columns]
    rows = batch.rows if limit is None else batch.rows[:limit]
    return headers, [(r["row"], [sheet.display(c.key, r["values"].get(c.key)) for c in sheet.columns]) for r in rows]


def error_table(batch: ImportBatch, limit: int | None = None) -> list[dict[str, Any]]:
    """The errors with the column header in the active language and the cell as uploaded."""
    sheet = sheet_for(batch.kind)
    cells = {r["row"]: r["cells"] for r in batch.rejected}
    errors = batch.errors if limit is None else batch.errors[:limit]
    return [
        {
            "row": e["row"],
            "column": column_header(sheet, e["field"]) if e["field"] else "",
            "value": "" if not e["field"] else _cell_text(cells.get(e["row"], {}).get(e["field"])),
            "reason": e["reason"],
        }
        for e in errors
    ]


def rejected_workbook(batch: ImportBatch) -> bytes:
    """The bad rows as uploaded, with their source row and reasons, to fix and upload again."""
    sheet = sheet_for(batch.kind)
    reasons: dict[int, list[str]] = {}
    for e in batch.errors:
        label = column_header(sheet, e["field"], "zh-hans") if e["field"] else ""
        reasons.setdefault(e["row"], []).append(f"{label}: {e['reason']}" if label else e["reason"])
    header = [c.zh for c in sheet.columns] + [SOURCE_ROW_HEADER, REASON_HEADER]
    rows = (
        [r["cells"].get(c.key) for c in sheet.columns] + [r["row"], "; ".join(reasons.get(r["row"], []))]
        for r in sorted(batch.rejected, key=lambda r: r["row"])
    )
    content, _n = _workbook(sheet, header, rows)
    return content
