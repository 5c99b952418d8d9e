"""Reads of the profiles app.

Public reads (no sign-in) show public facts only: an active expert of the doctor group, their title,
specialties, main institution, where they hold sessions, aggregates of their session reports (never a patient),
published articles and visible reviews (never the reviewer's name). A public page's facts are computed once and
kept in the cache for ``PUBLIC_PAGE_SECONDS`` (a write of the expert's articles or reviews drops them at once).

Signed-in reads are scoped: a patient sees the encounters they (or the household they are proxy for) may review;
an expert their own articles and reviews; operations what waits for moderation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, Min, Q, QuerySet, Sum
from django.utils import timezone, translation

from tiercare.consults.models import OnlineConsult, OnlineStatus, OpinionStatus, SecondOpinion
from tiercare.core.models import Role, User
from tiercare.network.models import Practitioner, Specialty, Title
from tiercare.network.selectors import PUBLIC_EXPERT_Q as PUBLIC_EXPERT_Q
from tiercare.network.selectors import expert_slug as expert_slug
from tiercare.outreach.models import (
    ACTIVE_SESSION_STATUSES,
    Booking,
    BookingStatus,
    ExpertResponse,
    ExpertSession,
    SessionKind,
    SessionReport,
    SessionStatus,
)
from tiercare.people.proxies import patient_q
from tiercare.profiles.models import Article, ArticleStatus, EncounterKind, Review, ReviewStatus
from tiercare.profiles.search import matching_conditions, matching_specialties, normalise

PUBLIC_PAGE_SECONDS = 120
NEXT_SESSIONS = 6
# Sites where the expert held a session within this many days (or holds one ahead) are "where they hold sessions".
SITES_LOOKBACK_DAYS = 365
MODERATORS = (Role.OPS, Role.ADMIN)
SEARCH_LIMIT = 30


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def public_experts() -> QuerySet[Practitioner]:
    """Active experts of the doctor group: the only practitioners with a public page."""
    return Practitioner.objects.filter(PUBLIC_EXPERT_Q).select_related("home_organization", "home_department")


def public_expert_by_slug(slug: str) -> Practitioner | None:
    """The public expert a slug names, or None. One query."""
    head, _sep, short = slug.rpartition("-")
    if not head or len(short) != 8:
        return None
    for expert in public_experts().filter(name_pinyin="" if head == "expert" else head):
        if expert.pk.hex.startswith(short):
            return expert
    return None


def specialty_labels(expert: Practitioner) -> list[str]:
    codes = [expert.specialty, *[c for c in (expert.other_specialties or []) if c != expert.specialty]]
    return [str(Specialty(c).label) for c in codes if c in Specialty.values]


# --- the public page ---------------------------------------------------------------------------------------------
@dataclass
class PublicReview:
    id: str
    stars: int
    text: str
    kind: str
    month: date
    reply: str
    replied_on: date | None


@dataclass
class PublicPage:
    """Everything the public page shows, in plain values (cached whole)."""

    expert_id: str
    name: str
    slug: str
    title: str
    specialties: list[str]
    home: str
    home_department: str
    bio: str
    sites: list[dict[str, str]]
    next_sessions: list[dict[str, Any]]
    held: int
    cases_seen: int
    teaching_sessions: int
    attendees: int
    articles: list[dict[str, Any]]
    reviews: list[PublicReview] = field(default_factory=list)
    review_count: int = 0
    stars_mean: float | None = None


def _cache_key(expert_id: object) -> str:
    return f"profiles:page:{expert_id}:{translation.get_language() or ''}"


def forget_public_page(expert_id: object) -> None:
    """Drop an expert's cached public page in every language (after a write of their articles or reviews)."""
    from django.conf import settings

    cache.delete_many([f"profiles:page:{expert_id}:{code}" for code, _name in settings.LANGUAGES])


def public_page(expert: Practitioner, *, today: date | None = None) -> PublicPage:
    """The public facts of ``expert`` (a public expert), from the cache or computed in a fixed number of queries
    whatever the number of sessions, articles and reviews."""
    key = _cache_key(expert.pk)
    page = cache.get(key)
    if page is None:
        page = _compute_page(expert, today or timezone.localdate())
        cache.set(key, page, PUBLIC_PAGE_SECONDS)
    return page


