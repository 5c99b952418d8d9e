"""MDT cases and meetings: making a case an MDT, proposing meeting times (the slot finder over the qualified experts'
allowed days, busy times and meeting hours), booking the meeting, its minutes, and the chair's signed conclusion
(which may open a referral or send a care plan back).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tiercare.consults import availability, routing, slots
from tiercare.consults.models import Case, ConclusionAction, MdtCase, MdtMeeting, MdtParticipant, MdtStatus, Transition
from tiercare.consults.services.moves import (
    _aware,
    _check_specialty,
    _clean,
    _local,
    _locked,
    _move,
    _save,
    check_move,
    illegal,
)
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit
from tiercare.network.models import Practitioner
from tiercare.network.practice import allowed_at_q, practice_basis

MDT_OPENERS = (Role.OPS, Role.GP)


def may_open_mdt(by: User, case: Case) -> bool:
    """mdt_create's rule, for pages to offer the form: the GP who requested the case, or the operations user
    coordinating it."""
    if by.role == Role.GP:
        return case.requested_by_id == by.pk
    return by.role == Role.OPS and case.coordinated_by_id == by.pk


@transaction.atomic
def mdt_create(
    *, by: User, case: Case, specialties: list[str], deadline: datetime, coordinator: User | None = None
) -> MdtCase:
    """Make ``case`` an MDT case. Who may: the GP who requested the case (a GP-organised MDT), or the operations
    user already coordinating it. Operations never make themselves coordinator of a case they are not on (issue 10:
    an ops user naming any case id became its coordinator and then read it); the requesting GP may hand the MDT to an
    operations coordinator by naming one (``coordinator``, an active ops user). Refused with NotFound (the case is
    not the user's, without telling whether it exists), ValidationFailed (fewer than two specialties, unknown
    specialty, past deadline, a coordinator who is not an active operations user, a case already coordinated by
    someone else)."""
    require_role(by, *MDT_OPENERS)
    own = case.requested_by_id == by.pk if by.role == Role.GP else case.coordinated_by_id == by.pk
    if not own:
        audit_denied(actor=by, object_type="consults.case", object_id=str(case.pk), reason="open MDT")
        raise NotFound(_("Not found."))
    if coordinator is not None:
        if by.role != Role.GP:
            raise ValidationFailed(
                _("coordinator: only the requesting GP names the MDT's coordinator."), details={"field": "coordinator"}
            )
        if coordinator.role != Role.OPS or not coordinator.is_active:
            raise ValidationFailed(
                _("coordinator: must be an active operations user."), details={"field": "coordinator"}
            )
        if case.coordinated_by_id not in (None, coordinator.pk):
            raise ValidationFailed(
                _("coordinator: the case already has another coordinator."), details={"field": "coordinator"}
            )
    specs = list(dict.fromkeys(specialties))
    deadline = _aware(deadline)
    if len(specs) < 2:
        raise ValidationFailed(
            _("specialties: an MDT needs at least two specialties."), details={"field": "specialties"}
        )
    for s in specs:
        _check_specialty(s)
    if deadline <= timezone.now():
        raise ValidationFailed(_("deadline: must be in the future."), details={"field": "deadline"})
    if coordinator is not None and case.coordinated_by_id is None:
        case.coordinated_by = coordinator
        case.save(update_fields=["coordinated_by", "updated_at"])
    mdt = MdtCase(case=case, specialties=specs, requested_by=by, site=case.requesting_org, deadline=deadline)
    mdt.save()
    Transition.objects.create(object_type="mdtcase", object_id=mdt.pk, to_state=mdt.status, by=by, reason="created")
    audit_write(actor=by, action=AuditAction.CREATE, obj=mdt, changes={"specialties": specs})
    return mdt


def can_organise(by: User, mdt: MdtCase) -> bool:
    """Who books an MDT's meeting: the user who opened the MDT, or the operations user coordinating its case."""
    return mdt.requested_by_id == by.pk or (by.role == Role.OPS and mdt.case.coordinated_by_id == by.pk)


