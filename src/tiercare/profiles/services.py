"""Every write of the profiles app: an expert's articles (draft → submitted → published, or returned with a
reason, by operations), verified reviews (only for a completed encounter, one per encounter), their moderation
(hidden with a reason, never edited) and the expert's one public reply. Each in one transaction, audited; a
refusal is a ``core.errors`` exception naming the field. A write drops the expert's cached public page."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.consults.models import OnlineConsult, SecondOpinion
from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.outreach.models import Booking
from tiercare.profiles.models import (
    ARTICLE_BODY_MAX,
    ARTICLE_TRANSITIONS,
    EDITABLE_ARTICLE_STATUSES,
    REASON_MAX,
    REPLY_MAX,
    REVIEW_TEXT_MAX,
    STARS,
    TITLE_MAX,
    Article,
    ArticleStatus,
    EncounterKind,
    Review,
    ReviewStatus,
)
from tiercare.profiles.selectors import (
    MODERATORS,
    forget_public_page,
    online_encounter_on,
    own_practitioner,
    reviewable_bookings,
    reviewable_online,
    reviewable_opinions,
)


def _text(value: Any, *, field: str, max_length: int, label: str) -> str:
    """A required text, trimmed, at most ``max_length`` characters (422 naming ``field``)."""
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed(
            _("%(field)s: write %(label)s.") % {"field": field, "label": label}, details={"field": field}
        )
    if len(text) > max_length:
        raise ValidationFailed(
            _("%(field)s: at most %(n)s characters (this has %(m)s).")
            % {"field": field, "n": max_length, "m": len(text)},
            details={"field": field},
        )
    return text


def _forget(expert_id: Any) -> None:
    """Drop the cached page now (this request's next read sees the write) and again at commit (a reader between
    the two may have cached the page as it was before the write)."""
    forget_public_page(expert_id)
    transaction.on_commit(lambda: forget_public_page(expert_id))


# --- articles ----------------------------------------------------------------------------------------------------
def article_save(*, by: User, title: str, body: str, article: Article | None = None) -> Article:
    """An expert writes a new article (a draft) or changes their own draft or returned article. Only an active
    expert of the doctor group writes (403); a submitted or published article is not changed (409)."""
    me = own_practitioner(by)
    if me is None:
        raise Forbidden(_("Only the group's experts write articles."))
    title = _text(title, field="title", max_length=TITLE_MAX, label=_("a title"))
    body = _text(body, field="body", max_length=ARTICLE_BODY_MAX, label=_("the text"))
    with transaction.atomic():
        if article is None:
            article = Article(expert=me, title=title, body=body)
            article.full_clean()
            article.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=article, changes={"title": title})
            return article
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.expert_id != me.pk:
            raise Forbidden(_("This is not your article."))
        if locked.status not in EDITABLE_ARTICLE_STATUSES:
            raise Conflict(_("An article awaiting publication or published is not changed."), code="not_editable")
        changes = {k: v for k, v in (("title", title), ("body", body)) if getattr(locked, k) != v}
        if not changes:
            return locked
        locked.title, locked.body = title, body
        locked.save(update_fields=["title", "body", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes=dict.fromkeys(changes, "changed"))
        return locked


def _article_move(*, by: User, article: Article, to: str, reason: str = "") -> Article:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if to not in ARTICLE_TRANSITIONS.get(locked.status, ()):
        raise Conflict(
            _("An article that is %(from)s cannot become %(to)s.")
            % {"from": ArticleStatus(locked.status).label, "to": ArticleStatus(to).label},
            code="illegal_transition",
            details={"state": locked.status},
        )
    before = locked.status
    now = timezone.now()
    locked.status = to
    fields = ["status", "updated_at"]
    if to == ArticleStatus.SUBMITTED:
        locked.submitted_at, locked.return_reason = now, ""
        fields += ["submitted_at", "return_reason"]
    elif to == ArticleStatus.PUBLISHED:
        locked.published_at, locked.reviewed_by = now, by
        fields += ["published_at", "reviewed_by"]
    elif to == ArticleStatus.RETURNED:
        locked.return_reason, locked.reviewed_by = reason, by
        fields += ["return_reason", "reviewed_by"]
    locked.save(update_fields=fields)
    audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes={"status": [before, to]}, reason=reason)
    _forget(locked.expert_id)
    return locked


@transaction.atomic
def article_submit(*, by: User, article: Article) -> Article:
    """The author submits a draft (or a returned article) for publication."""
    me = own_practitioner(by)
    if me is None or article.expert_id != me.pk:
        raise Forbidden(_("This is not your article."))
    return _article_move(by=by, article=article, to=ArticleStatus.SUBMITTED)


@transaction.atomic
def article_publish(*, by: User, article: Article) -> Article:
    """Operations publish a submitted article: it shows on the expert's public page."""
    require_role(by, *MODERATORS)
    return _article_move(by=by, article=article, to=ArticleStatus.PUBLISHED)


@transaction.atomic
def article_return(*, by: User, article: Article, reason: str) -> Article:
    """Operations return a submitted article to its author with a reason (422 without one)."""
    require_role(by, *MODERATORS)
    reason = _text(reason, field="reason", max_length=REASON_MAX, label=_("the reason"))
    return _article_move(by=by, article=article, to=ArticleStatus.RETURNED, reason=reason)


