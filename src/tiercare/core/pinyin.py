"""Pinyin search keys for Chinese personal names.

Staff find people by typing pinyin (``zhangsan``) or initials (``zs``) for 张三. ``name_pinyin`` and
``name_initials`` give the values for indexed columns recomputed on save; ``search_keys`` adds the other
readings a user may type, so that a search matches either.

pypinyin (MIT) picks readings from its phrase dictionary, which knows common words but not surnames: it reads
单雄信 as dan- and 曾国藩 as ceng-. A small table of surnames whose surname reading differs from the everyday
one fixes the first character; compound surnames such as 尉迟, 万俟 and 长孙 are already in pypinyin's
phrases.

Readings are lowercase ASCII without tones, ü written ``v`` as pypinyin does (吕 → ``lv``); ``search_keys``
also offers the ``u`` spelling (``lu``), which is what most people type.
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

__all__ = ["MAX_SEARCH_KEYS", "SURNAME_READINGS", "name_initials", "name_pinyin", "search_keys"]

# Surname readings (姓氏读音) where pypinyin's default reading is wrong or where two readings are both in use.
# The first reading is the one stored in ``name_pinyin``; the others become extra search keys.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "区": ("ou",),
    "解": ("xie",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "吕": ("lv", "lu"),
    "覃": ("qin", "tan"),
    "查": ("zha",),
    "盖": ("ge", "gai"),
    "翟": ("zhai", "di"),
    "缪": ("miao",),
    "乐": ("yue", "le"),
    "繁": ("po",),
    "黑": ("he",),
    "召": ("shao",),
    "员": ("yun",),
    "种": ("chong",),
    "折": ("she",),
    "牟": ("mou", "mu"),
    "谌": ("chen", "shen"),
    "秘": ("bi",),
    "宓": ("mi", "fu"),
    "隗": ("wei", "kui"),
    "句": ("gou",),
    "祭": ("zhai",),
    "藏": ("zang",),
    "都": ("du",),
    "粘": ("nian",),
}

# A name yields at most this many search keys (full pinyin and initials of a few readings). More would widen
# matches without helping anyone find a person.
MAX_SEARCH_KEYS = 6
_MAX_READINGS = 3

_WORD = re.compile(r"[a-z0-9]+")
# The only syllables with ü that pypinyin writes with v; Latin words in a name (david) are left alone.
_U_SPELLING = {"lv": "lu", "nv": "nu", "lve": "lue", "nve": "nue"}


def name_pinyin(name: str) -> str:
    """Return the name's pinyin, lowercase and without spaces: ``张三`` → ``zhangsan``.

    The surname table applies (``单雄信`` → ``shanxiongxin``). Letters and digits in the name are kept
    (lowercased); separators such as spaces and the middle dot in 阿沛·阿旺晋美 are dropped.
    """
    return "".join(_readings(name)[0])


def name_initials(name: str) -> str:
    """Return the first letter of each syllable: ``张三`` → ``zs``. A Latin word counts as one syllable."""
    return _initials(_readings(name)[0])


def search_keys(name: str) -> list[str]:
    """Return the strings a search for this person should match, best first, at most ``MAX_SEARCH_KEYS``.

    Full pinyin and initials of the primary reading, then of the surname's other readings (吕布: ``lvbu`` and
    ``lubu``), pypinyin's everyday reading of the surname (单雄信 also as ``danxiongxin``, a common guess) and
    the ``u`` spelling of ü. Empty for a name with no letters.
    """
    keys: list[str] = []
    for tokens in _readings(name)[:_MAX_READINGS]:
        for key in ("".join(tokens), _initials(tokens)):
            if key and key not in keys:
                keys.append(key)
    return keys[:MAX_SEARCH_KEYS]


def _tokens(text: str) -> list[str]:
    """One token per Han character (its toneless pinyin) and one per run of letters/digits."""
    # pypinyin documents that ``errors`` may return a list of tokens; its type hints only allow str.
    return lazy_pinyin(
        text,
        style=Style.NORMAL,
        errors=lambda chunk: _WORD.findall(chunk.lower()),  # type: ignore[arg-type,return-value]
    )


def _readings(name: str) -> list[list[str]]:
    """Candidate readings of the name, primary first, without duplicates; each a list of tokens."""
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        return [[]]
    default = _tokens(text)
    candidates: list[list[str]] = []
    surname_readings = SURNAME_READINGS.get(text[0], ())
    for reading in surname_readings:
        candidates.append([reading, *default[1:]])
    candidates.append(default)
    for tokens in list(candidates):
        if any(token in _U_SPELLING for token in tokens):
            candidates.append([_U_SPELLING.get(token, token) for token in tokens])
    unique: list[list[str]] = []
    for tokens in candidates:
        if tokens not in unique:
            unique.append(tokens)
    return unique


def _initials(tokens: list[str]) -> str:
    return "".join(token[0] for token in tokens if token)
