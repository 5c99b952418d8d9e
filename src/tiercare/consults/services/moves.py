"""What the consult services share: the transition tables and the one way to move a status (``_move``, writing a
Transition row; an illegal move raises Conflict ``illegal_transition``), the save with its audit event, row locks,
validation, and the notices to experts and operations (their message templates are registered here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiercare.consults.models import (
    ConsultStatus,
    MdtCase,
    MdtStatus,
    OpinionStatus,
    SecondOpinion,
    Teleconsult,
    Transition,
)
from tiercare.core.audit import audit_write
from tiercare.core.crud import validation_failed
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.network.models import Specialty

register("consult_assigned", "您有新的{kind}待回复，截止{deadline}。", "New {kind} for you, due {deadline}.")
register("consult_reminder", "{kind}将于{deadline}到期，请尽快回复。", "{kind} due {deadline}: please answer.")
register(
    "consult_escalated", "{kind}临近截止（{deadline}）仍未回复。", "{kind} near its deadline ({deadline}), unanswered."
)
register("consult_rerouted", "{kind}已转给其他专家：{reason}", "{kind} re-routed to another expert: {reason}")
register("consult_answered", "您的{kind}已有专家回复。", "An expert answered your {kind}.")
register("mdt_scheduled", "MDT会诊定于{starts_at}。", "MDT meeting booked for {starts_at}.")
register("mdt_care_plan", "MDT会诊结论及照护计划已返回。", "The MDT conclusion and care plan are back with you.")


TELECONSULT_MOVES: dict[str, set[str]] = {
    ConsultStatus.UNASSIGNED: {ConsultStatus.ASSIGNED, ConsultStatus.CANCELLED},
    ConsultStatus.ASSIGNED: {
        ConsultStatus.ASSIGNED,  # re-routed to another expert
        ConsultStatus.UNASSIGNED,
        ConsultStatus.ANSWERED,
        ConsultStatus.CLOSED,
        ConsultStatus.CANCELLED,
    },
    ConsultStatus.ANSWERED: {ConsultStatus.ANSWERED, ConsultStatus.CLOSED, ConsultStatus.CANCELLED},
    ConsultStatus.CLOSED: set(),
    ConsultStatus.CANCELLED: set(),
}
OPINION_MOVES: dict[str, set[str]] = {
    OpinionStatus.UNASSIGNED: {OpinionStatus.ASSIGNED, OpinionStatus.CANCELLED},
    OpinionStatus.ASSIGNED: {
        OpinionStatus.ASSIGNED,
        OpinionStatus.UNASSIGNED,
        OpinionStatus.SIGNED,
        OpinionStatus.CANCELLED,
    },
    OpinionStatus.SIGNED: set(),
    OpinionStatus.CANCELLED: set(),
}
MDT_MOVES: dict[str, set[str]] = {
    MdtStatus.REQUESTED: {MdtStatus.SCHEDULED, MdtStatus.CANCELLED},
    MdtStatus.SCHEDULED: {MdtStatus.CONCLUDED, MdtStatus.CANCELLED},
    MdtStatus.CONCLUDED: set(),
    MdtStatus.CANCELLED: set(),
}
MOVES = {Teleconsult: TELECONSULT_MOVES, SecondOpinion: OPINION_MOVES, MdtCase: MDT_MOVES}


def _state_label(state: str) -> str:
    """A status named in the user's language (the code stays in the error's details)."""
    for choices in (ConsultStatus, OpinionStatus, MdtStatus):
        if state in choices.values:
            return str(choices(state).label)
    return state


def illegal(state: str, wanted: str = "") -> Conflict:
    return Conflict(
        _("This cannot be done while the item is %(state)s.") % {"state": _state_label(state)},
        code="illegal_transition",
        details={"state": state, "wanted": wanted},
    )


def check_move(obj: Any, to: str) -> None:
    if to not in MOVES[type(obj)][obj.status]:
        raise illegal(obj.status, to)


def _move(obj: Any, to: str, *, by: User | None, reason: str = "", details: dict | None = None) -> None:
    """Move ``obj`` to ``to`` (checked against the table) and record the transition. Caller saves ``obj``."""
    check_move(obj, to)
    Transition.objects.create(
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        from_state=obj.status,
        to_state=to,
        by=by if by is not None and by.is_authenticated else None,
        reason=reason[:300],
        details=details or {},
    )
    obj.status = to


def _save(obj: models.Model, *, by: User | None, action: str = AuditAction.UPDATE, changes: dict | None = None) -> None:
    obj.save()
    audit_write(actor=by, action=action, obj=obj, changes=changes or {})


def _locked(obj: Any) -> Any:
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def _clean(obj: models.Model, exclude: list[str] | None = None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise validation_failed(exc) from exc


def _kind(obj: Any) -> Any:  # lazy: the message is sent in Chinese whatever the page's language (core.notify)
    return gettext_lazy("tele-consultation") if isinstance(obj, Teleconsult) else gettext_lazy("second opinion")


def _aware(dt: datetime) -> datetime:
    """A time without a zone is read as Asia/Shanghai wall time (what a coordinator types)."""
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def notify_expert(work: Any, code: str, **params: Any) -> None:
    user = work.expert.user if work.expert_id else None
    if user is not None:
        notify_on_commit(user.username, code, {"kind": _kind(work), "deadline": _local(work.deadline), **params})


def _check_specialty(specialty: str) -> None:
    if specialty not in Specialty.values:
        raise ValidationFailed(
            _("specialty: %(s)s is not a known specialty.") % {"s": specialty}, details={"field": "specialty"}
        )


def notify_ops(work: Any, code: str) -> None:
    for username in User.objects.filter(role=Role.OPS, is_active=True).values_list("username", flat=True)[:20]:
        notify_on_commit(username, code, {"kind": _kind(work), "deadline": _local(work.deadline)})
