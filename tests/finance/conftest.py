"""The finance cast on top of the standing cast and the consults network: price lists and share rules of hospital A
(outreach, MDT) and GP center A (tele-consultations, opinions, family-doctor packages), and helpers that make the
facts that earn money through the workflow apps' own services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from tests.care.factories import contract, team_with
from tests.consults.conftest import net  # noqa: F401
from tests.consults.test_mdt import book_first
from tests.outreach.factories import make_session
from tiercare.consults import services as consults
from tiercare.finance import chain, services
from tiercare.outreach.services.reports import report_file

D = Decimal
HOSPITAL_RULE = {"hospital_pct": D("30"), "expert_pct": D("50"), "premium_pct": D("3"), "travel_pct": D("7")}
# GP center A is a flagship center: everything to the chain but the expert's and the premium's parts.
CENTER_RULE = {"mode": "flagship", "expert_pct": D("20"), "premium_pct": D("2")}
PRICES = {"clinic": D("50.00"), "surgery_3": D("3000.00"), "surgery_4": D("5000.00"), "ward_round": D("800.00")}
CENTER_PRICES = {"teleconsult": D("300.00"), "second_opinion": D("600.00"), "package_basic": D("120.00")}
EPOCH = date(2025, 1, 1)


@pytest.fixture
def priced(cast: Any) -> Any:
    """Prices and share rules in force since 2025 at hospital A and GP center A."""
    return price_everything(cast)


def price_everything(cast: Any) -> Any:
    services.share_rule_add(by=cast.ops, hospital=cast.hospital_a, effective_from=EPOCH, **HOSPITAL_RULE)
    chain.center_rule_add(by=cast.ops, center=cast.center_a, effective_from=EPOCH, **CENTER_RULE)
    for service, amount in PRICES.items():
        services.price_add(by=cast.ops, hospital=cast.hospital_a, service=service, amount=amount, effective_from=EPOCH)
    for service, amount in CENTER_PRICES.items():
        services.price_add(by=cast.ops, hospital=cast.center_a, service=service, amount=amount, effective_from=EPOCH)
    return cast


def held_session(cast: Any, on: date, *, kind: str = "clinic", **report: Any) -> Any:
    """A session of the standing expert at hospital A on ``on`` (past), held with its report filed by the expert."""
    session = make_session(cast.expert_practitioner, cast.dept_a, on=on, kind=kind)
    if kind == "teaching":
        report.setdefault("teaching_topic", "三基三严")
    report_file(by=cast.expert, session=session, data=report)
    return session


def answered_teleconsult(cast: Any, case: Any) -> Any:
    tc = consults.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    consults.teleconsult_message(by=tc.expert.user, teleconsult=tc, body="建议查血常规")
    tc.refresh_from_db()
    return tc


def signed_opinion(cast: Any, case: Any) -> Any:
    op = consults.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    return consults.opinion_sign(by=op.expert.user, opinion=op, text="同意目前方案")


def concluded_mdt(cast: Any, mdt: Any) -> Any:
    meeting = book_first(cast, mdt)
    with time_machine.travel(meeting.starts_at + timedelta(minutes=30), tick=False):
        consults.mdt_conclude(by=meeting.chair.user, meeting=meeting, conclusion="保守治疗")
    mdt.refresh_from_db()
    return mdt


def signed_contract(cast: Any, start: date = date(2026, 1, 1)) -> Any:
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    return contract(cast.gp, cast.household_a, team, start=start)


@pytest.fixture
def case(cast: Any, net: Any) -> Any:  # noqa: F811
    return consults.case_create(by=cast.gp, person=cast.patient_person, question="持续发热？")


@pytest.fixture
def mdt(cast: Any, net: Any, case: Any) -> Any:  # noqa: F811
    from django.utils import timezone

    return consults.mdt_create(
        by=cast.gp,
        case=case,
        specialties=["pediatrics", "cardiology"],
        deadline=timezone.now() + timedelta(days=3),
        coordinator=cast.ops,
    )