def _compute_page(expert: Practitioner, today: date) -> PublicPage:
    sessions = ExpertSession.objects.filter(expert=expert)
    since = today - timedelta(days=SITES_LOOKBACK_DAYS)
    site_rows = (
        sessions.filter(
            Q(status=SessionStatus.HELD, date__gte=since) | Q(status__in=ACTIVE_SESSION_STATUSES, date__gte=today)
        )
        .values("site__name", "site__county")
        .annotate(n=Count("id"))
        .order_by("-n", "site__name")
    )
    upcoming = (
        sessions.filter(status__in=ACTIVE_SESSION_STATUSES, kind=SessionKind.CLINIC, date__gte=today)
        .exclude(response=ExpertResponse.DECLINED)
        .select_related("site", "department")
        .order_by("date", "half_day")[:NEXT_SESSIONS]
    )
    totals = SessionReport.objects.filter(session__expert=expert, session__status=SessionStatus.HELD).aggregate(
        held=Count("id"),
        cases=Sum("cases_seen"),
        teaching=Count("id", filter=~Q(teaching_topic="")),
        attendees=Sum("attendees"),
    )
    articles = Article.objects.filter(expert=expert, status=ArticleStatus.PUBLISHED).only(
        "id", "title", "published_at", "expert_id"
    )
    visible = Review.objects.filter(expert=expert, status=ReviewStatus.VISIBLE)
    stats = visible.aggregate(n=Count("id"), mean=Avg("stars"))
    reviews = [
        PublicReview(
            id=str(r.pk),
            stars=r.stars,
            text=r.text,
            kind=str(EncounterKind(r.kind).label),
            month=r.encounter_on.replace(day=1),
            reply=r.reply,
            replied_on=timezone.localdate(r.replied_at) if r.replied_at else None,
        )
        for r in visible.only("id", "stars", "text", "kind", "encounter_on", "reply", "replied_at").order_by(
            "-encounter_on", "-created_at"
        )[:50]
    ]
    return PublicPage(
        expert_id=str(expert.pk),
        name=expert.name,
        slug=expert_slug(expert),
        title=str(Title(expert.title).label) if expert.title in Title.values else "",
        specialties=specialty_labels(expert),
        home=expert.home_organization.name if expert.home_organization else "",
        home_department=expert.home_department.name if expert.home_department else "",
        bio=expert.bio,
        sites=[{"name": r["site__name"], "county": r["site__county"] or ""} for r in site_rows],
        next_sessions=[
            {
                "date": s.date,
                "half_day": s.get_half_day_display(),
                "site": s.site.name,
                "department": s.department.name,
            }
            for s in upcoming
        ],
        held=totals["held"] or 0,
        cases_seen=totals["cases"] or 0,
        teaching_sessions=totals["teaching"] or 0,
        attendees=totals["attendees"] or 0,
        articles=[
            {"id": str(a.pk), "title": a.title, "published_on": timezone.localdate(a.published_at)}
            for a in articles
            if a.published_at
        ],
        reviews=reviews,
        review_count=stats["n"] or 0,
        stars_mean=round(float(stats["mean"]), 1) if stats["mean"] is not None else None,
    )


def published_article(expert: Practitioner, article_id: object) -> Article | None:
    from tiercare.core.access import as_uuid

    pk = as_uuid(article_id)
    if pk is None:
        return None
    return Article.objects.filter(pk=pk, expert=expert, status=ArticleStatus.PUBLISHED).first()


# --- search ------------------------------------------------------------------------------------------------------
@dataclass
class SearchResult:
    q: str
    specialties: list[tuple[str, str]]
    conditions: list[str]
    experts: Sequence[Practitioner]
    why: dict[Any, str]


