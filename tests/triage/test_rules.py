"""The red flags and the age and sex rules of triage (``tiercare.triage.rules``), each at its boundary."""

import pytest

from tiercare.triage.engine import triage
from tiercare.triage.rules import DAYS_PER_YEAR, RED_FLAGS, apply_rules


def _days(days: float) -> float:
    return days / DAYS_PER_YEAR


def _flags(complaint: str, age_years: float = 40, sex: str = "male") -> set[str]:
    return {f.code for f in apply_rules(complaint, age_years, sex).red_flags}


def test_every_red_flag_names_its_source_and_has_a_message():
    for flag in RED_FLAGS:
        assert len(flag.source) > 30, flag.code
        assert str(flag.message)


@pytest.mark.parametrize(
    "days,urgent", [(0, True), (27, True), (89, True), (89.9, True), (90, False), (91, False), (365, False)]
)
def test_fever_in_a_baby_is_urgent_under_90_days_and_not_from_90(days, urgent):
    result = apply_rules("宝宝发烧38度", _days(days), "female")
    assert result.urgent is urgent
    assert ("infant_fever" in {f.code for f in result.red_flags}) is urgent
    if urgent:
        assert result.first[0] == "emergency" and "pediatrics" in result.first


def test_a_baby_under_90_days_without_fever_is_not_urgent():
    assert not apply_rules("宝宝吐奶，没有发烧", _days(40), "male").urgent


@pytest.mark.parametrize(
    "complaint,fires",
    [
        ("胸口痛，出了一身冷汗", True),
        ("胸闷，大汗淋漓", True),
        ("胸口痛", False),  # chest pain alone: cardiology, not the red flag
        ("出了一身汗", False),
        ("没有胸痛，就是出汗多", False),  # the negated word does not count
    ],
)
def test_chest_pain_with_sweating(complaint, fires):
    assert ("chest_pain_sweating" in _flags(complaint)) is fires


@pytest.mark.parametrize(
    "complaint,fires",
    [
        ("妈妈突然嘴歪了", True),
        ("说话含糊不清", True),
        ("一侧胳膊抬不起来", True),
        ("突然说不出话", True),
        ("胳膊酸痛", False),
        ("嗓子哑得说不出话", False),  # hoarseness, not aphasia
        ("上半身起了疹子", False),
        ("说不清哪里疼", False),
    ],
)
def test_stroke_signs(complaint, fires):
    assert ("stroke_signs" in _flags(complaint, 70, "female")) is fires


@pytest.mark.parametrize(
    "age,sex,complaint,fires",
    [
        (30, "female", "怀孕十周，阴道出血", True),
        (30, "female", "怀孕十周，恶心", False),
        (30, "female", "同房后出血", False),  # not pregnant: gynecology, not the red flag
        (30, "male", "老婆怀孕了，我牙龈出血", False),  # a man is never pregnant
        (60, "female", "怀孕的时候出血过", False),  # past childbearing age: a history, not a pregnancy
        (55, "female", "怀孕出血", True),  # the upper bound is inclusive
        (30, "female", "上环避孕后出血", False),  # contraception carries 孕 but is no pregnancy
    ],
)
def test_bleeding_in_pregnancy(age, sex, complaint, fires):
    assert ("pregnancy_bleeding" in _flags(complaint, age, sex)) is fires


@pytest.mark.parametrize(
    "code,complaint",
    [
        ("suicidal_thoughts", "不想活了"),
        ("anaphylaxis", "吃了花生过敏，喉咙发紧"),
        ("poisoning", "喝了农药"),
        ("unresponsive_or_seizure", "叫不醒"),
        ("gi_bleeding", "吐血"),
        ("thunderclap_headache", "突然剧烈头痛"),
    ],
)
def test_each_other_red_flag_fires_and_puts_emergency_first(code, complaint):
    result = apply_rules(complaint, 40, "male")
    assert code in {f.code for f in result.red_flags}
    assert result.first[0] == "emergency"
    assert all("120" in f.message for f in result.red_flags)


@pytest.mark.parametrize(
    "complaint",
    ["眼皮抽搐好几天了", "吃了海鲜过敏，起了疹子", "头痛，一侧跳着疼", "打喷嚏流鼻涕", "怀孕八周，想建档"],
)
def test_everyday_complaints_raise_no_flag(complaint):
    assert not apply_rules(complaint, 30, "female").urgent


@pytest.mark.parametrize(
    "days,first",
    [(27, ["neonatology", "pediatrics"]), (28, ["pediatrics"]), (_days(0) + 13.99 * DAYS_PER_YEAR, ["pediatrics"])],
)
def test_neonates_go_to_neonatology_then_pediatrics_and_children_to_pediatrics(days, first):
    result = apply_rules("咳嗽", _days(days), "male")
    assert result.first == first


def test_from_14_no_pediatrics_first_and_from_18_none_at_all():
    assert apply_rules("咳嗽", 14, "male").first == []
    assert "pediatrics" not in apply_rules("咳嗽", 17.9, "male").excluded
    assert "pediatrics" in apply_rules("咳嗽", 18, "male").excluded


def test_pregnancy_puts_obstetrics_first_and_a_man_never_sees_gynecology():
    assert apply_rules("怀孕五个月，腿抽筋", 30, "female").first == ["obstetrics"]
    ranked = [r.code for r in triage("月经不调，白带多，下面痒", 30, "male").specialties]
    assert not {"gynecology", "obstetrics", "gynecologic_oncology"} & set(ranked)
    ranked = [r.code for r in triage("月经不调，白带多，下面痒", 30, "female").specialties]
    assert ranked[0] == "gynecology"


def test_triage_ranks_at_least_three_specialties_best_first():
    result = triage("孩子发烧三天，咳嗽", 4, "male")
    assert len(result.specialties) >= 3
    assert result.specialties[0].code == "pediatrics" and not result.urgent
    scores = [r.score for r in result.specialties]
    assert scores == sorted(scores, reverse=True)
    adult = triage("咳嗽两个月，有痰", 50, "male")
    assert adult.specialties[0].code == "respiratory"
