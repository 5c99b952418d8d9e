"""Resident ID validation (GB 11643-1999), other document kinds, masking and keyed hashing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiercare.people.identity import (
    ID_KIND_CHOICES,
    IdKind,
    IdNumberError,
    check_char,
    hash_id,
    id_last4,
    mask_id,
    resident_id_15_to_18,
    validate_id_number,
    validate_resident_id,
)

TODAY = date(2025, 6, 1)
KEY = b"k" * 32


def _error_code(value: str, **kwargs: object) -> str:
    with pytest.raises(IdNumberError) as excinfo:
        validate_resident_id(value, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return excinfo.value.code


# --- The CONVENTIONS.md examples ----------------------------------------------------------------------------


def test_conventions_example_female() -> None:
    check = validate_resident_id("11010519491231002X", today=TODAY)
    assert check.number == "11010519491231002X"
    assert check.kind is IdKind.RESIDENT_ID
    assert check.birth_date == date(1949, 12, 31)
    assert check.sex == "2"
    assert check.region_code == "110105"
    assert check.warnings == ()
    assert not check.legacy_15


def test_conventions_example_male_leap_day() -> None:
    check = validate_resident_id("440304200002291236", today=TODAY)
    assert check.birth_date == date(2000, 2, 29)
    assert check.sex == "1"


def test_conventions_example_wrong_check_char() -> None:
    assert _error_code("440304200002291237") == "bad_check_char"


def test_conventions_example_impossible_date() -> None:
    # 1999 is not a leap year; the check character is right for these 17 digits, so only the date is wrong.
    assert check_char("44030419990229123") == "6"
    assert _error_code("440304199902291236") == "bad_date"


# --- Normalisation and format -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ"]
)
def test_lowercase_spaces_and_fullwidth_are_normalised(value: str) -> None:
    assert validate_resident_id(value, today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    "value",
    ["", "   "],
)
def test_empty(value: str) -> None:
    assert _error_code(value) == "empty"


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100",  # 16 characters
        "11010519491231002XX",  # 19
        "X1010519491231002X",  # letter in the body
        "01010519491231002X",  # no region starts with 0
        "11010519491231002Y",  # check character neither digit nor X
        "11010549123100X",  # 15 characters with a letter
    ],
)
def test_bad_format(value: str) -> None:
    assert _error_code(value) == "bad_format"


# --- Dates --------------------------------------------------------------------------------------------------


def _with_check(first17: str) -> str:
    return first17 + check_char(first17)


def test_birth_date_today_is_accepted_and_tomorrow_is_not() -> None:
    assert validate_resident_id(_with_check("11010520250601001"), today=TODAY).birth_date == TODAY
    assert _error_code(_with_check("11010520250602001")) == "bad_date"


def test_birth_date_1900_boundary() -> None:
    assert validate_resident_id(_with_check("11010519000101001"), today=TODAY).birth_date == date(1900, 1, 1)
    assert _error_code(_with_check("11010518991231001")) == "bad_date"


@pytest.mark.parametrize("yyyymmdd", ["19491301", "19490001", "19490431", "19490100"])
def test_unreal_dates(yyyymmdd: str) -> None:
    assert _error_code(_with_check(f"110105{yyyymmdd}001")) == "bad_date"


# --- Consistency with the person's record -------------------------------------------------------------------


def test_birth_date_and_sex_match_the_record() -> None:
    check = validate_resident_id("11010519491231002X", birth_date=date(1949, 12, 31), sex="2", today=TODAY)
    assert check.sex == "2"


def test_birth_date_mismatch() -> None:
    assert _error_code("11010519491231002X", birth_date=date(1949, 12, 30)) == "birth_date_mismatch"


def test_birth_date_given_as_datetime_compares_by_day() -> None:
    validate_resident_id("11010519491231002X", birth_date=datetime(1949, 12, 31, 8, 0), today=TODAY)


@pytest.mark.parametrize("sex", ["1", 1])
def test_sex_mismatch(sex: str | int) -> None:
    assert _error_code("11010519491231002X", sex=sex) == "sex_mismatch"


@pytest.mark.parametrize("sex", ["0", "9", None])
def test_unknown_or_unstated_sex_is_not_compared(sex: str | None) -> None:
    validate_resident_id("11010519491231002X", sex=sex, today=TODAY)


def test_error_carries_both_languages() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        validate_resident_id("440304200002291237", today=TODAY)
    assert "校验码" in excinfo.value.message_zh
    assert "check character" in excinfo.value.message_en


# --- Region code: a warning, never an error -----------------------------------------------------------------


def test_unknown_province_prefix_is_a_warning() -> None:
    check = validate_resident_id(_with_check("19010519491231002"), today=TODAY)  # 19 is no province
    assert [w.code for w in check.warnings] == ["unknown_region"]


def test_region_known_set_and_callback() -> None:
    known = {"110105"}
    assert validate_resident_id("11010519491231002X", region_known=known, today=TODAY).warnings == ()
    check = validate_resident_id("440304200002291236", region_known=known, today=TODAY)
    assert [w.code for w in check.warnings] == ["unknown_region"]
    check = validate_resident_id("440304200002291236", region_known=lambda code: code == "440304", today=TODAY)
    assert check.warnings == ()


# --- Other numbers built like the resident ID ---------------------------------------------------------------


def test_old_15_digit_number() -> None:
    check = validate_resident_id("110105491231002", today=TODAY)
    assert check.kind is IdKind.RESIDENT_ID
    assert check.legacy_15
    assert check.birth_date == date(1949, 12, 31)
    assert check.sex == "2"
    assert [w.code for w in check.warnings] == ["legacy_15"]


def test_old_15_digit_bad_date() -> None:
    assert _error_code("110105490229002") == "bad_date"  # 1949 was not a leap year


def test_15_to_18_upgrade_gives_the_current_number() -> None:
    assert resident_id_15_to_18("110105491231002") == "11010519491231002X"


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_hk_macao_taiwan_residence_permit(prefix: str) -> None:
    check = validate_resident_id(_with_check(f"{prefix}19900101123"), today=TODAY)
    assert check.kind is IdKind.HMT_RESIDENCE_PERMIT
    assert check.region_code == prefix
    assert check.sex == "1"
    assert check.warnings == ()


def test_residence_permit_wrong_check_char() -> None:
    number = _with_check("81000019900101123")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert _error_code(wrong) == "bad_check_char"


def test_foreign_permanent_resident_id() -> None:
    check = validate_resident_id(_with_check("91115619900101123"), today=TODAY)
    assert check.kind is IdKind.FOREIGN_PERMANENT_RESIDENT
    assert check.birth_date == date(1990, 1, 1)
    assert check.sex is None
    assert check.region_code is None


# --- By document kind ---------------------------------------------------------------------------------------


def test_kind_must_match_the_number() -> None:
    permit = _with_check("81000019900101123")
    with pytest.raises(IdNumberError) as excinfo:
        validate_id_number(permit, IdKind.RESIDENT_ID, today=TODAY)
    assert excinfo.value.code == "kind_mismatch"
    assert validate_id_number(permit, IdKind.HMT_RESIDENCE_PERMIT, today=TODAY).kind is IdKind.HMT_RESIDENCE_PERMIT


def test_household_register_carries_the_resident_number() -> None:
    check = validate_id_number("11010519491231002X", "household_register", sex="2", today=TODAY)
    assert check.kind is IdKind.HOUSEHOLD_REGISTER
    assert check.birth_date == date(1949, 12, 31)


def test_household_register_still_checks_the_check_char() -> None:
    with pytest.raises(IdNumberError) as excinfo:
        validate_id_number("440304200002291237", IdKind.HOUSEHOLD_REGISTER, today=TODAY)
    assert excinfo.value.code == "bad_check_char"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (IdKind.PASSPORT, "E12345678"),
        (IdKind.PASSPORT, "ea1234567"),
        (IdKind.HK_MACAO_TRAVEL_PERMIT, "H12345678"),
        (IdKind.HK_MACAO_TRAVEL_PERMIT, "M1234567890"),
        (IdKind.TAIWAN_TRAVEL_PERMIT, "12345678"),
        (IdKind.MILITARY_OFFICER, "南字第12345678号"),
        (IdKind.DRIVER_LICENSE, "11010519491231002X"),
        (IdKind.FOREIGN_PERMANENT_RESIDENT, "USA110090010121"),
        (IdKind.OTHER, "出生医学证明 O110012345"),
    ],
)
def test_other_kinds_basic_format_accepted(kind: IdKind, value: str) -> None:
    assert validate_id_number(value, kind, today=TODAY).kind is kind


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (IdKind.PASSPORT, "E123"),
        (IdKind.PASSPORT, "E1234567*"),
        (IdKind.HK_MACAO_TRAVEL_PERMIT, "C12345678"),
        (IdKind.TAIWAN_TRAVEL_PERMIT, "1234567"),
        (IdKind.FOREIGN_PERMANENT_RESIDENT, "US110090010121"),
    ],
)
def test_other_kinds_basic_format_rejected(kind: IdKind, value: str) -> None:
    with pytest.raises(IdNumberError) as excinfo:
        validate_id_number(value, kind, today=TODAY)
    assert excinfo.value.code == "bad_format"


def test_kind_codes() -> None:
    assert IdKind.RESIDENT_ID.ws364_code == "01"
    assert IdKind.TAIWAN_TRAVEL_PERMIT.ws364_code == "07"
    assert IdKind.FOREIGN_PERMANENT_RESIDENT.ws364_code == "99"
    assert ("resident_id", "居民身份证") in ID_KIND_CHOICES
    assert len({code for code, _ in ID_KIND_CHOICES}) == len(IdKind)
    assert all(kind.label_en and kind.label_zh for kind in IdKind)


# --- Masking and hashing ------------------------------------------------------------------------------------


def test_mask_id() -> None:
    assert mask_id("11010519491231002X") == "1101**********002X"
    assert mask_id("11010519491231002x") == "1101**********002X"
    assert mask_id("110105491231002") == "1101*******1002"
    assert mask_id("E12345678") == "*****5678"
    assert mask_id("1234567") == "*******"


def test_id_last4() -> None:
    assert id_last4("11010519491231002x") == "002X"


def test_hash_id_is_keyed_hmac_of_the_normalised_number() -> None:
    expected = hmac.new(KEY, b"11010519491231002X", hashlib.sha256).hexdigest()
    assert hash_id("11010519491231002x", KEY) == expected
    assert hash_id(" 11010519491231002X", KEY) == expected
    assert hash_id("11010519491231002X", b"o" * 32) != expected
    assert expected != hashlib.sha256(b"11010519491231002X").hexdigest()


def test_hash_id_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        hash_id("11010519491231002X", b"short")


# --- Property: computed check characters always validate; one changed digit never does ----------------------


_regions = st.sampled_from(["110105", "440304", "510104", "653201", "810000", "830000"])
_births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
_sequences = st.integers(min_value=0, max_value=999)


@given(region=_regions, born=_births, sequence=_sequences)
def test_generated_ids_validate(region: str, born: date, sequence: int) -> None:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    check = validate_resident_id(first17 + check_char(first17), today=TODAY)
    assert check.birth_date == born
    assert check.sex == ("1" if sequence % 2 else "2")


@given(
    region=_regions,
    born=_births,
    sequence=_sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_single_character_change_is_rejected(
    region: str, born: date, sequence: int, position: int, replacement: str
) -> None:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    number = first17 + check_char(first17)
    if replacement == number[position]:
        replacement = "1" if number[position] != "1" else "2"
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdNumberError) as excinfo:
        validate_resident_id(changed, today=TODAY)
    assert excinfo.value.code in {"bad_format", "bad_check_char", "bad_date"}
