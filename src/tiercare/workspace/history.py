"""A person's whole access history for the auditor: one API call and one page, both on ``audit_person_history``.

In the workspace app because it names people (people app) and users (core) together; core may not import people.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tiercare.core.api import ErrorOut, PageParams, page
from tiercare.core.audit import audit_person_history
from tiercare.core.errors import NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import AuditEvent, User
from tiercare.people.models import Person
from tiercare.workspace.audit_words import object_label, reason_label, role_label

router = Router(tags=["audit"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class HistoryFilters(Schema):
    since: date | None = Field(None, description="First Beijing-time day to include (YYYY-MM-DD).")
    until: date | None = Field(None, description="Last Beijing-time day to include (YYYY-MM-DD).")


class HistoryEventOut(Schema):
    at: str = Field(description="Beijing time, ISO 8601 with +08:00.")
    actor: str = Field(description="The user's name (display name, else username).")
    actor_username: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    reason: str
    path: str
    ip: str | None


class HistoryPage(Schema):
    person_id: UUID
    person_name: str
    count: int
    items: list[HistoryEventOut]


def _person(person_id: UUID) -> Person:
    person = Person.objects.filter(pk=person_id).only("id", "name").first()
    if person is None:
        raise NotFound(_("Not found."))
    return person


def _check_range(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise ValidationFailed(_("until: the end date is before the start date."), details={"field": "until"})


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    names: dict[int | None, str] = {
        u.pk: str(u) for u in User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id}).only(
            "id", "username", "display_name")
    }  # fmt: skip
    return [
        {
            "at": timezone.localtime(e.at).isoformat(),
            "at_local": timezone.localtime(e.at),
            "actor": names.get(e.actor_id, e.actor_username or "—"),
            "actor_username": e.actor_username,
            "actor_role": e.actor_role,
            "action": e.action,
            "action_label": e.get_action_display(),
            "role_label": role_label(e.actor_role) if e.actor_role else "—",
            "object_label": object_label(e.object_type),
            "reason_label": reason_label(e.reason),
            "object_type": e.object_type,
            "object_id": e.object_id,
            "reason": e.reason,
            "path": e.path,
            "ip": e.ip,
        }
        for e in events
    ]


@router.get(
    "/audit/persons/{person_id}/history",
    response={200: HistoryPage, **ERRORS},
    operation_id="audit_person_history",
)
def person_history(
    request: AuthedRequest, person_id: UUID, filters: Query[HistoryFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Who read or changed this person's record, when and why, newest first (auditors only; 404 for anyone else).
    The request itself is audited."""
    _check_range(filters.since, filters.until)
    qs = audit_person_history(for_user=request.user, person_id=person_id, since=filters.since, until=filters.until)
    person = _person(person_id)
    result = page(qs, paging)
    return {"person_id": person.pk, "person_name": person.name, "count": result["count"],
            "items": _rows(list(result["items"]))}  # fmt: skip


@login_required
def person_history_page(request: AuthedRequest, person_id: UUID) -> HttpResponse:
    """The auditor's page: the same history, filtered by Beijing-time dates, 50 a page, filters kept across pages."""
    raw = {k: request.GET.get(k, "").strip() for k in ("since", "until")}
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key, value in raw.items():
        try:
            days[key] = date.fromisoformat(value) if value else None
        except ValueError:
            days[key] = None
            errors[key] = _("Enter a date as YYYY-MM-DD.")
    if days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = _("The end date is before the start date.")
        days["until"] = None
    qs = audit_person_history(for_user=request.user, person_id=person_id, **days)
    person = _person(person_id)
    paged = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in raw.items() if v and k not in errors)
    context = {"person": person, "page": paged, "rows": _rows(list(paged.object_list)), "filters": raw,
               "errors": errors, "query": query}  # fmt: skip
    return render(request, "workspace/person_history.html", context)
