"""Expert statements: issued per expert and month with every line traced, tax withheld, net; once issued they never
change (service, model, database trigger); a correction is an adjustment line in a later statement, and both still
add up. Readers: the expert their own, operations/finance all; another expert gets 404, audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from tests import factories as f
from tests.finance.conftest import held_session
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditEvent, Role
from tiercare.finance import access, selectors, services
from tiercare.finance.models import IssuedStatementError, Statement, StatementLine

pytestmark = pytest.mark.django_db
D = Decimal
NOW = "2026-12-06 10:00+08:00"


@pytest.fixture
def october(priced):
    """Two clinics in October 2026 (12 and 80 patients) and one in November (4), charged."""
    cast = priced
    held_session(cast, date(2026, 10, 13), cases_seen=12)  # 600.00, expert 300.00
    held_session(cast, date(2026, 10, 20), cases_seen=80)  # 4000.00, expert 2000.00
    held_session(cast, date(2026, 11, 3), cases_seen=4)  # 200.00, expert 100.00
    services.charges_sweep()
    return cast


@time_machine.travel(NOW, tick=False)
def test_operations_issue_a_month_with_lines_tax_and_net(october):
    cast = october
    statement, new = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    assert new
    lines = list(selectors.statement_lines(statement))
    assert [(ln.occurred_on, ln.service, ln.gross, ln.share) for ln in lines] == [
        (date(2026, 10, 13), "clinic", D("600.00"), D("300.00")),
        (date(2026, 10, 20), "clinic", D("4000.00"), D("2000.00")),
    ]
    assert all(ln.hospital_name == "甲县人民医院" and ln.fact_kind == "session" and ln.fact_id for ln in lines)
    # 2300.00 ≤ 4000: taxable 2300 − 800 = 1500; × 20% = 300.00; net 2000.00
    assert (statement.gross, statement.taxable, statement.tax, statement.net) == (
        D("2300.00"),
        D("1500.00"),
        D("300.00"),
        D("2000.00"),
    )
    assert AuditEvent.objects.filter(object_type="finance.statement", object_id=str(statement.pk)).exists()
    # Issuing the month again returns the same statement; November's charge waits for November.
    again, new = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    assert again == statement and not new and statement.lines.count() == 2
    november, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 11, 1))
    assert [ln.share for ln in november.lines.all()] == [D("100.00")]


@time_machine.travel(NOW, tick=False)
def test_a_month_not_ended_or_with_nothing_is_refused_and_only_operations_issue(october):
    cast = october
    with pytest.raises(ValidationFailed):
        services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 12, 1))
    other = f.PractitionerFactory(user=f.UserFactory(username="lonely", role=Role.EXPERT))
    with pytest.raises(Conflict):
        services.statement_issue(by=cast.ops, expert=other, month=date(2026, 10, 1))
    for user in (cast.expert, cast.auditor, f.UserFactory(username="fin", role=Role.FINANCE)):
        with pytest.raises(Forbidden):
            services.statement_issue(by=user, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    assert not Statement.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_issued_statement_cannot_change_by_model_or_sql(october):
    cast = october
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    statement.net = D("9999.00")
    with pytest.raises(IssuedStatementError):
        statement.save()
    line = statement.lines.first()
    line.share = D("1.00")
    with pytest.raises(IssuedStatementError):
        line.save()
    with pytest.raises(IssuedStatementError):
        statement.delete()
    for sql in (
        "UPDATE finance_statement SET net = 9999 WHERE id = %s",
        "DELETE FROM finance_statement WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [statement.pk.hex if connection.vendor == "sqlite" else statement.pk])
    for sql in ("UPDATE finance_statementline SET share = 1", "DELETE FROM finance_statementline"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(net=D("1.00"))
    statement.refresh_from_db()
    assert statement.net == D("2000.00") and StatementLine.objects.filter(statement=statement).count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_correction_is_an_adjustment_line_in_the_next_statement(october):
    cast = october
    october_statement, _ = services.statement_issue(
        by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1)
    )
    wrong = october_statement.lines.order_by("occurred_on").first()
    adj = services.adjustment_add(
        by=cast.ops, expert=cast.expert_practitioner, amount="-50.00", reason="10月13日门诊人数多报2人", corrects=wrong
    )
    november, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 11, 1))
    kinds = [(ln.kind, ln.share) for ln in november.lines.order_by("kind")]
    assert kinds == [("adjustment", D("-50.00")), ("earning", D("100.00"))]
    assert november.lines.get(kind="adjustment").adjustment == adj and adj.corrects == wrong
    # Both statements still add up: gross = Σ shares, net = gross − tax.
    for s in (october_statement, november):
        assert s.gross == sum(ln.share for ln in s.lines.all()) and s.net == s.gross - s.tax
    # 100 − 50 = 50.00 ≤ 800: no tax.
    assert (november.gross, november.tax, november.net) == (D("50.00"), D("0.00"), D("50.00"))
    october_statement.refresh_from_db()
    assert october_statement.gross == D("2300.00")


def test_adjustments_are_checked(october):
    cast = october
    with pytest.raises(ValidationFailed):
        services.adjustment_add(by=cast.ops, expert=cast.expert_practitioner, amount="0", reason="x")
    with pytest.raises(ValidationFailed):
        services.adjustment_add(by=cast.ops, expert=cast.expert_practitioner, amount="5", reason=" ")
    with pytest.raises(Forbidden):
        services.adjustment_add(by=cast.expert, expert=cast.expert_practitioner, amount="5", reason="x")


@time_machine.travel(NOW, tick=False)
def test_the_expert_reads_only_their_own_and_finance_reads_all(october):
    cast = october
    statement, _ = services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    other = f.UserFactory(username="expert_other", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="孙其他")
    finance = f.UserFactory(username="finance", role=Role.FINANCE)
    assert access.access_statement_by_id(cast.expert, statement.pk) == statement
    assert access.access_statement_by_id(finance, statement.pk) == statement
    for user in (other, cast.coordinator, cast.gp, cast.patient):
        with pytest.raises(NotFound):
            access.access_statement_by_id(user, statement.pk)
        assert AuditEvent.objects.filter(
            actor=user, action="denied", object_type="finance.statement", object_id=str(statement.pk)
        ).exists()
    assert list(selectors.statement_list(for_user=other)) == []
    assert list(selectors.statement_list(for_user=finance)) == [statement]


@time_machine.travel(NOW, tick=False)
def test_issuing_a_month_for_everyone_issues_each_expert_once(october):
    cast = october
    issued = services.statements_issue_month(by=cast.ops, month=date(2026, 10, 1))
    assert [s.expert for s in issued] == [cast.expert_practitioner]
    assert services.statements_issue_month(by=cast.ops, month=date(2026, 10, 1)) == []


@time_machine.travel(NOW, tick=False)
def test_reconciliation_and_settlement_of_a_month(october):
    cast = october
    services.statement_issue(by=cast.ops, expert=cast.expert_practitioner, month=date(2026, 10, 1))
    [nov, oct_] = selectors.reconciliation()
    assert oct_.month == date(2026, 10, 1) and oct_.amount == D("4600.00") and oct_.balanced
    assert (oct_.platform, oct_.hospital, oct_.expert, oct_.premium, oct_.travel) == (
        D("460.00"),
        D("1380.00"),
        D("2300.00"),
        D("138.00"),
        D("322.00"),
    )
    assert oct_.stated == D("2300.00") and nov.stated == D("0.00")
    [settlement] = selectors.settlements(month=date(2026, 10, 1))
    assert (settlement.hospital_name, settlement.amount, settlement.hospital, settlement.payable) == (
        "甲县人民医院",
        D("4600.00"),
        D("1380.00"),
        D("3220.00"),
    )