# --- reviews -----------------------------------------------------------------------------------------------------
def _stars(value: Any) -> int:
    try:
        stars = int(value)
    except (TypeError, ValueError):
        stars = 0
    if stars not in STARS:
        raise ValidationFailed(_("stars: give one to five stars."), details={"field": "stars"})
    return stars


def _completed_encounter(
    by: User, *, booking: Booking | None, opinion: SecondOpinion | None, online: OnlineConsult | None = None
) -> Review | None:
    """An unsaved review of the encounter if it is a completed one that ``by`` may review (their own or their
    household's as proxy: a kept place in a held session, a signed opinion, an answered or closed online
    follow-up), else None."""
    if online is not None:
        c = reviewable_online(by).filter(pk=online.pk).first()
        if c is None:
            return None
        return Review(
            kind=EncounterKind.ONLINE, online=c, expert=c.doctor, person=c.person, encounter_on=online_encounter_on(c)
        )
    if booking is not None:
        b = reviewable_bookings(by).filter(pk=booking.pk).first()
        if b is None:
            return None
        return Review(
            kind=EncounterKind.SESSION, booking=b, expert=b.session.expert, person=b.person, encounter_on=b.session.date
        )
    o = reviewable_opinions(by).filter(pk=opinion.pk).first() if opinion is not None else None
    if o is None or o.signed_at is None or o.expert is None:
        return None
    return Review(
        kind=EncounterKind.OPINION,
        opinion=o,
        expert=o.expert,
        person=o.case.person,
        encounter_on=timezone.localdate(o.signed_at),
    )


def review_create(
    *,
    by: User,
    stars: Any,
    text: str,
    booking: Booking | None = None,
    opinion: SecondOpinion | None = None,
    online: OnlineConsult | None = None,
) -> Review:
    """A patient (or the proxy of their household) reviews one completed encounter with an expert: a booking of a
    session that was held, a signed second opinion on their case, or an online follow-up the doctor answered or
    closed. Refused: anyone but a patient (403); an
    encounter that is not completed or not theirs (403 ``no_completed_encounter``); a second review of the same
    encounter (409 ``already_reviewed``, kept by a unique constraint when two race); stars outside 1–5 or an empty
    or over-long text (422 naming the field)."""
    require_role(by, Role.PATIENT)
    if [booking, opinion, online].count(None) != 2:
        raise ValidationFailed(
            _("encounter: name one visit, one second opinion or one online consultation."),
            details={"field": "encounter"},
        )
    stars = _stars(stars)
    text = _text(text, field="text", max_length=REVIEW_TEXT_MAX, label=_("your review"))
    review = _completed_encounter(by, booking=booking, opinion=opinion, online=online)
    if review is None:
        raise Forbidden(
            _(
                "Only a patient with a completed visit, a signed second opinion or an answered online consultation"
                " with this doctor may review them."
            ),
            code="no_completed_encounter",
        )
    review.written_by, review.stars, review.text = by, stars, text
    already = Conflict(_("This encounter has already been reviewed."), code="already_reviewed")
    if Review.objects.filter(booking=review.booking_id, opinion=review.opinion_id, online=review.online_id).exists():
        raise already
    try:
        with transaction.atomic():
            review.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=review, changes={"stars": stars, "kind": review.kind})
            _forget(review.expert_id)
    except IntegrityError as exc:
        raise already from exc
    return review


@transaction.atomic
def review_hide(*, by: User, review: Review, reason: str) -> Review:
    """Operations hide a review from the public page, with a reason (422 without); the text is kept as written.
    A hidden review is hidden once (409)."""
    require_role(by, *MODERATORS)
    reason = _text(reason, field="reason", max_length=REASON_MAX, label=_("the reason"))
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.status == ReviewStatus.HIDDEN:
        raise Conflict(_("This review is already hidden."), code="already_hidden")
    locked.status, locked.hidden_reason, locked.hidden_by, locked.hidden_at = (
        ReviewStatus.HIDDEN,
        reason,
        by,
        timezone.now(),
    )
    locked.save(update_fields=["status", "hidden_reason", "hidden_by", "hidden_at", "updated_at"])
    audit_write(
        actor=by, action=AuditAction.UPDATE, obj=locked, changes={"status": ["visible", "hidden"]}, reason=reason
    )
    _forget(locked.expert_id)
    return locked


@transaction.atomic
def review_reply(*, by: User, review: Review, text: str) -> Review:
    """The reviewed expert answers a shown review once, in public (409 ``already_replied`` for a second reply,
    kept by a conditional update when two race; 403 for anyone else)."""
    me = own_practitioner(by)
    if me is None or review.expert_id != me.pk:
        raise Forbidden(_("Only the reviewed expert replies."))
    text = _text(text, field="reply", max_length=REPLY_MAX, label=_("your reply"))
    now = timezone.now()
    updated = Review.objects.filter(pk=review.pk, reply="", status=ReviewStatus.VISIBLE).update(
        reply=text, replied_at=now, updated_at=now
    )
    if not updated:
        raise Conflict(_("This review already has your reply."), code="already_replied")
    review.refresh_from_db()
    audit_write(actor=by, action=AuditAction.UPDATE, obj=review, changes={"reply": "added"})
    _forget(review.expert_id)
    return review
