"""The triage page: no sign-in, the answer in Chinese, errors beside their fields with the input kept, 429."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/triage/"


def test_the_page_opens_without_sign_in_in_chinese(db):
    response = Client().get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "应该挂哪个科" in text and 'name="complaint"' in text


def test_a_childs_fever_shows_pediatrics_first(cast):
    response = Client().post(URL, {"complaint": "孩子发烧三天，咳嗽", "age": "4", "age_unit": "years", "sex": "male"})
    assert response.status_code == 200
    text = response.content.decode()
    assert '<ol id="triage-specialties"><li>儿科</li>' in text
    assert "赵专家" in text
    assert f'<a href="/experts/zhaozhuanjia-{cast.expert_practitioner.pk.hex[:8]}/">赵专家</a>' in text
    assert 'id="red-flags"' not in text
    # words, never codes or English labels (tests/workspace/test_pages_in_chinese.py does not reach this page)
    leaks = {"pediatrics", "Pediatrics", "chief", "Chief physician", "Morning"}
    assert not leaks & set(re.findall(r"[A-Za-z ]+", text))


def test_a_baby_of_89_days_with_fever_gets_the_emergency_advice_and_one_of_90_days_does_not(db):
    page = Client().post(URL, {"complaint": "宝宝发烧38度", "age": "89", "age_unit": "days", "sex": "female"})
    text = page.content.decode()
    assert 'id="red-flags"' in text and "请立即去医院急诊科" in text
    page = Client().post(URL, {"complaint": "宝宝发烧38度", "age": "90", "age_unit": "days", "sex": "female"})
    assert 'id="red-flags"' not in page.content.decode()


def test_errors_stand_beside_their_fields_and_the_input_is_kept(db):
    response = Client().post(URL, {"complaint": "咳嗽有痰", "age": "130", "age_unit": "years", "sex": "male"})
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_age-error"' in text and "120" in text
    assert "咳嗽有痰</textarea>" in text and 'value="130"' in text
    response = Client().post(URL, {"complaint": "", "age": "30", "age_unit": "years", "sex": "x"})
    text = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_complaint-error"' in text and 'id="id_sex-error"' in text and 'value="30"' in text


def test_past_the_rate_limit_the_page_answers_429_and_keeps_the_input(db, settings):
    settings.TRIAGE_RATE_LIMIT = 1
    client = Client()
    form = {"complaint": "咳嗽有痰", "age": "30", "age_unit": "years", "sex": "male"}
    assert client.post(URL, form).status_code == 200
    response = client.post(URL, form)
    assert response.status_code == 429
    assert "咳嗽有痰</textarea>" in response.content.decode()
