"""The care API (/api/v1/care/…): risk calculator, contracts, enrolments, follow-ups, worklists, dashboard.

Handlers parse, call one access function and one service or selector, render. Every list of patient data audits
the persons shown; every single read goes through ``care.access``.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from tiercare.care import access, selectors, services
from tiercare.care.export import worklist_rows, worklist_xlsx
from tiercare.care.models import CareContract, FollowUp, ReferralSuggestion
from tiercare.care.risk import RiskInputError, RiskResult, compute_risk
from tiercare.care.schemas import (
    CallIn,
    CallOut,
    CareHouseholdFilters,
    CareHouseholdOut,
    CareHouseholdPlanOut,
    CarePersonFilters,
    CarePlanOut,
    ContractFilters,
    ContractIn,
    ContractOut,
    ContractRenewIn,
    ContractSignedOut,
    ContractTerminateIn,
    EnrollmentEndIn,
    EnrollmentFilters,
    EnrollmentIn,
    EnrollmentOut,
    FollowUpFilters,
    FollowUpIn,
    FollowUpOut,
    MedicationIn,
    MedicationOut,
    PersonRiskIn,
    PersonRiskOut,
    PersonRowPage,
    RiskOut,
    SuggestionDecisionOut,
    SuggestionDismissIn,
    SuggestionOut,
    SuggestionReferIn,
    TeamOut,
    VariantDecisionIn,
    VariantDecisionOut,
    VoidIn,
    WorklistRow,
)
from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, json_response, page, page_keys_then_rows, resolve
from tiercare.core.audit import audit_patient_read, audit_record
from tiercare.core.errors import ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import AuditAction
from tiercare.network.models import Department
from tiercare.people.access import access_household_by_id, access_person_by_id
from tiercare.people.selectors import audit_households_read

router = Router(tags=["care"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _page_schema(item: type[Schema], name: str) -> type[Schema]:
    cls = type(name, (Schema,), {"__annotations__": {"count": int, "items": list[item]}})  # type: ignore[valid-type]
    return cls


ContractPage = _page_schema(ContractOut, "ContractPage")
CareHouseholdPage = _page_schema(CareHouseholdOut, "CareHouseholdPage")
EnrollmentPage = _page_schema(EnrollmentOut, "EnrollmentPage")
FollowUpPage = _page_schema(FollowUpOut, "FollowUpPage")
WorklistPage = _page_schema(WorklistRow, "WorklistPage")
MedicationPage = _page_schema(MedicationOut, "MedicationPage")
SuggestionPage = _page_schema(SuggestionOut, "SuggestionPage")


def _audited_page(request: AuthedRequest, qs: Any, paging: PageParams, object_type: str, person_attr: str) -> dict:
    result = page(qs, paging)
    audit_patient_read(
        actor=request.user,
        person_ids=[getattr(r, person_attr) for r in result["items"]],
        object_type=object_type,
    )
    return result


# --- risk -------------------------------------------------------------------------------------------------


def _risk_out(r: RiskResult) -> dict[str, Any]:
    return {
        "risk_percent": r.risk_percent,
        "display": r.display,
        "band": r.band.code,
        "band_label_zh": r.band.label_zh,
        "band_label_en": r.band.label_en,
        "equation": r.equation,
        "group": r.group,
        "flags": list(r.flags),
    }


def _risk(data: Any) -> RiskResult:
    try:
        return compute_risk(data)
    except RiskInputError as exc:
        raise ValidationFailed(
            str(exc), code=f"risk_{exc.code}", details={"field": exc.field, "message_zh": exc.message_zh}
        ) from None


@router.post("/care/risk", response={200: RiskOut, **ERRORS}, operation_id="care_risk")
def risk(request: AuthedRequest) -> dict[str, Any]:
    """10-year ASCVD risk by the 2013 PCE or China-PAR; 422 names the missing or out-of-range field."""
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        raise ValidationFailed(_("data: the body is not JSON."), details={"field": "data"}) from None
    return _risk_out(_risk(data))


def _person_risk(request: AuthedRequest, person_id: UUID, overrides: dict[str, Any]) -> dict[str, Any]:
    require_role(request.user, *selectors.CARE_READER_ROLES)
    person = access.access_person(request.user, person_id, reason="risk")
    latest = selectors.followup_list(for_user=request.user, person=person.pk).first()
    if latest is None:
        raise ValidationFailed(
            _("followup: the person has no follow-up to compute the risk from."),
            details={"field": "followup"},
        )
    diabetic = person.care_enrollments.filter(status="active", protocol_code="diabetes_t2").exists()
    day = timezone.localtime(latest.measured_at).date()
    data = services.risk_inputs(person, latest.measurements, day, diabetes=diabetic)
    data |= {k: v for k, v in overrides.items() if v is not None}
    out = _risk_out(_risk(data))
    return {**out, "followup": latest.pk, "measured_at": latest.measured_at}


@router.get("/care/persons/{person_id}/risk", response={200: PersonRiskOut, **ERRORS}, operation_id="care_person_risk")
def person_risk(request: AuthedRequest, person_id: UUID, params: Query[PersonRiskIn]) -> dict[str, Any]:
    """The person's risk from their latest follow-up (422 names the input the follow-up lacks)."""
    return _person_risk(request, person_id, params.dict())


