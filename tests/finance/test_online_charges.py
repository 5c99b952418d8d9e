"""A closed online follow-up consultation charges the online-consultation price at its institution, once (a rerun,
or asking for the fact again, charges nothing more); one still open or stopped to send the patient to a visit in
person charges nothing. The family doctor is not an expert of the group: their share stays with the center."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.consults.online.conftest import online  # noqa: F401  (the online follow-up world)
from tests.consults.online.test_online_rules import ask, ready
from tests.finance.conftest import EPOCH
from tiercare.consults import services as consults
from tiercare.finance import services
from tiercare.finance.models import Charge, ChargedFact

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_closed_online_consultation_is_charged_once_at_its_institution(priced, online):  # noqa: F811
    cast = priced
    services.price_add(by=cast.ops, hospital=cast.center_a, service="online_consult", amount=D("30.00"),
                       effective_from=EPOCH)  # fmt: skip
    closed = consults.online_close(by=cast.gp, consult=ready(cast, ask(cast, online)), summary="血压平稳，继续服药。")
    services.charges_sweep()
    charge = Charge.objects.get(fact_id=closed.pk)
    assert (charge.fact_kind, charge.service, charge.quantity, charge.amount) == (
        "online", "online_consult", 1, D("30.00")
    )  # fmt: skip
    assert charge.hospital_id == cast.center_a.pk and charge.occurred_on == timezone.localdate(closed.closed_at)
    assert (charge.expert_id, charge.expert_share) == (None, D("0.00"))
    assert services.charges_sweep()["charged"] == 0
    ChargedFact.objects.filter(fact_id=closed.pk).delete()  # forget it was looked at: still one charge
    services.charges_for_fact(fact_kind="online", fact_id=closed.pk)
    assert Charge.objects.filter(fact_id=closed.pk).count() == 1


def test_an_open_or_stopped_online_consultation_is_not_charged(priced, online):  # noqa: F811
    cast = priced
    services.price_add(by=cast.ops, hospital=cast.center_a, service="online_consult", amount=D("30.00"),
                       effective_from=EPOCH)  # fmt: skip
    answered = ready(cast, ask(cast, online))
    consults.online_message(by=cast.gp, consult=answered, body="继续服药。")
    stopped = consults.online_send_to_visit(
        by=cast.gp, consult=ready(cast, ask(cast, online, question="头晕")), kind="gp_visit", reason="需要当面检查",
        visit_by=timezone.localdate() + timedelta(days=2),
    )  # fmt: skip
    services.charges_sweep()
    assert not Charge.objects.filter(fact_id__in=[answered.pk, stopped.pk]).exists()
    assert services.charges_for_fact(fact_kind="online", fact_id=answered.pk).charged == []
