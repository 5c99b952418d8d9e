"""Pickers that scale (issue 12 item 5): a patient, an expert or a department is chosen by searching — name, pinyin,
initials, last 4 of the ID number, phone — never from a list of the first 200. Results tell namesakes apart (age,
sex, masked ID, household), are scoped by the access functions and audited as reads; the widget keeps the choice
(its label) after a validation error, and the field's queryset stays the check on submit."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from tests import factories as f
from tests.care.factories import page_client, page_text

from tiercare.core.models import AuditEvent
from tiercare.people.identity import hash_id, id_last4, mask_id
from tiercare.people.models import Household, Person

pytestmark = pytest.mark.django_db


def _namesakes(cast):
    """Two women called 贺霞 at hospital A, in two households, with different ages and ID numbers."""
    h1 = Household.objects.create(name="贺家", registered_at=cast.hospital_a)
    h2 = Household.objects.create(name="贺家湾贺家", registered_at=cast.hospital_a)
    out = []
    for household, born, number, phone in (
        (h1, date(1968, 3, 8), "11010519680308002X", "13811112222"),
        (h2, date(1990, 7, 1), "110105199007010048", "13933334444"),
    ):
        p = f.PersonFactory(name="贺霞", sex="2", birth_date=born, phone=phone, household=household)
        Person.objects.filter(pk=p.pk).update(
            id_kind="resident_id",
            id_hash=hash_id(number, settings.ID_HASH_KEY),
            id_last4=id_last4(number),
            id_masked=mask_id(number),
        )
        out.append(Person.objects.get(pk=p.pk))
    return out


def _options(response) -> list[str]:
    import re

    return re.findall(r'data-picker-text="([^"]*)"', page_text(response))


def test_two_namesakes_are_told_apart_and_each_read_is_audited(cast):
    a, b = _namesakes(cast)
    r = page_client(cast.coordinator).get("/people/pickers/persons/", {"q": "贺霞"})
    options = _options(r)
    assert len(options) == 2 and options[0] != options[1]
    labels = " | ".join(options)
    assert a.id_masked in labels and b.id_masked in labels and "贺家湾贺家" in labels
    assert "女" in labels and "岁" in labels
    event = AuditEvent.objects.filter(
        actor=cast.coordinator, object_type="people.person", reason="picker search"
    ).first()
    assert event is not None and set(map(str, event.person_ids)) >= {str(a.pk), str(b.pk)}


@pytest.mark.parametrize("q", ["hexia", "hx", "002X", "002x", "2222", "13811112222"])
def test_search_by_pinyin_initials_id_last4_and_phone(cast, q):
    a, b = _namesakes(cast)
    r = page_client(cast.coordinator).get("/people/pickers/persons/", {"q": q})
    values = set(__import__("re").findall(r'data-picker-value="([^"]+)"', page_text(r)))
    assert str(a.pk) in values
    if q not in ("hexia", "hx"):
        assert str(b.pk) not in values


def test_search_is_scoped_never_a_list_and_an_empty_query_shows_nothing(cast):
    _namesakes(cast)
    assert _options(page_client(cast.outsider).get("/people/pickers/persons/", {"q": "贺霞"})) == []
    assert _options(page_client(cast.coordinator).get("/people/pickers/persons/", {"q": ""})) == []
    assert page_client(cast.expert).get("/people/pickers/persons/", {"q": "贺"}).status_code == 403
    for i in range(15):
        f.PersonFactory(name=f"贺{i}号", household=Household.objects.get(name="贺家"))
    r = page_client(cast.coordinator).get("/people/pickers/persons/", {"q": "贺"})
    assert len(_options(r)) == 12 and "请输入更多内容" in page_text(r)


def test_referral_form_uses_pickers_and_keeps_the_chosen_patient_after_an_error(cast):
    a, _b = _namesakes(cast)
    dept = f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    coord = page_client(cast.coordinator)
    page = page_text(coord.get("/referrals/new/"))
    assert '<select name="person"' not in page and '<select name="receiving_department"' not in page
    assert "/people/pickers/persons/" in page and "/directory/pickers/departments/?tier=tertiary" in page
    r = coord.post(
        "/referrals/new/",
        {
            "person": str(a.pk),
            "receiving_department": str(dept.pk),
            "urgency": "routine",
            "reason": "",
            "diagnosis_text": "x",
            "capacity_kind": "clinic",
        },
    )
    text = page_text(r)
    assert f'value="{a.pk}"' in text and a.id_masked in text and "心内科" in text
    # a person out of reach posted by hand is refused by the field's queryset, never shown
    r = coord.post(
        "/referrals/new/",
        {
            "person": str(cast.person_b.pk),
            "receiving_department": str(dept.pk),
            "urgency": "routine",
            "reason": "x",
            "diagnosis_text": "x",
            "capacity_kind": "clinic",
        },
    )
    assert "王五" not in page_text(r) and 'id="consent-offer"' not in page_text(r)


def test_expert_and_department_search(cast):
    f.DepartmentFactory(organization=cast.tertiary, name="心内科", specialty="cardiology")
    f.DepartmentFactory(organization=cast.hospital_a, name="心内科", specialty="cardiology")
    coord = page_client(cast.coordinator)
    options = _options(coord.get("/directory/pickers/departments/", {"q": "心内", "tier": "tertiary"}))
    assert len(options) == 1 and cast.tertiary.name in options[0]
    assert len(_options(coord.get("/directory/pickers/departments/", {"q": "心内"}))) == 2
    experts = _options(coord.get("/directory/pickers/experts/", {"q": "zhao", "experts_only": "1"}))
    assert len(experts) == 1 and "赵专家" in experts[0]
    assert page_client(cast.patient).get("/directory/pickers/experts/", {"q": "zhao"}).status_code == 403
