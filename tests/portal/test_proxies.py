"""Proxies (issue 16): a recorded relationship with evidence and validity; a proxy sees only the members they hold;
a guardian's proxy ends the day before the child's 18th birthday unless renewed."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests import factories as f
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.people.models import Person, Proxy
from tiercare.people.proxies import eighteenth_birthday, portal_person_ids, proxy_record, proxy_renew, proxy_revoke
from tiercare.people.selectors import person_scope_q

pytestmark = pytest.mark.django_db


def _teen(cast, born=date(2008, 12, 10)):
    return f.PersonFactory(name="张少年", sex="1", birth_date=born, household=cast.household_a)


def test_guardian_proxy_is_capped_at_the_day_before_the_18th_birthday(cast):
    teen = _teen(cast)
    row = proxy_record(
        by=cast.gp,
        holder=cast.patient_person,
        person=teen,
        kind="guardian",
        evidence_kind="household_register",
        evidence_reference="户口簿 第3页",
        valid_from=date(2020, 1, 1),
        valid_until=date(2030, 1, 1),
    )
    assert row.valid_until == date(2026, 12, 9)
    assert AuditEvent.objects.filter(action="create", object_type="people.proxy", person_id=teen.pk).exists()


def test_a_child_turning_18_leaves_the_guardians_proxy_unless_renewed(cast):
    teen = _teen(cast)
    with time_machine.travel(date(2026, 6, 1), tick=False):
        row = proxy_record(
            by=cast.gp,
            holder=cast.patient_person,
            person=teen,
            kind="guardian",
            evidence_kind="birth_certificate",
            evidence_reference="出生医学证明 Q1",
        )
    with time_machine.travel(date(2026, 12, 9), tick=False):
        assert teen.pk in portal_person_ids(cast.patient)
        assert Person.objects.filter(person_scope_q(cast.patient), pk=teen.pk).exists()
    with time_machine.travel(date(2026, 12, 10), tick=False):  # the 18th birthday
        assert teen.pk not in portal_person_ids(cast.patient)
        assert not Person.objects.filter(person_scope_q(cast.patient), pk=teen.pk).exists()
        # a renewal past 18 needs the adult's own authorisation (or a court's appointment)
        with pytest.raises(ValidationFailed, match="evidence_kind"):
            proxy_renew(
                by=cast.gp, proxy=row, valid_until=None, evidence_kind="birth_certificate", evidence_reference="x"
            )
        proxy_renew(
            by=cast.gp,
            proxy=row,
            valid_until=date(2029, 12, 31),
            evidence_kind="power_of_attorney",
            evidence_reference="授权委托书 2026-12-10",
        )
        assert teen.pk in portal_person_ids(cast.patient)
    row.refresh_from_db()
    assert row.renewed_at is not None and row.valid_until == date(2029, 12, 31)


def test_18th_birthday_of_a_leap_day_child():
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)


def test_guardian_of_an_adult_and_a_minor_holder_are_refused(cast):
    adult = f.PersonFactory(name="张成年", birth_date=date(1990, 1, 1), household=cast.household_a)
    with pytest.raises(ValidationFailed, match="kind"):
        proxy_record(
            by=cast.gp,
            holder=cast.patient_person,
            person=adult,
            kind="guardian",
            evidence_kind="birth_certificate",
            evidence_reference="x",
        )
    with pytest.raises(ValidationFailed, match="holder"):
        proxy_record(
            by=cast.gp,
            holder=cast.child_person,
            person=adult,
            kind="authorised",
            evidence_kind="power_of_attorney",
            evidence_reference="x",
        )
    with pytest.raises(ValidationFailed, match="evidence_reference"):
        proxy_record(
            by=cast.gp,
            holder=cast.patient_person,
            person=adult,
            kind="authorised",
            evidence_kind="power_of_attorney",
            evidence_reference="  ",
        )


def test_adult_child_for_an_elderly_parent_then_revoked(cast):
    parent = f.PersonFactory(name="张老伯", birth_date=date(1940, 1, 1), household=cast.household_a)
    assert parent.pk not in portal_person_ids(cast.patient)  # same household, no proxy: not seen
    row = proxy_record(
        by=cast.gp,
        holder=cast.patient_person,
        person=parent,
        kind="adult_child",
        evidence_kind="power_of_attorney",
        evidence_reference="授权委托书 2026-01",
    )
    assert parent.pk in portal_person_ids(cast.patient)
    with pytest.raises(Conflict):
        proxy_record(
            by=cast.gp,
            holder=cast.patient_person,
            person=parent,
            kind="adult_child",
            evidence_kind="power_of_attorney",
            evidence_reference="again",
        )
    proxy_revoke(by=cast.gp, proxy=row, reason="父亲收回授权")
    assert parent.pk not in portal_person_ids(cast.patient)
    assert Proxy.objects.filter(pk=row.pk, revoke_reason="父亲收回授权").exists()  # kept, not deleted


def test_only_the_care_team_records_proxies(cast):
    parent = f.PersonFactory(name="张老伯", birth_date=date(1940, 1, 1), household=cast.household_a)
    args = {
        "holder": cast.patient_person,
        "person": parent,
        "kind": "adult_child",
        "evidence_kind": "power_of_attorney",
    }
    with pytest.raises(Forbidden):
        proxy_record(by=cast.patient, evidence_reference="self-service", **args)
    from tiercare.core.errors import NotFound

    with pytest.raises(NotFound):  # a GP of another center cannot reach the household
        proxy_record(by=cast.gp_b, evidence_reference="x", **args)
    assert not Proxy.objects.filter(person=parent).exists()
