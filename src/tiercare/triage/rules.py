"""Triage's rule layer, as data: the red flags (emergencies to send to an emergency department now) and the age and
sex rules (neonates and children to pediatrics first, pregnancy to obstetrics, no gynecology for a man …).

Every rule is a row a clinician can read and correct: the words it looks for in the complaint (groups that must all
match, any word of a group), its age and sex bounds, the specialties it puts first, and its source or rationale.
The rules run before and over the text model (``triage.engine``): the model ranks, the rules may only put a
specialty first, drop one the person cannot need, or raise the urgent flag. Matching is on the complaint as typed
(simplified Chinese), without segmentation, so that a rule never depends on how jieba cuts a phrase; a word just
after a negation (没有胸痛, 不发烧) does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DAYS_PER_YEAR = 365.25
NEONATE_DAYS = 28  # WHO: the neonatal period is the first 28 days of life
INFANT_FEVER_DAYS = 90  # NICE NG143 (2019, updated 2021): a fever under 3 months of age is red (high risk)
CHILD_UNDER_YEARS = 14  # Chinese hospitals' pediatric departments see children under 14 (儿科 0–14 岁)
ADULT_FROM_YEARS = 18  # from 18 a person no longer goes to pediatrics
CHILDBEARING_YEARS = (12.0, 55.0)  # the ages at which a complaint's pregnancy words are taken as a pregnancy

NEGATIONS = ("没有", "没", "不", "无", "未", "否认")

FEVER = ("发烧", "发热", "高烧", "低烧", "烧到", "体温38", "体温39", "体温40", "38度", "39度", "40度", "高热")
PREGNANT = ("怀孕", "孕", "妊娠", "怀了", "胎动", "产检", "怀上")
BLEEDING = ("出血", "流血", "见红")


@dataclass(frozen=True)
class RedFlag:
    """An emergency: when every group of ``words`` matches (one word of each) within the age and sex bounds, the
    complaint is urgent, emergency medicine goes first, then ``specialties``."""

    code: str
    message: str | Promise
    words: tuple[tuple[str, ...], ...]
    source: str
    specialties: tuple[str, ...] = ()
    sex: str | None = None
    max_age_days: float | None = None  # below this age (days), exclusive
    childbearing: bool = False
    unless: tuple[str, ...] = ()  # phrases taken out of the complaint first (眼皮抽搐 is no seizure)


EMERGENCY_ADVICE = _("Go to an emergency department now, or call 120.")

RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        code="chest_pain_sweating",
        message=_("Chest pain with sweating can be a heart attack."),
        words=(("胸痛", "胸口痛", "胸口疼", "胸闷", "心口疼", "心口痛", "胸口压", "胸口闷"), ("汗",)),
        source="2019 Chinese guideline on acute ST-elevation myocardial infarction (CSC); AHA: chest discomfort with "
        "a cold sweat is a warning sign of a heart attack",
        specialties=("cardiology",),
    ),
    RedFlag(
        code="stroke_signs",
        message=_("A drooping face, a weak arm or slurred speech are signs of a stroke (BE FAST / 中风120)."),
        words=(
            (
                "嘴歪",
                "嘴角歪",
                "口角歪",
                "口眼歪斜",
                "脸歪",
                "说话不清",
                "说不清话",
                "突然说不出话",
                "口齿不清",
                "言语不清",
                "说话含糊",
                "含糊不清",
                "半边身子",
                "半身不遂",
                "一边手脚",
                "一侧手脚",
                "一侧胳膊",
                "一侧肢体",
                "手拿不住",
                "拿不住东西",
            ),
        ),
        source="FAST (face, arm, speech, time: Stroke Association) and China's 中风120 campaign (Chinese Stroke "
        "Association, 2016): a sudden facial droop, one-sided weakness or slurred speech needs a stroke center now",
        specialties=("neurology",),
    ),
    RedFlag(
        code="infant_fever",
        message=_("A fever in a baby under 3 months old needs a doctor now."),
        words=(FEVER,),
        max_age_days=INFANT_FEVER_DAYS,
        source="NICE NG143 Fever in under 5s (2019, updated 2021): a temperature of 38 °C or more in an infant "
        "under 3 months is a red feature",
        specialties=("pediatrics", "neonatology"),
    ),
    RedFlag(
        code="pregnancy_bleeding",
        message=_("Bleeding in pregnancy needs to be seen now."),
        words=(PREGNANT, BLEEDING),
        sex="female",
        childbearing=True,
        source="RCOG Green-top guidelines 25 (ectopic pregnancy and miscarriage) and 63 (antepartum haemorrhage): "
        "bleeding in pregnancy is assessed at once",
        specialties=("obstetrics",),
    ),
    RedFlag(
        code="suicidal_thoughts",
        message=_("Thoughts of ending one's life: stay with the person and get help now (hotline 12356)."),
        words=(("想死", "自杀", "不想活", "轻生", "活着没意思", "活着没意义", "结束自己", "结束生命", "割腕"),),
        source="WHO mhGAP Intervention Guide 2.0 (self-harm/suicide): imminent risk needs immediate care; China's "
        "national mental-health hotline is 12356",
        specialties=("psychiatry",),
    ),
    RedFlag(
        code="anaphylaxis",
        message=_("An allergy with difficulty breathing or a swollen tongue or lips can be anaphylaxis."),
        words=(
            ("过敏", "蜇", "蛰", "花生", "海鲜", "打完针", "打针后", "输液后"),
            ("呼吸困难", "喘不上气", "喘不过气", "喉咙发紧", "嗓子发紧", "喉咙肿", "舌头肿", "嘴唇肿", "嘴唇和舌头肿"),
        ),
        source="World Allergy Organization anaphylaxis guidance 2020: skin or allergen exposure with airway or "
        "breathing involvement is anaphylaxis; adrenaline at once",
    ),
    RedFlag(
        code="poisoning",
        message=_("Poisoning or an overdose needs an emergency department now; bring the package."),
        words=(
            (
                "农药",
                "中毒",
                "误服",
                "误食",
                "一整瓶",
                "一瓶安眠药",
                "喝了洗",
                "把洗衣液",
                "煤气",
                "烧炭",
                "一氧化碳",
                "百草枯",
                "敌敌畏",
                "野蘑菇",
                "毒蘑菇",
            ),
        ),
        source="WHO poisoning prevention and management; China's poison-control guidance: a swallowed poison, an "
        "overdose or carbon monoxide is treated in an emergency department",
    ),
    RedFlag(
        code="unresponsive_or_seizure",
        message=_("Unconsciousness or a seizure needs emergency care now."),
        words=(("昏迷", "叫不醒", "不省人事", "意识不清", "抽搐", "抽风", "惊厥", "突然倒地"),),
        unless=("眼皮抽搐", "眼睑抽搐", "面肌抽搐", "嘴角抽搐", "肌肉抽搐"),
        source="Resuscitation Council UK / WHO ETAT: an unresponsive person or an ongoing seizure is an emergency",
        specialties=("neurology",),
    ),
    RedFlag(
        code="gi_bleeding",
        message=_("Vomiting blood or black, tarry stools can be bleeding in the stomach or gut."),
        words=(("吐血", "呕血", "黑便", "柏油", "大便是黑的", "大便发黑"),),
        source="NICE CG141 Acute upper gastrointestinal bleeding: haematemesis or melaena needs urgent assessment",
        specialties=("gastroenterology",),
    ),
    RedFlag(
        code="thunderclap_headache",
        message=_("A sudden, very severe headache can be a bleed in the brain."),
        words=(("突然", "突发"), ("剧烈头痛", "头痛欲裂", "最痛", "头疼欲裂", "炸裂")),
        source="NICE CG150 Headaches: a thunderclap headache (worst ever, peaking within minutes) is a red flag for "
        "subarachnoid haemorrhage",
        specialties=("neurology",),
    ),
)


@dataclass(frozen=True)
class Fired:
    code: str
    message: str


@dataclass
class RuleResult:
    """What the rules say about one complaint: the red flags that fired, the specialties to put first (in order),
    and the specialties the person cannot need."""

    red_flags: list[Fired] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)

    @property
    def urgent(self) -> bool:
        return bool(self.red_flags)


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 2) : start]
    return any(before.endswith(n) for n in NEGATIONS)


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """True when one of ``words`` occurs in ``text`` not just after a negation (没有胸痛 does not mention 胸痛)."""
    for word in words:
        for found in re.finditer(re.escape(word), text):
            if not _negated(text, found.start()):
                return True
    return False


def age_days(age_years: float) -> float:
    # rounded so that 90/365.25 years is 90 days, not 89.99999
    return round(age_years * DAYS_PER_YEAR, 3)


NOT_PREGNANCY = ("避孕", "不孕")  # contraception and infertility carry 孕 but are no pregnancy


def is_pregnant(text: str, age_years: float, sex: str) -> bool:
    low, high = CHILDBEARING_YEARS
    if sex != "female" or not low <= age_years <= high:
        return False
    for word in NOT_PREGNANCY:
        text = text.replace(word, "")
    return mentions(text, PREGNANT)


def _fires(flag: RedFlag, text: str, age_years: float, sex: str) -> bool:
    if flag.sex is not None and flag.sex != sex:
        return False
    if flag.max_age_days is not None and not age_days(age_years) < flag.max_age_days:
        return False
    if flag.childbearing and not is_pregnant(text, age_years, sex):
        return False
    for phrase in flag.unless:
        text = text.replace(phrase, "")
    return all(mentions(text, group) for group in flag.words)


def apply_rules(complaint: str, age_years: float, sex: str) -> RuleResult:
    """The rules on one complaint. Order of ``first``: emergency medicine when a red flag fired, then the red flags'
    specialties, then neonatology/pediatrics for a neonate or child, obstetrics for a pregnancy."""
    text = "".join(complaint.split())
    result = RuleResult()
    for flag in RED_FLAGS:
        if _fires(flag, text, age_years, sex):
            result.red_flags.append(Fired(flag.code, f"{flag.message} {EMERGENCY_ADVICE}"))
            result.first.extend(flag.specialties)
    if result.red_flags:
        result.first.insert(0, "emergency")
    days = age_days(age_years)
    if days < NEONATE_DAYS:
        result.first.extend(["neonatology", "pediatrics"])
    elif age_years < CHILD_UNDER_YEARS:
        result.first.append("pediatrics")
    if is_pregnant(text, age_years, sex):
        result.first.append("obstetrics")
    if sex == "male":
        result.excluded |= {"gynecology", "obstetrics", "gynecologic_oncology"}
    if age_years < CHILDBEARING_YEARS[0]:
        result.excluded |= {"obstetrics", "gynecologic_oncology"}
    if days >= NEONATE_DAYS:
        result.excluded.add("neonatology")
    if age_years >= ADULT_FROM_YEARS:
        result.excluded.add("pediatrics")
    # a red flag's specialty for one age (pediatrics for an infant) never outranks the age rule that excludes it
    seen: set[str] = set()
    result.first = [s for s in result.first if not (s in seen or seen.add(s)) and s not in result.excluded]  # type: ignore[func-returns-value]
    return result
