"""GB/T 2261.1 sex codes and GB 3304 ethnic groups."""

from __future__ import annotations

import pytest

from tiercare.core.codes import (
    ETHNIC_GROUP_CHOICES,
    ETHNIC_GROUPS,
    SEX_CHOICES,
    SEXES,
    EthnicGroup,
    Sex,
    ethnic_group_by_roman,
)


def test_sex_codes() -> None:
    assert [code for code, _ in SEX_CHOICES] == ["0", "1", "2", "9"]
    assert Sex.MALE == "1"
    assert Sex.FEMALE == "2"
    assert Sex.UNKNOWN.label == "未知的性别"
    assert Sex.UNSTATED.label == "未说明的性别"
    assert Sex.choices == SEX_CHOICES
    assert [entry.name_en for entry in SEXES] == ["Unknown", "Male", "Female", "Unstated"]


def test_56_ethnic_groups_numbered_01_to_56() -> None:
    assert [code for code, _ in ETHNIC_GROUP_CHOICES] == [f"{n:02d}" for n in range(1, 57)]
    assert len({name for _, name in ETHNIC_GROUP_CHOICES}) == 56
    assert all(name.endswith("族") for _, name in ETHNIC_GROUP_CHOICES)
    assert EthnicGroup.choices == ETHNIC_GROUP_CHOICES


def test_roman_codes_are_unique_two_letter_codes() -> None:
    romans = [entry.roman_code for entry in ETHNIC_GROUPS]
    assert len(set(romans)) == 56
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in romans)


@pytest.mark.parametrize(
    ("code", "name", "roman"),
    [
        ("01", "汉族", "HA"),
        ("02", "蒙古族", "MG"),
        ("05", "维吾尔族", "UG"),
        ("08", "壮族", "ZH"),
        ("56", "基诺族", "JN"),
    ],
)
def test_known_entries(code: str, name: str, roman: str) -> None:
    member = EthnicGroup(code)
    assert member.label == name
    assert member.name == roman
    assert ethnic_group_by_roman(roman.lower()).code == code


def test_han_is_01_ha() -> None:
    assert EthnicGroup.HA == "01"
    assert EthnicGroup.HA.label == "汉族"
    assert ETHNIC_GROUPS[0].roman_name == "Han"


def test_unknown_roman_code() -> None:
    with pytest.raises(KeyError):
        ethnic_group_by_roman("XX")
