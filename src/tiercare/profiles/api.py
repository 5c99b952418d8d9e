"""The profiles API, read-only and public like the pages: the experts' search and an expert's public page (the
same facts, the same cache). Writes (articles, reviews, moderation, replies) are done on the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from tiercare.core.api import ErrorOut, PageParams, page_schema
from tiercare.core.errors import NotFound
from tiercare.network.models import Practitioner, Specialty
from tiercare.profiles import selectors
from tiercare.profiles.schemas import ExpertPageOut, ExpertSearchParams, PublicExpertOut

router = Router(tags=["profiles"])
ERRORS = {400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}
ExpertPage = page_schema(PublicExpertOut)


def _expert_row(e: Practitioner) -> dict[str, Any]:
    slug = selectors.expert_slug(e)
    mean = getattr(e, "stars_mean", None)
    return {
        "id": e.pk,
        "name": e.name,
        "slug": slug,
        "url": reverse("profiles:expert", kwargs={"slug": slug}),
        "title": e.get_title_display(),
        "specialty": e.specialty,
        "home_organization": e.home_organization.name if e.home_organization else "",
        "review_count": getattr(e, "review_count", 0) or 0,
        "stars_mean": round(float(mean), 1) if mean is not None else None,
    }


@router.get("/profiles/experts", auth=None, response={200: ExpertPage, **ERRORS}, operation_id="search_experts")
def search_experts(request: HttpRequest, params: Query[ExpertSearchParams], paging: Query[PageParams]) -> Any:
    """Public experts found by name, pinyin or initials, specialty, condition word or place (no sign-in)."""
    specialty = params.specialty if params.specialty in Specialty.values else ""
    found = selectors.expert_search(q=params.q, specialty=specialty).experts
    rows = found[paging.offset : paging.offset + paging.limit]
    return {"count": len(found), "items": [_expert_row(e) for e in rows]}


@router.get(
    "/profiles/experts/{expert_id}", auth=None, response={200: ExpertPageOut, **ERRORS}, operation_id="get_expert_page"
)
def get_expert_page(request: HttpRequest, expert_id: UUID) -> Any:
    """An expert's public page: title, specialties, main institution, where they hold sessions and the next
    clinics, what their session reports add up to, published articles and shown reviews (no patient named)."""
    expert = selectors.public_experts().filter(pk=expert_id).first()
    if expert is None:
        raise NotFound(_("No such expert."))
    p = selectors.public_page(expert)
    return {
        "id": p.expert_id,
        "name": p.name,
        "slug": p.slug,
        "title": p.title,
        "specialties": p.specialties,
        "home_organization": p.home,
        "sites": [s["name"] for s in p.sites],
        "next_sessions": p.next_sessions,
        "sessions_held": p.held,
        "cases_seen": p.cases_seen,
        "teaching_sessions": p.teaching_sessions,
        "attendees": p.attendees,
        "articles": p.articles,
        "review_count": p.review_count,
        "stars_mean": p.stars_mean,
        "reviews": [
            {"id": r.id, "stars": r.stars, "text": r.text, "encounter": r.kind, "month": r.month, "reply": r.reply}
            for r in p.reviews
        ],
    }
