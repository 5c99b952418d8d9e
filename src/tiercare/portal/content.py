"""The portal's data files: SMS reminder templates (registered with ``core.notify`` at start-up, so that every
backend knows them) and education texts per program. Both are read once and checked: a template's placeholders must
be the variables it declares; an education topic names a shipped program."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from tiercare.core.notify import register

DATA = Path(__file__).parent / "data"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class SmsTemplate:
    code: str
    kind: str
    gateway_template_id: str
    variables: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True)
class Topic:
    id: str
    program: str
    topic: str
    title: dict[str, str]
    text: dict[str, str]

    def _in(self, field: dict[str, str]) -> str:
        return field["en"] if (get_language() or "zh-hans").startswith("en") else field["zh"]

    @property
    def title_text(self) -> str:
        return self._in(self.title)

    @property
    def body(self) -> str:
        return self._in(self.text)


@cache
def sms_templates() -> dict[str, SmsTemplate]:
    raw = json.loads((DATA / "sms_templates.json").read_text(encoding="utf-8"))
    out: dict[str, SmsTemplate] = {}
    for t in raw["templates"]:
        tpl = SmsTemplate(
            code=t["code"],
            kind=t["kind"],
            gateway_template_id=t.get("gateway_template_id", ""),
            variables=tuple(t["variables"]),
            zh=t["zh"],
            en=t["en"],
        )
        for text in (tpl.zh, tpl.en):
            if set(PLACEHOLDER.findall(text)) != set(tpl.variables):
                raise ValueError(f"SMS template {tpl.code}: placeholders differ from its variables")
        out[tpl.code] = tpl
    return out


def template_for(kind: str) -> SmsTemplate:
    return next(t for t in sms_templates().values() if t.kind == kind)


def register_templates() -> None:
    for t in sms_templates().values():
        register(t.code, t.zh, t.en)


@cache
def topics() -> dict[str, Topic]:
    raw = json.loads((DATA / "education.json").read_text(encoding="utf-8"))
    return {t["id"]: Topic(**{k: t[k] for k in ("id", "program", "topic", "title", "text")}) for t in raw["topics"]}


def topics_for(programs: list[str]) -> list[Topic]:
    return [t for t in topics().values() if t.program in programs]


def check(params: dict[str, Any], template: SmsTemplate) -> dict[str, Any]:
    """The parameters of one SMS: exactly the template's variables (a gateway refuses others)."""
    missing = set(template.variables) - set(params)
    if missing:
        raise ValueError(f"SMS template {template.code} lacks {sorted(missing)}")
    return {k: params[k] for k in template.variables}
