from __future__ import annotations

from datetime import date
from uuid import UUID

from ninja import Field, Schema

from tiercare.profiles.search import QUERY_MAX


class ExpertSearchParams(Schema):
    q: str = Field(
        "",
        max_length=QUERY_MAX,
        description="A name, its pinyin or initials, a specialty, a condition "
        "word (糖尿病) or a place (hospital, county)",
    )
    specialty: str = Field("", max_length=30, description="A network specialty code")


class PublicExpertOut(Schema):
    id: UUID
    name: str
    slug: str
    url: str
    title: str
    specialty: str
    home_organization: str
    review_count: int
    stars_mean: float | None


class PublicReviewOut(Schema):
    id: str
    stars: int
    text: str
    encounter: str = Field(description="The kind of encounter, in words")
    month: date
    reply: str


class PublicSessionOut(Schema):
    date: date
    half_day: str
    site: str
    department: str


class PublicArticleOut(Schema):
    id: str
    title: str
    published_on: date


class ExpertPageOut(Schema):
    id: str
    name: str
    slug: str
    title: str
    specialties: list[str]
    home_organization: str
    sites: list[str]
    next_sessions: list[PublicSessionOut]
    sessions_held: int
    cases_seen: int
    teaching_sessions: int
    attendees: int
    articles: list[PublicArticleOut]
    review_count: int
    stars_mean: float | None
    reviews: list[PublicReviewOut]
