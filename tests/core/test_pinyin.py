"""Name → pinyin and initials for search, including surname readings."""

from __future__ import annotations

import pytest

from tiercare.core.pinyin import MAX_SEARCH_KEYS, SURNAME_READINGS, name_initials, name_pinyin, search_keys


def test_zhangsan_by_pinyin_and_initials() -> None:
    assert name_pinyin("张三") == "zhangsan"
    assert name_initials("张三") == "zs"
    keys = search_keys("张三")
    assert "zhangsan" in keys
    assert "zs" in keys


def test_surname_reading_shan() -> None:
    assert name_pinyin("单雄信") == "shanxiongxin"
    assert name_initials("单雄信") == "sxx"
    assert search_keys("单雄信")[0] == "shanxiongxin"


def test_lv_has_both_spellings() -> None:
    keys = search_keys("吕布")
    assert "lubu" in keys
    assert "lvbu" in keys
    assert name_pinyin("吕布") == "lvbu"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("曾国藩", "zengguofan"),
        ("区小明", "ouxiaoming"),
        ("解缙", "xiejin"),
        ("仇英", "qiuying"),
        ("朴树", "piaoshu"),
        ("覃雪梅", "qinxuemei"),
        ("查良镛", "zhaliangyong"),
        ("盖叫天", "gejiaotian"),
        ("翟志刚", "zhaizhigang"),
        ("缪斯", "miaosi"),
    ],
)
def test_surname_table(name: str, expected: str) -> None:
    assert name_pinyin(name) == expected
    assert expected in search_keys(name)


def test_everyday_reading_of_the_surname_is_also_a_key() -> None:
    assert "danxiongxin" in search_keys("单雄信")
    assert {"qinxuemei", "tanxuemei"} <= set(search_keys("覃雪梅"))


def test_surname_table_only_applies_to_the_first_character() -> None:
    # 曾 in a given name keeps pypinyin's reading from context.
    assert name_pinyin("张曾经") == "zhangcengjing"


@pytest.mark.parametrize(
    ("name", "expected"), [("尉迟恭", "yuchigong"), ("万俟卨", "moqixie"), ("欧阳娜娜", "ouyangnana")]
)
def test_compound_surnames(name: str, expected: str) -> None:
    assert name_pinyin(name) == expected


def test_u_spelling_of_u_umlaut_in_given_names() -> None:
    assert {"nvwa", "nuwa"} <= set(search_keys("女娲"))


def test_separators_and_latin_letters() -> None:
    assert name_pinyin("阿沛·阿旺晋美") == "apeiawangjinmei"
    assert name_initials("阿沛·阿旺晋美") == "apawjm"
    assert name_pinyin(" 李 四 ") == "lisi"
    assert name_pinyin("David 李") == "davidli"
    assert name_initials("David 李") == "dl"
    assert "dauidli" not in search_keys("David 李")


def test_fullwidth_letters_are_folded() -> None:
    assert name_pinyin("Ｘ张") == "xzhang"


def test_empty_name() -> None:
    assert name_pinyin("") == ""
    assert name_initials("  ") == ""
    assert search_keys("") == []


@pytest.mark.parametrize("name", ["吕绿女", "单雄信", "覃雪梅", "盖叫天", *SURNAME_READINGS])
def test_keys_are_capped_unique_and_ascii(name: str) -> None:
    keys = search_keys(name)
    assert 1 <= len(keys) <= MAX_SEARCH_KEYS
    assert len(keys) == len(set(keys))
    assert all(key.isascii() and key.isalnum() and key == key.lower() for key in keys)
    assert keys[0] == name_pinyin(name)
