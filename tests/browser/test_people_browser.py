"""Issue 12 in a real browser: a GP registers a household of two and signs it with their team; a coordinator, refused
a referral for lack of consent, records the consent in place (a signature drawn on the tablet) and sends the
referral; the patient picker tells two women called 贺霞 apart. Each with an outsider refused."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from tests import factories as f
from tests.browser.conftest import sign_in
from tests.care.factories import team_with
from tests.factories import PASSWORD

from tiercare.care.models import CareContract
from tiercare.people.identity import check_char, hash_id, id_last4, mask_id
from tiercare.people.models import Consent, Household, Person
from tiercare.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _id(first17: str) -> str:
    return first17 + check_char(first17)


def _outsider_sees_404(browser, live_server, username: str, path: str) -> None:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, username, PASSWORD)
        response = page.goto(path)
        assert response is not None and response.status == 404
    finally:
        context.close()


def _pick(page, field: str, query: str, nth: int = 0) -> str:
    """Type ``query`` in the picker of ``field`` and choose the ``nth`` match; returns its label."""
    page.fill(f"#id_{field}_search", query)
    option = page.locator(f"#id_{field}-results [data-picker-value]").nth(nth)
    option.wait_for()
    label = option.inner_text()
    option.click()
    return label


def test_gp_registers_a_household_of_two_and_signs_a_contract(page, cast, browser, live_server, shot):
    team_with(cast.center_a, cast.gp, cast.health_manager, name="甲一组")
    sign_in(page, "gp", PASSWORD)
    page.goto("/people/households/")
    page.click("#household-new")
    page.fill("#id_name", "王大明家")
    page.fill("#id_address", "甲镇一村3组")
    page.click("#household-form button[type=submit]")
    page.wait_for_selector("#member-form")
    household = Household.objects.get(name="王大明家")

    # a wrong ID number is refused beside its field, with what was typed kept
    page.fill("#id_name", "王大明")
    page.select_option("#id_relation", "head")
    valid = _id("11010519500101001")
    page.fill("#id_id_number", valid[:-1] + ("0" if valid[-1] != "0" else "1"))
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#id_id_number-error")
    assert page.input_value("#id_name") == "王大明" and Person.objects.filter(name="王大明").count() == 0
    page.fill("#id_id_number", valid)
    page.fill("#id_phone", "13800001234")
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#members >> text=王大明")

    page.fill("#id_name", "李秀英")
    page.select_option("#id_relation", "spouse")
    page.fill("#id_id_number", _id("11010519520202002"))
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#members >> text=李秀英")
    assert household.members.count() == 2
    shot(page, "people-household-of-two-zh")

    page.click("#household-contract")
    page.wait_for_selector("#contract-form")
    page.select_option("#id_package", "personalised")
    page.click("#contract-form button[type=submit]")
    page.wait_for_selector("#contract-signed")
    c = CareContract.objects.get(household=household, status="active")
    assert c.package == "personalised" and c.enrolled.filter(active=True).count() == 2
    assert "王大明" in page.inner_text("#active-contract") and "李秀英" in page.inner_text("#active-contract")
    shot(page, "people-contract-signed-zh")

    _outsider_sees_404(browser, live_server, "gp_b", f"/people/households/{household.pk}/")


def test_coordinator_records_consent_in_place_and_sends_the_referral(page, cast, browser, live_server, shot):
    liu = Person.objects.get(name="刘六")
    f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    sign_in(page, "coordinator", PASSWORD)
    page.goto("/referrals/new/")
    _pick(page, "person", "liuliu")
    _pick(page, "receiving_department", "心内")
    page.fill("#id_reason", "反复胸痛，需冠脉造影评估")
    page.fill("#id_diagnosis_text", "冠心病？")
    page.click("#referral-form button[type=submit]")

    # refused for lack of consent: the page offers to record it here, the referral as typed is kept
    page.wait_for_selector("#consent-offer")
    assert page.input_value("#id_reason") == "反复胸痛，需冠脉造影评估"
    page.click("#consent-offer-link")
    page.wait_for_selector("#consent-form")
    assert page.input_value("#id_purpose") == "referral"
    page.check("input[name=method][value=tablet]")
    box = page.locator("[data-signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 70)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 20 + i * 25, box["y"] + 70 + (15 if i % 2 else -15))
    page.mouse.up()
    assert page.input_value("#id_signature").startswith("data:image/png;base64,")
    shot(page, "people-consent-in-place-zh")
    page.click("#consent-form button[type=submit]")
    page.wait_for_selector("#consent-recorded")
    consent = Consent.objects.get(person=liu, scope="referral")
    assert consent.method == "tablet" and consent.recorded_by == cast.coordinator and consent.document

    page.click("#referral-form button[type=submit]")
    page.wait_for_url("**/referrals/*/")
    assert Referral.objects.filter(person=liu, consent=consent).count() == 1

    _outsider_sees_404(browser, live_server, "outsider", f"/people/consents/new/?person={liu.pk}&purpose=referral")


def test_patient_picker_tells_two_namesakes_apart(page, cast, browser, live_server):
    people = []
    for name, born, first17 in (
        ("贺家", date(1968, 3, 8), "11010519680308002"),
        ("贺家湾", date(1990, 7, 1), "11010519900701004"),
    ):
        household = Household.objects.create(name=name, registered_at=cast.hospital_a)
        p = f.PersonFactory(name="贺霞", sex="2", birth_date=born, household=household)
        number = _id(first17)
        Person.objects.filter(pk=p.pk).update(
            id_kind="resident_id",
            id_hash=hash_id(number, settings.ID_HASH_KEY),
            id_last4=id_last4(number),
            id_masked=mask_id(number),
        )
        people.append(Person.objects.get(pk=p.pk))
    sign_in(page, "coordinator", PASSWORD)
    page.goto("/referrals/new/")
    page.fill("#id_person_search", "贺霞")
    options = page.locator("#id_person-results [data-picker-value]")
    options.nth(1).wait_for()
    texts = [options.nth(i).inner_text() for i in range(options.count())]
    assert len(texts) == 2 and texts[0] != texts[1]
    assert all("贺霞" in t and "女" in t and "岁" in t for t in texts)
    second = next(p for p in people if p.id_masked in texts[1])
    options.nth(1).click()
    assert page.input_value("input[name=person]") == str(second.pk)
    assert second.id_masked in page.inner_text("#id_person ~ [data-picker-label]")
    # an outsider's search finds neither
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    other = context.new_page()
    sign_in(other, "outsider", PASSWORD)
    other.goto("/people/pickers/persons/?q=贺霞")
    assert "贺霞" not in other.content()
    context.close()
