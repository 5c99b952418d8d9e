"""Fetch one finance object for one user, or raise NotFound (404) with an audited refusal, without telling whether
it exists (``core.access.access_one``). Every id of this app that comes from outside passes here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.models import User
from tiercare.finance.models import Statement, StatementLine, UnpricedWork
from tiercare.finance.selectors import is_reader, is_writer, statement_list
from tiercare.network.models import Organization, Practitioner


def access_statement_by_id(user: User, statement_id: object) -> Statement:
    """A statement ``user`` may read (all, for operations, finance, auditors and administrators; their own, for an
    expert), else 404 and an audited refusal (another expert's statement is not told apart from none)."""
    return access_one(
        user,
        statement_list(for_user=user),
        statement_id,
        object_type="finance.statement",
        refusal="not the user's statement",
        not_found=_("No such statement."),
    )


def access_unpriced_by_id(user: User, work_id: object) -> UnpricedWork:
    """An open unpriced item, for operations and administrators, else 404."""
    qs = UnpricedWork.objects.filter(resolved_at__isnull=True).select_related("hospital")
    return access_one(
        user,
        qs if is_writer(user) else qs.none(),
        work_id,
        object_type="finance.unpricedwork",
        refusal="not a finance writer",
        not_found=_("No such unpriced work."),
    )


def access_hospital_for_prices(user: User, hospital_id: object) -> Organization:
    """A partner hospital or GP center (not the doctor group) whose prices ``user`` (a finance writer) keeps."""
    qs = Organization.objects.exclude(kind="doctor_group")
    return access_one(
        user,
        qs if is_writer(user) else qs.none(),
        hospital_id,
        object_type="network.organization",
        refusal="not a finance writer",
        not_found=_("No such hospital."),
    )


def access_expert_for_statements(user: User, expert_id: object) -> Practitioner:
    """An expert whose statements ``user`` (a finance reader) may work with, else 404."""
    qs = Practitioner.objects.filter(user__isnull=False)
    return access_one(
        user,
        qs if is_reader(user) else qs.none(),
        expert_id,
        object_type="network.practitioner",
        refusal="not a finance reader",
        not_found=_("No such expert."),
    )


def access_line_to_correct(user: User, line_id: object) -> StatementLine:
    """A line of an issued statement that ``user`` (a finance writer) may correct, else 404."""
    qs = StatementLine.objects.select_related("statement")
    return access_one(
        user,
        qs if is_writer(user) else qs.none(),
        line_id,
        object_type="finance.statementline",
        refusal="not a finance writer",
        not_found=_("No such statement line."),
    )
