"""Reads of the consults app, scoped to the asking user (access.case_scope_q), with their related rows joined.

Operations see schedules and counts — deadlines, specialties, institutions, states — of everything late or at risk,
never the clinical summary of a case they do not coordinate (the ops list below carries no clinical field).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from tiercare.consults.access import case_scope_q, online_consult_scope_q, prescription_scope_q
from tiercare.consults.models import (
    ESCALATE_AT_FRACTION,
    OPEN_CONSULT,
    OPEN_ONLINE,
    OPEN_OPINION,
    Case,
    EPrescription,
    MdtCase,
    MdtParticipant,
    MdtStatus,
    OnlineConsult,
    OpinionAddendum,
    SecondOpinion,
    Teleconsult,
    Transition,
)
from tiercare.core.audit import audit_patient_read
from tiercare.core.models import Role, User


def case_list(*, for_user: User, open_only: bool = False) -> QuerySet[Case]:
    qs = (
        Case.objects.filter(case_scope_q(for_user))
        .distinct()
        .select_related("person", "requesting_org", "requested_by")
    )
    if open_only:
        qs = qs.filter(
            Q(teleconsults__status__in=OPEN_CONSULT)
            | Q(opinions__status__in=OPEN_OPINION)
            | Q(mdt_cases__status__in=[MdtStatus.REQUESTED, MdtStatus.SCHEDULED])
        ).distinct()
    return qs


def _work(model: type[Teleconsult] | type[SecondOpinion], for_user: User, status: str | None) -> QuerySet:
    qs = model.objects.filter(case__in=Case.objects.filter(case_scope_q(for_user)).values("pk")).select_related(
        "case__person", "case__requesting_org", "expert"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("deadline", "pk")


def teleconsult_list(*, for_user: User, status: str | None = None) -> QuerySet[Teleconsult]:
    return _work(Teleconsult, for_user, status)


def opinion_list(*, for_user: User, status: str | None = None) -> QuerySet[SecondOpinion]:
    return (
        _work(SecondOpinion, for_user, status)
        .select_related("signed_by")
        .prefetch_related(Prefetch("addenda", queryset=OpinionAddendum.objects.select_related("signed_by")))
    )


def mdt_list(*, for_user: User, status: str | None = None) -> QuerySet[MdtCase]:
    qs = (
        MdtCase.objects.filter(case__in=Case.objects.filter(case_scope_q(for_user)).values("pk"))
        .select_related("case__person", "site", "meeting")
        .prefetch_related(
            Prefetch("meeting__participants", queryset=MdtParticipant.objects.select_related("practitioner"))
        )
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("deadline", "pk")


def expert_inbox(*, for_user: User) -> dict[str, Any]:
    """The expert's open tele-consultations and opinions, deadline first, plus their upcoming MDT meetings."""
    practitioner = getattr(for_user, "practitioner", None)
    if practitioner is None:
        return {"teleconsults": [], "opinions": [], "meetings": []}
    tcs = list(
        Teleconsult.objects.filter(expert=practitioner, status__in=OPEN_CONSULT)
        .select_related("case__person", "case__requesting_org")
        .order_by("deadline")[:50]
    )
    ops = list(
        SecondOpinion.objects.filter(expert=practitioner, status__in=OPEN_OPINION)
        .select_related("case__person", "case__requesting_org")
        .order_by("deadline")[:50]
    )
    meetings = list(
        MdtCase.objects.filter(meeting__participants__practitioner=practitioner, status=MdtStatus.SCHEDULED)
        .select_related("meeting", "case__person", "site")
        .order_by("meeting__starts_at")[:20]
    )
    work: list[Teleconsult | SecondOpinion | MdtCase] = [*tcs, *ops, *meetings]
    _audit_list(for_user, [w.case.person_id for w in work], "expert inbox")
    return {"teleconsults": tcs, "opinions": ops, "meetings": meetings}