@router.post(
    "/care/persons/{person_id}/risk",
    response={200: PersonRiskOut, **ERRORS},
    operation_id="care_person_risk_post",
)
def person_risk_post(request: AuthedRequest, person_id: UUID, payload: PersonRiskIn) -> dict[str, Any]:
    return _person_risk(request, person_id, payload.dict())


# --- teams and contracts ------------------------------------------------------------------------------------


@router.get("/care/teams", response={200: list[TeamOut], **ERRORS}, operation_id="care_teams")
def teams(request: AuthedRequest) -> list[Any]:
    """The user's teams with each member's panel size, the cap, and minutes per patient a year."""
    rows = list(selectors.team_list(for_user=request.user))
    for t in rows:
        t.panels = services.team_panels(t)  # type: ignore[attr-defined]
    return rows


@router.get("/care/contracts", response={200: ContractPage, **ERRORS}, operation_id="care_contracts")
def contracts(request: AuthedRequest, params: Query[ContractFilters], paging: Query[PageParams]) -> dict[str, Any]:
    """Contracts in the user's scope; every member of each contracted household shown is audited as read."""
    result = page(selectors.contract_list(for_user=request.user, **params.dict(exclude_none=True)), paging)
    audit_households_read(
        actor=request.user, household_ids=[c.household_id for c in result["items"]], object_type="care.carecontract"
    )
    return result


@router.get("/care/contracts/{contract_id}", response={200: ContractOut, **ERRORS}, operation_id="care_contract")
def contract(request: AuthedRequest, contract_id: UUID) -> CareContract:
    return access.access_contract(request.user, contract_id)


def _signed(result: services.ContractResult) -> CareContract:
    result.contract.warnings = result.warnings  # type: ignore[attr-defined]
    return result.contract


