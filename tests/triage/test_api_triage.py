"""``POST /api/v1/triage``: anonymous, the answer's shape, bad input as a 422 naming the field, the 429 limit, and the
public experts and sessions it offers (and nothing private)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.outreach.factories import make_session
from tiercare.triage.models import TriageRequest

pytestmark = pytest.mark.django_db

CHILD_FEVER = {"complaint": "孩子发烧三天，咳嗽", "age_years": 4, "sex": "male"}


def _fields(body):
    return {e["field"] for e in body["details"]["errors"]}


def test_anonymous_triage_of_a_childs_fever_offers_pediatrics_its_experts_and_next_clinics(cast, api):
    cast.expert_practitioner.phone = "13800138000"
    cast.expert_practitioner.save(update_fields=["phone"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    make_session(cast.expert_practitioner, cast.dept_a, on=tomorrow)
    make_session(cast.expert_practitioner, cast.dept_a, on=timezone.localdate() - timedelta(days=1), half_day="pm")
    status, body = api(None).post("triage", CHILD_FEVER)
    assert status == 200, body
    assert body["specialties"][0] == {"code": "pediatrics", "name": "儿科", "score": 1.0}
    assert len(body["specialties"]) >= 3 and not body["urgent"] and body["red_flags"] == []
    assert body["experts"] == [
        {
            "name": "赵专家",
            "title": "主任医师",
            "specialty": "pediatrics",
            "specialty_name": "儿科",
            "hospital": "示例大学附属医院",
            "url": f"/experts/zhaozhuanjia-{cast.expert_practitioner.pk.hex[:8]}/",
        }
    ]
    assert Client().get(body["experts"][0]["url"]).status_code == 200  # the link opens the expert's public page
    assert [(s["date"], s["expert"], s["hospital"]) for s in body["sessions"]] == [
        (tomorrow.isoformat(), "赵专家", "甲县人民医院")
    ]  # the past session is not offered
    assert "13800138000" not in str(body)
    assert TriageRequest.objects.count() == 1


def test_a_red_flag_answers_urgent_with_emergency_first_and_the_advice(api, db):
    status, body = api(None).post("triage", {"complaint": "胸口痛得厉害，出了一身冷汗", "age_years": 60, "sex": "male"})
    assert status == 200
    assert body["urgent"] is True
    assert [s["code"] for s in body["specialties"][:2]] == ["emergency", "cardiology"]
    assert body["red_flags"][0]["code"] == "chest_pain_sweating"
    assert "急诊" in body["red_flags"][0]["message"] and "120" in body["red_flags"][0]["message"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"complaint": ""}, "complaint"),
        ({"complaint": "   "}, "complaint"),
        ({"complaint": "咳" * 501}, "complaint"),
        ({"complaint": "咳" * 5000}, "complaint"),
        ({"age_years": -1}, "age_years"),
        ({"age_years": 120.01}, "age_years"),
        ({"age_years": 200}, "age_years"),
        ({"age_years": "四岁"}, "age_years"),
        ({"sex": "other"}, "sex"),
        ({"sex": "F"}, "sex"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_counts_nothing(api, db, change, field):
    status, body = api(None).post("triage", {**CHILD_FEVER, **change})
    assert status == 422, body
    assert body["code"] == "validation_error" and field in _fields(body)
    assert TriageRequest.objects.count() == 0


@pytest.mark.parametrize("age,complaint", [(0, "发烧"), (120, "咳嗽"), (30, "咳" * 500)])
def test_the_bounds_themselves_are_accepted(api, db, age, complaint):
    status, _ = api(None).post("triage", {"complaint": complaint, "age_years": age, "sex": "female"})
    assert status == 200


def test_the_rate_limit_answers_429_per_address_in_the_error_shape(api, db, settings):
    settings.TRIAGE_RATE_LIMIT = 3
    client = api(None)
    for _ in range(3):
        assert client.post("triage", CHILD_FEVER)[0] == 200
    status, body = client.post("triage", CHILD_FEVER)
    assert status == 429
    assert body["code"] == "rate_limited" and body["message"] and "details" in body
    # another address is not limited
    status, _ = client.post("triage", CHILD_FEVER, REMOTE_ADDR="10.0.0.9")
    assert status == 200
    # once the window has passed the address may ask again
    TriageRequest.objects.update(at=timezone.now() - timedelta(seconds=settings.TRIAGE_RATE_WINDOW_SECONDS + 1))
    assert client.post("triage", CHILD_FEVER)[0] == 200


def test_a_signed_in_user_may_use_it_too(cast, api):
    status, body = api(cast.gp).post("triage", CHILD_FEVER)
    assert status == 200 and body["specialties"][0]["code"] == "pediatrics"
