"""The programs app's rules as data: the needs-survey template (``data/department_survey.json``: versioned sections
of scored items) and the KPI definitions (``data/kpis.json``: code, unit, direction, entered or derived), their
loading (version and sha256, cached) and the survey's scoring. Nothing here touches the database."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

DATA = Path(__file__).with_name("data")
SURVEY = "department_survey"


def _zh() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def text(t: dict[str, str]) -> str:
    """A {zh, en} text in the active language."""
    return t["zh"] if _zh() else t["en"]


@dataclass(frozen=True)
class Template:
    """An assessment template as loaded: its code, version, sha256 of the file and the document."""

    code: str
    version: str
    sha256: str
    doc: dict[str, Any]

    def items(self) -> list[dict[str, Any]]:
        return [dict(item, section=s["code"]) for s in self.doc["sections"] for item in s["items"]]

    def minimum_set(self, specialty: str) -> list[str]:
        sets = self.doc["minimum_sets"]
        return list(sets.get(specialty, sets["default"]))

    def equipment_label(self, code: str) -> str:
        return text(self.doc["equipment_labels"][code])


@cache
def load_template(code: str = SURVEY) -> Template:
    raw = (DATA / f"{code}.json").read_bytes()
    doc = json.loads(raw)
    return Template(code=doc["code"], version=doc["version"], sha256=hashlib.sha256(raw).hexdigest(), doc=doc)


@dataclass(frozen=True)
class Kpi:
    code: str
    label: dict[str, str]
    unit: dict[str, str]
    direction: str  # "higher" or "lower" is better
    source: str  # "entered" or "derived"
    formula: str = ""

    @property
    def derived(self) -> bool:
        return self.source == "derived"


@cache
def kpis() -> dict[str, Kpi]:
    """The KPI definitions by code, in the file's order."""
    doc = json.loads((DATA / "kpis.json").read_text(encoding="utf-8"))
    return {k["code"]: Kpi(**k) for k in doc["kpis"]}


def _band(bands: list[list[Any]], value: int) -> int:
    """Points of the first band whose upper bound (inclusive; null: no bound) holds ``value``."""
    for upper, points in bands:
        if upper is None or value <= upper:
            return int(points)
    return 0


@dataclass(frozen=True)
class Part:
    """One item's share of the score."""

    item: str
    need: int
    feasibility: int


def score(template: Template, answers: dict[str, Any], specialty: str) -> list[Part]:
    """The score's parts, one per item: need (how much the department lacks) and feasibility (what it can build
    on). The totals are their sums, so the parts shown always add up to the total."""
    parts = []
    for item in template.items():
        value = answers.get(item["code"])
        need = feas = 0
        if item["kind"] == "int":
            v = int(value or 0)
            need = _band(item["need"], v) if "need" in item else 0
            feas = _band(item["feasibility"], v) if "feasibility" in item else 0
        elif item["kind"] == "choice":
            for code, _label, n, f in item["choices"]:
                if code == value:
                    need, feas = int(n), int(f)
        elif item["kind"] == "equipment":
            missing = [e for e in template.minimum_set(specialty) if e not in (value or [])]
            need = min(item["need_cap"], item["need_per_missing"] * len(missing))
        parts.append(Part(item=item["code"], need=need, feasibility=feas))
    return parts


@dataclass(frozen=True)
class CurriculumItem:
    """One item of a specialty's curriculum: a 三基三严 core item or one of the specialty's procedures."""

    code: str
    label: dict[str, str]
    core: bool


@cache
def _curricula() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "curricula.json").read_text(encoding="utf-8"))
    return doc


def curriculum(specialty: str) -> list[CurriculumItem]:
    """The curriculum of a specialty: the 三基三严 core items first, then the specialty's own (else the default)."""
    doc = _curricula()
    own = doc["specialties"].get(specialty, doc["specialties"]["default"])
    return [CurriculumItem(i["code"], i["label"], True) for i in doc["core"]] + [
        CurriculumItem(i["code"], i["label"], False) for i in own
    ]
