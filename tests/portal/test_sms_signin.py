"""Sign-in by mobile number and SMS code (console/locmem backend): rate-limited, codes hashed and expiring, used
once; the first SMS sign-in passes the real-name check (name against the ID number held)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tiercare.core.errors import RateLimited, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.people.identity import check_char, hash_id
from tiercare.portal import signin
from tiercare.portal.models import LoginCode, RealNameCheck

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _id_number(birth="19900601", county="510129", seq="024"):
    first17 = f"{county}{birth}{seq}"
    return first17 + check_char(first17)


@pytest.fixture
def mother(family):
    number = _id_number()
    p = family.mother_person
    p.phone, p.id_kind, p.id_hash = PHONE, "resident_id", hash_id(number, settings.ID_HASH_KEY)
    p.save()
    InMemoryBackend.outbox.clear()
    return family, number


def _last_code() -> str:
    message = InMemoryBackend.outbox[-1]
    assert message.recipient == PHONE and message.template_code == "portal_login_code"
    return message.params["code"]


def test_code_is_sent_hashed_and_signs_in_once_after_the_real_name_check(mother):
    family, number = mother
    signin.login_code_send(phone="139-1234-5678", ip="10.0.0.1")
    code = _last_code()
    row = LoginCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    with pytest.raises(ValidationFailed) as exc:  # first SMS sign-in: the real-name check is asked for
        signin.login_code_check(phone=PHONE, code=code)
    assert exc.value.details["field"] == "name"
    with pytest.raises(ValidationFailed) as exc:
        signin.login_code_check(phone=PHONE, code=code, name="陈丽", id_number=_id_number(seq="026"))
    assert exc.value.details["field"] == "id_number" and exc.value.code == "realname_mismatch"
    with pytest.raises(ValidationFailed):
        signin.login_code_check(phone=PHONE, code=code, name="陈莉", id_number=number)  # wrong name, right number
    result = signin.login_code_check(phone=PHONE, code=code, name=" 陈 丽", id_number=number.lower())
    assert result.user == family.mother and result.person == family.mother_person
    assert RealNameCheck.objects.filter(person=family.mother_person).exists()
    assert AuditEvent.objects.filter(action="login", actor=family.mother, reason="sms code").exists()
    with pytest.raises(ValidationFailed) as exc:  # used once
        signin.login_code_check(phone=PHONE, code=code)
    assert exc.value.code == "code_none"


def test_later_sign_ins_need_only_the_code(mother):
    family, number = mother
    RealNameCheck.objects.create(person=family.mother_person, user=family.mother, checked_at=family.clinic.created_at)
    assert not signin.needs_real_name(PHONE)
    signin.login_code_send(phone=PHONE, ip=None)
    assert signin.login_code_check(phone=PHONE, code=_last_code()).user == family.mother


def test_codes_expire_and_wrong_codes_lock(mother):
    family, number = mother
    signin.login_code_send(phone=PHONE, ip=None)
    code = _last_code()
    for _ in range(signin.SMS_CODE_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            signin.login_code_check(phone=PHONE, code="000000" if code != "000000" else "111111")
    with pytest.raises(ValidationFailed) as exc:
        signin.login_code_check(phone=PHONE, code=code, name="陈丽", id_number=number)
    assert exc.value.code == "code_locked"
    with time_machine.travel(timedelta(minutes=2)):
        signin.login_code_send(phone=PHONE, ip=None)
        fresh = _last_code()
    with time_machine.travel(timedelta(minutes=2 + signin.SMS_CODE_MINUTES, seconds=1)):
        with pytest.raises(ValidationFailed) as exc:
            signin.login_code_check(phone=PHONE, code=fresh, name="陈丽", id_number=number)
        assert exc.value.code == "code_none"


def test_rate_limits_per_number_and_per_address(mother):
    signin.login_code_send(phone=PHONE, ip="10.0.0.9")
    with pytest.raises(RateLimited):  # within a minute
        signin.login_code_send(phone=PHONE, ip="10.0.0.9")
    for n in range(1, signin.LOGIN_SMS_PER_HOUR):
        with time_machine.travel(timedelta(minutes=2 * n)):
            signin.login_code_send(phone=PHONE, ip="10.0.0.9")
    with time_machine.travel(timedelta(minutes=30)), pytest.raises(RateLimited):
        signin.login_code_send(phone=PHONE, ip="10.0.0.9")
    for n in range(signin.LOGIN_SMS_PER_IP_HOUR - signin.LOGIN_SMS_PER_HOUR):
        signin.login_code_send(phone=f"1391234{n:04d}", ip="10.0.0.9")
    with pytest.raises(RateLimited):
        signin.login_code_send(phone="13700000000", ip="10.0.0.9")


def test_an_unknown_number_gets_the_same_answer_and_no_sms(db, cast):
    InMemoryBackend.outbox.clear()
    response = Client().post("/family/login/", {"phone": "13800001111", "action": "send"})
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert InMemoryBackend.outbox == []


def test_a_person_on_file_without_a_login_gets_one_at_the_first_sms_sign_in(cast):
    number = _id_number(birth="19600501", seq="013")
    p = cast.person_b
    p.phone, p.id_kind, p.id_hash = "13600002222", "resident_id", hash_id(number, settings.ID_HASH_KEY)
    p.save()
    InMemoryBackend.outbox.clear()
    signin.login_code_send(phone=p.phone, ip=None)
    code = InMemoryBackend.outbox[-1].params["code"]
    result = signin.login_code_check(phone=p.phone, code=code, name="王五", id_number=number)
    assert result.new_login and result.user.role == "patient" and not result.user.has_usable_password()
    p.refresh_from_db()
    assert p.user == result.user


def test_the_page_keeps_what_was_typed_and_shows_the_error_beside_the_field(mother):
    family, number = mother
    c = Client()
    page = c.post("/family/login/", {"phone": "1391234", "action": "send"}).content.decode()
    assert 'id="err_phone"' in page and 'value="1391234"' in page
    page = c.post("/family/login/", {"phone": PHONE, "action": "send"}).content.decode()
    assert 'name="id_number"' in page  # the first time: the real-name check
    code = _last_code()
    page = c.post(
        "/family/login/",
        {"phone": PHONE, "code": code, "name": "陈丽", "id_number": "510129199006010000", "action": "check"},
    ).content.decode()
    assert 'id="err_id_number"' in page and 'value="陈丽"' in page and f'value="{code}"' in page
    response = c.post(
        "/family/login/", {"phone": PHONE, "code": code, "name": "陈丽", "id_number": number, "action": "check"}
    )
    assert response.status_code == 302 and response["Location"] == "/family/"
    assert re.search("陈小宝", c.get("/family/").content.decode())
