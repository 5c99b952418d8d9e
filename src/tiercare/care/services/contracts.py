"""Family-doctor contracts: signing a household with a team, terminating, renewing (a lapsed one too), expiring.

Regulation/README.md §4: a term of at least one year, one active contract per household and one contracted team per
resident (database conditional uniques back both). Each transition is a ``ContractEvent`` row and an audit row; a
doctor's panel past the cap warns (``membership.team_panels``), it never refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import (
    CareContract,
    ContractEvent,
    ContractMember,
    ContractStatus,
    GpTeam,
    GpTeamMember,
    Package,
)
from tiercare.care.protocols.schedule import add_years
from tiercare.care.services.membership import TEAM_WRITER_ROLES, _require_team_member, is_center_lead, team_panels
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.people.models import Household, Person


@dataclass
class ContractResult:
    contract: CareContract
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _check_term(start: date, end: date) -> None:
    if end < add_years(start, 1) - timedelta(days=1):
        raise ValidationFailed(
            _("end: a family-doctor contract runs for at least one year (from %(s)s, to %(e)s or later).")
            % {"s": start, "e": add_years(start, 1) - timedelta(days=1)},
            code="term_too_short",
            details={"field": "end"},
        )


def _enrol_members(*, by: User, contract: CareContract, persons: Iterable[Person], on: date) -> None:
    for person in persons:
        taken = ContractMember.objects.filter(person=person, active=True).select_related("team").first()
        if taken is not None:
            raise Conflict(
                _("persons: %(p)s already has a contracted team (%(t)s); terminate that contract first.")
                % {"p": person.name, "t": taken.team.name},
                code="already_contracted",
                details={"field": "persons", "person": str(person.pk)},
            )
        try:
            with transaction.atomic():
                m = ContractMember.objects.create(contract=contract, person=person, team=contract.team)
        except IntegrityError:  # a concurrent contract took this resident
            raise Conflict(
                _("persons: %(p)s was contracted with another team at the same moment.") % {"p": person.name},
                code="already_contracted",
                details={"field": "persons", "person": str(person.pk)},
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=m)
        ContractEvent.objects.create(contract=contract, kind="member_added", by=by, on=on, reason=str(person.pk))


def _panel_warnings(team: GpTeam) -> list[dict[str, Any]]:
    return [
        {
            "code": "panel_over_cap",
            "message": _("%(n)s's panel is %(s)d residents, past the cap of %(c)d.")
            % {"n": p.name, "s": p.panel_size, "c": p.cap},
            "practitioner": str(p.practitioner_id),
            "panel_size": p.panel_size,
            "cap": p.cap,
        }
        for p in team_panels(team)
        if p.over_cap and GpTeamMember.objects.filter(team=team, practitioner_id=p.practitioner_id, role="gp").exists()
    ]


def contract_sign(
    *,
    by: User,
    household: Household,
    team: GpTeam,
    start: date,
    end: date,
    package: str = Package.BASIC,
    persons: Iterable[Person] | None = None,
) -> ContractResult:
    """Sign a household with a team (regulation §4): term ≥ 1 year, one active contract per household, one
    contracted team per resident (DB conditional uniques back both). Members default to the whole household.

    Returns the contract and warnings (a family doctor's panel past the cap warns, it does not refuse).
    Raises Forbidden (not a team member), ValidationFailed (term, package, household not at the team's center,
    a person not in the household), Conflict (already contracted).
    """
    _require_team_member(by, team)
    if package not in Package.values:
        raise ValidationFailed(_("package: choose basic or personalised."), details={"field": "package"})
    if household.registered_at_id != team.center_id:
        raise ValidationFailed(
            _("household: the household is registered at another center."), details={"field": "household"}
        )
    _check_term(start, end)
    member_ids = set(household.members.values_list("person_id", flat=True))
    chosen = list(persons) if persons is not None else list(Person.objects.filter(pk__in=member_ids))
    if not chosen:
        raise ValidationFailed(_("persons: the household has no members to enrol."), details={"field": "persons"})
    for p in chosen:
        if p.pk not in member_ids:
            raise ValidationFailed(
                _("persons: a chosen person is not a member of this household."),
                details={"field": "persons"},
            )
    with transaction.atomic():
        if CareContract.objects.select_for_update().filter(household=household, status="active").exists():
            raise Conflict(
                _("household: this household already has an active contract; renew or terminate it."),
                code="household_contracted",
                details={"field": "household"},
            )
        try:
            with transaction.atomic():
                contract = CareContract.objects.create(
                    household=household, team=team, package=package, start=start, end=end, signed_by=by
                )
        except IntegrityError:
            raise Conflict(
                _("household: a contract was signed for this household at the same moment."),
                code="household_contracted",
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=contract)
        ContractEvent.objects.create(contract=contract, kind="signed", to_status="active", by=by, on=start)
        _enrol_members(by=by, contract=contract, persons=chosen, on=start)
        warnings = _panel_warnings(team)
    return ContractResult(contract, warnings)


def _end_members(contract: CareContract, on: date) -> None:
    contract.enrolled.filter(active=True).update(active=False, ended_on=on)


def contract_terminate(*, by: User, contract: CareContract, on: date, reason: str) -> CareContract:
    """Terminate an active contract (the household may then sign with another team). A reason is required."""
    _require_team_member(by, contract.team)
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the contract ends."), details={"field": "reason"})
    with transaction.atomic():
        contract = CareContract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.ACTIVE:
            raise Conflict(
                _("Only an active contract can be terminated; this one is %(s)s.")
                % {"s": ContractStatus(contract.status).label},
                code="illegal_transition",
                details={"state": contract.status},
            )
        contract.status = ContractStatus.TERMINATED
        contract.save(update_fields=["status", "updated_at"])
        _end_members(contract, on)
        ContractEvent.objects.create(
            contract=contract, kind="terminated", from_status="active", to_status="terminated", by=by, on=on,
            reason=reason[:300],
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.UPDATE, obj=contract, changes={"status": ["active", "terminated"]})
    return contract


def contract_renew(
    *, by: User, contract: CareContract, end: date | None = None, package: str | None = None
) -> ContractResult:
    """Renew a contract for a further term (≥ 1 year, default one year) with the same team; members carry over.

    An active contract renews from the day after it ends. An expired (lapsed) one renews from today, for the
    members it had at expiry who have not since been contracted elsewhere: they leave the center's "contract
    lapsed" worklist (issue 11). Audited, and recorded as a ``renewed`` event on the old contract.
    Raises Forbidden (not a member of the team), ValidationFailed (term, package), Conflict (the contract is
    terminated or already renewed; the household has another active contract meanwhile).
    """
    expired = contract.status == ContractStatus.EXPIRED
    if not (expired and by.role in TEAM_WRITER_ROLES and is_center_lead(by, contract.team.center_id)):
        _require_team_member(by, contract.team)  # a lapsed contract may also be renewed by the center's lead
    start = max(contract.end + timedelta(days=1), timezone.localdate()) if expired else contract.end + timedelta(days=1)
    end = end or add_years(start, 1) - timedelta(days=1)
    _check_term(start, end)
    package = package or contract.package
    if package not in Package.values:
        raise ValidationFailed(_("package: choose basic or personalised."), details={"field": "package"})
    with transaction.atomic():
        old = CareContract.objects.select_for_update().get(pk=contract.pk)
        if old.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
            raise Conflict(
                _("Only an active or lapsed contract can be renewed; this one is %(s)s.")
                % {"s": ContractStatus(old.status).label},
                code="illegal_transition",
                details={"state": old.status},
            )
        if old.status == ContractStatus.EXPIRED:
            if CareContract.objects.filter(household=old.household, status=ContractStatus.ACTIVE).exists():
                raise Conflict(
                    _("household: the household has signed another contract since this one lapsed."),
                    code="household_contracted",
                    details={"field": "household"},
                )
            taken = ContractMember.objects.filter(active=True).values("person_id")
            persons = [
                m.person
                for m in old.enrolled.filter(active=False, ended_on=old.end)
                .exclude(person_id__in=taken)
                .select_related("person")
            ]
        else:
            persons = [m.person for m in old.enrolled.filter(active=True).select_related("person")]
        before = old.status
        old.status = ContractStatus.RENEWED
        old.save(update_fields=["status", "updated_at"])
        _end_members(old, old.end)
        ContractEvent.objects.create(
            contract=old, kind="renewed", from_status=before, to_status="renewed", by=by, on=start
        )
        new = CareContract.objects.create(
            household=old.household, team=old.team, package=package, start=start, end=end, renewal_of=old,
            signed_by=by,
        )  # fmt: skip
        ContractEvent.objects.create(contract=new, kind="signed", to_status="active", by=by, on=start)
        _enrol_members(by=by, contract=new, persons=persons, on=start)
        audit_write(actor=by, action=AuditAction.UPDATE, obj=old, changes={"status": [before, "renewed"]})
        audit_write(actor=by, action=AuditAction.CREATE, obj=new)
    return ContractResult(new, _panel_warnings(new.team))


def contracts_expire(*, today: date) -> int:
    """Mark active contracts whose term has ended as expired and end their members' enrolment (tick)."""
    n = 0
    for contract in CareContract.objects.filter(status="active", end__lt=today):
        with transaction.atomic():
            CareContract.objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED)
            _end_members(contract, contract.end)
            ContractEvent.objects.create(
                contract=contract, kind="expired", from_status="active", to_status="expired", on=today
            )
            audit_write(actor=None, action=AuditAction.UPDATE, obj=contract, changes={"status": ["active", "expired"]})
        n += 1
    return n