@router.post("/care/contracts", response={201: ContractSignedOut, **ERRORS}, operation_id="care_contract_sign")
def contract_sign(request: AuthedRequest, payload: ContractIn) -> Status[CareContract]:
    """Sign a household with a team; ``warnings`` carries a panel past the cap."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    team = access.access_team(request.user, payload.team, action="sign")
    # Through people's access functions (the household is not yet the team's: care's scope would not hold it).
    household = access_household_by_id(request.user, payload.household, reason="contract sign", members_read=False)
    persons = (
        [access_person_by_id(request.user, p, reason="contract sign") for p in payload.persons]
        if payload.persons is not None
        else None
    )
    result = services.contract_sign(
        by=request.user, household=household, team=team, start=payload.start, end=payload.end,
        package=payload.package, persons=persons,
    )  # fmt: skip
    return Status(201, _signed(result))


@router.post(
    "/care/contracts/{contract_id}/renew",
    response={201: ContractSignedOut, **ERRORS},
    operation_id="care_renew",
)
def contract_renew(request: AuthedRequest, contract_id: UUID, payload: ContractRenewIn) -> Status[CareContract]:
    c = access.access_contract(request.user, contract_id)
    return Status(
        201,
        _signed(services.contract_renew(by=request.user, contract=c, end=payload.end, package=payload.package)),
    )


@router.post(
    "/care/contracts/{contract_id}/terminate",
    response={200: ContractOut, **ERRORS},
    operation_id="care_terminate",
)
def contract_terminate(request: AuthedRequest, contract_id: UUID, payload: ContractTerminateIn) -> CareContract:
    c = access.access_contract(request.user, contract_id)
    return services.contract_terminate(by=request.user, contract=c, on=payload.on, reason=payload.reason)


# --- households and persons ---------------------------------------------------------------------------------


@router.get("/care/households", response={200: CareHouseholdPage, **ERRORS}, operation_id="care_households")
def households(
    request: AuthedRequest, params: Query[CareHouseholdFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Households contracted with the user's teams (a patient: their own)."""
    require_role(request.user, *selectors.CARE_READER_ROLES)
    result = page(selectors.household_list(for_user=request.user, **params.dict(exclude_none=True)), paging)
    audit_households_read(actor=request.user, household_ids=[h.pk for h in result["items"]])
    return result


@router.get(
    "/care/households/{household_id}",
    response={200: CareHouseholdPlanOut, **ERRORS},
    operation_id="care_household",
)
def household(request: AuthedRequest, household_id: UUID) -> dict[str, Any]:
    """All members' plans on one page (each member's read audited)."""
    hh = access.access_household(request.user, household_id, reason="household plan")
    members = selectors.person_list(for_user=request.user, household=hh.pk)
    contract = selectors.contract_list(for_user=request.user, household=hh.pk, status="active").first()
    return {"household": hh, "contract": contract, "members": [selectors.person_plan(person=p) for p in members]}


@router.get("/care/persons", response={200: PersonRowPage, **ERRORS}, operation_id="care_persons")
def persons(request: AuthedRequest, params: Query[CarePersonFilters], paging: Query[PageParams]) -> HttpResponse:
    require_role(request.user, *selectors.CARE_READER_ROLES)
    qs = selectors.person_rows(selectors.person_list(for_user=request.user, **params.dict(exclude_none=True)))
    result = page(qs, paging)
    audit_patient_read(actor=request.user, person_ids=[r["id"] for r in result["items"]], object_type="people.person")
    return json_response(PersonRowPage, result)


@router.get("/care/persons/{person_id}/plan", response={200: CarePlanOut, **ERRORS}, operation_id="care_plan")
def plan(request: AuthedRequest, person_id: UUID) -> dict[str, Any]:
    """A person's programs, recent follow-ups (with the rules that fired), medicines and next visit."""
    person = access.access_person(request.user, person_id, reason="plan")
    return selectors.person_plan(person=person)


@router.get("/care/me/plan", response={200: CarePlanOut, **ERRORS}, operation_id="care_my_plan")
def my_plan(request: AuthedRequest) -> dict[str, Any]:
    """The signed-in patient's own plan and next visit."""
    require_role(request.user, "patient")
    person = getattr(request.user, "person", None)
    return plan(request, person.pk if person else UUID(int=0))


# --- enrolments and follow-ups -------------------------------------------------------------------------------


