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

FEVER = (
    "发烧",
    "发热",
    "高烧",
    "低烧",
    "烧到",
    "体温38",
    "体温39",
    "体温40",
    "38度",
    "39度",
    "40度",
    "高热",
    "发烫",
    "烫手",
    "体温高",
)
# a temperature of 38 °C or more written in digits (38.2度, 39℃, 38度多) counts as a fever: see ``normalise``
FEVER_TEMPERATURE = re.compile(r"(?<![\d.])(3[89]|4[0-2])(\.\d+)?\s*(度|℃|°C|°)")
PREGNANT = ("怀孕", "孕", "妊娠", "怀了", "胎动", "产检", "怀上")
BLEEDING = (
    "出血",
    "流血",
    "见红",
    "出了好多血",
    "出了很多血",
    "出了点血",
    "出了些血",
    "出好多血",
    "出很多血",
    "血块",
)
HEAVY = ("好多血", "很多血", "大出血", "血块", "湿透", "止不住", "越来越多", "大量", "血流不止", "出血多", "一直流")
# words that carry 血 but are tests, not bleeding (查出血糖高 is no 出血): taken out of every complaint first
LAB_WORDS = ("血糖", "血压", "血脂", "血常规", "血检", "验血", "抽血", "血型", "血小板", "血氧", "血红蛋白", "贫血")
UNCONSCIOUS = ("昏迷", "叫不醒", "叫不应", "不省人事", "意识不清", "没醒过来")
# drowsy: an emergency after a blow to the head, a rescue from water or with a very high sugar, not on its own
# (老是迷糊，记性差 is a memory complaint)
DROWSY = ("迷迷糊糊", "迷糊", "昏昏沉沉", "嗜睡")
CHILDBIRTH = ("生完", "产后", "剖腹产", "剖宫产", "顺产", "生孩子", "分娩", "坐月子", "月子里")


@dataclass(frozen=True)
class RedFlag:
    """An emergency: when every group of ``words`` matches (one word of each) within the age and sex bounds, the
    complaint is urgent, emergency medicine goes first, then ``specialties``. Several rows may share a code (one
    emergency, several ways of saying it)."""

    code: str
    message: str | Promise
    words: tuple[tuple[str, ...], ...]
    source: str
    specialties: tuple[str, ...] = ()
    sex: str | None = None
    max_age_days: float | None = None  # below this age (days), exclusive
    years: tuple[float, float] | None = None  # only from and to these ages in years, inclusive
    childbearing: bool = False
    unless: tuple[str, ...] = ()  # phrases taken out of the complaint first (眼皮抽搐 is no seizure)
    not_with: tuple[str, ...] = ()  # words that make it a history, not an emergency (脑梗后 … 康复)


EMERGENCY_ADVICE = _("Go to an emergency department now, or call 120.")

CHEST = ("胸痛", "胸口", "心口", "胸闷", "胸前", "胸骨后", "心前区")
STROKE_MESSAGE = _("A drooping face, a weak arm or slurred speech are signs of a stroke (BE FAST / 中风120).")
STROKE_SOURCE = (
    "FAST (face, arm, speech, time: Stroke Association) and China's 中风120 campaign (Chinese Stroke Association, "
    "2016): a sudden facial droop, one-sided weakness or numbness, slurred speech or loss of balance needs a stroke "
    "center now"
)
STROKE_HISTORY = ("中风后", "脑梗后", "脑梗出院", "中风出院", "后遗症", "康复", "语言训练", "出院")
SEIZURE_MESSAGE = _("Unconsciousness or a seizure needs emergency care now.")
SEIZURE_SOURCE = (
    "Resuscitation Council UK / WHO ETAT (emergency triage assessment and treatment, 2016): an unresponsive person "
    "or a convulsion is an emergency sign; NICE NG217 epilepsy: a seizure over 5 minutes or one after another "
    "without waking is status epilepticus"
)
BREATH_MESSAGE = _("Severe difficulty breathing or blue lips need emergency care now.")
BREATH_SOURCE = (
    "WHO ETAT 2016 emergency signs (obstructed or absent breathing, severe respiratory distress, central cyanosis); "
    "GINA 2023: an asthma attack not relieved by the reliever, or too breathless to speak, is life-threatening"
)

RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        code="chest_pain_sweating",
        message=_("Chest pain with sweating can be a heart attack."),
        words=(CHEST, ("汗",)),
        source="2019 Chinese guideline on acute ST-elevation myocardial infarction (CSC); AHA: chest discomfort with "
        "a cold sweat is a warning sign of a heart attack",
        specialties=("cardiology",),
    ),
    RedFlag(
        code="stroke_signs",
        message=STROKE_MESSAGE,
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
                "大舌头",
                "半边身子",
                "半身不遂",
                "一边手脚",
                "一侧手脚",
                "左边手脚",
                "右边手脚",
                "左侧手脚",
                "右侧手脚",
                "半边手脚",
                "一侧胳膊",
                "一侧肢体",
                "半边脸发麻",
                "半边脸麻",
                "半边脸没知觉",
                "一边脸发麻",
                "手拿不住",
                "拿不住东西",
                "拿不住筷子",
                "往一边倒",
                "往一边歪",
            ),
        ),
        not_with=STROKE_HISTORY,
        source=STROKE_SOURCE,
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
        code="possible_ectopic",
        message=_("A late period with sudden severe belly pain or fainting can be an ectopic pregnancy."),
        words=(
            ("月经推迟", "月经没来", "停经", "例假推迟", "例假没来", "大姨妈没来"),
            ("剧痛", "疼得厉害", "痛得厉害", "晕倒", "要晕", "晕过去", "出冷汗"),
        ),
        sex="female",
        years=CHILDBEARING_YEARS,
        source="NICE NG126 Ectopic pregnancy and miscarriage (2019, updated 2023): abdominal pain with a missed "
        "period, or collapse, in a woman of reproductive age is an ectopic pregnancy until shown otherwise",
        specialties=("gynecology", "obstetrics"),
    ),
    RedFlag(
        code="postpartum_haemorrhage",
        message=_("Heavy bleeding after giving birth is an emergency."),
        words=(CHILDBIRTH, ("血", "湿透"), HEAVY),
        sex="female",
        source="WHO recommendations for the prevention and treatment of postpartum haemorrhage (2012); RCOG "
        "Green-top 52: heavy bleeding after birth (soaking pads, clots, dizziness) is an emergency up to 12 weeks",
        specialties=("obstetrics",),
    ),
    RedFlag(
        code="suicidal_thoughts",
        message=_("Thoughts of ending one's life: stay with the person and get help now (hotline 12356)."),
        words=(
            (
                "想死",
                "自杀",
                "不想活",
                "轻生",
                "活着没意思",
                "活着没意义",
                "结束自己",
                "结束生命",
                "割腕",
                "一了百了",
                "遗书",
                "寻死",
                "跳楼",
                "跳河",
                "自残",
            ),
        ),
        source="WHO mhGAP Intervention Guide 2.0 (self-harm/suicide): imminent risk needs immediate care; China's "
        "national mental-health hotline is 12356",
        specialties=("psychiatry",),
    ),
    RedFlag(
        code="anaphylaxis",
        message=_("An allergy with difficulty breathing or a swollen tongue or lips can be anaphylaxis."),
        words=(
            (
                "过敏",
                "蜇",
                "蛰",
                "花生",
                "海鲜",
                "虾",
                "蟹",
                "打完针",
                "打针后",
                "输液后",
                "青霉素",
                "头孢",
                "疫苗",
                "起疙瘩",
                "风团",
                "荨麻疹",
                "红疹",
            ),
            (
                "呼吸困难",
                "喘不上气",
                "喘不过气",
                "喉咙发紧",
                "嗓子发紧",
                "喉咙肿",
                "舌头肿",
                "嘴唇肿",
                "嘴唇和舌头肿",
                "嘴唇眼皮都肿",
                "眼前发黑",
                "晕倒",
            ),
        ),
        source="World Allergy Organization anaphylaxis guidance 2020: skin or allergen exposure with airway, breathing "
        "or circulation (faintness, collapse) involvement is anaphylaxis; adrenaline at once",
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
                "误吃",
                "一整瓶",
                "一瓶安眠药",
                "吃了好几片",
                "吃了一把",
                "吃了半瓶",
                "吃了一瓶",
                "吃了很多片",
                "喝了洗",
                "把洗衣液",
                "煤气",
                "烧炭",
                "一氧化碳",
                "百草枯",
                "敌敌畏",
                "鼠药",
                "老鼠药",
                "野蘑菇",
                "毒蘑菇",
            ),
        ),
        source="WHO poisoning prevention and management; China's poison-control guidance: a swallowed poison, an "
        "overdose (a child who swallowed an adult's tablets) or carbon monoxide is treated in an emergency department",
    ),
    RedFlag(
        code="unresponsive_or_seizure",
        message=SEIZURE_MESSAGE,
        words=(
            (
                *UNCONSCIOUS,
                "抽搐",
                "抽风",
                "抽筋",
                "惊厥",
                "突然倒地",
                "口吐白沫",
                "翻白眼",
                "眼睛往上翻",
                "癫痫发作",
                "一次接一次",
            ),
        ),
        unless=(
            "眼皮抽搐",
            "眼睑抽搐",
            "面肌抽搐",
            "嘴角抽搐",
            "肌肉抽搐",
            "腿抽筋",
            "脚抽筋",
            "手抽筋",
            "小腿抽筋",
            "腿老抽筋",
            "胃抽筋",
            "肚子抽筋",
            "脚趾抽筋",
            "手指抽筋",
        ),
        source=SEIZURE_SOURCE,
        specialties=("neurology",),
    ),
    RedFlag(
        code="gi_bleeding",
        message=_("Vomiting blood or black, tarry stools can be bleeding in the stomach or gut."),
        words=(("吐血", "呕血", "吐了一大口血", "黑便", "柏油", "大便是黑的", "大便发黑"),),
        source="NICE CG141 Acute upper gastrointestinal bleeding: haematemesis or melaena needs urgent assessment",
        specialties=("gastroenterology",),
    ),
    RedFlag(
        code="thunderclap_headache",
        message=_("A sudden, very severe headache can be a bleed in the brain."),
        words=(("突然", "突发"), ("剧烈头痛", "头痛欲裂", "最痛", "头疼欲裂", "炸裂", "要炸开", "像要炸")),
        source="NICE CG150 Headaches: a thunderclap headache (worst ever, peaking within minutes) is a red flag for "
        "subarachnoid haemorrhage",
        specialties=("neurology",),
    ),
    RedFlag(
        code="heavy_bleeding",
        message=_("Heavy bleeding that will not stop: press hard on the wound and call 120."),
        words=(
            ("出血", "流血", "血一直", "血流", "喷血", "冒血", "很多血", "好多血", "大出血", "血止不住"),
            HEAVY,
        ),
        not_with=("月经", "例假", "大姨妈"),  # a heavy period is gynecology unless the woman faints
        source="ATLS 10th edition / Stop the Bleed (American College of Surgeons): external bleeding that does not "
        "stop with pressure is life-threatening; 中国创伤救治 guidance: major haemorrhage goes to an emergency "
        "department",
        specialties=("surgery",),
    ),
    RedFlag(
        code="head_injury",
        message=_("A blow to the head followed by drowsiness, vomiting or confusion needs a scan now."),
        words=(
            ("摔", "撞", "磕", "砸", "车祸", "打到", "跌"),
            ("头", "脑袋", "后脑"),
            (*UNCONSCIOUS, *DROWSY, "吐", "晕", "想睡", "抽", "糊涂", "不认人", "记不得"),
        ),
        source="NICE NG232 Head injury (2023): after a head injury, vomiting, a lowered level of consciousness, "
        "amnesia or a seizure calls for a CT scan within an hour",
        specialties=("neurology", "surgery"),
    ),
    RedFlag(
        code="drowning",
        message=_("After drowning or near-drowning, go to an emergency department even if the person seems well."),
        words=(("溺水", "落水", "淹水", "被淹", "救上来", "掉进河", "掉进水"),),
        source="WHO Global report on drowning (2014) and ILCOR drowning guidance: anyone rescued from drowning who "
        "needed rescue, coughs persistently or is drowsy must be assessed in hospital",
    ),
    RedFlag(
        code="electric_shock",
        message=_("An electric shock can stop the heart hours later: go to an emergency department now."),
        words=(("触电", "电击", "被电打", "被电了", "电打了", "雷击", "被雷劈", "被电到"),),
        source="中国电击伤诊治专家共识 (2018) and European Resuscitation Council 2021 (special circumstances): "
        "after an electric injury, an ECG and assessment for burns and arrhythmia in an emergency department",
    ),
    RedFlag(
        code="severe_breathlessness",
        message=BREATH_MESSAGE,
        words=(
            ("喘不上气", "喘不过气", "呼吸困难", "憋得", "憋醒", "透不过气", "上不来气", "喘得厉害"),
            (
                "说不完整",
                "说不出话",
                "说不了话",
                "嘴唇发紫",
                "发紫",
                "发青",
                "躺不下",
                "不管用",
                "没用",
                "粉红色",
                "泡沫痰",
                "越来越重",
            ),
        ),
        source=BREATH_SOURCE,
        specialties=("respiratory",),
    ),
    RedFlag(
        code="severe_breathlessness",
        message=BREATH_MESSAGE,
        words=(("嘴唇发紫", "嘴唇青紫", "嘴唇发青", "脸色发紫", "全身发紫", "浑身发紫"),),
        source=BREATH_SOURCE,
        specialties=("respiratory",),
    ),
    RedFlag(
        code="choking",
        message=_("Something stuck in the airway: if the person cannot breathe or speak, back blows and call 120."),
        words=(
            ("呛到", "呛着", "噎住", "卡住了", "卡在气管", "卡在喉咙"),
            ("一直咳", "憋", "发紫", "喘不上", "说不出话", "呼吸困难", "不能呼吸", "喘不过气"),
        ),
        source="European Resuscitation Council 2021 / 中国红十字会 first aid: a foreign body in the airway with "
        "ongoing cough, distress or cyanosis needs emergency removal",
        specialties=("ent",),
    ),
    RedFlag(
        code="testicular_torsion",
        message=_("Sudden severe pain in a testicle can be a torsion: it must be operated on within hours."),
        words=(
            ("蛋蛋", "睾丸", "阴囊", "蛋疼"),
            ("剧痛", "突然疼", "突然痛", "疼得厉害", "痛得厉害", "肿起来", "疼醒"),
        ),
        sex="male",
        source="EAU Guidelines on Paediatric Urology (2023): acute scrotal pain is a torsion until shown otherwise; "
        "the testis is saved when detorsion happens within 6 hours",
        specialties=("urology", "surgery"),
    ),
    RedFlag(
        code="major_burn",
        message=_("A large burn, or a burn of the face, needs an emergency department now; cool it with water."),
        words=(
            ("烫", "烧伤", "火烧", "着火"),
            ("大片", "大半", "全身", "大面积", "半个身子", "整条腿", "整条胳膊", "脸上", "很多水泡", "一大片"),
        ),
        source="WHO burns fact sheet (2023) and 中国烧伤 first-aid guidance: burns over 10% of the body in a child "
        "(15% in an adult), or of the face, hands or genitals, are treated in hospital",
        specialties=("surgery",),
    ),
    RedFlag(
        code="meningitis_signs",
        message=_("A fever with a stiff neck or a purple rash that does not fade can be meningitis or sepsis."),
        words=(
            FEVER,
            ("脖子硬", "颈项强直", "低不了头", "紫色斑点", "紫斑", "瘀斑", "出血点", "按压不褪色", "压了不褪色"),
        ),
        source="NICE NG240 Meningitis (bacterial) and meningococcal disease (2024): fever with neck stiffness or a "
        "non-blanching rash needs emergency care",
        specialties=("neurology",),
    ),
    RedFlag(
        code="eye_emergency",
        message=_("A chemical in the eye or sudden loss of sight needs an emergency eye doctor now; rinse with water."),
        words=(("眼",), ("石灰", "溅进", "化学品", "硫酸", "烧碱", "强酸", "强碱", "消毒液", "洗涤剂")),
        source="Royal College of Ophthalmologists / AAO: a chemical eye injury is irrigated at once and seen the same "
        "hour; sudden loss of vision (retinal artery occlusion) is a stroke equivalent",
        specialties=("ophthalmology",),
    ),
    RedFlag(
        code="eye_emergency",
        message=_("A chemical in the eye or sudden loss of sight needs an emergency eye doctor now; rinse with water."),
        words=(("突然",), ("看不见", "失明", "看不清东西", "眼前一黑什么都")),
        source="AHA/ASA 2021 scientific statement on central retinal artery occlusion: sudden painless loss of "
        "vision is treated as a stroke",
        specialties=("ophthalmology",),
    ),
    RedFlag(
        code="diabetic_emergency",
        message=_("Very high sugar with drowsiness or deep, fast breathing can be diabetic ketoacidosis."),
        words=(
            ("血糖", "糖尿病"),
            ("HI", "Hi", "测不出", "爆表", *UNCONSCIOUS, *DROWSY, "呼吸又深又快", "呼吸深快", "烂苹果"),
        ),
        source="ADA Standards of Care 2024 (hyperglycaemic crises) / 中国高血糖危象诊断与治疗指南 (2013): "
        "hyperglycaemia with altered consciousness or Kussmaul breathing is an emergency",
        specialties=("endocrinology",),
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


def _spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), w) for w in words for m in re.finditer(re.escape(w), text)]


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """True when one of ``words`` occurs in ``text`` not just after a negation (没有胸痛 does not mention 胸痛).

    A word found inside a longer word of the same group counts as that longer word (没有怀孕 mentions neither 怀孕
    nor 孕), and a word that overlaps a test's name (查出血糖高: 出血 and 血糖) does not count."""
    found = _spans(text, words)
    labs = [(a, b) for a, b, w in _spans(text, LAB_WORDS) if w not in words]
    for start, end, _word in found:
        if any(a <= start and end <= b and (b - a) > (end - start) for a, b, _w in found):
            continue  # the longer word decides
        if any(start < b and a < end for a, b in labs):
            continue
        if not _negated(text, start):
            return True
    return False


def normalise(complaint: str) -> str:
    """The complaint as the rules read it: without spaces, a temperature of 38 °C or more written in digits as 发烧
    (宝宝量了38.2度 → 宝宝量了发烧)."""
    text = "".join(complaint.split())
    return FEVER_TEMPERATURE.sub("发烧", text)


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
    if flag.years is not None and not flag.years[0] <= age_years <= flag.years[1]:
        return False
    if flag.childbearing and not is_pregnant(text, age_years, sex):
        return False
    if any(word in text for word in flag.not_with):
        return False
    for phrase in flag.unless:
        text = text.replace(phrase, "")
    return all(mentions(text, group) for group in flag.words)


def apply_rules(complaint: str, age_years: float, sex: str) -> RuleResult:
    """The rules on one complaint. Order of ``first``: emergency medicine when a red flag fired, then the red flags'
    specialties, then neonatology/pediatrics for a neonate or child, obstetrics for a pregnancy."""
    text = normalise(complaint)
    result = RuleResult()
    for flag in RED_FLAGS:
        if flag.code not in {f.code for f in result.red_flags} and _fires(flag, text, age_years, sex):
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
