"""Fetch one finance object for one user, or raise NotFound (404) with an audited refusal, without telling whether
it exists (``core.access.access_one``). Every id of this app that comes from outside passes here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tiercare.core.access import access_one
from tiercare.core.audit import audit_record
from tiercare.core.errors import ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.finance.models import HospitalSettlement, Incident, IncidentSource, Statement, StatementLine, UnpricedWork
from tiercare.finance.selectors import incident_list, is_reader, is_writer, settlement_doc_list, statement_list
from tiercare.network.models import Organization, Practitioner
from tiercare.people.models import Person


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


def access_incident_by_id(user: User, incident_id: object) -> Incident:
    """An incident ``user`` may see (``selectors.incident_list``), else 404 and an audited refusal. The read is
    audited as a read of the patient's record when it names one, else as a read of the incident."""
    incident = access_one(
        user,
        incident_list(for_user=user),
        incident_id,
        object_type="finance.incident",
        refusal="not in the user's incidents",
        not_found=_("No such incident."),
        persons=lambda row: [row.person_id] if row.person_id else [],
        reason="incident",
    )
    if incident.person_id is None:
        audit_record(actor=user, action=AuditAction.READ, obj=incident, reason="incident")
    return incident


def access_incident_source(user: User, source_kind: str, source_id: object) -> Any:
    """The session, consultation case or referral an incident is recorded against, through its app's access function
    for ``user`` (404, audited, when they may not see it)."""
    from tiercare.consults.access import access_case_by_id
    from tiercare.outreach.access import access_session_by_id
    from tiercare.referrals.access import access_referral_by_id

    if source_kind == IncidentSource.SESSION:
        return access_session_by_id(user, source_id)
    if source_kind == IncidentSource.CASE:
        return access_case_by_id(user, source_id, reason="incident")
    if source_kind == IncidentSource.REFERRAL:
        return access_referral_by_id(user, source_id, reason="incident")[0]
    raise ValidationFailed(_("Choose what the incident arose from."), details={"field": "source"})


def access_incident_person(user: User, person_id: object) -> Person | None:
    """The patient named on an incident, through people's access function (404, audited), or None when not given."""
    if person_id in (None, ""):
        return None
    from tiercare.people.access import access_person_by_id

    return access_person_by_id(user, person_id, reason="incident")


def access_incident_expert(user: User, expert_id: object) -> Practitioner:
    """An expert of the group named on an incident (directory data every recorder may see), else 404."""
    return access_one(
        user,
        Practitioner.objects.filter(user__isnull=False),
        expert_id,
        object_type="network.practitioner",
        refusal="no such expert",
        not_found=_("No such expert."),
    )


def access_coverage_person(user: User, person_id: object) -> Person:
    """The person whose coverage ``user`` reads or records, through people's access function (404, audited, when
    their care relationship does not reach the person)."""
    from tiercare.people.access import access_person_by_id

    return access_person_by_id(user, person_id, reason="coverage")


def access_settlement_by_id(user: User, settlement_id: object) -> HospitalSettlement:
    """An issued settlement ``user`` may read (all, for finance readers; their hospital's, for its coordinators and
    directors), else 404 and an audited refusal."""
    return access_one(
        user,
        settlement_doc_list(for_user=user),
        settlement_id,
        object_type="finance.hospitalsettlement",
        refusal="not the user's hospital's settlement",
        not_found=_("No such settlement."),
    )
