"""Writes of the consults app: cases, attachments, tele-consultations, second opinions, MDT cases and meetings.

Each service is one transaction, audited, and moves a status only through the transition tables (``moves``),
writing a Transition row (who, when, from, to, why). An illegal move raises Conflict(code="illegal_transition",
details={"state": current}).

One module per concept; this package re-exports their public names, so callers write ``services.case_create``:

- ``cases``: opening a case (consent first) and its files.
- ``assignment``: routing shared by tele-consultations and second opinions: decline, cancel, re-route.
- ``teleconsults``: tele-consultations, their thread and outcome.
- ``opinions``: second opinions, signed and then immutable, with addenda.
- ``mdt``: MDT cases, meeting times, booking, minutes and the signed conclusion.
- ``online``: online follow-up consultations (在线复诊), e-prescriptions and their retention.
- ``moves``: what they share (transition tables, save and audit, notices).

Imports run one way, ``moves`` ← ``assignment`` ← ``teleconsults``, ``opinions``.
"""

from tiercare.consults.services.assignment import expert_still_allowed, work_cancel, work_decline, work_reroute
from tiercare.consults.services.cases import CASE_OPENERS, active_consent, attachment_add, can_upload, case_create
from tiercare.consults.services.mdt import (
    MDT_OPENERS,
    can_organise,
    may_open_mdt,
    mdt_book,
    mdt_candidates,
    mdt_conclude,
    mdt_create,
    mdt_minutes,
    mdt_propose,
    open_referral_hook,
)
from tiercare.consults.services.moves import (
    MDT_MOVES,
    MOVES,
    OPINION_MOVES,
    TELECONSULT_MOVES,
    check_move,
    illegal,
    notify_expert,
    notify_ops,
)
from tiercare.consults.services.online import (
    ONLINE_BANNED_CLASSES,
    content_digest,
    doctor_refusals,
    eprescription_dispense,
    eprescription_review,
    eprescription_sign,
    formulary,
    is_pharmacist_of,
    online_close,
    online_consult_request,
    online_diagnoses,
    online_formulary,
    online_mark_read,
    online_message,
    online_reauth,
    online_records_purge,
    online_send_to_visit,
)
from tiercare.consults.services.opinions import opinion_addendum, opinion_draft, opinion_request, opinion_sign
from tiercare.consults.services.teleconsults import (
    TELECONSULT_ASKERS,
    teleconsult_ask_more,
    teleconsult_close,
    teleconsult_message,
    teleconsult_request,
)

__all__ = [
    "ONLINE_BANNED_CLASSES",
    "content_digest",
    "doctor_refusals",
    "eprescription_dispense",
    "eprescription_review",
    "eprescription_sign",
    "formulary",
    "is_pharmacist_of",
    "online_close",
    "online_consult_request",
    "online_diagnoses",
    "online_formulary",
    "online_mark_read",
    "online_message",
    "online_reauth",
    "online_records_purge",
    "online_send_to_visit",
    "CASE_OPENERS",
    "MDT_MOVES",
    "MDT_OPENERS",
    "MOVES",
    "OPINION_MOVES",
    "TELECONSULT_ASKERS",
    "TELECONSULT_MOVES",
    "active_consent",
    "attachment_add",
    "can_organise",
    "can_upload",
    "case_create",
    "check_move",
    "expert_still_allowed",
    "illegal",
    "may_open_mdt",
    "mdt_book",
    "mdt_candidates",
    "mdt_conclude",
    "mdt_create",
    "mdt_minutes",
    "mdt_propose",
    "notify_expert",
    "notify_ops",
    "open_referral_hook",
    "opinion_addendum",
    "opinion_draft",
    "opinion_request",
    "opinion_sign",
    "teleconsult_ask_more",
    "teleconsult_close",
    "teleconsult_message",
    "teleconsult_request",
    "work_cancel",
    "work_decline",
    "work_reroute",
]
