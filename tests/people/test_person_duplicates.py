"""Hazard log H-14 (issue 11): duplicate person records split a history. Registering a resident who is already on
record — by resident ID, or by the same name, birth date, sex and mobile phone — is refused without saying which
record matched or where it is registered, so a user who may not see that record learns nothing of it."""

from __future__ import annotations

from datetime import date

import pytest

from tiercare.core.errors import Conflict
from tiercare.core.models import AuditEvent
from tiercare.people.models import Person
from tiercare.people.services import person_register

pytestmark = pytest.mark.django_db

ZHANG = {"name": "张秀英", "sex": "2", "birth_date": date(1949, 12, 31), "phone": "13800138000"}


def _register(cast, by=None, household=None, **kw):
    return person_register(by=by or cast.gp_b, household=household or cast.household_b, **kw)


def _first(cast, **kw):
    """The record kept at center A (another center's household than the gp_b who registers next)."""
    return person_register(by=cast.gp, household=cast.household_a, data=dict(ZHANG), **kw)


def test_the_same_resident_id_is_refused_without_revealing_the_record(cast):
    first = _first(cast, id_kind="resident_id", id_number="11010519491231002X")
    with pytest.raises(Conflict) as info:
        _register(cast, data={**ZHANG, "name": "张秀瑛", "phone": ""}, id_kind="resident_id",
                  id_number="11010519491231002X")  # fmt: skip
    assert info.value.code == "duplicate_id"
    said = f"{info.value.message} {info.value.details}"
    assert str(first.pk) not in said and cast.household_a.name not in said and cast.center_a.name not in said


@pytest.mark.parametrize(("change", "refused"), [
    ({}, True),                                   # same name, birth date, sex and phone
    ({"name": "张秀兰"}, False),                   # another name (twins share a phone)
    ({"birth_date": date(1950, 1, 1)}, False),    # another birth date
    ({"sex": "1"}, False),                        # another sex
    ({"phone": "13800138001"}, False),            # another phone
    ({"phone": ""}, False),                       # no phone: nothing to match on
])  # fmt: skip
def test_same_name_birth_date_sex_and_phone_is_refused_without_revealing_it(cast, change, refused):
    first = _first(cast)
    data = {**ZHANG, **change}
    if refused:
        with pytest.raises(Conflict) as info:
            _register(cast, data=data)
        assert info.value.code == "possible_duplicate" and info.value.details["confirm_not_duplicate"] is True
        said = f"{info.value.message} {info.value.details}"
        assert str(first.pk) not in said and cast.household_a.name not in said and cast.center_a.name not in said
        assert Person.objects.filter(name=ZHANG["name"]).count() == 1
    else:
        assert _register(cast, data=data).pk != first.pk


def test_registering_another_person_anyway_needs_a_confirmation_that_is_audited(cast):
    _first(cast)
    other = _register(cast, data=dict(ZHANG), confirm_not_duplicate=True)
    assert Person.objects.filter(name=ZHANG["name"]).count() == 2
    assert AuditEvent.objects.filter(object_id=str(other.pk), details__changes__confirmed_not_duplicate=True).exists()


def test_the_confirmation_never_lets_a_duplicate_resident_id_through(cast):
    _first(cast, id_kind="resident_id", id_number="11010519491231002X")
    with pytest.raises(Conflict) as info:
        _register(cast, data=dict(ZHANG), id_kind="resident_id", id_number="11010519491231002X",
                  confirm_not_duplicate=True)  # fmt: skip
    assert info.value.code == "duplicate_id"


def test_an_archived_record_does_not_block_a_new_registration(cast):
    first = _first(cast)
    Person.objects.filter(pk=first.pk).update(archived=True)
    assert _register(cast, data=dict(ZHANG)).pk != first.pk