def mdt_candidates(
    mdt: MdtCase, *, earliest: datetime, only: dict[str, Practitioner] | None = None
) -> list[slots.Candidate]:
    """The slot finder's input: for each specialty, the qualified experts (only the one the organiser picked, for a
    specialty in ``only``), the days the practice rule allows them at the site, when they are busy (MDT meetings,
    outreach sessions with their travel, leave) and the hours they meet in (consults.availability), and their
    continuity with this patient."""
    site = mdt.site
    first = timezone.localdate(earliest)
    last = timezone.localdate(mdt.deadline)
    out: list[slots.Candidate] = []
    per_spec: list[tuple[str, list[Practitioner]]] = []
    for spec in mdt.specialties:
        # deadline_day before today: no per-day filter here; allowed days are computed per day below, so an expert
        # covered for only part of the window still counts on the days they are covered.
        picked = (only or {}).get(spec)
        qs, code = routing.candidates(
            specialty=spec,
            site=site,
            today=first,
            deadline_day=first - timedelta(days=1),
            person_id=mdt.case.person_id,
            only=picked.pk if picked is not None else None,
        )
        per_spec.append((spec, list(qs) if not code else []))
    everyone = list({p.pk: p for _spec, experts in per_spec for p in experts}.values())
    days: dict[Any, set] = {p.pk: set() for p in everyone}
    day = first
    while day <= last and days:
        for pk in Practitioner.objects.filter(allowed_at_q(site, day), pk__in=list(days)).values_list("pk", flat=True):
            days[pk].add(day)
        day += timedelta(days=1)
    calendar = availability.calendars(everyone, earliest=earliest, last_day=last)
    for spec, experts in per_spec:
        for p in experts:
            busy, hours = calendar[p.pk]
            out.append(
                slots.Candidate(
                    key=p.pk,
                    specialty=spec,
                    allowed_days=frozenset(days[p.pk]),
                    busy=busy,
                    continuity=getattr(p, "same_patient", 0),
                    hours=hours,
                )
            )
    return out


def mdt_propose(
    *, mdt: MdtCase, now: datetime | None = None, limit: int = 5, only: dict[str, Practitioner] | None = None
) -> list[slots.Proposal]:
    """Meeting times before the deadline at which one allowed, free expert of every specialty can meet, in their
    meeting hours (``only``: the experts the organiser picked for some specialties)."""
    now = now or timezone.now()
    cands = mdt_candidates(mdt, earliest=now, only=only)
    return slots.find_slots(cands, mdt.specialties, earliest=now, deadline=mdt.deadline, limit=limit)


def open_referral_hook(*, meeting: MdtMeeting, by: User) -> Any:
    """Open a referral from a signed MDT conclusion. The referrals app provides the function; it is looked up by
    dotted path (setting CONSULTS_REFERRAL_HOOK) so consults never imports referrals. Returns what it returns."""
    path = getattr(settings, "CONSULTS_REFERRAL_HOOK", "")
    if not path:
        return None
    hook: Callable[..., Any] = import_string(path)
    return hook(mdt_meeting=meeting, case=meeting.mdt_case.case, by=by)


@transaction.atomic
def mdt_book(
    *,
    by: User,
    mdt: MdtCase,
    starts_at: datetime,
    experts: dict[str, Practitioner],
    chair: Practitioner | None = None,
    video_link: str = "",
    duration: timedelta = slots.DEFAULT_DURATION,
) -> MdtMeeting:
    """Book the meeting: one expert per specialty, each allowed at the site that day (basis recorded) and free.
    Booked once even when two requests race (row lock on the MDT case, unique meeting per case, unique expert per
    start time)."""
    row = _locked(mdt)
    starts_at = _aware(starts_at)
    if not can_organise(by, row):
        raise Forbidden(_("Only the organiser of the MDT books its meeting."))
    check_move(row, MdtStatus.SCHEDULED)
    if set(experts) != set(row.specialties):
        raise ValidationFailed(
            _("experts: name one expert for each specialty of the MDT."), details={"field": "experts"}
        )
    if len({p.pk for p in experts.values()}) != len(experts):
        raise ValidationFailed(_("experts: one expert cannot sit for two specialties."), details={"field": "experts"})
    ends_at = starts_at + duration
    if starts_at <= timezone.now() or ends_at > row.deadline:
        raise ValidationFailed(
            _("starts_at: the meeting must be in the future and end before the deadline."),
            details={"field": "starts_at"},
        )
    cands = {(c.specialty, c.key): c for c in mdt_candidates(row, earliest=timezone.now())}
    decisions = {}
    for spec, p in experts.items():
        c = cands.get((spec, p.pk))
        if c is None or not slots.is_allowed(c, starts_at, ends_at):
            raise ValidationFailed(
                _("experts: %(name)s is not allowed at %(site)s for %(spec)s that day.")
                % {"name": p.name, "site": row.site.name, "spec": spec},
                code="expert_not_allowed",
                details={"field": "experts", "specialty": spec},
            )
        if not slots.in_hours(c, starts_at, ends_at):
            raise ValidationFailed(
                _("starts_at: %(name)s does not meet at that time (working hours, or the hours they marked).")
                % {"name": p.name},
                code="expert_outside_hours",
                details={"field": "starts_at", "specialty": spec},
            )
        if not slots.is_free(c, starts_at, ends_at):
            raise Conflict(
                _("%(name)s is already in another meeting then.") % {"name": p.name},
                code="expert_busy",
                details={"specialty": spec},
            )
        decisions[spec] = practice_basis(p, row.site, timezone.localdate(starts_at))
    chair = chair or experts[row.specialties[0]]  # default: the expert of the first specialty chosen
    if chair.pk not in {p.pk for p in experts.values()}:
        raise ValidationFailed(_("chair: the chair must be one of the participants."), details={"field": "chair"})
    meeting = MdtMeeting(mdt_case=row, starts_at=starts_at, ends_at=ends_at, chair=chair, video_link=video_link)
    _clean(meeting, exclude=["mdt_case", "chair"])
    try:
        with transaction.atomic():
            meeting.save()
            for spec, p in experts.items():
                MdtParticipant.objects.create(
                    meeting=meeting,
                    practitioner=p,
                    specialty=spec,
                    starts_at=starts_at,
                    basis=decisions[spec].basis,
                    basis_reference=decisions[spec].reference[:120],
                )
    except IntegrityError as exc:
        raise Conflict(_("This MDT time was just booked by someone else; pick another."), code="slot_taken") from exc
    _move(row, MdtStatus.SCHEDULED, by=by, reason="booked", details={"starts_at": starts_at.isoformat()})
    _save(row, by=by, changes={"meeting": str(meeting.pk)})
    for p in experts.values():
        if p.user is not None:
            notify_on_commit(p.user.username, "mdt_scheduled", {"starts_at": _local(starts_at)})
    return meeting


