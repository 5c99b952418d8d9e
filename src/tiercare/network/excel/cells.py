"""The kinds of cell a directory sheet holds, each reading an Excel cell, writing the model's value, showing it
in the preview and writing it back on export: text, choices by code or label, sex codes, dates, yes/no, amounts
in yuan, mobile numbers and practising certificate numbers.

A cell that cannot be read raises ``CellError`` with the reason in the user's language. What a cell parses to is
stored in the batch (JSON), so dates and amounts are kept as text until a row becomes a model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from tiercare.core.phone import PhoneError, normalize_cn_mobile
from tiercare.network.models import Practitioner

# GB/T 2261.1 sex codes as a sheet writes them.
SEX_LABELS_ZH = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
SEX_ALIASES = {
    **{label: code for code, label in SEX_LABELS_ZH.items()},
    "男性": "1",
    "女性": "2",
    "m": "1",
    "f": "2",
}
_TRUE = ("是", "yes", "y", "true", "1", "√")
_FALSE = ("否", "no", "n", "false", "0", "×")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
# 医师执业证书编码: 15 digits (the demo's and the registry's numbers); only new experts are checked against it, a
# registration or a policy names an expert already in the directory by whatever number they were entered with.
_LICENSE_NUMBER = re.compile(r"^\d{15}$")


class CellError(Exception):
    """A cell's value cannot be read; ``reason`` says why, in the user's language."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def norm(value: Any) -> str:
    """A header or label for comparison: NFKC (full-width to ASCII), no spaces or * marks, lower case."""
    return re.sub(r"[\s*:]", "", unicodedata.normalize("NFKC", str(value))).lower()


def cell_text(value: Any) -> str:
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


def max_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of a model's text field, so a sheet's limit is the database's."""
    return int(model._meta.get_field(name).max_length or 0)  # type: ignore[union-attr]


def as_date(value: str | None) -> date | None:
    """A stored ISO date back as a date (None for an empty cell)."""
    return date.fromisoformat(value) if value else None


