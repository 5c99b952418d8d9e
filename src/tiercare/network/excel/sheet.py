"""What a sheet kind declares, and the references its rows resolve against the directory.

A ``Sheet`` is a declaration: its columns (header words, the kind of cell, the model field each fills and where an
export reads it), what makes two rows of one file the same row, the rules across the cells of a row, and the
``Lookup`` steps that resolve a row's references (an organization by name, a practitioner by licence number) or
refuse a row already in the directory. The engine (``engine.py``) does the rest for every kind alike.

Lookups run in their declared order and every one runs, so a row's errors are all reported at once; each fetches
what the whole batch refers to in one query (``prepare``) before the rows are resolved one by one (``resolve``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiercare.network.excel.cells import Cell, as_date
from tiercare.network.models import Organization, OrgKind, Practitioner

Values = dict[str, Any]
Problem = tuple[str, str]  # (column key or "", reason)


class RowError(Exception):
    """A row refers to something that does not exist or clashes with the directory."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class RowErrors(Exception):
    """Every reference of a row that failed, as (column, reason), so that a row's errors are reported at once."""

    def __init__(self, errors: list[Problem]):
        super().__init__("; ".join(reason for _field, reason in errors))
        self.errors = errors


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its key, its Chinese and English headers, the kind of cell, the model field it
    fills (``field``; default the key, None for a column only checked), and the attribute path an export reads
    (``source``; default the field)."""

    key: str
    zh: str
    en: str
    cell: Cell
    required: bool = False
    aliases: tuple[str, ...] = ()
    field: str | None = ""
    source: str = ""

    @property
    def model_field(self) -> str | None:
        return self.key if self.field == "" else self.field

    def header(self, language: str | None = None) -> str:
        """The header in ``language`` (default: the active one): Chinese for zh-*, English otherwise."""
        language = language or translation.get_language() or "zh-hans"
        return self.zh if language.startswith("zh") else self.en

    def export(self, obj: models.Model) -> Any:
        """The cell an export writes for ``obj``; a missing related row is an empty cell."""
        value: Any = obj
        for name in (self.source or self.model_field or self.key).split("."):
            if value is None:
                return ""
            value = getattr(value, name)
        return self.cell.export(value)


class Lookup(Protocol):
    """One step resolving a row against the directory. ``field`` is the model field it fills (None: a check)."""

    @property
    def field(self) -> str | None: ...

    def prepare(self, rows: list[Values]) -> Any:
        """What the whole batch refers to, fetched in a query or two."""

    def resolve(self, values: Values, found: dict[str, Any], prepared: Any) -> Any:
        """The row's value for ``field`` (``found``: what earlier steps resolved); RowError if it fails."""


RowRule = Callable[[Values], list[Problem]]


@dataclass(frozen=True)
class Sheet:
    """One kind of sheet, declared: see the module docstring."""

    kind: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    identity: tuple[str, ...]  # the columns that make two rows of one file the same row
    identity_field: str  # the column a duplicate is reported on
    export_query: Callable[[], models.QuerySet[Any]]
    lookups: tuple[Lookup, ...] = ()
    rules: tuple[RowRule, ...] = ()

    @property
    def object_type(self) -> str:
        return self.model._meta.label_lower

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def column_of_field(self, name: str) -> str:
        """The column of a model field, for messages of model validation ("" for no column)."""
        by_field = next((c.key for c in self.columns if c.model_field == name), None)
        if by_field is not None:
            return by_field
        return name if self.column(name) else ""

    def export_rows(self) -> Iterator[list[Any]]:
        for obj in self.export_query().iterator(chunk_size=1000):
            yield [column.export(obj) for column in self.columns]

    def identity_of(self, values: Values) -> tuple[Any, ...] | None:
        """What makes two rows of one file the same row (None: the row cannot be compared)."""
        key = tuple(values.get(k) for k in self.identity)
        return key if all(key) else None

    def check_row(self, values: Values) -> list[Problem]:
        """Rules across the cells of one row, as (column, reason)."""
        return [problem for rule in self.rules for problem in rule(values)]

    def prepare(self, rows: list[Values]) -> list[Any]:
        return [lookup.prepare(rows) for lookup in self.lookups]

    def to_data(self, values: Values, prepared: list[Any]) -> dict[str, Any]:
        """The model's keyword arguments for ``directory_create``; RowErrors with every reference that fails."""
        errors: list[Problem] = []
        found: dict[str, Any] = {}
        for lookup, state in zip(self.lookups, prepared, strict=True):
            try:
                value = lookup.resolve(values, found, state)
            except RowError as exc:
                errors.append((exc.field, exc.reason))
                value = None
            if lookup.field is not None:
                found[lookup.field] = value
        if errors:
            raise RowErrors(errors)
        data: dict[str, Any] = {}
        for column in self.columns:
            name = column.model_field
            if name is not None:
                data[name] = found[name] if name in found else column.cell.to_model(values.get(column.key))
        return data

    def display(self, key: str, value: Any) -> str:
        """A parsed value as the preview shows it, in the active language."""
        column = self.column(key)
        return (column.cell if column else Cell()).display(value)


# -- rules across a row's cells ----------------------------------------------------------------------------------


