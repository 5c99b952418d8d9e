"""Two care teams registering the same resident at the same moment: exactly one record, on PostgreSQL."""

import pytest
from tests.concurrency import race_outcomes

from tiercare.core.errors import Conflict
from tiercare.people.models import Person
from tiercare.people.services import person_register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_same_id_number_registered_concurrently_yields_one_person(cast):
    def register(name: str) -> object:
        return person_register(
            by=cast.gp,
            household=cast.household_a,
            data={"name": name, "sex": "2"},
            id_kind="resident_id",
            id_number="11010519491231002X",
        )

    calls = [lambda i=i: register(f"并发{i}") for i in range(2)]
    assert race_outcomes(*calls, refused=(Conflict,)) == ["ok", "refused"]
    assert Person.objects.filter(id_last4="002X").count() == 1
