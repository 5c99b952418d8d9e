"""Who is told of a referral's moves, and in which words: one message per party and move, written for who reads it
— the referring doctor (or their organization's staff), the receiving desk (the department's staff and the named
expert), the patient (by phone, as outreach bookings are told), operations — never to the one who made the move,
never twice to one recipient. Sent after the move's transaction commits (``core.notify.notify_on_commit``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiercare.core.models import Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.network.models import Department, Organization, PractitionerRole
from tiercare.referrals.models import Referral, Status
from tiercare.referrals.rules import Side, step_label

register(
    "referral_sent",
    "新转诊：{patient}（{urgency}）转入{department}，请在{due}前处理。",
    "New referral of {patient} ({urgency}) to {department}: answer by {due}.",
)
register(
    "referral_overdue",
    "转诊{patient}的“{step}”已逾期（应于{due}完成）。",
    "Referral of {patient}: step '{step}' is overdue (due {due}).",
)
register(
    "referral_escalated",
    "转诊逾期升级：{patient} 转入{department}，“{step}”逾期。",
    "Overdue referral escalated: {patient} to {department}, step '{step}'.",
)
register(
    "referral_place",
    "转诊{patient}已获绿色通道预留号源：{date}。",
    "Referral of {patient} has a reserved place on {date}.",
)
# One message per party and move, written for who reads it: the referring doctor (or their organization's staff), the
# receiving desk (the department's staff and the named expert), the patient (by phone, as outreach bookings are told),
# operations. The one who made the move is not told of it.
register(
    "referral_accepted",
    "{department}已接收{patient}的转诊，将安排就诊时间。",
    "{department} accepted the referral of {patient}; a visit time will follow.",
)
register(
    "referral_declined",
    "{department}未接收{patient}的转诊（原因：{reason}）。请为患者另作安排。",
    "{department} declined the referral of {patient} ({reason}). Please make other arrangements for the patient.",
)
register(
    "referral_scheduled",
    "{patient}的转诊已安排：{when}到{hospital}{department}就诊。请告知患者。",
    "The referral of {patient} is scheduled: {when} at {hospital}, {department}. Please tell the patient.",
)
register(
    "referral_scheduled_patient",
    "您的转诊已预约：{when}，{hospital}{department}。请按时就诊，携带身份证、医保卡和病历资料。",
    "Your referral visit is booked: {when} at {hospital}, {department}. Please bring your ID card, insurance card "
    "and medical records.",
)
register("referral_arrived", "{patient}已到{department}就诊。", "{patient} has arrived at {department}.")
register(
    "referral_treated",
    "{patient}在{department}的诊治已完成，待转回。",
    "{patient}'s treatment at {department} is finished; the back-referral will follow.",
)
register(
    "referral_back_referred",
    "{department}已将{patient}转回，请查看出院小结和康复计划并确认接收。",
    "{department} referred {patient} back: read the discharge summary and care plan, and confirm receipt.",
)
register(
    "referral_back_referred_patient",
    "您已从{hospital}转回签约家庭医生处继续治疗，家庭医生将在2周内与您联系随访。",
    "You are referred back from {hospital} to your family doctor, who will contact you for a follow-up within two "
    "weeks.",
)
register(
    "referral_closed",
    "{referring}已确认接收转回的{patient}，本次转诊闭环完成。",
    "{referring} confirmed receipt of {patient}'s back-referral; the referral is closed.",
)
register(
    "referral_cancelled",
    "{patient}转入{department}的转诊已由{by_whom}取消，无需再处理。",
    "The referral of {patient} to {department} was cancelled by {by_whom}; nothing more to do.",
)
register(
    "referral_cancelled_referrer",
    "运营已取消{patient}转入{department}的转诊（原因：{reason}）。请为患者另作安排。",
    "Operations cancelled the referral of {patient} to {department} ({reason}). Please make other arrangements.",
)
register(
    "referral_cancelled_patient",
    "您在{hospital}{department}的转诊预约已取消，请联系您的家庭医生。",
    "Your referral visit at {hospital}, {department} is cancelled; please contact your family doctor.",
)
register(
    "referral_expired",
    "{patient}转入{department}的转诊因“{step}”逾期已失效。请为患者另作安排。",
    "The referral of {patient} to {department} expired (step '{step}' lapsed). Please make other arrangements.",
)
register(
    "referral_expired_desk",
    "{patient}转入{department}的转诊因“{step}”逾期已失效，无需再处理。",
    "The referral of {patient} to {department} expired (step '{step}' lapsed); nothing more to do.",
)


def active_role_q(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def staff_usernames(org: Organization, department: Department | None = None) -> list[str]:
    roles = PractitionerRole.objects.filter(active_role_q(timezone.localdate()), organization=org).filter(
        practitioner__user__isnull=False, practitioner__user__is_active=True
    )
    if department is not None:
        roles = roles.filter(Q(department__isnull=True) | Q(department=department))
    return sorted(set(roles.values_list("practitioner__user__username", flat=True)))


def notify_users(usernames: list[str], code: str, params: dict[str, Any]) -> None:
    for name in usernames:
        notify_on_commit(f"user:{name}", code, params)


def referring_users(ref: Referral) -> list[str]:
    user = ref.referring_practitioner.user
    return [user.username] if user is not None and user.is_active else staff_usernames(ref.referring_organization)


def receiving_users(ref: Referral) -> list[str]:
    names = set(staff_usernames(ref.receiving_organization, ref.receiving_department))
    if ref.named_expert is not None and ref.named_expert.user is not None:
        names.add(ref.named_expert.user.username)
    return sorted(names)


def ops_users() -> list[str]:
    return sorted(User.objects.filter(role=Role.OPS, is_active=True).values_list("username", flat=True))


def patient_recipient(ref: Referral) -> str:
    return ref.person.phone or f"person:{ref.person_id}"


def when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def tell_parties(
    ref: Referral, *, action: str, by: User | None, side: str, before: str, reason: str, step: str
) -> None:
    """One message to each party the move concerns, written for that party (see the templates above); never to the
    one who made it, never twice to one recipient."""
    params = {
        "patient": ref.person.name,
        "department": ref.receiving_department.name,
        "hospital": ref.receiving_organization.name,
        "referring": ref.referring_organization.name,
        "when": when(ref.scheduled_for),
        "reason": reason,
    }
    with translation.override("zh-hans"):
        params["step"] = step_label(step)
        params["by_whom"] = str(_("operations")) if side == Side.OPS else str(_("the referring side"))
    referring = [f"user:{name}" for name in referring_users(ref)]
    receiving = [f"user:{name}" for name in receiving_users(ref)]
    patient = [patient_recipient(ref)]
    plan: list[tuple[list[str], str]] = []
    if action == "accept":
        plan = [(referring, "referral_accepted")]
    elif action == "decline":
        plan = [(referring, "referral_declined")]
    elif action == "schedule":
        plan = [(referring, "referral_scheduled"), (patient, "referral_scheduled_patient")]
    elif action == "arrive":
        plan = [(referring, "referral_arrived")]
    elif action == "treat":
        plan = [(referring, "referral_treated")]
    elif action == "back_refer":
        plan = [(referring, "referral_back_referred"), (patient, "referral_back_referred_patient")]
    elif action == "confirm_receipt":
        plan = [(receiving, "referral_closed")]
    elif action == "cancel":
        plan = [(receiving, "referral_cancelled")]
        if side == Side.OPS:
            plan.append((referring, "referral_cancelled_referrer"))
        if before == Status.SCHEDULED:
            plan.append((patient, "referral_cancelled_patient"))
    elif action == "expire":
        plan = [(referring, "referral_expired"), (receiving, "referral_expired_desk")]
    told: set[str] = {f"user:{by.username}"} if by is not None else set()
    for recipients, code in plan:
        for to in recipients:
            if to in told:
                continue
            told.add(to)
            notify_on_commit(to, code, params)
