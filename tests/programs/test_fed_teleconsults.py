"""Issue 14, a KPI fed from tele-consultations: those the program's hospital asked of its specialty, by month."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests import factories as f
from tests.consults.conftest import case, net  # noqa: F401  (the consults cast, as fixtures here)
from tests.programs.factories import make_program
from tiercare.consults import services
from tiercare.programs.selectors import kpi_series

pytestmark = pytest.mark.django_db


def test_teleconsults_asked_of_the_specialty_feed_the_program(cast, net, case):  # noqa: F811
    dept = f.DepartmentFactory(organization=cast.center_a, name="全科儿科", specialty="pediatrics")
    program = make_program(cast.ops, dept, months_ago=1)
    program.kpi_codes = ["teleconsults"]
    program.save(update_fields=["kpi_codes"])
    services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    services.teleconsult_request(by=cast.gp, case=case, specialty="cardiology")
    point = next(
        p
        for p in kpi_series(program, until=timezone.localdate())[0].points
        if p.month == timezone.localdate().replace(day=1)
    )
    assert (point.actual, point.source) == (1, "consults")
