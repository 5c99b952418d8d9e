"""The profiles pages.

Public (no sign-in): the experts' search, an expert's page (``/experts/<pinyin>-<8 hex>/``), a published article,
``/sitemap.xml``. Signed in: a patient's encounters to review, an expert's own articles and replies, operations'
moderation. Ids from outside go through ``profiles.access``; writes through ``profiles.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercare.care.forms import show_domain_error
from tiercare.core.access import as_uuid, require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role
from tiercare.network.models import Practitioner, Specialty
from tiercare.profiles import selectors, services
from tiercare.profiles.access import (
    access_article_to_moderate,
    access_booking_to_review,
    access_online_to_review,
    access_opinion_to_review,
    access_own_article,
    access_review_to_moderate,
    access_review_to_reply,
)
from tiercare.profiles.forms import ArticleForm, ReasonForm, ReplyForm, ReviewForm, SearchForm
from tiercare.profiles.models import EncounterKind


def _public_expert(slug: str) -> Practitioner:
    expert = selectors.public_expert_by_slug(slug)
    if expert is None:
        raise NotFound(_("No such expert."))
    return expert


# --- public ------------------------------------------------------------------------------------------------------
@require_GET
def expert_list(request: HttpRequest) -> HttpResponse:
    """Find an expert: by name, pinyin or initials, a specialty, a condition word, or a place."""
    form = SearchForm(request.GET or None)
    q, specialty = "", ""
    if form.is_valid():
        q, specialty = form.cleaned_data["q"], form.cleaned_data["specialty"]
    result = selectors.expert_search(q=q, specialty=specialty if specialty in Specialty.values else "")
    context = {
        "form": form,
        "result": result,
        "specialty": Specialty(specialty).label if specialty in Specialty.values else "",
        "all_specialties": Specialty.choices,
    }
    return render(request, "profiles/experts.html", context)


@require_GET
def expert_page(request: HttpRequest, slug: str) -> HttpResponse:
    """An expert's public page (no sign-in). An id (``/experts/<uuid>/``) redirects to the page's address."""
    uid = as_uuid(slug)
    if uid is not None:
        expert = selectors.public_experts().filter(pk=uid).first()
        if expert is None:
            raise NotFound(_("No such expert."))
        return redirect("profiles:expert", slug=selectors.expert_slug(expert), permanent=True)
    expert = _public_expert(slug)
    page = selectors.public_page(expert)
    url = request.build_absolute_uri(request.path)
    return render(request, "profiles/expert.html", {"p": page, "canonical": url})


@require_GET
def article_page(request: HttpRequest, slug: str, article_id: str) -> HttpResponse:
    """A published article on its author's page."""
    expert = _public_expert(slug)
    article = selectors.published_article(expert, article_id)
    if article is None:
        raise NotFound(_("No such article."))
    context = {"article": article, "p": selectors.public_page(expert), "canonical": request.build_absolute_uri()}
    return render(request, "profiles/article.html", context)


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    """Every public expert page and the search page, for search engines."""
    base = (settings.SITE_URL or request.build_absolute_uri("/")).rstrip("/")
    xml = render_to_string(
        "profiles/sitemap.xml", {"base": base, "entries": selectors.sitemap_entries()}, request=request
    )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


# --- a patient's reviews -----------------------------------------------------------------------------------------
@login_required
@require_GET
def my_reviews(request: AuthedRequest) -> HttpResponse:
    """The patient's completed encounters (their own and their household's, as proxy), each with its review or a
    link to write one."""
    require_role(request.user, Role.PATIENT)
    encounters = selectors.patient_encounters(request.user)
    audit_patient_read(
        actor=request.user,
        person_ids=[e.person_id for e in encounters],
        object_type="outreach.booking",
        reason="review",
    )
    return render(request, "profiles/my_reviews.html", {"encounters": encounters})


