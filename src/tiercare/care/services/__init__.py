"""Writes of the care app, one module per concept; this package re-exports their public names.

Each service is one transaction, audited with ``audit_write``; contract transitions are ``ContractEvent`` rows.
Rules and their sources: regulation/README.md §4 (contracts, panel cap, long prescriptions) and
clinical/README.md (protocols, risk equations). Callers write ``services.followup_record(...)`` or
``from tiercare.care.services import followup_record``; the code itself lives in:

- :mod:`~tiercare.care.services.membership`: teams, who acts for a resident (the contracted team, the
  lapsed-contract grace), a center's lead, panels against the cap.
- :mod:`~tiercare.care.services.contracts`: signing, terminating, renewing and expiring family-doctor contracts.
- :mod:`~tiercare.care.services.medication`: prescriptions within the long-prescription rules.
- :mod:`~tiercare.care.services.enrollments`: chronic-care enrolments and a center's protocol-variant decisions.
- :mod:`~tiercare.care.services.control`: control at a follow-up (the protocol's targets, hypoglycaemia).
- :mod:`~tiercare.care.services.followups`: filing (classifying) and voiding follow-ups; risk inputs.
- :mod:`~tiercare.care.services.outreach_calls`: calls to overdue patients.
- :mod:`~tiercare.care.services.recompute`: the bulk recompute of enrolments.
- :mod:`~tiercare.care.services.suggestions`: referral suggestions, their deadlines, and referrals that come back.

The modules import each other directly (never this package), in this order from the bottom: membership, control,
recompute, enrollments, suggestions, followups; contracts, medication and outreach_calls need only membership.
Patch a name where it is used (``tiercare.care.services.control.load_protocol``), not here.
"""

from tiercare.care.protocols.schedule import add_years
from tiercare.care.services.contracts import (
    ContractResult,
    contract_renew,
    contract_sign,
    contract_terminate,
    contracts_expire,
)
from tiercare.care.services.control import (
    AGE_SPECIFIC_TARGETS,
    CONTROL_TARGETS,
    GLUCOSE_ITEMS,
    HYPOGLYCAEMIA_THRESHOLD,
    control_targets,
    is_controlled,
    is_hypoglycaemic,
)
from tiercare.care.services.enrollments import (
    age_on,
    center_variant_choices,
    enrollment_create,
    enrollment_end,
    protocol_for_enrollment,
    protocol_variant_decide,
)
from tiercare.care.services.followups import (
    OWED_FOLLOWUP_INTERVALS,
    followup_record,
    followup_void,
    risk_inputs,
    try_risk,
)
from tiercare.care.services.medication import (
    LONG_RX_EXCLUDED,
    LONG_RX_MAX_DAYS,
    LONG_RX_NORMAL_MAX_DAYS,
    ORDINARY_RX_MAX_DAYS,
    check_prescription_line,
    medication_prescribe,
)
from tiercare.care.services.membership import (
    CENTER_LEAD_ROLES,
    PANEL_CAP_DEFAULT,
    TEAM_WRITER_ROLES,
    PanelInfo,
    center_lead_candidates,
    center_lead_set,
    is_center_lead,
    lapse_grace_days,
    lapsed_membership,
    panel_cap,
    team_create,
    team_panels,
)
from tiercare.care.services.outreach_calls import (
    REMIND_AGREED_TO_VISIT_DAYS,
    REMIND_CALL_LATER_DAYS,
    outreach_call_record,
    unreachable_attempts,
)
from tiercare.care.services.readings import (
    READING_ITEMS,
    enrollment_visit_owed,
    home_reading_handle,
    home_reading_report,
    reading_enrollments,
    urgent_rules_met,
)
from tiercare.care.services.recompute import enrollments_recompute
from tiercare.care.services.suggestions import (
    REFERRAL_ACTIONS,
    REFERRAL_FOLLOWUP_WITHIN_DAYS,
    REFERRAL_URGENCY_ROUTINE,
    REFERRAL_URGENCY_URGENT,
    SUGGESTED_SPECIALTY,
    SUGGESTED_SPECIALTY_URGENT,
    SUGGESTION_ROUTINE_DAYS,
    enrollments_after_back_referral,
    next_working_day,
    suggested_specialty,
    suggestion_dismiss,
    suggestion_due_on,
    suggestion_refer,
    suggestions_after_referral_ended,
    suggestions_escalate,
)

__all__ = [
    "READING_ITEMS",
    "enrollment_visit_owed",
    "home_reading_handle",
    "home_reading_report",
    "reading_enrollments",
    "urgent_rules_met",
    "AGE_SPECIFIC_TARGETS",
    "CENTER_LEAD_ROLES",
    "CONTROL_TARGETS",
    "GLUCOSE_ITEMS",
    "HYPOGLYCAEMIA_THRESHOLD",
    "LONG_RX_EXCLUDED",
    "LONG_RX_MAX_DAYS",
    "LONG_RX_NORMAL_MAX_DAYS",
    "ORDINARY_RX_MAX_DAYS",
    "OWED_FOLLOWUP_INTERVALS",
    "PANEL_CAP_DEFAULT",
    "REFERRAL_ACTIONS",
    "REFERRAL_FOLLOWUP_WITHIN_DAYS",
    "REFERRAL_URGENCY_ROUTINE",
    "REFERRAL_URGENCY_URGENT",
    "REMIND_AGREED_TO_VISIT_DAYS",
    "REMIND_CALL_LATER_DAYS",
    "SUGGESTED_SPECIALTY",
    "SUGGESTED_SPECIALTY_URGENT",
    "SUGGESTION_ROUTINE_DAYS",
    "TEAM_WRITER_ROLES",
    "ContractResult",
    "PanelInfo",
    "add_years",
    "age_on",
    "center_lead_candidates",
    "center_lead_set",
    "center_variant_choices",
    "contract_renew",
    "contract_sign",
    "contract_terminate",
    "contracts_expire",
    "control_targets",
    "enrollment_create",
    "enrollment_end",
    "enrollments_after_back_referral",
    "enrollments_recompute",
    "followup_record",
    "followup_void",
    "is_center_lead",
    "is_controlled",
    "is_hypoglycaemic",
    "lapse_grace_days",
    "lapsed_membership",
    "check_prescription_line",
    "medication_prescribe",
    "next_working_day",
    "outreach_call_record",
    "panel_cap",
    "protocol_for_enrollment",
    "protocol_variant_decide",
    "risk_inputs",
    "suggested_specialty",
    "suggestion_dismiss",
    "suggestion_due_on",
    "suggestion_refer",
    "suggestions_after_referral_ended",
    "suggestions_escalate",
    "team_create",
    "team_panels",
    "try_risk",
    "unreachable_attempts",
]