def requester_open(*, for_user: User) -> dict[str, Any]:
    tcs = list(teleconsult_list(for_user=for_user).filter(case__requested_by=for_user, status__in=OPEN_CONSULT)[:50])
    ops = list(opinion_list(for_user=for_user).filter(case__requested_by=for_user, status__in=OPEN_OPINION)[:50])
    mdts = list(
        mdt_list(for_user=for_user).filter(
            case__requested_by=for_user, status__in=[MdtStatus.REQUESTED, MdtStatus.SCHEDULED]
        )[:50]
    )
    work: list[Teleconsult | SecondOpinion | MdtCase] = [*tcs, *ops, *mdts]
    _audit_list(for_user, [w.case.person_id for w in work], "my open cases")
    return {"teleconsults": tcs, "opinions": ops, "mdts": mdts}


def _audit_list(user: User, person_ids: list[Any], reason: str) -> None:
    if person_ids:
        audit_patient_read(actor=user, person_ids=person_ids, object_type="consults.case", reason=reason)


def ops_late_or_at_risk(*, for_user: User, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """For operations: every open consult/opinion late or at risk, and MDT cases without a meeting near their
    deadline. Scheduling facts only (no clinical summary), so no patient read is audited."""
    if for_user.role not in (Role.OPS, Role.ADMIN):
        return {"late": [], "at_risk": [], "mdt": []}
    now = now or timezone.now()
    rows: list[dict[str, Any]] = []
    for model, states, kind in ((Teleconsult, OPEN_CONSULT, "teleconsult"), (SecondOpinion, OPEN_OPINION, "opinion")):
        qs = (
            model.objects.filter(status__in=states, first_answer_at__isnull=True)
            .select_related("expert", "case__requesting_org")
            .order_by("deadline")
        )
        for w in qs[:500]:
            allowed = w.deadline - w.created_at
            if w.deadline > now and w.deadline - now > allowed * (1 - ESCALATE_AT_FRACTION):
                continue
            rows.append(
                {
                    "kind": kind,
                    "id": w.pk,
                    "specialty": w.specialty,
                    "priority": w.priority,
                    "status": w.status,
                    "deadline": w.deadline,
                    "expert": w.expert.name if w.expert else "",
                    "institution": w.case.requesting_org.name,
                    "late": w.deadline <= now,
                }
            )
    mdts = [
        {"kind": "mdt", "id": m.pk, "specialties": m.specialties, "deadline": m.deadline, "site": m.site.name}
        for m in MdtCase.objects.filter(status=MdtStatus.REQUESTED, deadline__lte=now + timedelta(days=2))
        .select_related("site")
        .order_by("deadline")[:100]
    ]
    return {"late": [r for r in rows if r["late"]], "at_risk": [r for r in rows if not r["late"]], "mdt": mdts}


def transitions_of(obj: Any) -> QuerySet[Transition]:
    return Transition.objects.filter(object_id=obj.pk).select_related("by")


# --- online follow-up consultations (issue 16) ---------------------------------------------------------------------
def online_consult_list(*, for_user: User) -> QuerySet[OnlineConsult]:
    """The online consultations ``for_user`` reads (access.online_consult_scope_q), open ones first, latest first."""
    return (
        OnlineConsult.objects.filter(online_consult_scope_q(for_user))
        .select_related("person", "doctor", "institution")
        .annotate(
            open_first=DbCase(
                When(status__in=OPEN_ONLINE, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_first", "-created_at", "pk")
    )


def prescription_list(*, for_user: User, status: str | None = None) -> QuerySet[EPrescription]:
    """The e-prescriptions ``for_user`` reads (access.prescription_scope_q); waiting ones oldest first."""
    qs = EPrescription.objects.filter(prescription_scope_q(for_user)).select_related("person", "doctor", "institution")
    if status:
        return qs.filter(status=status).order_by("signed_at", "pk")
    return qs.order_by("-signed_at", "pk")
