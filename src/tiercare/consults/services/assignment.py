"""Routing shared by tele-consultations and second opinions (``work``): a request is routed at once to an allowed
expert (``consults.routing``); the expert may decline and the requester cancel; an open one is re-routed when its
expert's basis or cover lapses, or goes back to unassigned with operations told.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults import routing
from tiercare.consults.models import Case, ConsultStatus, Priority, SecondOpinion, deadline_for
from tiercare.consults.services.moves import (
    _check_specialty,
    _kind,
    _locked,
    _move,
    _save,
    illegal,
    notify_expert,
    notify_ops,
)
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Practitioner
from tiercare.network.practice import allowed_at_q


def _assign(work: Any, routed: routing.Routed) -> None:
    work.expert = routed.expert
    work.basis = routed.decision.basis
    work.basis_reference = routed.decision.reference[:120]
    work.agreement = routed.agreement


def _request(model: type, *, by: User, case: Case, specialty: str, priority: str, expert: Practitioner | None) -> Any:
    if case.requested_by_id != by.pk:
        raise Forbidden(_("Only the requester of the case asks for consultations on it."))
    _check_specialty(specialty)
    if priority not in Priority.values:
        raise ValidationFailed(_("priority: must be routine or urgent."), details={"field": "priority"})
    now = timezone.now()
    deadline = deadline_for(priority, now)
    routed = routing.route(
        specialty=specialty, site=case.requesting_org, deadline=deadline, person_id=case.person_id, expert=expert
    )
    work = model(case=case, specialty=specialty, priority=priority, deadline=deadline, created_at=now)
    _assign(work, routed)
    _move(
        work,
        "assigned",
        by=by,
        reason="routed",
        details={
            "expert": str(routed.expert.pk),
            "basis": routed.decision.basis,
            "agreement": str(routed.agreement.pk),
        },
    )
    _save(work, by=by, action=AuditAction.CREATE)
    notify_expert(work, "consult_assigned")
    return work


def _is_expert_of(by: User, work: Any) -> bool:
    practitioner = getattr(by, "practitioner", None)
    return practitioner is not None and work.expert_id == practitioner.pk


@transaction.atomic
def work_decline(*, by: User, work: Any, reason: str) -> Any:
    """The assigned expert declines an open tele-consultation or opinion they have not answered, with a reason: it
    goes to another allowed expert (work_reroute), or back to unassigned with operations told. Refused: anyone but
    the assigned expert (Forbidden), no reason (ValidationFailed), already answered (Conflict)."""
    row = _locked(work)
    if not _is_expert_of(by, row):
        raise Forbidden(_("Only the assigned expert declines it."))
    if not reason.strip():
        raise ValidationFailed(_("reason: say why you decline."), details={"field": "reason"})
    if row.first_answer_at is not None or row.status not in ("assigned",):
        raise illegal(row.status, "declined")
    if isinstance(row, SecondOpinion) and row.text:  # the next expert starts from a blank page, not this draft
        row.text = ""
        row.save(update_fields=["text", "updated_at"])
    return work_reroute(work=row, reason=_("Declined by the expert: %(reason)s") % {"reason": reason.strip()}, by=by)


@transaction.atomic
def work_cancel(*, by: User, work: Any, reason: str = "") -> Any:
    """The requester (or the coordinating ops user) withdraws an open tele-consultation or opinion."""
    row = _locked(work)
    if row.case.requested_by_id != by.pk and row.case.coordinated_by_id != by.pk:
        raise Forbidden(_("Only the requester or the coordinator cancels it."))
    _move(row, "cancelled", by=by, reason=reason)
    _save(row, by=by, changes={"status": "cancelled"})
    return row


def expert_still_allowed(work: Any, today: Any = None) -> bool:
    """Whether the assigned expert is allowed at the inviting site on every day up to the deadline."""
    if work.expert_id is None:
        return False
    site = work.case.requesting_org
    day = today or timezone.localdate()
    last = timezone.localdate(work.deadline)
    qs = Practitioner.objects.filter(pk=work.expert_id)
    while day <= last:
        qs = qs.filter(allowed_at_q(site, day))
        day += timedelta(days=1)
    return qs.exists()


@transaction.atomic
def work_reroute(*, work: Any, reason: str, by: User | None = None) -> Any:
    """Hand an open consult or opinion to another allowed expert (for example when the assigned expert's cover or
    basis lapses before the deadline). With nobody else allowed it goes back to unassigned and operations are
    told."""
    row = _locked(work)
    if row.first_answer_at is not None and isinstance(row, SecondOpinion):
        raise illegal(row.status, "assigned")
    previous = row.expert
    exclude = (previous.pk,) if previous else ()
    try:
        routed = routing.route(
            specialty=row.specialty,
            site=row.case.requesting_org,
            deadline=row.deadline,
            person_id=row.case.person_id,
            exclude=exclude,
        )
    except ValidationFailed as exc:
        row.expert = None
        row.basis = row.basis_reference = ""
        _move(row, "unassigned", by=by, reason=f"{reason}; {exc.code}")
        _save(row, by=by, changes={"expert": [str(previous.pk) if previous else None, None]})
        notify_ops(row, "consult_escalated")
        return row
    _assign(row, routed)
    _move(
        row,
        row.status if row.status == ConsultStatus.ANSWERED else "assigned",
        by=by,
        reason=reason,
        details={"from_expert": str(previous.pk) if previous else "", "to_expert": str(routed.expert.pk)},
    )
    row.reminded_at = row.escalated_at = None
    _save(row, by=by, changes={"expert": [str(previous.pk) if previous else None, str(routed.expert.pk)]})
    if previous is not None and previous.user is not None:
        notify_on_commit(previous.user.username, "consult_rerouted", {"kind": _kind(row), "reason": reason})
    notify_expert(row, "consult_assigned")
    return row
