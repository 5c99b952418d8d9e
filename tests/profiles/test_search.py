"""Patients find an expert or a specialty by name, pinyin or initials, a condition word, or a place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.outreach.factories import make_session
from tiercare.profiles.search import condition_table, matching_specialties
from tiercare.profiles.selectors import expert_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def experts(cast):
    endo = f.PractitionerFactory(name="单雄信", specialty="endocrinology", doctor_group=cast.group)
    cardio = f.PractitionerFactory(
        name="钱心", specialty="cardiology", other_specialties=["internal_medicine"], doctor_group=cast.group
    )
    local = f.PractitionerFactory(name="赵本地", specialty="pediatrics", home_organization=cast.hospital_b)
    # the cardiologist holds sessions at hospital B (乙县)
    dept_b = f.DepartmentFactory(organization=cast.hospital_b, name="心内科", specialty="cardiology")
    make_session(cardio, dept_b, on=f.today() + timedelta(days=4))
    return {"endo": endo, "cardio": cardio, "local": local}


def names(q, **kw):
    return [e.name for e in expert_search(q=q, **kw).experts]


@pytest.mark.parametrize("q", ["赵专家", "赵", "zhaozhuanjia", "zhao", "zzj", "ZZJ", "zhao zhuanjia"])
def test_an_expert_is_found_by_name_pinyin_or_initials(cast, experts, q):
    assert names(q)[0] == "赵专家"
    assert "赵本地" not in names(q)  # not of the doctor group


def test_the_surname_reading_is_used(cast, experts):
    assert names("shanxiongxin") == ["单雄信"] and names("sxx") == ["单雄信"]


@pytest.mark.parametrize("q", ["儿科", "erke", "ek"])
def test_a_specialty_is_found_by_name_pinyin_or_initials(cast, experts, q):
    result = expert_search(q=q)
    assert ("pediatrics", "儿科") in result.specialties
    assert "赵专家" in [e.name for e in result.experts]


def test_condition_words_lead_to_their_specialties(cast, experts):
    result = expert_search(q="糖尿病")
    assert result.conditions == ["糖尿病"] and [c for c, _ in result.specialties] == ["endocrinology"]
    assert names("糖尿病") == ["单雄信"]
    assert names("我有高血压") == ["钱心"]  # a word inside a sentence; found through cardiology
    assert names("内科") == ["钱心"] or "钱心" in names("内科")  # an other specialty counts


def test_a_place_finds_experts_by_their_home_or_the_hospitals_they_visit(cast, experts):
    assert "钱心" in names("乙县人民医院") and "钱心" in names("乙县")
    assert "赵专家" in names("示例大学附属医院")
    assert "赵专家" not in names("乙县")


def test_no_words_lists_every_public_expert_and_a_specialty_filters(cast, experts):
    assert set(names("")) == {"赵专家", "单雄信", "钱心"}
    assert names("", specialty="cardiology") == ["钱心"]
    assert names("", specialty="internal_medicine") == ["钱心"]
    assert names("无此人") == []


def test_the_condition_table_names_only_known_specialties():
    table = condition_table()
    assert len(table) >= 50 and table["白内障"] == ("ophthalmology",)
    assert matching_specialties("") == []


def test_the_search_page_and_the_api_need_no_sign_in(cast, experts, client, api):
    r = client.get("/experts/", {"q": "糖尿病"})
    assert r.status_code == 200 and "单雄信" in r.text and "内分泌科" in r.text
    assert client.get("/experts/", {"q": "x" * 41}).status_code == 200  # over-long words: the form refuses them
    status, body = api(None).get("profiles/experts", {"q": "zzj"})
    assert status == 200 and body["count"] == 1 and body["items"][0]["name"] == "赵专家"
    assert body["items"][0]["url"].startswith("/experts/zhaozhuanjia-")
    status, body = api(None).get(f"profiles/experts/{cast.expert_practitioner.pk}")
    assert status == 200 and body["name"] == "赵专家" and body["review_count"] == 0
    assert api(None).get(f"profiles/experts/{experts['local'].pk}")[0] == 404
    assert api(None).get("profiles/experts", {"q": "x" * 41})[0] == 422
