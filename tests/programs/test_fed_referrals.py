"""Issue 14, KPIs fed from the referral loop: referrals up sent from the program's hospital to its specialty, and
the patients referred back, counted in the month they happened, each value naming its source; another
specialty's referrals do not count."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests import factories as f
from tests.programs.factories import make_program
from tests.referrals.conftest import net  # noqa: F401  (the referral cast, as a fixture here)
from tests.referrals.helpers import reach
from tiercare.programs.selectors import kpi_series

pytestmark = pytest.mark.django_db


def _this_month(program: Any, code: str) -> tuple[Any, str]:
    series = next(s for s in kpi_series(program, until=timezone.localdate()) if s.kpi.code == code)
    point = next(p for p in series.points if p.month == timezone.localdate().replace(day=1))
    return point.actual, point.source


def test_referrals_up_and_back_feed_the_centers_program(cast, net):  # noqa: F811
    dept = f.DepartmentFactory(organization=cast.center_a, name="全科儿科", specialty="pediatrics")
    program = make_program(cast.ops, dept, months_ago=1)
    program.kpi_codes = ["referrals_sent", "referrals_back"]
    program.save(update_fields=["kpi_codes"])
    assert _this_month(program, "referrals_sent") == (0, "referrals")
    reach(net, "sent")
    reach(net, "back_referred")
    reach(net, "sent", dept=net.other_dept)  # gynecology: not this program's specialty
    assert _this_month(program, "referrals_sent") == (2, "referrals")
    assert _this_month(program, "referrals_back") == (1, "referrals")
