"""Mainland China mobile numbers: validation, normalisation and masking.

A mobile number is 11 digits, ``1[3-9]`` and nine more. Which prefixes are allocated changes every year or
two (the 19x ranges arrived in 2017-2019), so the allocation check is left to ``phonenumbers`` (Apache-2.0,
installed as ``phonenumberslite``) and its metadata; updating that package is how new prefixes become valid.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

__all__ = ["PhoneError", "mask_phone", "normalize_cn_mobile"]

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_LANDLINE_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST)


class PhoneError(ValueError):
    """A value is not a mainland China mobile number.

    Codes: ``empty``, ``bad_format``, ``not_cn`` (a number with another country code), ``not_mobile`` (a
    landline or service number), ``invalid_number`` (right shape, but not an allocated mobile prefix).
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def normalize_cn_mobile(value: str) -> str:
    """Return the 11-digit mobile number in ``value``, or raise ``PhoneError``.

    Accepts full-width digits, spaces, dashes and brackets, and a ``+86``, ``0086`` or ``86`` country prefix
    (``86`` only in front of 11 digits, where it cannot be part of the number). Rejects other country codes,
    landlines, numbers not of the form ``1[3-9]`` + 9 digits, and those ``phonenumbers`` does not know as
    mobile.
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if not text:
        raise PhoneError("empty", "请输入手机号码。", "Enter a mobile number.")
    if text.startswith("+"):
        if not text.startswith("+86"):
            raise PhoneError(
                "not_cn",
                "仅支持中国大陆手机号码（+86）。",
                "Only mainland China mobile numbers (+86) are accepted.",
            )
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]

    if not text.isascii() or not text.isdigit():
        raise PhoneError("bad_format", "手机号码只能包含数字。", "A mobile number contains digits only.")
    if not _MOBILE.fullmatch(text):
        if _is_landline(text):
            raise PhoneError(
                "not_mobile",
                "这是固定电话号码，请填写手机号码。",
                "This is a landline number: enter a mobile number.",
            )
        raise PhoneError(
            "bad_format",
            "手机号码应为以13–19开头的11位数字。",
            "A mobile number has 11 digits and starts with 13-19.",
        )
    parsed = phonenumbers.parse(text, "CN")
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise PhoneError(
            "invalid_number",
            "该号段不是有效的手机号段，请核对号码。",
            "This is not an allocated mobile number range: please re-check the number.",
        )
    return text


def mask_phone(value: str) -> str:
    """Return a number for display with the middle hidden: ``13812345678`` → ``138****5678``.

    A value that is not a valid mobile number (an old record, a foreign number) keeps only its last four
    digits visible, so masking never fails on display.
    """
    try:
        number = normalize_cn_mobile(value)
    except PhoneError:
        digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isascii() and ch.isdigit())
        if len(digits) <= 4:
            return "*" * len(digits)
        return "*" * (len(digits) - 4) + digits[-4:]
    return f"{number[:3]}****{number[-4:]}"


def _is_landline(digits: str) -> bool:
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _LANDLINE_TYPES
