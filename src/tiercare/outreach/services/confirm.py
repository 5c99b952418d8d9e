"""Confirming a roster plan (``plan_confirm``): every assignment becomes an ExpertSession, each checked again with
the practice rule (its basis recorded); for a re-plan, the confirmed sessions it changed are moved, given to another
expert (their patients keep their places) or cancelled.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Practitioner
from tiercare.network.practice import practice_basis
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Booking,
    BookingStatus,
    ExpertSession,
    HalfDay,
    PlanAssignment,
    PlanStatus,
    RosterPlan,
    SessionKind,
    SessionStatus,
    SessionTransition,
)
from tiercare.outreach.selectors import PLANNERS
from tiercare.outreach.services.placement import placement_problems
from tiercare.outreach.services.plans import _assignment_specialty, _proposed
from tiercare.outreach.services.sessions import _label, session_cancel, session_move
from tiercare.outreach.session_flow import active_bookings, tell_moved


def _create_session(
    *, by: User, plan: RosterPlan, a: PlanAssignment, replaces: ExpertSession | None = None
) -> ExpertSession:
    decision = practice_basis(a.expert, a.site, a.date)
    if not decision.allowed:
        raise Conflict(
            _("%(expert)s may not practise at %(site)s on %(date)s: %(reason)s")
            % {"expert": a.expert.name, "site": a.site.name, "date": a.date, "reason": decision.reason},
            code="no_legal_basis",
            details={"assignment": str(a.pk), **decision.as_dict()},
        )
    procedures = a.request.procedures if a.request is not None else (replaces.procedures if replaces else [])
    session = ExpertSession(
        expert=a.expert,
        department=a.department,
        site=a.site,
        date=a.date,
        half_day=a.half_day,
        kind=a.kind,
        places=a.places,
        procedures=procedures,
        basis=decision.basis,
        basis_reference=decision.reference[:120],
        request=a.request,
        occurrence=a.occurrence if a.request_id else None,
        plan=plan,
        replaces=replaces,
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        raise Conflict(
            _("%(expert)s already has a session on %(date)s %(half)s, or this request is already scheduled.")
            % {"expert": a.expert.name, "date": a.date, "half": _label(HalfDay, a.half_day)},
            code="double_booked",
            details={"assignment": str(a.pk)},
        ) from exc
    SessionTransition.objects.create(
        session=session,
        from_status="",
        to_status=SessionStatus.SCHEDULED,
        by=by,
        reason="confirmed",
        details={"plan": str(plan.pk), "basis": decision.basis},
    )
    audit_write(
        actor=by,
        action=AuditAction.CREATE,
        obj=session,
        changes={"basis": decision.basis, "reference": decision.reference, "plan": plan},
    )
    if a.expert.phone:
        notify_on_commit(
            a.expert.phone,
            "outreach_session_confirmed",
            {
                "date": a.date,
                "half_day": HalfDay(a.half_day).label,
                "site": a.site.name,
                "kind": SessionKind(a.kind).label,
            },
        )
    return session


@transaction.atomic
def plan_confirm(*, by: User, plan: RosterPlan) -> list[ExpertSession]:
    """Confirm a proposal: every assignment becomes an ExpertSession in one transaction, each checked again with
    ``practice_basis`` (basis recorded) and against the other rules; one failure refuses the whole plan (409/422).
    An expert is never in two sessions in one half-day (database constraint). For a re-plan, confirmed sessions the
    plan moved are moved, those given to another expert are replaced, those it dropped are cancelled; every booked
    patient is told."""
    require_role(by, *PLANNERS)
    plan = RosterPlan.objects.select_for_update().get(pk=plan.pk)
    _proposed(plan)
    assignments = list(
        plan.assignments.select_related(
            "expert", "site", "department", "request", "session", "session__expert"
        ).order_by("date", "half_day")
    )
    # Lock the experts involved so that two confirmations cannot both take an expert's last weekly slot.
    list(Practitioner.objects.select_for_update().filter(pk__in={a.expert_id for a in assignments}).order_by("pk"))
    created: list[ExpertSession] = []
    if plan.is_replan:
        kept = {a.session_id: a for a in assignments if a.session_id}
        for s in (
            ExpertSession.objects.select_for_update(of=("self",))
            .filter(status__in=ACTIVE_SESSION_STATUSES, date__gte=plan.start, date__lte=plan.end)
            .select_related("expert", "site", "department")
        ):
            a = kept.get(s.pk)
            if a is None:
                session_cancel(by=by, session=s, reason=_("Re-planned: no legal expert could keep this session."))
            elif a.expert_id != s.expert_id:
                session_cancel(by=by, session=s, reason=_("Re-planned to another expert."), offer=False, quiet=True)
        for s_id, a in kept.items():
            s = ExpertSession.objects.get(pk=s_id)
            if a.expert_id == s.expert_id and (a.date, a.half_day) != (s.date, s.half_day):
                session_move(by=by, session=s, on=a.date, half_day=a.half_day, reason=_("Re-planned."))
    for a in assignments:
        if a.session is not None and a.expert_id == a.session.expert_id:
            continue
        problems = placement_problems(
            expert=a.expert,
            site=a.site,
            specialty=_assignment_specialty(a),
            kind=a.kind,
            on=a.date,
            half_day=a.half_day,
        )
        if problems:
            raise ValidationFailed(
                _("%(expert)s on %(date)s: %(message)s")
                % {"expert": a.expert.name, "date": a.date, "message": problems[0]["message"]},
                code="illegal_assignment",
                details={"assignment": str(a.pk), "problems": problems},
            )
        session = _create_session(by=by, plan=plan, a=a, replaces=a.session)
        if a.session is not None:
            _transfer_bookings(by=by, old=a.session, new=session)
        created.append(session)
    plan.status = PlanStatus.CONFIRMED
    plan.confirmed_by = by
    plan.confirmed_at = timezone.now()
    plan.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    audit_write(
        actor=by,
        action=AuditAction.UPDATE,
        obj=plan,
        changes={"status": ["proposed", "confirmed"], "sessions": len(created)},
    )
    return created


def _transfer_bookings(*, by: User, old: ExpertSession, new: ExpertSession) -> None:
    """A session re-planned to another expert: its patients keep their places in the replacing session; each
    patient and each coordinator involved is told once (the new expert got the new session's notice)."""
    bookings = active_bookings(old)
    for b in bookings:
        b.status, b.cancelled_at = BookingStatus.CANCELLED, timezone.now()
        b.save(update_fields=["status", "cancelled_at", "updated_at"])
        moved = Booking.objects.create(
            session=new, place_number=b.place_number, person=b.person, booked_by=b.booked_by, note=b.note
        )
        audit_write(actor=by, action=AuditAction.CREATE, obj=moved, changes={"from_session": old.pk})
    tell_moved(
        new,
        old_date=old.date.isoformat(),
        old_half_day=old.half_day,
        reason=_("Re-planned to another expert."),
        bookings=bookings,
        expert=False,
    )
