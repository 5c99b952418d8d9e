"""Writes of the referral loop. Each service is one transaction, audited, with state moves recorded as
ReferralTransition rows and decided only by the table in ``rules.py``.

One module per concept; this package re-exports their public names, so callers write ``services.referral_create``:

- ``create``: creating and sending a referral up (consent, legal basis, idempotency).
- ``transitions``: ``referral_transition``, one move of the state machine.
- ``scheduling``: the visit time a schedule sets; arriving before the scheduled day.
- ``capacity``: green-channel places and their queue.
- ``deadlines``: each step's due time; marking overdue and escalating (the periodic job).
- ``back_referral``: what care does when a referral comes back or ends without care.
- ``attachments``: case-file documents.
- ``moves``: what every move shares (the check against the table, the transition row and its audit event).

Imports run one way, ``moves`` ← ``capacity``, ``deadlines`` ← ``create`` ← ``transitions``. A test that replaces a
function patches the module that calls it (for example ``services.transitions.on_back_referral``).
"""

from tiercare.referrals.services.attachments import attachment_add
from tiercare.referrals.services.back_referral import ENDING_ACTIONS, on_back_referral, on_referral_ended
from tiercare.referrals.services.capacity import CAPACITY_PUBLISHERS, RELEASING_FROM, capacity_publish, green_status
from tiercare.referrals.services.create import (
    REFERRER_ROLES,
    REFERRING_TIERS,
    CreateResult,
    referral_create,
    request_hash,
    shared_alliance,
)
from tiercare.referrals.services.deadlines import referral_escalate, referral_mark_overdue
from tiercare.referrals.services.moves import check_action, now
from tiercare.referrals.services.scheduling import DEFAULT_VISIT_TIME, SCHEDULE_GRACE
from tiercare.referrals.services.transitions import referral_transition

__all__ = [
    "CAPACITY_PUBLISHERS",
    "DEFAULT_VISIT_TIME",
    "ENDING_ACTIONS",
    "REFERRER_ROLES",
    "REFERRING_TIERS",
    "RELEASING_FROM",
    "SCHEDULE_GRACE",
    "CreateResult",
    "attachment_add",
    "capacity_publish",
    "check_action",
    "green_status",
    "now",
    "on_back_referral",
    "on_referral_ended",
    "referral_create",
    "referral_escalate",
    "referral_mark_overdue",
    "referral_transition",
    "request_hash",
    "shared_alliance",
]
