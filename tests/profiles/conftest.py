from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from tests.profiles.factories import booking, held_session


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Public pages are cached: each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visit(cast: Any) -> Any:
    """The patient's kept place at a clinic the standing expert held ten days ago at hospital A."""
    session = held_session(cast.expert_practitioner, cast.dept_a, days_ago=10, cases=12)
    return booking(session, cast.patient_person, cast.coordinator)
