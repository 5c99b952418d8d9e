"""Issue 16 on a phone (390×844, real Chromium): a patient asks an online follow-up about a diagnosis made in person,
the doctor re-authenticates, answers and prescribes, the pharmacist approves, the patient sees the valid
prescription; a first-visit request is refused with the reason beside the field (the question kept); a home reading
of 190/115 puts the patient on the team's urgent worklist. Phone-sized screenshots go to docs/screenshots/."""

from pathlib import Path

import pytest
from tests.browser.conftest import ARGS, sign_in  # noqa: F401
from tests.consults.online.conftest import online  # noqa: F401  (the online world)
from tests.factories import PASSWORD

from tiercare.care.models import HomeReading
from tiercare.consults.models import EPrescription, OnlineConsult

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    """A new phone for each user: ``phone(username)`` signs them in and returns the page."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, username, PASSWORD)
        return page

    yield open_as
    for c in contexts:
        c.close()


def phone_shot(page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    # a phone page: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_ask_answer_prescribe_approve_and_the_patient_sees_it_valid(phone, cast, online):  # noqa: F811
    patient = phone("patient")
    patient.click("#nav-online")
    patient.click("#ask")
    patient.select_option("#id_diagnosis", str(online.enrollment.pk))
    patient.fill("#id_question", "最近早上血压 130/80 左右，氨氯地平还要继续吃吗？")
    phone_shot(patient, "online-ask")
    patient.click("#ask-form button[type=submit]")
    patient.wait_for_selector("#thread")
    consult = OnlineConsult.objects.get()
    patient.fill("#id_body", "附上这周的血压记录")
    patient.click("#message-form button[type=submit]")
    patient.wait_for_selector("text=附上这周的血压记录")

    doctor = phone("gp")
    doctor.goto(f"/consults/online/{consult.pk}/")
    doctor.fill("#id_password", "not my password")
    doctor.click("#reauth button[type=submit]")
    doctor.wait_for_selector("#id_password-error")
    assert "密码错误" in doctor.inner_text("#id_password-error")
    doctor.fill("#id_password", PASSWORD)
    doctor.click("#reauth button[type=submit]")
    doctor.wait_for_selector("#prescribe")
    doctor.fill("#id_body", "血压控制得不错，继续每天一片，给您续 4 周。")
    doctor.click("#message-form button[type=submit]")
    doctor.wait_for_selector("text=给您续 4 周")
    doctor.select_option("#id_drug", "amlodipine_5mg")
    doctor.fill("#id_dose", "5mg 每日一次 口服")
    doctor.fill("#id_supply_days", "56")
    doctor.click("#prescribe button[type=submit]")
    doctor.wait_for_selector("#id_assessment-error")  # beyond 4 weeks: the long-prescription rule, beside its field
    assert doctor.input_value("#id_dose") == "5mg 每日一次 口服" and not EPrescription.objects.exists()
    doctor.fill("#id_supply_days", "28")
    doctor.click("#prescribe button[type=submit]")
    doctor.wait_for_selector("#prescriptions")
    phone_shot(doctor, "online-doctor-answers")

    rx = EPrescription.objects.get()
    patient.goto(f"/consults/online/prescriptions/{rx.pk}/")
    assert "待药师审核" in patient.inner_text("#not-valid")

    pharmacist = phone("pharmacist")
    pharmacist.click("#nav-pharmacy")
    pharmacist.click(f"a[href='/consults/online/prescriptions/{rx.pk}/']")
    pharmacist.check("input[name=decision][value=approve]")
    phone_shot(pharmacist, "online-pharmacist-review")
    pharmacist.click("#review button[type=submit]")
    pharmacist.wait_for_selector("#valid")

    patient.goto("/consults/online/")
    assert "有效" in patient.inner_text("#prescriptions")
    patient.click(f"#prescriptions a[href='/consults/online/prescriptions/{rx.pk}/']")
    assert "有效" in patient.inner_text("#valid") and "苯磺酸氨氯地平片" in patient.inner_text("#rx")
    phone_shot(patient, "online-prescription-valid")
    patient.goto(f"/consults/online/{consult.pk}/")
    assert "已读" in patient.inner_text("#thread")  # the doctor read the patient's message
    phone_shot(patient, "online-thread")


def test_a_first_visit_request_is_refused_with_the_reason(phone, cast, online):  # noqa: F811
    patient = phone("patient")
    patient.goto("/consults/online/new/")
    patient.select_option("#id_diagnosis", "first_visit")
    patient.fill("#id_question", "这两天胸口痛，是怎么回事？")
    patient.click("#ask-form button[type=submit]")
    patient.wait_for_selector("#id_diagnosis-error")
    assert "首诊" in patient.inner_text("#id_diagnosis-error")
    assert patient.input_value("#id_question") == "这两天胸口痛，是怎么回事？"
    assert not OnlineConsult.objects.exists()
    phone_shot(patient, "online-first-visit-refused")


def test_a_home_reading_of_190_115_puts_the_patient_on_the_teams_urgent_list(phone, cast, online):  # noqa: F811
    patient = phone("patient")
    patient.goto("/consults/online/")
    patient.click("#readings")
    patient.fill("#id_sbp_mmhg", "190")
    patient.fill("#id_dbp_mmhg", "115")
    patient.click("#reading-form button[type=submit]")
    patient.wait_for_selector("#saved.alert")
    assert "紧急" in patient.inner_text("#saved")
    phone_shot(patient, "online-reading-urgent")
    assert HomeReading.objects.get().urgent

    gp = phone("gp")
    gp.goto(f"/care/teams/{online.team.pk}/worklists/home_urgent/")
    row = gp.inner_text("#home-readings")
    assert cast.patient_person.name in row and "190/115" in row and "自测" in row
    gp.screenshot(path=str(DOCS / "online-team-urgent-list.png"), full_page=True)
