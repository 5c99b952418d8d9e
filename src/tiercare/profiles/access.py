"""Fetch one object of the profiles app for one user, or raise NotFound (404) with an audited refusal, without
telling whether it exists (``core.access.access_one``). Every id of this app that comes from outside passes here.

A patient's encounter (a booking of a held session, a signed second opinion) is a read of their record: audited.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from tiercare.consults.models import OnlineConsult, SecondOpinion
from tiercare.core.access import access_one
from tiercare.core.models import User
from tiercare.outreach.models import Booking
from tiercare.profiles.models import EDITABLE_ARTICLE_STATUSES, Article, Review, ReviewStatus
from tiercare.profiles.selectors import (
    articles_to_moderate,
    own_articles,
    own_reviews,
    reviewable_bookings,
    reviewable_online,
    reviewable_opinions,
    reviews_to_moderate,
)

# The reasons this module writes to the audit log, in words for the audit log's pages (workspace.audit_words looks a
# code-written reason up under the "audit reason" context).
AUDIT_REASONS = (
    pgettext_lazy("audit reason", "review"),
    pgettext_lazy("audit reason", "not a completed visit of the reviewer"),
    pgettext_lazy("audit reason", "not a signed opinion shared with the reviewer"),
    pgettext_lazy("audit reason", "not an answered online consultation of the reviewer"),
    pgettext_lazy("audit reason", "not the user's article"),
    pgettext_lazy("audit reason", "not an article awaiting moderation"),
    pgettext_lazy("audit reason", "not a review moderator"),
    pgettext_lazy("audit reason", "not a review of the expert"),
)


def access_booking_to_review(user: User, booking_id: object) -> Booking:
    """A booking of a held session of the patient ``user`` (or of a household member they are proxy for), else
    404: a booking that is someone else's, cancelled, or of a session not held is not a completed encounter."""
    return access_one(
        user,
        reviewable_bookings(user),
        booking_id,
        object_type="outreach.booking",
        refusal="not a completed visit of the reviewer",
        not_found=_("No completed visit of yours with this id."),
        persons=lambda b: [b.person_id],
        reason="review",
    )


def access_opinion_to_review(user: User, opinion_id: object) -> SecondOpinion:
    """A signed second opinion on the case of the patient ``user`` (or of a household member they are proxy for),
    else 404."""
    return access_one(
        user,
        reviewable_opinions(user),
        opinion_id,
        object_type="consults.secondopinion",
        refusal="not a signed opinion shared with the reviewer",
        not_found=_("No signed second opinion of yours with this id."),
        persons=lambda o: [o.case.person_id],
        reason="review",
    )


def access_online_to_review(user: User, consult_id: object) -> OnlineConsult:
    """An online follow-up of the patient ``user`` (or of a member they hold a proxy for) that the doctor answered
    or closed, else 404."""
    return access_one(
        user,
        reviewable_online(user),
        consult_id,
        object_type="consults.onlineconsult",
        refusal="not an answered online consultation of the reviewer",
        not_found=_("No answered online consultation of yours with this id."),
        persons=lambda c: [c.person_id],
        reason="review",
    )


def access_own_article(user: User, article_id: object, *, editable: bool = False) -> Article:
    """One of the signed-in expert's own articles (with ``editable``: a draft or a returned one), else 404."""
    qs = own_articles(user)
    if editable:
        qs = qs.filter(status__in=EDITABLE_ARTICLE_STATUSES)
    return access_one(
        user,
        qs.select_related("expert"),
        article_id,
        object_type="profiles.article",
        refusal="not the user's article",
        not_found=_("No such article."),
    )


def access_article_to_moderate(user: User, article_id: object) -> Article:
    """An article awaiting publication, for operations and administrators, else 404."""
    return access_one(
        user,
        articles_to_moderate(user),
        article_id,
        object_type="profiles.article",
        refusal="not an article awaiting moderation",
        not_found=_("No such article awaiting publication."),
    )


def access_review_to_moderate(user: User, review_id: object) -> Review:
    """Any review, for operations and administrators, else 404."""
    return access_one(
        user,
        reviews_to_moderate(user),
        review_id,
        object_type="profiles.review",
        refusal="not a review moderator",
        not_found=_("No such review."),
    )


def access_review_to_reply(user: User, review_id: object) -> Review:
    """A shown review of the signed-in expert, else 404."""
    return access_one(
        user,
        own_reviews(user).filter(status=ReviewStatus.VISIBLE),
        review_id,
        object_type="profiles.review",
        refusal="not a review of the expert",
        not_found=_("No such review."),
    )
