"""Two care teams registering the same resident at the same moment: exactly one record, on PostgreSQL."""

import threading

import pytest
from django.db import connection

from tiercare.core.errors import Conflict
from tiercare.people.models import Person
from tiercare.people.services import person_register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_same_id_number_registered_concurrently_yields_one_person(cast):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            person_register(
                by=cast.gp,
                household=cast.household_a,
                data={"name": name, "sex": "2"},
                id_kind="resident_id",
                id_number="11010519491231002X",
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(f"并发{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "created"]
    assert Person.objects.filter(id_last4="002X").count() == 1
