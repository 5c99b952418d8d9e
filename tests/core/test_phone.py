"""Mainland China mobile numbers."""

from __future__ import annotations

import pytest

from tiercare.core.phone import PhoneError, mask_phone, normalize_cn_mobile


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "(+86) 138-1234-5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_accepted_forms_normalise_to_11_digits(value: str) -> None:
    assert normalize_cn_mobile(value) == "13812345678"


@pytest.mark.parametrize("value", ["19212345678", "16512345678", "17012345678", "19912345678", "13412345678"])
def test_allocated_mobile_ranges(value: str) -> None:
    assert normalize_cn_mobile(value) == value


def _code(value: str) -> str:
    with pytest.raises(PhoneError) as excinfo:
        normalize_cn_mobile(value)
    return excinfo.value.code


@pytest.mark.parametrize("value", ["010-12345678", "021 6123 4567", "0755-8888 8888", "400-810-8888"])
def test_landlines_are_not_mobiles(value: str) -> None:
    assert _code(value) == "not_mobile"


@pytest.mark.parametrize(
    "value",
    [
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12345678901",  # 12x is no mobile prefix
        "10012345678",
        "138123456ab",
        "138.1234.5678",
    ],
)
def test_bad_format(value: str) -> None:
    assert _code(value) == "bad_format"


def test_empty() -> None:
    assert _code("  ") == "empty"


def test_other_country_code() -> None:
    assert _code("+852 9123 4567") == "not_cn"
    assert _code("+1 415 555 0100") == "not_cn"


def test_right_shape_but_not_an_allocated_mobile_range() -> None:
    # 140 is a data-only (IoT) range: 11 digits starting 14, but no phone a person answers.
    assert _code("14012345678") == "invalid_number"


def test_error_messages_in_both_languages() -> None:
    with pytest.raises(PhoneError) as excinfo:
        normalize_cn_mobile("010-12345678")
    assert "固定电话" in excinfo.value.message_zh
    assert "landline" in excinfo.value.message_en


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"


def test_mask_phone_never_fails_on_display() -> None:
    assert mask_phone("010-12345678") == "*******5678"
    assert mask_phone("123") == "***"
    assert mask_phone("") == ""
