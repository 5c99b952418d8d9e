"""Public expert pages: articles the experts write (published by operations) and verified reviews.

The rules the database keeps:
- one review per encounter: a booking of a held session, or a signed second opinion (conditional uniques);
- a review has 1–5 stars and belongs to exactly one kind of encounter, the one its ``kind`` names;
- a hidden review has a reason, a returned article has a reason (check constraints).
A review is never edited after it is written: operations hide it (with a reason, audited), the expert replies once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.core.models import BaseModel

TITLE_MAX = 120
ARTICLE_BODY_MAX = 20_000
REVIEW_TEXT_MAX = 1_000
REPLY_MAX = 1_000
REASON_MAX = 300


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting publication")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Returned to the author")


# The one table of allowed article moves: the expert submits a draft (or a returned article, after changes);
# operations publish it or return it with a reason.
ARTICLE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ArticleStatus.DRAFT: (ArticleStatus.SUBMITTED,),
    ArticleStatus.RETURNED: (ArticleStatus.SUBMITTED,),
    ArticleStatus.SUBMITTED: (ArticleStatus.PUBLISHED, ArticleStatus.RETURNED),
    ArticleStatus.PUBLISHED: (),
}
EDITABLE_ARTICLE_STATUSES = (ArticleStatus.DRAFT, ArticleStatus.RETURNED)


class Article(BaseModel):
    """A piece an expert wrote for patients (科普文章), shown on their public page once operations publish it."""

    expert = models.ForeignKey(
        "network.Practitioner", verbose_name=_("author"), on_delete=models.PROTECT, related_name="articles"
    )
    title = models.CharField(pgettext_lazy("article", "title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=ARTICLE_BODY_MAX)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    return_reason = models.CharField(_("reason for returning"), max_length=REASON_MAX, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("expert article")
        verbose_name_plural = _("expert articles")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ArticleStatus.values), name="article_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="article_returned_has_reason",
                violation_error_message=_("return_reason: say why the article goes back to its author."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False), name="article_published_at"
            ),
        ]
        indexes = [models.Index(fields=["expert", "status"]), models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return self.title


class EncounterKind(models.TextChoices):
    SESSION = "session", _("Visit at an expert session")
    OPINION = "opinion", _("Second opinion")
    ONLINE = "online", _("Online follow-up consultation")


class ReviewStatus(models.TextChoices):
    VISIBLE = "visible", _("Shown")
    HIDDEN = "hidden", _("Hidden by operations")


STARS = (1, 2, 3, 4, 5)


class Review(BaseModel):
    """A verified review: written by the patient (or their household's proxy) of one completed encounter with the
    expert, at most one per encounter. ``encounter_on`` is the day of the encounter (shown by month only); the
    public page never names the patient."""

    expert = models.ForeignKey(
        "network.Practitioner", verbose_name=_("expert"), on_delete=models.PROTECT, related_name="reviews"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="expert_reviews"
    )
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("encounter"), max_length=10, choices=EncounterKind.choices)
    booking = models.ForeignKey(
        "outreach.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    opinion = models.ForeignKey(
        "consults.SecondOpinion", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    # An answered or closed online follow-up (consults). When consults purges the consultation at the end of its
    # retention, its review goes with it (the encounter that verified it is gone).
    online = models.ForeignKey(
        "consults.OnlineConsult", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    encounter_on = models.DateField(_("date of the encounter"))
    stars = models.PositiveSmallIntegerField(_("stars"), choices=[(s, str(s)) for s in STARS])
    text = models.TextField(_("review"), max_length=REVIEW_TEXT_MAX)
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.VISIBLE)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=REASON_MAX, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("the expert's reply"), max_length=REPLY_MAX, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("verified review")
        verbose_name_plural = _("verified reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(booking__isnull=False),
                name="review_once_per_booking",
                violation_error_message=_("This visit has already been reviewed."),
            ),
            models.UniqueConstraint(
                fields=["opinion"],
                condition=Q(opinion__isnull=False),
                name="review_once_per_opinion",
                violation_error_message=_("This second opinion has already been reviewed."),
            ),
            models.UniqueConstraint(
                fields=["online"],
                condition=Q(online__isnull=False),
                name="review_once_per_online",
                violation_error_message=_("This online consultation has already been reviewed."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="session") & Q(booking__isnull=False) & Q(opinion__isnull=True) & Q(online__isnull=True)
                )
                | (Q(kind="opinion") & Q(opinion__isnull=False) & Q(booking__isnull=True) & Q(online__isnull=True))
                | (Q(kind="online") & Q(online__isnull=False) & Q(booking__isnull=True) & Q(opinion__isnull=True)),
                name="review_one_encounter",
            ),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="review_stars_1_to_5"),
            models.CheckConstraint(condition=Q(status__in=ReviewStatus.values), name="review_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="hidden") | ~Q(hidden_reason=""),
                name="review_hidden_has_reason",
                violation_error_message=_("hidden_reason: say why the review is hidden."),
            ),
        ]
        indexes = [models.Index(fields=["expert", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.expert} · {self.stars}★"

    @property
    def audit_person_id(self) -> uuid.UUID:
        return self.person_id