@router.get("/care/enrollments", response={200: EnrollmentPage, **ERRORS}, operation_id="care_enrollments")
def enrollments(request: AuthedRequest, params: Query[EnrollmentFilters], paging: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.enrollment_list(for_user=request.user, **params.dict(exclude_none=True))
    return _audited_page(request, qs, paging, "care.enrollment", "person_id")


@router.get(
    "/care/enrollments/{enrollment_id}",
    response={200: EnrollmentOut, **ERRORS},
    operation_id="care_enrollment",
)
def enrollment(request: AuthedRequest, enrollment_id: UUID) -> Any:
    return access.access_enrollment(request.user, enrollment_id)


@router.post("/care/enrollments", response={201: EnrollmentOut, **ERRORS}, operation_id="care_enrol")
def enrol(request: AuthedRequest, payload: EnrollmentIn) -> Status[Any]:
    person = access.access_person(request.user, payload.person, reason="enrol")
    e = services.enrollment_create(
        by=request.user, person=person, protocol_code=payload.protocol_code,
        diagnosis_code=payload.diagnosis_code, enrolled_on=payload.enrolled_on, schedule_from=payload.schedule_from,
    )  # fmt: skip
    return Status(201, e)


@router.post(
    "/care/enrollments/{enrollment_id}/followups",
    response={201: FollowUpOut, **ERRORS},
    operation_id="care_followup",
)
def followup_create(request: AuthedRequest, enrollment_id: UUID, payload: FollowUpIn) -> Status[FollowUp]:
    """File a follow-up; the protocol classifies it, quotes the rules that fired and sets the next due date."""
    e = access.access_enrollment(request.user, enrollment_id, reason="follow-up")
    fu = services.followup_record(
        by=request.user, enrollment=e, person_id=payload.person_id, measured_at=payload.measured_at,
        measurements=payload.measurements, confirm_units=payload.confirm_units,
    )  # fmt: skip
    fu.referral_suggested = ReferralSuggestion.objects.filter(followup=fu).exists()  # type: ignore[attr-defined]
    return Status(201, fu)


@router.get("/care/followups", response={200: FollowUpPage, **ERRORS}, operation_id="care_followups")
def followups(request: AuthedRequest, params: Query[FollowUpFilters], paging: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.followup_list(for_user=request.user, **params.dict(exclude_none=True))
    return _audited_page(request, qs, paging, "care.followup", "person_id")


@router.get("/care/followups/{followup_id}", response={200: FollowUpOut, **ERRORS}, operation_id="care_followup_get")
def followup(request: AuthedRequest, followup_id: UUID) -> FollowUp:
    return access.access_followup(request.user, followup_id)  # marked referral_suggested by its selector


@router.post(
    "/care/enrollments/{enrollment_id}/end", response={200: EnrollmentOut, **ERRORS}, operation_id="care_enrollment_end"
)
def enrollment_end(request: AuthedRequest, enrollment_id: UUID, payload: EnrollmentEndIn) -> Any:
    """End an active enrolment with a reason (the center's lapsed list's 「结束管理」): by the resident's team, or the
    lead of the center that held a lapsed contract. 409 when already ended."""
    e = access.access_enrollment(request.user, enrollment_id, reason="end enrolment")
    return services.enrollment_end(by=request.user, enrollment=e, reason=payload.reason)


@router.post("/care/followups/{followup_id}/void", response={200: FollowUpOut, **ERRORS}, operation_id="care_void")
def followup_void(request: AuthedRequest, followup_id: UUID, payload: VoidIn) -> FollowUp:
    """Void a follow-up filed in error (kept, never deleted); the enrolment is recomputed."""
    fu = access.access_followup(request.user, followup_id, reason="void")
    return services.followup_void(by=request.user, followup=fu, reason=payload.reason)


@router.post("/care/enrollments/{enrollment_id}/calls", response={201: CallOut, **ERRORS}, operation_id="care_call")
def call(request: AuthedRequest, enrollment_id: UUID, payload: CallIn) -> Status[Any]:
    e = access.access_enrollment(request.user, enrollment_id, reason="outreach call")
    c = services.outreach_call_record(
        by=request.user, enrollment=e, outcome=payload.outcome, called_at=payload.called_at, note=payload.note
    )
    return Status(201, c)


@router.get("/care/referral-suggestions", response={200: SuggestionPage, **ERRORS}, operation_id="care_suggestions")
def suggestions(request: AuthedRequest, paging: Query[PageParams], status: str | None = "open") -> dict[str, Any]:
    qs = selectors.suggestion_list(for_user=request.user, status=status)
    return _audited_page(request, qs, paging, "care.referralsuggestion", "person_id")


# --- medication ---------------------------------------------------------------------------------------------


@router.post("/care/medications", response={201: MedicationOut, **ERRORS}, operation_id="care_prescribe")
def prescribe(request: AuthedRequest, payload: MedicationIn) -> Status[Any]:
    """Record a prescription within the long-prescription rules (422 names the field at fault)."""
    person = access.access_person(request.user, payload.person, reason="prescribe")
    data = payload.dict()
    data.pop("person")
    return Status(201, services.medication_prescribe(by=request.user, person=person, **data))


@router.get("/care/medications", response={200: MedicationPage, **ERRORS}, operation_id="care_medications")
def medications(request: AuthedRequest, paging: Query[PageParams], person: UUID | None = None) -> dict[str, Any]:
    qs = selectors.medication_list(for_user=request.user, person=person)
    return _audited_page(request, qs, paging, "care.medicationrecord", "person_id")


# --- worklists and dashboard --------------------------------------------------------------------------------


def _worklist(request: AuthedRequest, team_id: UUID, kind: str) -> Any:
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    if kind not in selectors.WORKLISTS:
        raise ValidationFailed(
            _("kind: one of %(k)s.") % {"k": ", ".join(selectors.WORKLISTS)}, details={"field": "kind"}
        )
    team = access.access_team(request.user, team_id)
    return selectors.worklist(team=team, kind=kind)


@router.get(
    "/care/teams/{team_id}/worklists/{kind}.xlsx",
    operation_id="care_worklist_xlsx",
    response={200: None, **ERRORS},
)
def worklist_download(request: AuthedRequest, team_id: UUID, kind: str) -> HttpResponse:
    qs = list(_worklist(request, team_id, kind)[:10_000])
    audit_patient_read(actor=request.user, person_ids=[e.person_id for e in qs], object_type="care.worklist")
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="care.worklist", object_id=kind)
    from tiercare.care.views import WORKLIST_LABELS  # the worklist's name as the pages give it, for the sheet tab

    body = worklist_xlsx(worklist_rows(qs, timezone.localdate()), str(WORKLIST_LABELS.get(kind, kind)))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="worklist-{kind}.xlsx"'
    return response


@router.get(
    "/care/teams/{team_id}/worklists/{kind}",
    response={200: WorklistPage, **ERRORS},
    operation_id="care_worklist",
)
def worklist(request: AuthedRequest, team_id: UUID, kind: str, paging: Query[PageParams]) -> dict[str, Any]:
    """overdue, due_this_week, uncontrolled, risk_rose, suggestions, home_urgent (an urgent home reading not yet
    handled), screening (a screening re-measurement or urgent
    re-check owed and past its date), lost (over 12 months overdue), removed; sickest first
    (``selectors.sickest_first``: a stale risk counts as none)."""
    qs = _worklist(request, team_id, kind)
    result = page_keys_then_rows(qs, paging)
    audit_patient_read(
        actor=request.user, person_ids=[e.person_id for e in result["items"]], object_type="care.worklist"
    )
    return {"count": result["count"], "items": worklist_rows(result["items"], timezone.localdate())}


@router.get("/care/dashboard", response={200: dict[str, Any], **ERRORS}, operation_id="care_dashboard")
def dashboard(request: AuthedRequest, center: UUID | None = None, team: UUID | None = None) -> dict[str, Any]:
    """Enrolled, on-time follow-up, control rates and a 12-month trend for a center or a team (counts only)."""
    require_role(request.user, *selectors.DASHBOARD_ROLES)
    teams = selectors.dashboard_teams(for_user=request.user, center=center, team=team)
    return selectors.dashboard(teams=teams)


# --- acting on referral suggestions ---------------------------------------------------------------------------


@router.post(
    "/care/referral-suggestions/{suggestion_id}/refer",
    response={201: SuggestionDecisionOut, **ERRORS},
    operation_id="care_suggestion_refer",
)
def suggestion_refer(request: AuthedRequest, suggestion_id: UUID, payload: SuggestionReferIn) -> Status[Any]:
    """Take the suggestion: the referral up is made (the referrals service's rules and messages apply: consent,
    organizations, urgency), the suggestion is marked taken and the next follow-up is due within 14 days."""
    require_role(request.user, *selectors.TEAM_ROLES)
    s = access.access_suggestion(request.user, suggestion_id, reason="refer")
    department = resolve(Department, payload.receiving_department, "receiving_department")
    taken = services.suggestion_refer(
        by=request.user, suggestion=s, receiving_department=department, diagnosis_text=payload.diagnosis_text,
        diagnosis_code=payload.diagnosis_code, urgency=payload.urgency, green_channel=payload.green_channel,
        summary=payload.summary,
    )  # fmt: skip
    return Status(201, taken)


@router.post(
    "/care/referral-suggestions/{suggestion_id}/dismiss",
    response={200: SuggestionDecisionOut, **ERRORS},
    operation_id="care_suggestion_dismiss",
)
def suggestion_dismiss(request: AuthedRequest, suggestion_id: UUID, payload: SuggestionDismissIn) -> Any:
    """Dismiss the suggestion (no referral made); the reason is required."""
    require_role(request.user, *selectors.TEAM_ROLES)
    s = access.access_suggestion(request.user, suggestion_id, reason="dismiss")
    return services.suggestion_dismiss(by=request.user, suggestion=s, reason=payload.reason)


# --- a center's recorded clinical decisions on protocol variants (issue 11) ----------------------------------------


def _decision_center(request: AuthedRequest, center_id: UUID) -> Any:
    """The center, if the user has a team there (or is an administrator / operations); 404 otherwise."""
    from django.http import Http404

    teams = selectors.dashboard_teams(for_user=request.user).filter(center_id=center_id).select_related("center")
    team = teams.first()
    if team is None:
        raise Http404
    return team.center


@router.get(
    "/care/centers/{center_id}/protocol-decisions",
    response={200: list[VariantDecisionOut], **ERRORS},
    operation_id="care_variant_decisions",
)
def variant_decisions(request: AuthedRequest, center_id: UUID) -> list[Any]:
    """The center's recorded decisions on protocol variants, newest first (e.g. the >=65 hypertension target)."""
    from tiercare.care.models import ProtocolVariantDecision

    require_role(request.user, *selectors.DASHBOARD_ROLES)
    center = _decision_center(request, center_id)
    return list(ProtocolVariantDecision.objects.filter(center=center).select_related("decided_by"))


@router.post(
    "/care/centers/{center_id}/protocol-decisions",
    response={201: VariantDecisionOut, **ERRORS},
    operation_id="care_variant_decide",
)
def variant_decide(request: AuthedRequest, center_id: UUID, payload: VariantDecisionIn) -> Status[Any]:
    """Record a clinical decision to turn a protocol variant on or off at the center (who, when, why; audited)."""
    require_role(request.user, *selectors.TEAM_ROLES, "admin")
    center = _decision_center(request, center_id)
    d = services.protocol_variant_decide(
        by=request.user, center=center, protocol_code=payload.protocol_code, variant=payload.variant,
        enabled=payload.enabled, reason=payload.reason,
    )  # fmt: skip
    return Status(201, d)
