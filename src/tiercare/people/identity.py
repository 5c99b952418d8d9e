"""Identity-document numbers: validation, masking and keyed hashing.

The resident ID number (公民身份号码, GB 11643-1999) is 18 characters: a 6-digit region code (GB/T 2260, the
county of registration when the number was issued), the birth date ``YYYYMMDD``, a 3-digit sequence whose last
digit is odd for men and even for women, and a check character (ISO 7064 MOD 11-2). The same layout and check
are used by the residence permits of Hong Kong, Macao and Taiwan residents (region 810000 / 820000 / 830000)
and, since 2023-12-01, by the foreign permanent-residence ID card (first digit 9). Old first-generation
numbers have 15 digits: no check character and a 2-digit year (always 19YY).

Other documents (passport, travel permits, military officer card, ...) get only a basic format check by kind.

This module is pure Python: no Django imports, so models, forms, schemas and scripts can all use it. Hashing
takes its key as bytes from the caller (derived from ``settings.SECRET_KEY``).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ID_KIND_CHOICES",
    "IdCheck",
    "IdKind",
    "IdNumberError",
    "IdWarning",
    "check_char",
    "hash_id",
    "id_last4",
    "mask_id",
    "normalize_id_number",
    "resident_id_15_to_18",
    "validate_id_number",
    "validate_resident_id",
]

# ISO 7064 MOD 11-2 as written in GB 11643-1999: weight of position i (1-based, from the left) is 2**(18-i)
# mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)

# Birth dates before this are treated as typing errors (GB 11643 numbers were first issued in 1999).
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Region codes of the residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018).
HMT_PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}

# Provincial-level prefixes of GB/T 2260 (34 divisions). A resident number outside these gets a warning only.
PROVINCE_PREFIXES = frozenset(
    str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66))
) | {"71", "81", "82"}

# GB/T 2261.1 sex codes, as strings so that ``codes.Sex`` TextChoices members compare equal.
SEX_MALE = "1"
SEX_FEMALE = "2"

_RE_18 = re.compile(r"[1-9]\d{16}[\dX]")
_RE_15 = re.compile(r"[1-9]\d{14}")


class IdKind(enum.StrEnum):
    """Kind of identity document. Values are our stable storage codes; ``ws364_code`` maps to CV02.01.101.

    CV02.01.101 (身份证件类别代码, WS 364.3-2011 table 1) is what WS 445 data sets carry; it has no codes of
    its own for the residence permits or the foreign permanent-residence ID, so those map to 99
    (其他法定有效证件).
    """

    RESIDENT_ID = "resident_id"
    HOUSEHOLD_REGISTER = "household_register"
    PASSPORT = "passport"
    MILITARY_OFFICER = "military_officer"
    DRIVER_LICENSE = "driver_license"
    HK_MACAO_TRAVEL_PERMIT = "hk_macao_travel_permit"
    TAIWAN_TRAVEL_PERMIT = "taiwan_travel_permit"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return _KIND_INFO[self][0]

    @property
    def label_en(self) -> str:
        return _KIND_INFO[self][1]

    @property
    def ws364_code(self) -> str:
        return _KIND_INFO[self][2]


_KIND_INFO: dict[IdKind, tuple[str, str, str]] = {
    IdKind.RESIDENT_ID: ("居民身份证", "Resident identity card", "01"),
    IdKind.HOUSEHOLD_REGISTER: ("居民户口簿", "Household register", "02"),
    IdKind.PASSPORT: ("护照", "Passport", "03"),
    IdKind.MILITARY_OFFICER: ("军官证", "Military officer card", "04"),
    IdKind.DRIVER_LICENSE: ("驾驶证", "Driving licence", "05"),
    IdKind.HK_MACAO_TRAVEL_PERMIT: (
        "港澳居民来往内地通行证",
        "Mainland travel permit for Hong Kong and Macao residents",
        "06",
    ),
    IdKind.TAIWAN_TRAVEL_PERMIT: (
        "台湾居民来往大陆通行证",
        "Mainland travel permit for Taiwan residents",
        "07",
    ),
    IdKind.HMT_RESIDENCE_PERMIT: (
        "港澳台居民居住证",
        "Residence permit for Hong Kong, Macao and Taiwan residents",
        "99",
    ),
    IdKind.FOREIGN_PERMANENT_RESIDENT: ("外国人永久居留身份证", "Foreign permanent resident ID card", "99"),
    IdKind.OTHER: ("其他法定有效证件", "Other legal identity document", "99"),
}

# (code, label) pairs for a model field's ``choices``.
ID_KIND_CHOICES: list[tuple[str, str]] = [(kind.value, kind.label_zh) for kind in IdKind]

# Basic format checks for documents whose numbers carry no check character. Deliberately loose: a wrong
# rejection at the front desk costs more than a typo that the number's owner will spot on the printed record.
_BASIC_FORMATS: dict[IdKind, re.Pattern[str]] = {
    # Chinese passports are E/G + 8 or E + letter + 7 characters; foreign ones vary, so accept 5-17
    # letters/digits.
    IdKind.PASSPORT: re.compile(r"[A-Z0-9]{5,17}"),
    # 回乡证: H (Hong Kong) or M (Macao) + 8 digits, older cards + 10 digits.
    IdKind.HK_MACAO_TRAVEL_PERMIT: re.compile(r"[HM]\d{8}(\d{2})?"),
    # 台胞证: 8 digits since 2015; older booklets 10 digits with an optional letter.
    IdKind.TAIWAN_TRAVEL_PERMIT: re.compile(r"\d{8}|\d{10}[A-Z]?"),
    # 军官证 numbers mix characters and digits (e.g. 南字第12345678号).
    IdKind.MILITARY_OFFICER: re.compile(r"[\u4e00-\u9fffA-Z0-9]{4,30}"),
    # A Chinese driving licence number is the holder's ID number; foreigners' ones vary.
    IdKind.DRIVER_LICENSE: re.compile(r"[A-Z0-9]{6,20}"),
    IdKind.OTHER: re.compile(r"[\u4e00-\u9fffA-Z0-9()（）/-]{2,50}"),
}
# 2017-version foreign permanent-residence ID: 3-letter nationality code + 12 digits.
_RE_FOREIGN_PR_2017 = re.compile(r"[A-Z]{3}\d{12}")


@dataclass(frozen=True)
class IdWarning:
    """Something worth telling the user that does not make the number invalid."""

    code: str
    message_zh: str
    message_en: str


class IdNumberError(ValueError):
    """An identity-document number is invalid. ``code`` is stable for the API; the messages are for people.

    Codes: ``empty``, ``bad_format``, ``bad_check_char``, ``bad_date``, ``birth_date_mismatch``,
    ``sex_mismatch``, ``kind_mismatch``.
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class IdCheck:
    """The result of a successful validation.

    ``number`` is the normalised number to store. ``birth_date`` and ``sex`` (GB/T 2261.1 ``"1"``/``"2"``) are
    what the number encodes, or ``None`` where it encodes nothing. ``region_code`` is the 6-digit GB/T 2260
    code of a resident number (or the 810000/820000/830000 permit prefix).
    """

    number: str
    kind: IdKind
    birth_date: date | None = None
    sex: str | None = None
    region_code: str | None = None
    legacy_15: bool = False
    warnings: tuple[IdWarning, ...] = ()


