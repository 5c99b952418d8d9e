"""The referral's rules in one place: the transition table (who may move a referral from where to where) and the
deadlines of each step per urgency. Services read these tables; nothing else decides a move.

The deadlines are this network's operating policy, not a national figure (none exists: regulation/README.md §5
leaves quotas and timing to provinces and alliance agreements). Change them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercare.referrals.models import OPEN_STATUSES, Status, Urgency


class Side:
    REFERRING = "referring"  # coordinators, GPs, doctors with a role at the referring organization
    RECEIVING = "receiving"  # staff with a role at the receiving department's organization, and the named expert
    OPS = "ops"  # operations coordinating the network: status and counts, no clinical notes
    PATIENT = "patient"  # the patient and their household proxy: read only
    SYSTEM = "system"  # the periodic job


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    sides: tuple[str, ...]
    needs_reason: bool = False


OPEN = tuple(OPEN_STATUSES)
# Before the patient arrives a referral may still be called off (cancelled by hand, or expired by the periodic job);
# once they arrived the receiving side owes the back-referral and the referring side its confirmation: a treated or
# back-referred patient is never "cancelled".
BEFORE_ARRIVAL = (Status.DRAFT, Status.SENT, Status.ACCEPTED, Status.SCHEDULED)

# action -> which states it leaves, where it goes, which side may do it.
TRANSITIONS: dict[str, Move] = {
    "send": Move((Status.DRAFT,), Status.SENT, (Side.REFERRING,)),
    "accept": Move((Status.SENT,), Status.ACCEPTED, (Side.RECEIVING,)),
    "decline": Move((Status.SENT,), Status.DECLINED, (Side.RECEIVING,), needs_reason=True),
    "schedule": Move((Status.ACCEPTED,), Status.SCHEDULED, (Side.RECEIVING,)),
    "arrive": Move((Status.SCHEDULED,), Status.ARRIVED, (Side.RECEIVING,)),
    "treat": Move((Status.ARRIVED,), Status.TREATED, (Side.RECEIVING,)),
    "back_refer": Move((Status.TREATED,), Status.BACK_REFERRED, (Side.RECEIVING,)),
    "confirm_receipt": Move((Status.BACK_REFERRED,), Status.CLOSED, (Side.REFERRING,)),
    "cancel": Move(BEFORE_ARRIVAL, Status.CANCELLED, (Side.REFERRING, Side.OPS), needs_reason=True),
    "expire": Move(BEFORE_ARRIVAL, Status.EXPIRED, (Side.SYSTEM,)),
}
# Actions a user may ask for through the API (expire belongs to the periodic job).
USER_ACTIONS = tuple(a for a, m in TRANSITIONS.items() if Side.SYSTEM not in m.sides)
# Escalation changes no state: operations (or the periodic job) escalate an open referral, once.
ESCALATE = Move(OPEN, "", (Side.OPS, Side.SYSTEM))
PAGE_ACTIONS = (*USER_ACTIONS, "escalate")

# Which side the referral waits on in each open state (worklists' "waiting on me").
WAITING_ON: dict[str, str] = {
    Status.DRAFT: Side.REFERRING,
    Status.SENT: Side.RECEIVING,
    Status.ACCEPTED: Side.RECEIVING,
    Status.SCHEDULED: Side.RECEIVING,
    Status.ARRIVED: Side.RECEIVING,
    Status.TREATED: Side.RECEIVING,
    Status.BACK_REFERRED: Side.REFERRING,
}


def legal_actions(status: str, side: str) -> list[str]:
    return [a for a, m in TRANSITIONS.items() if status in m.sources and side in m.sides]


def offered_actions(status: str, sides: set[str], *, escalated: bool = False) -> list[str]:
    """The actions a user standing on ``sides`` may take on a referral in ``status``, in the order of the loop:
    what the page offers and the API accepts (escalate: operations, on an open referral not yet escalated)."""
    actions = [a for a in USER_ACTIONS if status in TRANSITIONS[a].sources and sides & set(TRANSITIONS[a].sides)]
    if not escalated and status in ESCALATE.sources and Side.OPS in sides:
        actions.append("escalate")
    return actions


# --- what users read: labels of actions, sides and steps (never the codes) ------------------------------------------
ACTION_LABELS: dict[str, Promise] = {
    "create": _("Write the referral"),
    "send": _("Send the referral"),
    "accept": _("Accept the referral"),
    "decline": _("Decline the referral"),
    "schedule": _("Schedule the visit"),
    "arrive": _("Mark the patient arrived"),
    "treat": _("Finish treatment"),
    "back_refer": _("Refer the patient back"),
    "confirm_receipt": _("Confirm receipt of the back-referral"),
    "cancel": _("Cancel the referral"),
    "expire": _("Expire the referral"),
    "escalate": _("Escalate to operations"),
    "overdue": _("Step overdue"),
    "place_assigned": _("Assign a reserved place"),
}
SIDE_LABELS: dict[str, Promise] = {
    Side.REFERRING: _("referring side"),
    Side.RECEIVING: _("receiving side"),
    Side.OPS: _("operations"),
    Side.PATIENT: _("patient"),
    Side.SYSTEM: _("system"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def side_label(side: str) -> str:
    return str(SIDE_LABELS.get(side, side))


# --- deadlines ---------------------------------------------------------------------------------------------------
class Step:
    ACCEPT = "accept"  # from sent: the receiving side accepts or declines
    ARRIVE = "arrive"  # from accepted: the patient arrives (or, once scheduled, by the end of the scheduled day)
    BACK_REFER = "back_refer"  # from arrival: the receiving side sends the patient back with a care plan
    CONFIRM = "confirm"  # from back-referral: the referring side confirms receipt


STEP_LABELS: dict[str, Promise] = {
    Step.ACCEPT: _("accept or decline"),
    Step.ARRIVE: _("patient's arrival"),
    Step.BACK_REFER: _("back-referral"),
    Step.CONFIRM: _("confirm receipt of the back-referral"),
}


def step_label(step: str) -> str:
    return str(STEP_LABELS.get(step, step))


# Which step is due in each open state.
STEP_OF: dict[str, str] = {
    Status.SENT: Step.ACCEPT,
    Status.ACCEPTED: Step.ARRIVE,
    Status.SCHEDULED: Step.ARRIVE,
    Status.ARRIVED: Step.BACK_REFER,
    Status.TREATED: Step.BACK_REFER,
    Status.BACK_REFERRED: Step.CONFIRM,
}

H = timedelta(hours=1)
D = timedelta(days=1)
DEADLINES: dict[str, dict[str, timedelta]] = {
    Urgency.EMERGENCY: {Step.ACCEPT: 2 * H, Step.ARRIVE: 1 * D, Step.BACK_REFER: 14 * D, Step.CONFIRM: 2 * D},
    Urgency.PRIORITY: {Step.ACCEPT: 24 * H, Step.ARRIVE: 5 * D, Step.BACK_REFER: 21 * D, Step.CONFIRM: 3 * D},
    Urgency.ROUTINE: {Step.ACCEPT: 72 * H, Step.ARRIVE: 21 * D, Step.BACK_REFER: 30 * D, Step.CONFIRM: 7 * D},
}
# An overdue step is escalated to operations this long after it fell due.
ESCALATE_AFTER: dict[str, timedelta] = {Urgency.EMERGENCY: 1 * H, Urgency.PRIORITY: 4 * H, Urgency.ROUTINE: 24 * H}
# Steps whose lapse ends the referral (expired) this long after the deadline: an unanswered referral, a patient who
# never came. A patient who arrived is never expired: their back-referral is chased, not dropped.
EXPIRE_AFTER: dict[str, timedelta] = {Step.ACCEPT: 7 * D, Step.ARRIVE: 14 * D}
DRAFT_EXPIRE_AFTER = 30 * D
