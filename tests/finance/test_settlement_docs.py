"""Issued host-hospital settlements (结算单): one per hospital and month, every charge it carries listed and traced to
its work; issued once and never changed (model, SQL trigger); a charge arriving after its month was settled is
carried by the next settlement; the hospital's coordinator reads its own, another hospital's is 404 (audited)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests import factories as f
from tests.finance.conftest import held_session
from tests.pdf import pdf_text
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditEvent, Role
from tiercare.finance import access, selectors, services
from tiercare.finance.models import HospitalSettlement, IssuedStatementError, SettlementLine

pytestmark = pytest.mark.django_db
D = Decimal
NOW = "2026-12-06 10:00+08:00"
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def october(priced):
    """Two clinics at 甲县人民医院 in October (12 and 80 patients) and one in November (4), charged."""
    held_session(priced, date(2026, 10, 13), cases_seen=12)  # 600.00, hospital 180.00
    held_session(priced, date(2026, 10, 20), cases_seen=80)  # 4000.00, hospital 1200.00
    held_session(priced, date(2026, 11, 3), cases_seen=4)  # 200.00, hospital 60.00
    services.charges_sweep()
    return priced


@time_machine.travel(NOW, tick=False)
def test_a_month_is_settled_once_with_every_charge_traced(october):
    cast = october
    doc, new = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    assert new and doc.number.startswith("JSH202610-")
    lines = list(selectors.settlement_lines(doc))
    assert [(ln.occurred_on, ln.service, ln.fact_kind, ln.amount, ln.hospital_share) for ln in lines] == [
        (date(2026, 10, 13), "clinic", "session", D("600.00"), D("180.00")),
        (date(2026, 10, 20), "clinic", "session", D("4000.00"), D("1200.00")),
    ]
    assert all(ln.charge.fact_id == ln.fact_id for ln in lines)
    assert (doc.count, doc.amount, doc.hospital_share, doc.payable) == (2, D("4600.00"), D("1380.00"), D("3220.00"))
    parts = doc.platform_share + doc.hospital_share + doc.expert_share + doc.premium_share + doc.travel_share
    assert parts == doc.amount
    # the issued document agrees with the month's report
    [report] = selectors.settlements(month=OCT)
    assert (report.amount, report.payable) == (doc.amount, doc.payable)
    assert AuditEvent.objects.filter(object_type="finance.hospitalsettlement", object_id=str(doc.pk)).exists()
    again, new = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    assert again == doc and not new and doc.lines.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_late_charge_is_carried_by_the_next_settlement(october):
    cast = october
    services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    held_session(cast, date(2026, 10, 27), cases_seen=2)  # reported after October was settled: 100.00
    services.charges_sweep()
    november, _ = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=NOV)
    assert sorted((ln.occurred_on, ln.amount) for ln in november.lines.all()) == [
        (date(2026, 10, 27), D("100.00")),
        (date(2026, 11, 3), D("200.00")),
    ]
    assert SettlementLine.objects.count() == 4  # every charge on exactly one settlement


@time_machine.travel(NOW, tick=False)
def test_refusals_month_not_ended_nothing_to_settle_and_only_operations_issue(october):
    cast = october
    with pytest.raises(ValidationFailed):
        services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=date(2026, 12, 1))
    with pytest.raises(Conflict):
        services.settlement_issue(by=cast.ops, hospital=cast.hospital_b, month=OCT)
    for user in (cast.coordinator, cast.expert, f.UserFactory(username="fin", role=Role.FINANCE)):
        with pytest.raises(Forbidden):
            services.settlement_issue(by=user, hospital=cast.hospital_a, month=OCT)
    assert not HospitalSettlement.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_issued_settlement_cannot_change_by_model_or_sql(october):
    cast = october
    doc, _ = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    doc.payable = D("1.00")
    with pytest.raises(IssuedStatementError):
        doc.save()
    with pytest.raises(IssuedStatementError):
        doc.delete()
    pk = doc.pk.hex if connection.vendor == "sqlite" else doc.pk
    for sql, params in (
        ("UPDATE finance_hospitalsettlement SET payable = 1 WHERE id = %s", [pk]),
        ("DELETE FROM finance_hospitalsettlement WHERE id = %s", [pk]),
        ("UPDATE finance_settlementline SET amount = 1", []),
        ("DELETE FROM finance_settlementline", []),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    doc.refresh_from_db()
    assert doc.payable == D("3220.00") and doc.lines.count() == 2


@time_machine.travel(NOW, tick=False)
def test_the_hospital_reads_its_own_and_no_other(october):
    cast = october
    doc, _ = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    director = f.staff_user(Role.DIRECTOR, cast.hospital_a, username="director_a")
    for user in (cast.coordinator, director, finance, cast.ops):
        assert access.access_settlement_by_id(user, doc.pk) == doc
    for user in (cast.outsider, cast.expert, cast.gp, cast.patient):
        with pytest.raises(NotFound):
            access.access_settlement_by_id(user, doc.pk)
        assert AuditEvent.objects.filter(actor=user, action="denied", object_id=str(doc.pk)).exists()
    assert list(selectors.settlement_doc_list(for_user=cast.outsider)) == []


@time_machine.travel(NOW, tick=False)
def test_pages_issue_show_and_download_a_settlement(october):
    cast = october
    response = client(cast.ops).post("/finance/settlements/?month=2026-10", {"month": "2026-10"})
    assert response.status_code == 200 and 'id="issued"' in response.content.decode()
    doc = HospitalSettlement.objects.get(month=OCT)
    assert doc.number in client(cast.ops).get("/finance/settlements/?month=2026-10").content.decode()
    bad = client(cast.ops).post("/finance/settlements/", {"month": "2026-13"})
    assert bad.status_code == 422 and HospitalSettlement.objects.count() == 1
    coordinator = client(cast.coordinator)
    assert coordinator.get("/finance/settlements/").status_code == 302  # lands on the issued ones
    listing = coordinator.get("/finance/settlements/issued/").content.decode()
    assert doc.number in listing
    page = coordinator.get(f"/finance/settlements/issued/{doc.pk}/").content.decode()
    assert "2026-10-13" in page and "600.00" in page and "3220.00" in page
    pdf = coordinator.get(f"/finance/settlements/issued/{doc.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert doc.number in text and "2026-10-20" in text and "4000.00" in text and "3220.00" in text
    for path in ("", "pdf/"):
        assert client(cast.outsider).get(f"/finance/settlements/issued/{doc.pk}/{path}").status_code == 404
    assert client(cast.coordinator).post("/finance/settlements/", {"month": "2026-11"}).status_code == 302
    assert HospitalSettlement.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_api_reads_settlements_scoped_to_the_hospital(october, api):
    cast = october
    doc, _ = services.settlement_issue(by=cast.ops, hospital=cast.hospital_a, month=OCT)
    status, body = api(cast.coordinator).get(f"finance/settlements/{doc.pk}")
    assert status == 200 and body["number"] == doc.number and body["payable"] == "3220.00"
    assert body["hospital"] == str(cast.hospital_a.pk)
    assert [(ln["occurred_on"], ln["amount"]) for ln in body["lines"]] == [
        ("2026-10-13", "600.00"),
        ("2026-10-20", "4000.00"),
    ]
    assert api(cast.coordinator).get("finance/settlements")[1]["count"] == 1
    assert api(cast.outsider).get(f"finance/settlements/{doc.pk}")[0] == 404
    assert api(cast.outsider).get("finance/settlements")[1]["count"] == 0
