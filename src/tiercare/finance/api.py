"""The finance API, read-only for integrations (an accounting system), incidents aside (recorded and moved here
too): statements (an expert's own; all for operations, finance, auditors), charges with their split, unpriced
work and the monthly reconciliation. Statements are issued, prices and rules kept, on the pages
(``finance:statements``, ``finance:prices``, ``finance:shares``)."""

from datetime import date
from typing import Any
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Status

from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, page, page_schema
from tiercare.core.audit import audit_patient_read
from tiercare.core.http import AuthedRequest
from tiercare.finance import chain, selectors, services
from tiercare.finance.access import (
    access_coverage_person,
    access_incident_by_id,
    access_incident_expert,
    access_incident_person,
    access_incident_source,
    access_settlement_by_id,
    access_statement_by_id,
)
from tiercare.finance.chain_schemas import CenterMonthOut, CenterSummaryOut, CostIn, CostOut
from tiercare.finance.schemas import (
    ChargeFilter,
    ChargeOut,
    CoverageOut,
    IncidentDetailOut,
    IncidentIn,
    IncidentMoveIn,
    IncidentOut,
    MonthOut,
    SettlementDetailOut,
    SettlementOut,
    StatementDetailOut,
    StatementOut,
    UnpricedOut,
)

router = Router(tags=["finance"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}


@router.get("/finance/statements", response={200: page_schema(StatementOut), **ERRORS}, operation_id="list_statements")
def list_statements(request: AuthedRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Issued statements: an expert's own; all for operations, finance, auditors and administrators."""
    return page(selectors.statement_list(for_user=request.user), paging)


@router.get(
    "/finance/statements/{statement_id}", response={200: StatementDetailOut, **ERRORS}, operation_id="get_statement"
)
def get_statement(request: AuthedRequest, statement_id: UUID) -> Any:
    """One statement with its lines (404 for another expert's)."""
    statement = access_statement_by_id(request.user, statement_id)
    fields = ("id", "number", "expert_id", "month", "gross", "taxable", "tax", "net", "issued_at")
    return {**{f: getattr(statement, f) for f in fields}, "lines": list(selectors.statement_lines(statement))}


@router.get(
    "/finance/settlements", response={200: page_schema(SettlementOut), **ERRORS}, operation_id="list_settlements"
)
def list_settlements(request: AuthedRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Issued hospital settlements: a hospital's own for its coordinators and directors; all for finance readers."""
    return page(selectors.settlement_doc_list(for_user=request.user), paging)


@router.get(
    "/finance/settlements/{settlement_id}",
    response={200: SettlementDetailOut, **ERRORS},
    operation_id="get_settlement",
)
def get_settlement(request: AuthedRequest, settlement_id: UUID) -> Any:
    """One issued settlement with every charge it carries (404 for another hospital's)."""
    doc = access_settlement_by_id(request.user, settlement_id)
    fields = [f.alias or name for name, f in SettlementOut.model_fields.items()]
    return {**{f: getattr(doc, f) for f in fields}, "lines": list(selectors.settlement_lines(doc))}


@router.get("/finance/charges", response={200: page_schema(ChargeOut), **ERRORS}, operation_id="list_charges")
def list_charges(request: AuthedRequest, paging: Query[PageParams], filters: Query[ChargeFilter]) -> dict[str, Any]:
    """Charges, newest first, each with its fact, price and rule versions and its split (finance readers)."""
    require_role(request.user, *selectors.READERS)
    month = services.month_start(filters.month) if filters.month else None
    return page(selectors.charge_list(for_user=request.user, month=month), paging)


@router.get("/finance/unpriced", response={200: page_schema(UnpricedOut), **ERRORS}, operation_id="list_unpriced_work")
def list_unpriced(request: AuthedRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """Work that found no price or share rule in force on its day (finance readers)."""
    require_role(request.user, *selectors.READERS)
    return page(selectors.unpriced_list(for_user=request.user), paging)


@router.get("/finance/reconciliation", response={200: list[MonthOut], **ERRORS}, operation_id="get_reconciliation")
def reconciliation(request: AuthedRequest) -> list[dict[str, Any]]:
    """Per month: the charges and the same money by who gets it, to the fen (finance readers)."""
    require_role(request.user, *selectors.READERS)
    return [
        {**vars(m), "balanced": m.balanced, "payers_balanced": m.payers_balanced} for m in selectors.reconciliation()
    ]


@router.get("/finance/incidents", response={200: page_schema(IncidentOut), **ERRORS}, operation_id="list_incidents")
def list_incidents(request: AuthedRequest, paging: Query[PageParams], open_only: bool = False) -> dict[str, Any]:
    """Incidents and disputes the caller may see (operations, finance: all; a coordinator: their hospital's; an
    expert: their own), newest first; the patients named are audited as read."""
    result = page(selectors.incident_list(for_user=request.user, open_only=open_only), paging)
    audit_patient_read(
        actor=request.user,
        person_ids=[i.person_id for i in result["items"] if i.person_id],
        object_type="finance.incident",
    )
    return result


@router.get(
    "/finance/incidents/{incident_id}", response={200: IncidentDetailOut, **ERRORS}, operation_id="get_incident"
)
def get_incident(request: AuthedRequest, incident_id: UUID) -> Any:
    """One incident with its history (404, audited, when the caller may not see it)."""
    return access_incident_by_id(request.user, incident_id)


@router.post("/finance/incidents", response={201: IncidentDetailOut, **ERRORS}, operation_id="record_incident")
def record_incident(request: AuthedRequest, payload: IncidentIn) -> Any:
    """Record an adverse event or a dispute (operations; a coordinator for their hospital). The source and the
    patient are resolved through their apps' access functions (404 when the caller may not see them); the insurer on
    the expert's valid policy is notified after the transaction commits."""
    require_role(request.user, *selectors.INCIDENT_RECORDERS)
    source = access_incident_source(request.user, payload.source_kind, payload.source_id)
    expert = access_incident_expert(request.user, payload.expert_id) if payload.expert_id else None
    person = access_incident_person(request.user, payload.person_id)
    incident = services.incident_record(
        by=request.user,
        kind=payload.kind,
        source=source,
        occurred_on=payload.occurred_on,
        summary=payload.summary,
        expert=expert,
        person=person,
    )
    return Status(201, incident)


@router.post(
    "/finance/incidents/{incident_id}/transitions",
    response={200: IncidentDetailOut, **ERRORS},
    operation_id="move_incident",
)
def move_incident(request: AuthedRequest, incident_id: UUID, payload: IncidentMoveIn) -> Any:
    """Move an incident one step (operations); an illegal move answers 409 naming both states."""
    incident = access_incident_by_id(request.user, incident_id)
    return services.incident_move(
        by=request.user, incident=incident, to=payload.to, reason=payload.reason, outcome=payload.outcome
    )


@router.get(
    "/finance/people/{person_id}/coverage",
    response={200: list[CoverageOut], **ERRORS},
    operation_id="list_person_coverage",
)
def list_person_coverage(request: AuthedRequest, person_id: UUID) -> Any:
    """A person's coverage (404, audited, when the caller's care relationship does not reach the person)."""
    person = access_coverage_person(request.user, person_id)
    return list(person.coverages.all())


# --- the GP-center chain (finance.chain) --------------------------------------------------------------------------
@router.get("/finance/chain", response={200: list[CenterSummaryOut], **ERRORS}, operation_id="get_chain_summary")
def chain_summary(request: AuthedRequest, month: date | None = None) -> list[dict[str, Any]]:
    """Every GP center compared for a month (default this month) and the 12 months ending with it, with the care
    dashboard's figures (finance readers)."""
    require_role(request.user, *selectors.READERS)
    when = chain.month_start(month or timezone.localdate())
    return [
        {
            "center_id": r.center.pk,
            "name": r.center.name,
            "city": r.center.city,
            "mode": r.center.gp_mode,
            "status": r.center.status,
            "month": r.month.as_dict(),
            "year_revenue": r.year_revenue,
            "year_chain": r.year_chain,
            "year_result": r.year_result,
            "contracted_residents": r.care["contracted_residents"],
            "on_time_percent": r.care["on_time_percent"],
            "bp_control_percent": r.care["bp_control_percent"],
            "glucose_control_percent": r.care["glucose_control_percent"],
        }
        for r in chain.chain_summary(for_user=request.user, month=when)
    ]


@router.get(
    "/finance/chain/{center_id}/months",
    response={200: list[CenterMonthOut], **ERRORS},
    operation_id="list_center_months",
)
def center_months(request: AuthedRequest, center_id: UUID, until: date | None = None) -> list[dict[str, Any]]:
    """A center's 12 months of accounts ending with ``until``'s month (default this month), oldest first (finance
    readers; a center's lead for their own; else 404)."""
    center = chain.access_center_for_chain(request.user, center_id)
    return [m.as_dict() for m in chain.center_year(center, until=until or timezone.localdate())]


@router.post("/finance/chain/{center_id}/costs", response={201: CostOut, **ERRORS}, operation_id="record_center_cost")
def record_center_cost(request: AuthedRequest, center_id: UUID, payload: CostIn) -> Any:
    """Enter a cost of the center for a month (its lead, operations; finance and auditors 403; others 404)."""
    center = chain.access_center_for_chain(request.user, center_id)
    cost = chain.center_cost_add(
        by=request.user,
        center=center,
        month=payload.month,
        category=payload.category,
        amount=payload.amount,
        note=payload.note,
    )
    return Status(201, cost)
