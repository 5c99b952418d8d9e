"""National code tables for people: sex (GB/T 2261.1-2003) and ethnic group (GB 3304-1991).

Each table is a ``TextChoices`` (for model fields) plus plain ``(code, label)`` lists for forms, schemas and
data migrations. Labels are the standards' Chinese names; English names are kept beside them for API output
and logs. Codes are strings, stored as the standards write them (``"01"``, not ``1``).
"""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import TextChoices

__all__ = [
    "ETHNIC_GROUPS",
    "ETHNIC_GROUP_CHOICES",
    "SEXES",
    "SEX_CHOICES",
    "EthnicGroup",
    "EthnicGroupEntry",
    "Sex",
    "SexEntry",
    "ethnic_group_by_roman",
]


class Sex(TextChoices):
    """GB/T 2261.1-2003 人的性别代码.

    0: not known (not yet recorded); 9: known but not stated, or not applicable.
    """

    UNKNOWN = "0", "未知的性别"
    MALE = "1", "男性"
    FEMALE = "2", "女性"
    UNSTATED = "9", "未说明的性别"


class SexEntry(NamedTuple):
    code: str
    name_zh: str
    name_en: str


_SEX_NAMES_EN = {"0": "Unknown", "1": "Male", "2": "Female", "9": "Unstated"}

SEXES: tuple[SexEntry, ...] = tuple(
    SexEntry(member.value, str(member.label), _SEX_NAMES_EN[member.value]) for member in Sex
)

SEX_CHOICES: list[tuple[str, str]] = [(entry.code, entry.name_zh) for entry in SEXES]


class EthnicGroupEntry(NamedTuple):
    code: str
    name_zh: str
    roman_code: str
    roman_name: str


class EthnicGroup(TextChoices):
    """GB 3304-1991 ethnic group (中国各民族名称的罗马字母拼写法和代码).

    The value is the 2-digit code, the member name the standard's 2-letter code: ``EthnicGroup.HA == "01"``,
    ``EthnicGroup.HA.label == "汉族"``.
    """

    HA = "01", "汉族"
    MG = "02", "蒙古族"
    HU = "03", "回族"
    ZA = "04", "藏族"
    UG = "05", "维吾尔族"
    MH = "06", "苗族"
    YI = "07", "彝族"
    ZH = "08", "壮族"
    BY = "09", "布依族"
    CS = "10", "朝鲜族"
    MA = "11", "满族"
    DO = "12", "侗族"
    YA = "13", "瑶族"
    BA = "14", "白族"
    TJ = "15", "土家族"
    HN = "16", "哈尼族"
    KZ = "17", "哈萨克族"
    DA = "18", "傣族"
    LI = "19", "黎族"
    LS = "20", "傈僳族"
    VA = "21", "佤族"
    SH = "22", "畲族"
    GS = "23", "高山族"
    LH = "24", "拉祜族"
    SU = "25", "水族"
    DX = "26", "东乡族"
    NX = "27", "纳西族"
    JP = "28", "景颇族"
    KG = "29", "柯尔克孜族"
    TU = "30", "土族"
    DU = "31", "达斡尔族"
    ML = "32", "仫佬族"
    QI = "33", "羌族"
    BL = "34", "布朗族"
    SL = "35", "撒拉族"
    MN = "36", "毛南族"
    GL = "37", "仡佬族"
    XB = "38", "锡伯族"
    AC = "39", "阿昌族"
    PM = "40", "普米族"
    TA = "41", "塔吉克族"
    NU = "42", "怒族"
    UZ = "43", "乌孜别克族"
    RS = "44", "俄罗斯族"
    EW = "45", "鄂温克族"
    DE = "46", "德昂族"
    BN = "47", "保安族"
    YG = "48", "裕固族"
    GI = "49", "京族"
    TT = "50", "塔塔尔族"
    DR = "51", "独龙族"
    OR = "52", "鄂伦春族"
    HZ = "53", "赫哲族"
    MB = "54", "门巴族"
    LB = "55", "珞巴族"
    JN = "56", "基诺族"


# GB 3304 roman-alphabet spellings, by 2-letter code.
_ROMAN_NAMES: dict[str, str] = {
    "HA": "Han",
    "MG": "Mongol",
    "HU": "Hui",
    "ZA": "Zang",
    "UG": "Uygur",
    "MH": "Miao",
    "YI": "Yi",
    "ZH": "Zhuang",
    "BY": "Buyei",
    "CS": "Chosen",
    "MA": "Man",
    "DO": "Dong",
    "YA": "Yao",
    "BA": "Bai",
    "TJ": "Tujia",
    "HN": "Hani",
    "KZ": "Kazak",
    "DA": "Dai",
    "LI": "Li",
    "LS": "Lisu",
    "VA": "Va",
    "SH": "She",
    "GS": "Gaoshan",
    "LH": "Lahu",
    "SU": "Sui",
    "DX": "Dongxiang",
    "NX": "Naxi",
    "JP": "Jingpo",
    "KG": "Kirgiz",
    "TU": "Tu",
    "DU": "Daur",
    "ML": "Mulao",
    "QI": "Qiang",
    "BL": "Blang",
    "SL": "Salar",
    "MN": "Maonan",
    "GL": "Gelao",
    "XB": "Xibe",
    "AC": "Achang",
    "PM": "Pumi",
    "TA": "Tajik",
    "NU": "Nu",
    "UZ": "Uzbek",
    "RS": "Russ",
    "EW": "Ewenki",
    "DE": "Deang",
    "BN": "Bonan",
    "YG": "Yugur",
    "GI": "Gin",
    "TT": "Tatar",
    "DR": "Derung",
    "OR": "Oroqen",
    "HZ": "Hezhen",
    "MB": "Monba",
    "LB": "Lhoba",
    "JN": "Jino",
}

ETHNIC_GROUPS: tuple[EthnicGroupEntry, ...] = tuple(
    EthnicGroupEntry(member.value, str(member.label), member.name, _ROMAN_NAMES[member.name]) for member in EthnicGroup
)

ETHNIC_GROUP_CHOICES: list[tuple[str, str]] = [(entry.code, entry.name_zh) for entry in ETHNIC_GROUPS]

_BY_ROMAN = {entry.roman_code: entry for entry in ETHNIC_GROUPS}


def ethnic_group_by_roman(roman_code: str) -> EthnicGroupEntry:
    """Return the GB 3304 entry for a 2-letter code: ``"HA"`` → 汉族 ``"01"``. ``KeyError`` if unknown."""
    return _BY_ROMAN[roman_code.upper()]