@transaction.atomic
def mdt_minutes(*, by: User, meeting: MdtMeeting, minutes: str = "", video_link: str | None = None) -> MdtMeeting:
    """The chair (or organiser) keeps the minutes; closed once the conclusion is signed."""
    m = _locked(meeting)
    practitioner = getattr(by, "practitioner", None)
    if not (practitioner is not None and m.chair_id == practitioner.pk) and not can_organise(by, m.mdt_case):
        raise Forbidden(_("Only the chair or the organiser edits the minutes."))
    if m.signed_at is not None:
        raise illegal(m.mdt_case.status, "minutes")
    m.minutes = minutes
    if video_link is not None:
        m.video_link = video_link
    _clean(m, exclude=["mdt_case", "chair", "signed_by"])
    _save(m, by=by, changes={"minutes": len(minutes)})
    return m


@transaction.atomic
def mdt_conclude(
    *, by: User, meeting: MdtMeeting, conclusion: str, action: str = "", care_plan: str = ""
) -> MdtMeeting:
    """The chair signs the conclusion; it may open a referral (hook) or send a care plan back to the requester.

    Rule: a conclusion is signed at or after the meeting's start, never before (Conflict ``meeting_not_started``).
    Forbidden for anyone but the chair; Conflict(illegal_transition) once concluded or cancelled."""
    m = _locked(meeting)
    mdt = _locked(m.mdt_case)
    practitioner = getattr(by, "practitioner", None)
    if practitioner is None or m.chair_id != practitioner.pk:
        raise Forbidden(_("Only the chair signs the conclusion."))
    check_move(mdt, MdtStatus.CONCLUDED)
    now = timezone.now()
    if now < m.starts_at:
        raise Conflict(
            _("The conclusion can be signed once the meeting has started (%(start)s).")
            % {"start": _local(m.starts_at)},
            code="meeting_not_started",
            details={"starts_at": m.starts_at.isoformat()},
        )
    if not conclusion.strip():
        raise ValidationFailed(_("conclusion: write the conclusion."), details={"field": "conclusion"})
    if action not in ConclusionAction.values:
        raise ValidationFailed(_("action: not a known next step."), details={"field": "action"})
    if action == ConclusionAction.CARE_PLAN and not care_plan.strip():
        raise ValidationFailed(_("care_plan: write the care plan for the GP."), details={"field": "care_plan"})
    m.conclusion, m.action, m.care_plan = conclusion.strip(), action, care_plan.strip()
    m.signed_by, m.signed_at = by, now
    _save(m, by=by, changes={"signed_at": m.signed_at, "action": action})
    _move(mdt, MdtStatus.CONCLUDED, by=by, reason=action or "concluded")
    mdt.save(update_fields=["status", "updated_at"])
    if action == ConclusionAction.REFERRAL:
        open_referral_hook(meeting=m, by=by)
    if action == ConclusionAction.CARE_PLAN:
        notify_on_commit(mdt.case.requested_by.username, "mdt_care_plan", {})
    return m
