"""Patients' search words, read: a specialty by its name, pinyin or initials (儿科, erke, ek), a condition word
(糖尿病 → endocrinology) from the small table in ``data/conditions.json``, and whether the words look like pinyin
(an expert's name typed in Latin letters)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from django.utils import translation

from tiercare.core.pinyin import name_initials, name_pinyin
from tiercare.network.models import Specialty

QUERY_MAX = 40
CONDITIONS_FILE = Path(__file__).resolve().parent / "data" / "conditions.json"
_LATIN = re.compile(r"^[a-z]+$")


def normalise(q: str) -> str:
    """The words as searched: trimmed, lower case, spaces between Latin letters dropped, at most 40 characters."""
    q = (q or "").strip().lower()
    if _LATIN.match(q.replace(" ", "")):
        q = q.replace(" ", "")
    return q[:QUERY_MAX]


def is_latin(q: str) -> bool:
    return bool(_LATIN.match(q))


@cache
def condition_table() -> dict[str, tuple[str, ...]]:
    data = json.loads(CONDITIONS_FILE.read_text(encoding="utf-8"))
    table = {word: tuple(codes) for word, codes in data["conditions"].items()}
    unknown = {c for codes in table.values() for c in codes} - set(Specialty.values)
    if unknown:
        raise ValueError(f"conditions.json names unknown specialties: {sorted(unknown)}")
    return table


@cache
def _specialty_keys() -> list[tuple[str, str, str, str, str]]:
    """(code, zh-Hans name, its pinyin, its initials, English name) for every specialty."""
    rows = []
    for code in Specialty.values:
        with translation.override("zh-hans"):
            zh = str(Specialty(code).label)
        with translation.override("en"):
            en = str(Specialty(code).label).lower()
        rows.append((code, zh, name_pinyin(zh), name_initials(zh), en))
    return rows


def matching_specialties(q: str) -> list[str]:
    """Specialty codes the words name: by the name (either language), its pinyin or initials, or a condition word.
    In the order of the specialty list, name matches before condition matches."""
    if not q:
        return []
    found: list[str] = []
    latin = is_latin(q)
    for code, zh, py, initials, en in _specialty_keys():
        hit = q in zh or zh in q
        if latin:
            hit = hit or py.startswith(q) or (len(q) >= 2 and initials == q) or (len(q) >= 3 and q in en)
        if hit:
            found.append(code)
    if not latin:
        for word, codes in condition_table().items():
            if word in q or (len(q) >= 2 and q in word):
                found.extend(c for c in codes if c not in found)
    return found


def matching_conditions(q: str) -> list[str]:
    """The condition words of the table found in the words (for the page to say why a specialty matched)."""
    if not q or is_latin(q):
        return []
    return [word for word in condition_table() if word in q or (len(q) >= 2 and q in word)]