def _review_form(request: AuthedRequest, kind: str, encounter: Any, expert: Practitioner) -> HttpResponse:
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            fields: dict[str, str] = {EncounterKind.SESSION: "booking", EncounterKind.OPINION: "opinion"}
            field = fields.get(kind, "online")
            target = {field: encounter}
            try:
                services.review_create(
                    by=request.user, stars=form.cleaned_data["stars"], text=form.cleaned_data["text"], **target
                )
            except (ValidationFailed, Conflict, Forbidden) as exc:
                show_domain_error(form, exc)
                status = exc.status
            else:
                return redirect("profiles:my_reviews")
    context = {"form": form, "expert": expert, "kind": EncounterKind(kind).label}
    return render(request, "profiles/review_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review_booking(request: AuthedRequest, booking_id: str) -> HttpResponse:
    """Review a visit at a held session (the patient or their household's proxy)."""
    booking = access_booking_to_review(request.user, booking_id)
    return _review_form(request, EncounterKind.SESSION, booking, booking.session.expert)


@login_required
@require_http_methods(["GET", "POST"])
def review_opinion(request: AuthedRequest, opinion_id: str) -> HttpResponse:
    """Review a signed second opinion (the patient or their household's proxy)."""
    opinion = access_opinion_to_review(request.user, opinion_id)
    assert opinion.expert is not None  # reviewable opinions have an expert
    return _review_form(request, EncounterKind.OPINION, opinion, opinion.expert)


@login_required
@require_http_methods(["GET", "POST"])
def review_online(request: AuthedRequest, consult_id: str) -> HttpResponse:
    """Review an online follow-up the doctor answered or closed (the patient or a proxy holder)."""
    consult = access_online_to_review(request.user, consult_id)
    return _review_form(request, EncounterKind.ONLINE, consult, consult.doctor)


# --- an expert's own page ----------------------------------------------------------------------------------------
def _mine_context(request: AuthedRequest) -> dict[str, Any]:
    me = selectors.own_practitioner(request.user)
    if me is None:
        raise Forbidden(_("Only the group's experts have a public page."))
    return {
        "me": me,
        "articles": selectors.own_articles(request.user),
        "reviews": selectors.own_reviews(request.user),
        "reply_forms": {},
    }


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    """The expert's own articles (with their state and any reason for a return) and the reviews of them."""
    return render(request, "profiles/mine.html", _mine_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def article_new(request: AuthedRequest) -> HttpResponse:
    """Write a new article (a draft; submit it from its page)."""
    if selectors.own_practitioner(request.user) is None:
        raise Forbidden(_("Only the group's experts write articles."))
    return _article_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthedRequest, article_id: str) -> HttpResponse:
    """Change a draft or returned article; ``submit`` also sends it for publication."""
    article = access_own_article(request.user, article_id, editable=True)
    return _article_form(request, article)


def _article_form(request: AuthedRequest, article: Any) -> HttpResponse:
    initial = {"title": article.title, "body": article.body} if article else None
    form = ArticleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = services.article_save(by=request.user, article=article, **form.cleaned_data)
                if request.POST.get("submit"):
                    services.article_submit(by=request.user, article=saved)
            except DomainError as exc:
                show_domain_error(form, exc)
                status = exc.status
            else:
                return redirect("profiles:mine")
    return render(request, "profiles/article_form.html", {"form": form, "article": article}, status=status)


@login_required
@require_POST
def review_reply(request: AuthedRequest, review_id: str) -> HttpResponse:
    """The reviewed expert's one public reply."""
    review = access_review_to_reply(request.user, review_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.review_reply(by=request.user, review=review, text=form.cleaned_data["reply"])
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            return redirect("profiles:mine")
    context = _mine_context(request)
    context["reply_forms"] = {review.pk: form}
    context["errors"] = form.non_field_errors()
    return render(request, "profiles/mine.html", context, status=422)


# --- moderation --------------------------------------------------------------------------------------------------
def _moderation_context(request: AuthedRequest) -> dict[str, Any]:
    require_role(request.user, *selectors.MODERATORS)
    return {
        "articles": selectors.articles_to_moderate(request.user),
        "reviews": selectors.reviews_to_moderate(request.user)[:200],
        "article_forms": {},
        "review_forms": {},
    }


@login_required
@require_GET
def moderation(request: AuthedRequest) -> HttpResponse:
    """Operations: articles awaiting publication (publish, or return with a reason) and reviews (hide one with a
    reason; its text is never changed)."""
    return render(request, "profiles/moderation.html", _moderation_context(request))


@login_required
@require_POST
def moderate_article(request: AuthedRequest, article_id: str) -> HttpResponse:
    """Publish a submitted article, or return it with a reason."""
    article = access_article_to_moderate(request.user, article_id)
    form = ReasonForm(request.POST)
    try:
        if request.POST.get("action") == "publish":
            services.article_publish(by=request.user, article=article)
            return redirect("profiles:moderation")
        if form.is_valid():
            services.article_return(by=request.user, article=article, reason=form.cleaned_data["reason"])
            return redirect("profiles:moderation")
    except (ValidationFailed, Conflict) as exc:
        show_domain_error(form, exc)
    context = _moderation_context(request)
    context["article_forms"] = {article.pk: form}
    return render(request, "profiles/moderation.html", context, status=422)


@login_required
@require_POST
def moderate_review(request: AuthedRequest, review_id: str) -> HttpResponse:
    """Hide a review from the public page, with a reason (audited)."""
    review = access_review_to_moderate(request.user, review_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.review_hide(by=request.user, review=review, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            return redirect("profiles:moderation")
    context = _moderation_context(request)
    context["review_forms"] = {review.pk: form}
    return render(request, "profiles/moderation.html", context, status=422)