def expert_search(*, q: str, specialty: str = "") -> SearchResult:
    """Public experts found by name (characters, pinyin, initials), by specialty (name, pinyin, initials, or a
    condition word of the table) or by place (the main institution, a hospital where they hold sessions, its
    county or city). Name matches first, then specialty, then place; at most ``SEARCH_LIMIT``. With no words,
    every public expert (of ``specialty`` when given). Each expert carries ``review_count`` and ``stars_mean``."""
    words = normalise(q)
    codes = matching_specialties(words)
    if specialty in Specialty.values and specialty not in codes:
        codes = [specialty, *codes] if not words else codes
    qs = public_experts().annotate(
        review_count=Count("reviews", filter=Q(reviews__status=ReviewStatus.VISIBLE), distinct=True),
        stars_mean=Avg("reviews__stars", filter=Q(reviews__status=ReviewStatus.VISIBLE)),
    )
    if specialty in Specialty.values:
        qs = qs.filter(Q(specialty=specialty) | Q(other_specialties__icontains=f'"{specialty}"'))
    why: dict[Any, str] = {}
    if not words:
        experts = list(qs.order_by("specialty", "name_pinyin")[:200])
        return SearchResult(q="", specialties=[], conditions=[], experts=experts, why=why)
    name_q = Q(name__contains=words)
    if words.isascii():
        name_q |= Q(name_pinyin__startswith=words) | Q(name_initials__startswith=words)
    specialty_q = Q(pk__in=[])
    for code in codes:
        specialty_q |= Q(specialty=code) | Q(other_specialties__icontains=f'"{code}"')
    place_q = Q(pk__in=[])
    if not words.isascii() and len(words) >= 2:
        held_sites = ExpertSession.objects.exclude(status=SessionStatus.CANCELLED).filter(
            Q(site__name__contains=words) | Q(site__county__contains=words) | Q(site__city__contains=words)
        )
        place_q = (
            Q(home_organization__name__contains=words)
            | Q(home_organization__county__contains=words)
            | Q(home_organization__city__contains=words)
            | Q(pk__in=held_sites.values("expert_id"))
        )
    by_name = set(qs.filter(name_q).values_list("pk", flat=True))
    by_specialty = set(qs.filter(specialty_q).values_list("pk", flat=True))
    by_place = set(qs.filter(place_q).values_list("pk", flat=True))
    found = by_name | by_specialty | by_place
    rank = {pk: (0 if pk in by_name else 1 if pk in by_specialty else 2) for pk in found}
    experts = sorted(
        qs.filter(pk__in=found), key=lambda e: (rank[e.pk], codes.index(e.specialty) if e.specialty in codes else 99)
    )[:SEARCH_LIMIT]
    for e in experts:
        why[e.pk] = ("name", "specialty", "place")[rank[e.pk]]
    return SearchResult(
        q=words,
        specialties=[(c, str(Specialty(c).label)) for c in codes],
        conditions=matching_conditions(words),
        experts=experts,
        why=why,
    )


# --- a patient's encounters --------------------------------------------------------------------------------------
def _reviewer_person_q(user: User, field: str) -> Q:
    """A filter on ``field`` (a path to a Person) for the people ``user`` reviews for: themself, and those they hold
    an in-force proxy for (``people.proxies``). Nobody for anyone but an active patient with a person record."""
    if not (_active(user) and user.role == Role.PATIENT):
        return Q(pk__in=[])
    return patient_q(user, field)


def reviewable_bookings(user: User) -> QuerySet[Booking]:
    """Bookings of a held session that ``user`` may review (their own or their household's as proxy): the
    place was kept (not cancelled) and the session held, with an expert of the doctor group."""
    return (
        Booking.objects.filter(_reviewer_person_q(user, "person"))
        .filter(
            status=BookingStatus.ACTIVE,
            session__status=SessionStatus.HELD,
            session__expert__doctor_group__isnull=False,
        )
        .select_related("session__expert", "session__site", "person")
        .distinct()
    )


def reviewable_opinions(user: User) -> QuerySet[SecondOpinion]:
    """Signed second opinions on the case of ``user`` (or of a household member they are proxy for): the opinion
    is in the patient's record, shared with them, by an expert of the doctor group."""
    return (
        SecondOpinion.objects.filter(_reviewer_person_q(user, "case__person"))
        .filter(
            status=OpinionStatus.SIGNED,
            signed_at__isnull=False,
            expert__isnull=False,
            expert__doctor_group__isnull=False,
        )
        .select_related("expert", "case__person")
        .distinct()
    )


def reviewable_online(user: User) -> QuerySet[OnlineConsult]:
    """Online follow-up consultations of ``user`` (or of a member they hold a proxy for) that the doctor answered
    (wrote in the thread) or closed: a completed encounter with that doctor or expert. ``answered_at`` is the
    doctor's first answer."""
    return (
        OnlineConsult.objects.filter(_reviewer_person_q(user, "person"))
        .annotate(answered_at=Min("messages__created_at", filter=Q(messages__from_doctor=True)))
        .filter(Q(status=OnlineStatus.CLOSED) | Q(answered_at__isnull=False))
        .select_related("doctor", "person")
    )


