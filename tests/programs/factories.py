"""Programs test helpers: a program for a department at a given month of its year, with targets."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from tiercare.programs import services
from tiercare.programs.models import KpiTarget, Milestone
from tiercare.programs.selectors import add_months, program_months

KPIS = ["neonates_admitted", "cases_seen", "local_surgeries", "teaching_attendees"]


def month_start(months_ago: int = 0) -> date:
    return add_months(timezone.localdate().replace(day=1), -months_ago)


def make_program(ops: Any, department: Any, *, months_ago: int = 2, lead_expert: Any = None, stage: str = "") -> Any:
    program = services.program_create(
        by=ops,
        department=department,
        title=f"{department.name}建设",
        start=month_start(months_ago),
        kpi_codes=KPIS,
        lead_expert=lead_expert,
    )
    for m in program_months(program):
        for kpi in KPIS:
            KpiTarget.objects.create(program=program, kpi=kpi, month=m, value=10)
    Milestone.objects.create(
        program=program, workstream="layout", title="新生儿病房改造", owner="李主任", due_on=month_start(months_ago)
    )
    for to in ("assessed", "agreement_signed", "building")[
        : ["", "assessed", "agreement_signed", "building"].index(stage)
    ]:
        services.program_move(by=ops, program=program, to=to)
    program.refresh_from_db()
    return program
