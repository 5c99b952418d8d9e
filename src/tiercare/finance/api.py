"""The finance API, read-only for integrations (an accounting system): statements (an expert's own; all for
operations, finance, auditors), charges with their split, unpriced work and the monthly reconciliation. Statements
are issued, prices and rules kept, on the pages (``finance:statements``, ``finance:prices``, ``finance:shares``)."""

from typing import Any
from uuid import UUID

from ninja import Query, Router

from tiercare.core.access import require_role
from tiercare.core.api import ErrorOut, PageParams, page, page_schema
from tiercare.core.http import AuthedRequest
from tiercare.finance import selectors
from tiercare.finance.access import access_statement_by_id
from tiercare.finance.schemas import (
    ChargeFilter,
    ChargeOut,
    MonthOut,
    StatementDetailOut,
    StatementOut,
    UnpricedOut,
)
from tiercare.finance.services import month_start

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


@router.get("/finance/charges", response={200: page_schema(ChargeOut), **ERRORS}, operation_id="list_charges")
def list_charges(request: AuthedRequest, paging: Query[PageParams], filters: Query[ChargeFilter]) -> dict[str, Any]:
    """Charges, newest first, each with its fact, price and rule versions and its split (finance readers)."""
    require_role(request.user, *selectors.READERS)
    month = month_start(filters.month) if filters.month else None
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
    return [{**vars(m), "balanced": m.balanced} for m in selectors.reconciliation()]