def online_encounter_on(consult: OnlineConsult) -> date:
    """The day of an online encounter: its closing, else the doctor's first answer."""
    when = consult.closed_at or getattr(consult, "answered_at", None) or consult.created_at
    return timezone.localdate(when)


@dataclass
class Encounter:
    kind: str
    id: Any
    expert: Practitioner
    person_id: Any
    person_name: str
    on: date
    where: str
    review: Review | None


def patient_encounters(user: User) -> list[Encounter]:
    """The completed encounters ``user`` may review, newest first, each with its review if written."""
    bookings = list(reviewable_bookings(user).order_by("-session__date")[:100])
    opinions = list(reviewable_opinions(user).order_by("-signed_at")[:100])
    onlines = list(reviewable_online(user).order_by("-created_at")[:100])
    reviews = Review.objects.filter(
        Q(booking__in=[b.pk for b in bookings])
        | Q(opinion__in=[o.pk for o in opinions])
        | Q(online__in=[c.pk for c in onlines])
    )
    by_booking = {r.booking_id: r for r in reviews if r.booking_id}
    by_opinion = {r.opinion_id: r for r in reviews if r.opinion_id}
    by_online = {r.online_id: r for r in reviews if r.online_id}
    rows = [
        Encounter(
            EncounterKind.SESSION,
            b.pk,
            b.session.expert,
            b.person_id,
            b.person.name,
            b.session.date,
            b.session.site.name,
            by_booking.get(b.pk),
        )
        for b in bookings
    ]
    rows += [
        Encounter(
            EncounterKind.OPINION,
            o.pk,
            o.expert,
            o.case.person_id,
            o.case.person.name,
            timezone.localdate(o.signed_at),
            "",
            by_opinion.get(o.pk),
        )
        for o in opinions
        if o.signed_at and o.expert
    ]
    rows += [
        Encounter(
            EncounterKind.ONLINE,
            c.pk,
            c.doctor,
            c.person_id,
            c.person.name,
            online_encounter_on(c),
            "",
            by_online.get(c.pk),
        )
        for c in onlines
    ]
    return sorted(rows, key=lambda e: e.on, reverse=True)


# --- an expert's own, and moderation -----------------------------------------------------------------------------
def own_practitioner(user: User) -> Practitioner | None:
    """The signed-in expert's practitioner record, if they are a public expert."""
    if not (_active(user) and user.role == Role.EXPERT):
        return None
    return public_experts().filter(user=user).first()


def own_articles(user: User) -> QuerySet[Article]:
    me = own_practitioner(user)
    return Article.objects.filter(expert=me) if me else Article.objects.none()


def own_reviews(user: User) -> QuerySet[Review]:
    me = own_practitioner(user)
    return Review.objects.filter(expert=me) if me else Review.objects.none()


def articles_to_moderate(user: User) -> QuerySet[Article]:
    if not (_active(user) and user.role in MODERATORS):
        return Article.objects.none()
    return Article.objects.filter(status=ArticleStatus.SUBMITTED).select_related("expert").order_by("submitted_at")


def reviews_to_moderate(user: User) -> QuerySet[Review]:
    """Every review, newest first, for operations (who hide one with a reason); the patient is not named."""
    if not (_active(user) and user.role in MODERATORS):
        return Review.objects.none()
    return Review.objects.select_related("expert", "hidden_by").order_by("-created_at")


def sitemap_entries() -> list[tuple[str, Any]]:
    """(address, last change) of every public expert page and every published article of a public expert."""
    from django.urls import reverse

    experts = Practitioner.objects.filter(PUBLIC_EXPERT_Q).only("id", "name_pinyin", "updated_at")
    rows = [(reverse("profiles:expert", kwargs={"slug": expert_slug(e)}), e.updated_at) for e in experts]
    articles = Article.objects.filter(status=ArticleStatus.PUBLISHED, expert__in=experts.values("pk")).select_related(
        "expert"
    )
    rows += [
        (reverse("profiles:article", kwargs={"slug": expert_slug(a.expert), "article_id": a.pk}), a.updated_at)
        for a in articles
    ]
    return rows
