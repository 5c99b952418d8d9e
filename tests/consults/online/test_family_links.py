"""The family page (portal) links each member the login holds to their online follow-ups: ``/consults/online/?person=``
shows that member's consultations only and the "ask" link chooses them; a person the login does not hold is 404 on
both pages (resolved through the people scope, which follows people.Proxy)."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories as f
from tests.care.factories import page_client, page_text
from tests.consults.online.test_online_rules import ask
from tiercare.people.models import Proxy

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(cast):
    child = f.PersonFactory(name="张小宝", sex="1", birth_date=date(2019, 9, 9), household=cast.household_a)
    Proxy.objects.create(
        holder=cast.patient_person, person=child, kind="guardian", evidence_kind="birth_certificate",
        evidence_reference="出生医学证明 P1", valid_from=child.birth_date,
    )  # fmt: skip
    return child


def test_the_family_page_links_self_and_the_held_child_to_their_online_follow_ups(cast, online, child):
    spouse = f.PersonFactory(name="张配偶", household=cast.household_a)  # no proxy held: no link
    text = page_client(cast.patient).get("/family/").content.decode()
    assert f'href="/consults/online/?person={cast.patient_person.pk}"' in text
    assert f'href="/consults/online/?person={child.pk}"' in text
    assert f"?person={spouse.pk}" not in text


def test_one_members_follow_ups_and_the_ask_link_choose_them(cast, online, child):
    ask(cast, online)  # the patient's own consultation
    patient = page_client(cast.patient)
    own = patient.get(f"/consults/online/?person={cast.patient_person.pk}")
    assert own.status_code == 200 and "血压还行" in page_text(own)
    kid = patient.get(f"/consults/online/?person={child.pk}")
    assert kid.status_code == 200 and "血压还行" not in page_text(kid) and "张小宝" in page_text(kid)
    assert f'href="/consults/online/new/?person={child.pk}"' in kid.content.decode()
    new = patient.get(f"/consults/online/new/?person={child.pk}")
    assert new.status_code == 200 and f'<option value="{child.pk}" selected>' in new.content.decode()


def test_a_person_the_login_does_not_hold_is_404(cast, online, child):
    spouse = f.PersonFactory(name="张配偶", household=cast.household_a)
    patient = page_client(cast.patient)
    for person in (spouse.pk, cast.person_b.pk, "not-an-id"):
        assert patient.get(f"/consults/online/?person={person}").status_code == 404
        assert patient.get(f"/consults/online/new/?person={person}").status_code == 404
    # the proxy ended: the child is no longer the mother's to open
    Proxy.objects.filter(person=child).update(valid_until=date(2020, 1, 1))
    assert patient.get(f"/consults/online/?person={child.pk}").status_code == 404