RegionKnown = Callable[[str], bool] | Container[str]


def normalize_id_number(value: str) -> str:
    """Return ``value`` with full-width characters folded (NFKC), whitespace removed and letters upper-cased.

    Chinese input methods often produce full-width digits (１２３) and a lowercase ``x``; both are the same
    number.
    """
    folded = unicodedata.normalize("NFKC", value)
    return "".join(folded.split()).upper()


def check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an 18-character number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_char needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def resident_id_15_to_18(value: str) -> str:
    """Return the 18-digit form of an old 15-digit resident number.

    ``19`` goes before the 2-digit year and the check character is appended. This is how public-security
    bureaus upgraded numbers in 1999-2004, so the result is the person's current number unless their
    registration region changed since.
    """
    number = normalize_id_number(value)
    if not _RE_15.fullmatch(number):
        raise IdNumberError(
            "bad_format",
            "旧版身份证号码应为15位数字。",
            "An old resident ID number has 15 digits.",
        )
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_char(first17)


def validate_resident_id(
    value: str,
    *,
    birth_date: date | None = None,
    sex: str | int | None = None,
    region_known: RegionKnown | None = None,
    today: date | None = None,
) -> IdCheck:
    """Validate a resident ID number or one of the numbers built like it, and return what it encodes.

    Recognises (and reports as ``IdCheck.kind``): 18-character resident numbers, old 15-digit resident numbers
    (``legacy_15``, with a warning), Hong Kong / Macao / Taiwan residence permits and the 18-character foreign
    permanent-residence ID (first digit 9). Rules, in order: format; check character; birth date real, not in
    the future and not before 1900; then agreement with ``birth_date`` and ``sex`` (GB/T 2261.1 code, ``"1"``
    male, ``"2"`` female; other codes and ``None`` are not compared) from the person's record.

    An unknown region code is only a warning (``unknown_region``): the region is where the number was first
    issued, and GB/T 2260 retires codes while old numbers stay valid. Pass ``region_known`` (a set of 6-digit
    codes or a predicate) to check the full code; without it only the province prefix is checked.

    For the foreign permanent-residence ID, the published rules confirm the leading 9 and the MOD 11-2 check;
    the birth date is read from positions 7-14 as in the resident number it is modelled on, but sex is not
    inferred.

    Raises ``IdNumberError`` with code ``empty``, ``bad_format``, ``bad_check_char``, ``bad_date``,
    ``birth_date_mismatch`` or ``sex_mismatch``.
    """
    number = normalize_id_number(value)
    if not number:
        raise IdNumberError("empty", "请输入证件号码。", "Enter the ID number.")
    today = today or date.today()
    warnings: list[IdWarning] = []

    if len(number) == 18:
        if not _RE_18.fullmatch(number):
            raise IdNumberError(
                "bad_format",
                "身份证号码应为17位数字加1位校验码（数字或X）。",
                "An 18-character ID number is 17 digits followed by a check digit or X.",
            )
        expected = check_char(number[:17])
        if number[17] != expected:
            raise IdNumberError(
                "bad_check_char",
                "身份证号码校验码不正确，请核对号码。",
                "The check character does not match: please re-check the number.",
            )
        if number[:6] in HMT_PERMIT_REGIONS:
            kind = IdKind.HMT_RESIDENCE_PERMIT
        elif number[0] == "9":
            kind = IdKind.FOREIGN_PERMANENT_RESIDENT
        else:
            kind = IdKind.RESIDENT_ID
        encoded_birth = _birth_date(number[6:14], today)
        encoded_sex = None if kind is IdKind.FOREIGN_PERMANENT_RESIDENT else _sex_of(number[16])
        legacy = False
    elif len(number) == 15:
        if not _RE_15.fullmatch(number):
            raise IdNumberError(
                "bad_format",
                "旧版15位身份证号码应全部为数字。",
                "An old 15-digit ID number contains digits only.",
            )
        kind = IdKind.RESIDENT_ID
        encoded_birth = _birth_date("19" + number[6:12], today)
        encoded_sex = _sex_of(number[14])
        legacy = True
        warnings.append(
            IdWarning(
                "legacy_15",
                "这是旧版15位身份证号码，第一代身份证已于2013年停止使用，请尽量登记18位号码。",
                "This is an old 15-digit number (first-generation cards expired in 2013); "
                "record the 18-digit number where possible.",
            )
        )
    else:
        raise IdNumberError(
            "bad_format",
            "身份证号码应为18位（旧版为15位）。",
            "A resident ID number has 18 characters (old numbers 15 digits).",
        )

    region = None if kind is IdKind.FOREIGN_PERMANENT_RESIDENT else number[:6]
    if kind is IdKind.RESIDENT_ID and region is not None and not _region_is_known(region, region_known):
        warnings.append(
            IdWarning(
                "unknown_region",
                f"地址码 {region} 不在行政区划代码表中（可能是已撤销的旧代码），请核对号码。",
                f"Region code {region} is not in the division table (it may be a retired code).",
            )
        )

    if birth_date is not None:
        expected_birth = birth_date.date() if isinstance(birth_date, datetime) else birth_date
        if encoded_birth != expected_birth:
            raise IdNumberError(
                "birth_date_mismatch",
                f"身份证号码中的出生日期（{encoded_birth:%Y-%m-%d}）与登记的出生日期不一致。",
                f"The birth date in the ID number ({encoded_birth:%Y-%m-%d}) differs from the recorded one.",
            )
    expected_sex = None if sex is None else str(sex)
    if encoded_sex is not None and expected_sex in (SEX_MALE, SEX_FEMALE) and encoded_sex != expected_sex:
        raise IdNumberError(
            "sex_mismatch",
            "身份证号码中的性别与登记的性别不一致。",
            "The sex encoded in the ID number differs from the recorded sex.",
        )

    return IdCheck(
        number=number,
        kind=kind,
        birth_date=encoded_birth,
        sex=encoded_sex,
        region_code=region,
        legacy_15=legacy,
        warnings=tuple(warnings),
    )