def period(start_key: str, end_key: str) -> RowRule:
    """The end may not come before the start."""

    def rule(values: Values) -> list[Problem]:
        start, end = values.get(start_key), values.get(end_key)
        if start and end and end < start:
            return [(end_key, _("ends on %(end)s, before it starts on %(start)s") % {"end": end, "start": start})]
        return []

    return rule


def not_after_today(key: str) -> RowRule:
    """Independent practice cannot start after today."""

    def rule(values: Values) -> list[Problem]:
        since = as_date(values.get(key))
        today = timezone.localdate()
        if since and since > today:
            return [
                (
                    key,
                    _("%(day)s is in the future; independent practice cannot start after today (%(today)s)")
                    % {"day": since.isoformat(), "today": today.isoformat()},
                )
            ]
        return []

    return rule


# -- lookups ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationByName:
    """The organization a column names by full name, or by a short name only one organization has."""

    column: str

    @property
    def field(self) -> str:
        return self.column

    def prepare(self, rows: list[Values]) -> tuple[dict[str, Organization], dict[str, list[Organization]]]:
        names = {n for n in (r.get(self.column) or "" for r in rows) if n}
        by_name: dict[str, Organization] = {}
        by_short_name: dict[str, list[Organization]] = {}
        for org in Organization.objects.filter(Q(name__in=names) | Q(short_name__in=names)):
            by_name[org.name] = org
            if org.short_name:
                by_short_name.setdefault(org.short_name, []).append(org)
        return by_name, by_short_name

    def resolve(
        self,
        values: Values,
        found: dict[str, Any],
        prepared: tuple[dict[str, Organization], dict[str, list[Organization]]],
    ) -> Organization | None:
        name = values.get(self.column) or ""
        if not name:
            return None
        by_name, by_short_name = prepared
        org = by_name.get(name)
        if org is not None:
            return org
        by_short = by_short_name.get(name, [])
        if len(by_short) == 1:
            return by_short[0]
        if len(by_short) > 1:
            raise RowError(
                self.column,
                _("'%(value)s' is the short name of several organizations; write the full name") % {"value": name},
            )
        raise RowError(self.column, _("unknown organization '%(value)s'") % {"value": name})


@dataclass(frozen=True)
class DoctorGroupByName:
    """The doctor group a column names; an empty cell means the directory's only doctor group."""

    column: str

    @property
    def field(self) -> str:
        return self.column

    def prepare(self, rows: list[Values]) -> list[Organization]:
        return list(Organization.objects.filter(kind=OrgKind.DOCTOR_GROUP))

    def resolve(self, values: Values, found: dict[str, Any], prepared: list[Organization]) -> Organization:
        name = values.get(self.column) or ""
        if name:
            group = next((g for g in prepared if name in (g.name, g.short_name)), None)
            if group is None:
                raise RowError(self.column, _("no doctor group named '%(value)s'") % {"value": name})
            return group
        if len(prepared) == 1:
            return prepared[0]
        if not prepared:
            raise RowError(self.column, _("the directory has no doctor group; create it first"))
        raise RowError(self.column, _("the directory has several doctor groups; name one in this column"))


@dataclass(frozen=True)
class PractitionerByLicence:
    """The practitioner with the row's licence number, whose name must match the name column when it is given."""

    field: str = "practitioner"
    number_column: str = "license_number"
    name_column: str = "practitioner_name"

    def prepare(self, rows: list[Values]) -> dict[str, Practitioner]:
        numbers = {r[self.number_column] for r in rows if r.get(self.number_column)}
        qs = Practitioner.objects.filter(license_number__in=numbers).select_related("doctor_group")
        return {p.license_number: p for p in qs}

    def resolve(self, values: Values, found: dict[str, Any], prepared: dict[str, Practitioner]) -> Practitioner | None:
        number = values.get(self.number_column)
        if not number:
            return None  # nothing to look up; the missing number is the cell's error
        practitioner = prepared.get(number)
        if practitioner is None:
            raise RowError(self.number_column, _("no practitioner with licence number '%(value)s'") % {"value": number})
        given = values.get(self.name_column) or ""
        if given and given != practitioner.name:
            raise RowError(
                self.name_column,
                _("licence number %(number)s belongs to %(name)s, not %(given)s")
                % {"number": number, "name": practitioner.name, "given": given},
            )
        return practitioner


@dataclass(frozen=True)
class NotInDirectory:
    """Refuses a row whose ``key`` is among the ``existing`` keys of the directory, naming ``column``.

    ``key(values, found)`` may use what earlier lookups resolved; ``message(values)`` says which row it is."""

    column: str
    existing: Callable[[list[Values]], set[tuple[Any, ...]]]
    key: Callable[[Values, dict[str, Any]], tuple[Any, ...]]
    message: Callable[[Values], str]

    @property
    def field(self) -> None:
        return None

    def prepare(self, rows: list[Values]) -> set[tuple[Any, ...]]:
        return self.existing(rows)

    def resolve(self, values: Values, found: dict[str, Any], prepared: set[tuple[Any, ...]]) -> None:
        if self.key(values, found) in prepared:
            raise RowError(self.column, self.message(values))
