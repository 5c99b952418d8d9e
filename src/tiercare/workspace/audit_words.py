"""The audit log in words: an event's role, object and reason as a person reads them, never a code.

Events store codes (``referrals.referral``, ``gp``, ``worklist``) so that they stay stable and searchable; the pages
translate them here. An object type names a model (its translated verbose name) or one of the reads that have no
model of their own (a worklist, an access history). A reason written by the code is looked up under the
``audit reason`` context of the catalogue; a reason typed by a person (a referral declined with 「本科室近期无床位」) is
shown as typed.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from tiercare.core.models import Role

# Objects whose model has no translated verbose name, and reads that have no model.
OBJECT_LABELS = {
    "core.user": pgettext_lazy("audit object", "user account"),
    "core.auditevent": pgettext_lazy("audit object", "audit log"),
    "core.audit_history": pgettext_lazy("audit object", "access history"),
    "consults.case_form": pgettext_lazy("audit object", "case-opening form"),
    "core.apitoken": pgettext_lazy("audit object", "API token"),
    "network.practitionerrole": pgettext_lazy("audit object", "staff role"),
    "network.alliance": pgettext_lazy("audit object", "medical alliance"),
    "network.alliancemembership": pgettext_lazy("audit object", "alliance membership"),
    "network.supportagreement": pgettext_lazy("audit object", "support agreement"),
    "network.invitation": pgettext_lazy("audit object", "invitation"),
    "people.person": pgettext_lazy("audit object", "resident record"),
    "people.household": pgettext_lazy("audit object", "household"),
    "people.householdmember": pgettext_lazy("audit object", "household member"),
    "people.consent": pgettext_lazy("audit object", "consent"),
    "outreach.outreachprofile": pgettext_lazy("audit object", "expert's outreach profile"),
    "outreach.expertleave": pgettext_lazy("audit object", "expert's leave"),
    "outreach.traveltime": pgettext_lazy("audit object", "travel time"),
    "outreach.planassignment": pgettext_lazy("audit object", "roster proposal"),
    "outreach.expertsession": pgettext_lazy("audit object", "expert session"),
    "outreach.sessiontransition": pgettext_lazy("audit object", "expert session change"),
    "outreach.booking": pgettext_lazy("audit object", "expert session booking"),
    "outreach.sessionreport": pgettext_lazy("audit object", "session report"),
    "outreach.calendarfeed": pgettext_lazy("audit object", "calendar subscription"),
    "care.gpteam": pgettext_lazy("audit object", "family doctor team"),
    "care.gpteammember": pgettext_lazy("audit object", "team member"),
    "care.carecontract": pgettext_lazy("audit object", "family doctor contract"),
    "care.contractevent": pgettext_lazy("audit object", "contract change"),
    "care.contractmember": pgettext_lazy("audit object", "contract member"),
    "care.medicationrecord": pgettext_lazy("audit object", "medication record"),
    "care.enrollment": pgettext_lazy("audit object", "chronic care enrolment"),
    "care.followup": pgettext_lazy("audit object", "follow-up"),
    "care.referralsuggestion": pgettext_lazy("audit object", "referral suggestion"),
    "care.outreachcall": pgettext_lazy("audit object", "follow-up call"),
    "care.recomputerun": pgettext_lazy("audit object", "risk recomputation"),
    "care.protocolvariantdecision": pgettext_lazy("audit object", "protocol variant decision"),
    "care.worklist": pgettext_lazy("audit object", "team worklist"),
    "care.center_worklist": pgettext_lazy("audit object", "center worklist"),
    "care.plan": pgettext_lazy("audit object", "care plan"),
    "consults.caseattachment": pgettext_lazy("audit object", "case attachment"),
    "consults.teleconsult": pgettext_lazy("audit object", "tele-consultation"),
    "consults.consultmessage": pgettext_lazy("audit object", "consultation message"),
    "consults.secondopinion": pgettext_lazy("audit object", "second opinion"),
    "consults.opinionaddendum": pgettext_lazy("audit object", "opinion addendum"),
    "consults.mdtcase": pgettext_lazy("audit object", "MDT"),
    "mdtcase": pgettext_lazy("audit object", "MDT"),
    "consults.mdtmeeting": pgettext_lazy("audit object", "MDT meeting"),
    "consults.mdtparticipant": pgettext_lazy("audit object", "MDT participant"),
    "consults.transition": pgettext_lazy("audit object", "consultation status change"),
    "referrals.capacityqueue": pgettext_lazy("audit object", "green-channel queue"),
    "referrals.capacitybooking": pgettext_lazy("audit object", "reserved place booking"),
    "referrals.queueentry": pgettext_lazy("audit object", "green-channel queue place"),
    "referrals.referraltransition": pgettext_lazy("audit object", "referral status change"),
    "referrals.referralattachment": pgettext_lazy("audit object", "referral attachment"),
    "demo.network": pgettext_lazy("audit object", "demo data"),
}

_PREFIXED_REASON = re.compile(r"^([a-z_]+)[: ] ?(.*)$", re.S)
# Reasons the care app writes when a referral brings a follow-up forward (care.services): the referral's id means
# nothing to an auditor (the event names the person), the rule does.
_FOLLOW_UP_AFTER = re.compile(
    r"^(?P<what>back-referral|back-referral of referral \S+|referral \S+): follow up within (?P<days>\d+) days"
    r"(?: \((?P<source>[^)]*)\))?$"
)
_WORDS = re.compile(r"[A-Za-z]")


def role_label(code: str) -> str:
    """A role code in words (an unknown or empty one as a dash)."""
    if code in Role.values:
        return str(Role(code).label)
    return code or "—"


def object_label(object_type: str) -> str:
    """``referrals.referral`` → 转诊: the catalogue's word, else the model's translated name, else the code."""
    if not object_type:
        return "—"
    label = OBJECT_LABELS.get(object_type)
    if label is None and object_type.startswith("care.center_worklist."):
        label = OBJECT_LABELS["care.center_worklist"]
    if label is not None:
        return str(label)
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def reason_label(reason: str) -> str:
    """A reason the code wrote, in the reader's language; a reason a person typed, as typed.

    ``accept: 已安排`` (a referral's action and the typed note) becomes 「接收：已安排」; ``transition accept``
    becomes 「状态变更：接收」."""
    if not reason or not _WORDS.search(reason):
        return reason
    whole = pgettext("audit reason", reason)
    if whole != reason:
        return whole
    follow_up = _FOLLOW_UP_AFTER.match(reason)
    if follow_up:
        days = follow_up["days"]
        if follow_up["what"].startswith("back-referral"):
            return _("after a back-referral: follow up within %(days)s days") % {"days": days}
        return _("after a referral: follow up within %(days)s days") % {"days": days}
    match = _PREFIXED_REASON.match(reason)
    if match:
        head, rest = match.groups()
        if head == "transition" and rest:
            return _("status change: %(action)s") % {"action": pgettext("audit reason", rest)}
        head_words = pgettext("audit reason", head)
        if head_words != head:
            return f"{head_words}：{pgettext('audit reason', rest)}" if rest else head_words
    return reason
