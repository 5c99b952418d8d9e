"""Typed readers of a protocol's JSON: each returns the value or raises :class:`ProtocolError` naming the key.

The base of :class:`~tiercare.care.protocols.schema.ProtocolValidator`, and what
:class:`~tiercare.care.protocols.conditions.ConditionCompiler` reads conditions with. Keys are dotted paths such as
``rules[3].when.threshold``, so a clinician editing the data is told exactly where the problem is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from tiercare.care.protocols.model import ProtocolError, Text


class Reader:
    """Reads one protocol file's JSON values; raises :class:`ProtocolError` at the first problem."""

    def __init__(self, filename: str) -> None:
        self.file = filename

    def fail(self, key: str, message: str) -> ProtocolError:
        return ProtocolError(self.file, key, message)

    def obj(self, value: Any, key: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "an object is required")
        required, optional = tuple(required), tuple(optional)
        for name in required:
            if name not in value:
                raise self.fail(join_key(key, name), "is required")
        for name in value:
            if name not in required and name not in optional:
                raise self.fail(join_key(key, name), "unknown key (typo?)")
        return value

    def text(self, value: Any, key: str) -> Text:
        d = self.obj(value, key, ("zh", "en"))
        return Text(self.string(d["zh"], join_key(key, "zh")), self.string(d["en"], join_key(key, "en")))

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string is required")
        return value

    def integer(self, value: Any, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer >= {minimum} is required")
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, "a number is required")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false is required")
        return value

    def str_list(self, value: Any, key: str, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "a list is required")
        allowed_set = set(allowed) if allowed is not None else None
        out: list[str] = []
        for i, item in enumerate(value):
            s = self.string(item, f"{key}[{i}]")
            if allowed_set is not None and s not in allowed_set:
                raise self.fail(f"{key}[{i}]", f"{s!r} is not one of {sorted(allowed_set)}")
            if s in out:
                raise self.fail(f"{key}[{i}]", f"{s!r} is listed twice")
            out.append(s)
        return tuple(out)


def join_key(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name
