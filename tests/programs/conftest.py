from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from tests.programs.factories import make_program
from tiercare.core.models import Role


@pytest.fixture
def program(cast: Any) -> Any:
    """A building program for hospital A's pediatric department, in its third month, led by the standing expert."""
    return make_program(cast.ops, cast.dept_a, months_ago=2, lead_expert=cast.expert_practitioner, stage="building")


@pytest.fixture
def director(cast: Any) -> Any:
    return f.staff_user(Role.DIRECTOR, cast.hospital_a, username="director_a")


@pytest.fixture
def director_b(cast: Any) -> Any:
    return f.staff_user(Role.DIRECTOR, cast.hospital_b, username="director_b")
