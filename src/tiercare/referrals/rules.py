"""The referral's rules in one place: the transition table (who may move a referral from where to where) and the
deadlines of each step per urgency. Services read these tables; nothing else decides a move.

The deadlines are this network's operating policy, not a national figure (none exists: regulation/README.md §5
leaves quotas and timing to provinces and alliance agreements). Change them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
    "cancel": Move(OPEN, Status.CANCELLED, (Side.REFERRING, Side.OPS), needs_reason=True),
    "expire": Move(OPEN, Status.EXPIRED, (Side.SYSTEM,)),
}
# Actions a user may ask for through the API (expire belongs to the periodic job).
USER_ACTIONS = tuple(a for a, m in TRANSITIONS.items() if Side.SYSTEM not in m.sides)

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


# --- deadlines ---------------------------------------------------------------------------------------------------
class Step:
    ACCEPT = "accept"  # from sent: the receiving side accepts or declines
    ARRIVE = "arrive"  # from accepted: the patient arrives (or, once scheduled, by the end of the scheduled day)
    BACK_REFER = "back_refer"  # from arrival: the receiving side sends the patient back with a care plan
    CONFIRM = "confirm"  # from back-referral: the referring side confirms receipt


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