def validate_id_number(
    value: str,
    kind: IdKind | str,
    *,
    birth_date: date | None = None,
    sex: str | int | None = None,
    region_known: RegionKnown | None = None,
    today: date | None = None,
) -> IdCheck:
    """Validate a number as the document ``kind`` the user chose.

    Resident IDs and household registers (whose personal page carries the same number), residence permits and
    the new foreign permanent-residence ID go through ``validate_resident_id``; the number must then be of the
    chosen kind, or ``kind_mismatch`` is raised (a Hong Kong resident's permit entered as 居民身份证, say).
    The 2017-style foreign permanent-residence number (3 letters + 12 digits) and all other kinds get a basic
    format check.

    Raises ``IdNumberError`` (see ``validate_resident_id``; also ``kind_mismatch``).
    """
    kind = IdKind(kind)
    number = normalize_id_number(value)
    if not number:
        raise IdNumberError("empty", "请输入证件号码。", "Enter the ID number.")

    if kind is IdKind.FOREIGN_PERMANENT_RESIDENT and _RE_FOREIGN_PR_2017.fullmatch(number):
        return IdCheck(number=number, kind=kind)

    if kind in (
        IdKind.RESIDENT_ID,
        IdKind.HOUSEHOLD_REGISTER,
        IdKind.HMT_RESIDENCE_PERMIT,
        IdKind.FOREIGN_PERMANENT_RESIDENT,
    ):
        result = validate_resident_id(number, birth_date=birth_date, sex=sex, region_known=region_known, today=today)
        wanted = IdKind.RESIDENT_ID if kind is IdKind.HOUSEHOLD_REGISTER else kind
        if result.kind is not wanted:
            raise IdNumberError(
                "kind_mismatch",
                f"该号码是{result.kind.label_zh}号码，请选择对应的证件类型。",
                f"This number belongs to another document type ({result.kind.label_en}): choose that type.",
            )
        if kind is IdKind.HOUSEHOLD_REGISTER:
            return IdCheck(
                number=result.number,
                kind=kind,
                birth_date=result.birth_date,
                sex=result.sex,
                region_code=result.region_code,
                legacy_15=result.legacy_15,
                warnings=result.warnings,
            )
        return result

    pattern = _BASIC_FORMATS[kind]
    if not pattern.fullmatch(number):
        raise IdNumberError(
            "bad_format",
            f"{kind.label_zh}号码格式不正确。",
            f"The {kind.label_en} number is not in a recognised format.",
        )
    return IdCheck(number=number, kind=kind)


