"""core.access.access_one, the shape of every app's access functions: a visible object is returned and its read
audited against the patient; a hidden, missing or malformed id gets the same NotFound, and the refusal is audited with
the id as asked."""

from __future__ import annotations

import uuid

import pytest

from tiercare.core.access import access_one
from tiercare.core.errors import NotFound
from tiercare.core.models import AuditEvent
from tiercare.people.models import Person

pytestmark = pytest.mark.django_db


def _fetch(cast, qs, object_id, **kw):
    return access_one(
        cast.gp, qs, object_id, object_type="people.person", refusal="not in scope", not_found="No such person.", **kw
    )


def test_a_visible_object_is_returned_and_its_read_audited_against_the_patient(cast):
    person = cast.patient_person
    got = _fetch(cast, Person.objects.all(), str(person.pk), persons=lambda p: [p.pk], reason="chart")
    assert got == person
    event = AuditEvent.objects.get(actor=cast.gp)
    assert (event.action, event.object_type, event.object_id, event.reason) == (
        "read",
        "people.person",
        str(person.pk),
        "chart",
    )
    assert event.person_ids == [person.pk]


def test_without_persons_nothing_is_audited_on_success(cast):
    assert _fetch(cast, Person.objects.all(), cast.patient_person.pk) == cast.patient_person
    assert not AuditEvent.objects.filter(actor=cast.gp).exists()


@pytest.mark.parametrize("kind", ["hidden", "missing", "malformed"])
def test_hidden_missing_and_malformed_ids_get_the_same_audited_refusal(cast, kind):
    asked = {
        "hidden": str(cast.patient_person.pk),
        "missing": str(uuid.uuid4()),
        "malformed": "x" * 100,
    }[kind]
    scope = Person.objects.exclude(pk=cast.patient_person.pk)
    with pytest.raises(NotFound) as exc:
        _fetch(cast, scope, asked, persons=lambda p: [p.pk])
    assert exc.value.message == "No such person." and exc.value.status == 404
    event = AuditEvent.objects.get(actor=cast.gp)
    assert (event.action, event.object_type, event.object_id, event.reason) == (
        "denied",
        "people.person",
        asked[:64],
        "not in scope",
    )
    assert event.person_ids == []


def test_a_refused_person_id_is_recorded_against_that_person(cast):
    person = cast.patient_person
    with pytest.raises(NotFound):
        _fetch(cast, Person.objects.none(), person.pk, id_is_person=True)
    assert AuditEvent.objects.get(actor=cast.gp, action="denied").person_ids == [person.pk]
