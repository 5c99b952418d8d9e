"""The profiles forms: a review (stars and text), a reply, an article, a reason (returning an article, hiding a
review). The services validate again; a refusal goes beside its field through ``show_domain_error``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.profiles.models import ARTICLE_BODY_MAX, REASON_MAX, REPLY_MAX, REVIEW_TEXT_MAX, STARS, TITLE_MAX
from tiercare.profiles.search import QUERY_MAX


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, specialty, condition or place"),
        max_length=QUERY_MAX,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 儿科, erke, 糖尿病, 甲县"), "size": 30}),
    )
    specialty = forms.CharField(required=False, max_length=30, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"),
        choices=[(s, "★" * s) for s in reversed(STARS)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one to five stars."),
            "invalid_choice": _("Choose one to five stars."),
        },
    )
    text = forms.CharField(
        label=_("Your review"), max_length=REVIEW_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5, "cols": 60})
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your public reply"), max_length=REPLY_MAX, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ArticleForm(forms.Form):
    title = forms.CharField(
        label=pgettext_lazy("article", "Title"), max_length=TITLE_MAX, widget=forms.TextInput(attrs={"size": 60})
    )
    body = forms.CharField(
        label=_("Text"), max_length=ARTICLE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 16, "cols": 80})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=forms.TextInput(attrs={"size": 40}))