def mask_id(value: str) -> str:
    """Return the number for display with the middle hidden: ``1101**********002X``.

    Numbers of 15 characters or more keep the first and last four; shorter ones (passports, permits) keep only
    the last four, and numbers under 8 characters are hidden entirely. The length is kept.
    """
    number = normalize_id_number(value)
    if len(number) >= 15:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    if len(number) >= 8:
        return "*" * (len(number) - 4) + number[-4:]
    return "*" * len(number)


def id_last4(value: str) -> str:
    """Return the last four characters of the normalised number (stored beside the hash for display)."""
    return normalize_id_number(value)[-4:]


# Shorter keys make the HMAC no stronger than the key; 16 bytes is the floor, 32 (a SHA-256 digest) is
# typical.
MIN_HASH_KEY_BYTES = 16


def hash_id(value: str, key: bytes) -> str:
    """Return the hex HMAC-SHA256 of the normalised number under ``key``.

    Why keyed: an 18-digit resident number has little entropy. There are about 3,500 region codes (retired
    ones included), 45,000 birth dates over a lifetime and 1,000 sequences, and the check character is
    computed, so every plausible number is one of about 10**11, far fewer once the birth year or county is
    known. One GPU computes billions of SHA-256 per second, so a plain hash is reversed in minutes. An HMAC
    under a secret key is useless to whoever has the database but not the key.

    The caller derives ``key`` from ``settings.SECRET_KEY`` with a purpose label (so this key is never reused
    for anything else). Rotating that secret changes every stored hash: re-hash from the source numbers, or
    keep the old key for lookups while re-hashing. Raises ``ValueError`` for a key shorter than
    ``MIN_HASH_KEY_BYTES``.
    """
    if len(key) < MIN_HASH_KEY_BYTES:
        raise ValueError(f"hash key must be at least {MIN_HASH_KEY_BYTES} bytes")
    number = normalize_id_number(value)
    return hmac.new(key, number.encode("utf-8"), hashlib.sha256).hexdigest()


def _birth_date(yyyymmdd: str, today: date) -> date:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise IdNumberError(
            "bad_date",
            f"身份证号码中的出生日期 {yyyymmdd} 不是有效日期。",
            f"The birth date {yyyymmdd} in the ID number is not a real date.",
        ) from None
    if born > today:
        raise IdNumberError(
            "bad_date",
            "身份证号码中的出生日期晚于今天。",
            "The birth date in the ID number is in the future.",
        )
    if born < EARLIEST_BIRTH_DATE:
        raise IdNumberError(
            "bad_date",
            "身份证号码中的出生日期早于1900年。",
            "The birth date in the ID number is before 1900.",
        )
    return born


def _sex_of(sequence_last_digit: str) -> str:
    return SEX_MALE if int(sequence_last_digit) % 2 else SEX_FEMALE


def _region_is_known(region: str, region_known: RegionKnown | None) -> bool:
    if region[:2] not in PROVINCE_PREFIXES:
        return False
    if region_known is None:
        return True
    if callable(region_known):
        return bool(region_known(region))
    return region in region_known
