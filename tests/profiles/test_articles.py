"""Articles: the expert writes (draft → submitted); operations publish or return with a reason; a published
article is on the expert's public page."""

from __future__ import annotations

import pytest

from tests import factories as f
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent, Role
from tiercare.profiles import services
from tiercare.profiles.models import Article, ArticleStatus
from tiercare.profiles.selectors import expert_slug

pytestmark = pytest.mark.django_db


def test_an_article_goes_from_draft_to_published_and_onto_the_page(cast, client):
    page = f"/experts/{expert_slug(cast.expert_practitioner)}/"
    client.force_login(cast.expert)
    assert client.get("/profiles/mine/").status_code == 200
    refused = client.post("/profiles/mine/articles/new/", {"title": "", "body": "正文在此"})
    assert refused.status_code == 422 and 'id="id_title-error"' in refused.text and "正文在此" in refused.text
    assert (
        client.post("/profiles/mine/articles/new/", {"title": "孩子发烧怎么办", "body": "先量体温。"}).status_code
        == 302
    )
    article = Article.objects.get()
    assert article.status == ArticleStatus.DRAFT and article.expert == cast.expert_practitioner
    client.logout()
    assert "孩子发烧怎么办" not in client.get(page).text  # a draft is not public
    client.force_login(cast.expert)
    r = client.post(
        f"/profiles/mine/articles/{article.pk}/", {"title": "孩子发烧怎么办", "body": "先量体温。", "submit": "1"}
    )
    assert r.status_code == 302
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED and article.submitted_at
    # a submitted article is no longer edited by its author
    assert client.post(f"/profiles/mine/articles/{article.pk}/", {"title": "改", "body": "改"}).status_code == 404
    client.force_login(cast.ops)
    moderation = client.get("/profiles/moderation/")
    assert moderation.status_code == 200 and "孩子发烧怎么办" in moderation.text
    assert client.post(f"/profiles/moderation/articles/{article.pk}/", {"action": "publish"}).status_code == 302
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.reviewed_by == cast.ops and article.published_at
    assert (
        AuditEvent.objects.filter(object_type="profiles.article", object_id=str(article.pk), action="update").count()
        == 2
    )
    client.logout()
    text = client.get(page).text
    assert "孩子发烧怎么办" in text
    read = client.get(f"/experts/{expert_slug(cast.expert_practitioner)}/articles/{article.pk}/")
    assert read.status_code == 200 and "先量体温。" in read.text and 'property="og:type" content="article"' in read.text


def test_operations_return_an_article_with_a_reason_and_the_author_resubmits(cast, client):
    a = services.article_save(by=cast.expert, title="高血压饮食", body="少盐。")
    services.article_submit(by=cast.expert, article=a)
    client.force_login(cast.ops)
    no_reason = client.post(f"/profiles/moderation/articles/{a.pk}/", {"action": "return", "reason": ""})
    assert no_reason.status_code == 422 and 'id="id_reason-error"' in no_reason.text
    assert (
        client.post(
            f"/profiles/moderation/articles/{a.pk}/", {"action": "return", "reason": "请补充参考文献"}
        ).status_code
        == 302
    )
    a.refresh_from_db()
    assert a.status == ArticleStatus.RETURNED and a.return_reason == "请补充参考文献"
    client.force_login(cast.expert)
    assert "请补充参考文献" in client.get("/profiles/mine/").text
    assert "请补充参考文献" in client.get(f"/profiles/mine/articles/{a.pk}/").text
    services.article_save(by=cast.expert, article=a, title="高血压饮食", body="少盐。参考：中国高血压防治指南。")
    a = services.article_submit(by=cast.expert, article=a)
    assert a.status == ArticleStatus.SUBMITTED and a.return_reason == ""


def test_only_operations_publish_and_only_the_author_writes(cast, client):
    a = services.article_save(by=cast.expert, title="题目", body="正文")
    with pytest.raises(Conflict):  # a draft is not published before it is submitted
        services.article_publish(by=cast.ops, article=a)
    services.article_submit(by=cast.expert, article=a)
    for user in (cast.expert, cast.coordinator, cast.patient):
        with pytest.raises(Forbidden):
            services.article_publish(by=user, article=a)
        client.force_login(user)
        assert client.post(f"/profiles/moderation/articles/{a.pk}/", {"action": "publish"}).status_code == 404
    other = f.UserFactory(username="expert_b", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="孙其他", doctor_group=cast.group)
    draft = services.article_save(by=cast.expert, title="草稿", body="正文")
    client.force_login(other)
    assert client.get(f"/profiles/mine/articles/{draft.pk}/").status_code == 404
    with pytest.raises(Forbidden):
        services.article_submit(by=other, article=draft)
    with pytest.raises(Forbidden):
        services.article_save(by=cast.coordinator, title="题目", body="正文")
    with pytest.raises(ValidationFailed) as long:
        services.article_save(by=cast.expert, title="题" * 121, body="正文")
    assert long.value.details == {"field": "title"}
    a.refresh_from_db()
    assert a.status == ArticleStatus.SUBMITTED