class Cell:
    """One kind of cell: ``parse`` reads the Excel value into what the batch stores, ``to_model`` turns that into
    the model's value, ``display`` shows it in the preview (active language), ``export`` writes the model's value
    back into a sheet (Chinese labels)."""

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def to_model(self, value: Any) -> Any:
        return value or ""

    def display(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return str(value)

    def export(self, value: Any) -> Any:
        return value


class Text(Cell):
    """Free text up to the model field's length."""

    def __init__(self, limit: int):
        self.limit = limit

    def parse(self, value: Any) -> str:
        text = cell_text(value)
        if len(text) > self.limit:
            raise CellError(_("longer than %(max)s characters") % {"max": self.limit})
        return text


class LicenceNumber(Cell):
    """A new expert's practising certificate number (15 digits, spaces and full-width digits tolerated)."""

    def parse(self, value: Any) -> str:
        text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
        if text and not _LICENSE_NUMBER.match(text):
            raise CellError(
                _("not a practising certificate number: '%(value)s'; it has 15 digits") % {"value": cell_text(value)}
            )
        return text


@cache
def _choice_table(enum: type[models.TextChoices], aliases: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Code by normalised code, English label, Chinese label (zh-hans translation) or alias. Built once."""
    table: dict[str, str] = {norm(code): code for code in enum.values}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            table.update({norm(str(label)): code for code, label in enum.choices})
    table.update({norm(alias): code for alias, code in aliases})
    return table


class Choice(Cell):
    """One of ``enum``'s codes, written as the code, its English or Chinese label or an alias; ``unknown`` names
    a value that is none of these. Exported as the Chinese label (or ``export_labels``' word for it)."""

    def __init__(
        self,
        enum: type[models.TextChoices],
        unknown: str,
        aliases: Mapping[str, str] | None = None,
        export_labels: Mapping[str, str] | None = None,
    ):
        self.enum = enum
        self.unknown = unknown
        self.aliases = tuple((k, str(v)) for k, v in (aliases or {}).items())
        self.export_labels = export_labels

    def parse(self, value: Any) -> str:
        text = cell_text(value)
        if not text:
            return ""
        code = _choice_table(self.enum, self.aliases).get(norm(text))
        if code is None:
            raise CellError(self.unknown % {"value": text})
        return code

    def display(self, value: Any) -> str:
        if value:
            return str(self.enum(value).label)
        return super().display(value)

    def export(self, value: Any) -> Any:
        if self.export_labels is not None:
            return self.export_labels.get(value, value)
        if not value:
            return ""
        with translation.override("zh-hans"):
            return str(self.enum(value).label)


@cache
def _sex_table() -> dict[str, str]:
    table = {**{code: code for code in SEX_LABELS_ZH}, **{norm(k): v for k, v in SEX_ALIASES.items()}}
    choices = Practitioner._meta.get_field("sex").choices or []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            table.update({norm(str(label)): str(code) for code, label in choices})  # type: ignore[misc]
    return table


class Sex(Cell):
    """A GB/T 2261.1 sex code, written as the code or the word (男, 女, 未知, 未说明, m, f); empty is 0 (unknown)."""

    def parse(self, value: Any) -> str:
        text = cell_text(value)
        if not text:
            return "0"
        code = _sex_table().get(norm(text))
        if code is None:
            raise CellError(_("unknown sex '%(value)s'; write 男, 女, 未知 or 未说明") % {"value": text})
        return code

    def to_model(self, value: Any) -> Any:
        return value or "0"

    def display(self, value: Any) -> str:
        return str(dict(Practitioner._meta.get_field("sex").choices).get(value, value))  # type: ignore[arg-type]

    def export(self, value: Any) -> Any:
        return SEX_LABELS_ZH.get(value, "")


def parse_date(value: Any) -> str | None:
    """An Excel date, or text YYYY-MM-DD (also 2024/1/5, 2024.1.5, 2024年1月5日); stored as ISO text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = cell_text(value)
    match = _DATE.match(unicodedata.normalize("NFKC", text))
    if match:
        try:
            return date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            pass
    raise CellError(_("not a date: '%(value)s'; write it as YYYY-MM-DD") % {"value": text})


class Date(Cell):
    """A date (``parse_date``) inside the window ``check`` enforces (core.validation: the API's same window)."""

    def __init__(self, check: Callable[[date], date]):
        self.check = check

    def parse(self, value: Any) -> str | None:
        iso = parse_date(value)
        if iso is not None:
            try:
                self.check(date.fromisoformat(iso))
            except ValueError as exc:
                raise CellError(str(exc)) from None
        return iso

    def to_model(self, value: Any) -> date | None:
        return as_date(value)


class YesNo(Cell):
    """是/否 (or yes/no, true/false, 1/0, √/×); empty is no."""

    def parse(self, value: Any) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        text = norm(cell_text(value))
        if not text:
            return False
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(_("not yes or no: '%(value)s'; write 是 or 否") % {"value": cell_text(value)})

    def to_model(self, value: Any) -> bool:
        return bool(value)

    def export(self, value: Any) -> Any:
        return "是" if value else "否"


class Amount(Cell):
    """An amount in yuan: a number, or text such as 1,000,000 / ¥1000000 / 100万 / 1000000元."""

    def parse(self, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        raw = cell_text(value)
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

    def to_model(self, value: Any) -> Decimal | None:
        return Decimal(value) if value else None


class Mobile(Cell):
    """A mainland mobile number, normalised (core.phone); empty is allowed."""

    def parse(self, value: Any) -> str:
        text = cell_text(value)
        if not text:
            return ""
        try:
            return normalize_cn_mobile(text)
        except PhoneError as exc:
            language = translation.get_language() or "zh-hans"
            reason = exc.message_zh if language.startswith("zh") else exc.message_en
            raise CellError(f"{reason} ('{text}')") from None
