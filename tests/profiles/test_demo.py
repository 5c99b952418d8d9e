"""Issue 17, demo: held sessions with reports, the demo patient's verified reviews of the expert login (one answered,
one hidden with its reason, one visit left to review) and articles in every state; the public page shows them."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tiercare.core.models import User
from tiercare.demo.builder import DemoBuilder
from tiercare.profiles.demo import profiles_demo
from tiercare.profiles.models import Article, ArticleStatus, Review, ReviewStatus
from tiercare.profiles.selectors import expert_slug, patient_encounters

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    DemoBuilder(seed=5, today=date(2026, 12, 6), households=5).build()
    return profiles_demo(seed=5, today=date(2026, 12, 6))


def test_the_demo_has_verified_reviews_in_every_state_and_articles(demo):
    assert demo["reviews"] == 4 and demo["sessions"] >= 6
    expert = User.objects.get(username="expert").practitioner
    hidden = Review.objects.get(status=ReviewStatus.HIDDEN)
    assert hidden.hidden_reason and hidden.expert == expert
    assert Review.objects.exclude(reply="").count() == 1
    states = set(Article.objects.filter(expert=expert).values_list("status", flat=True))
    assert states == {ArticleStatus.PUBLISHED, ArticleStatus.SUBMITTED, ArticleStatus.DRAFT}
    # the demo patient still has a visit to review (the tour's first step)
    open_visits = [e for e in patient_encounters(User.objects.get(username="patient")) if e.review is None]
    assert open_visits
    page = Client().get(f"/experts/{expert_slug(expert)}/")
    assert page.status_code == 200 and "3 条评价" in page.text and hidden.text not in page.text
