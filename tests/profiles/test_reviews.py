"""Verified reviews: only for a completed encounter with the expert, one per encounter, stars 1–5; hidden by
operations with a reason (gone from the public page and its count, text unchanged, audited); one public reply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from tests import factories as f
from tests.consults.conftest import net  # noqa: F401  (the consults network: a second expert, consent, agreement)
from tests.outreach.factories import make_session
from tests.profiles.factories import booking, held_session, review
from tiercare.consults import services as consults
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent, Role
from tiercare.outreach.models import BookingStatus
from tiercare.profiles import services
from tiercare.profiles.models import EncounterKind, Review, ReviewStatus
from tiercare.profiles.selectors import expert_slug

pytestmark = pytest.mark.django_db


def _page(client, expert):
    return client.get(f"/experts/{expert_slug(expert)}/")


def test_a_patient_reviews_a_visit_at_a_held_session_through_the_page(cast, visit, client):
    client.force_login(cast.patient)
    listing = client.get("/profiles/reviews/")
    assert listing.status_code == 200 and f"/profiles/reviews/visit/{visit.pk}/" in listing.text
    assert AuditEvent.objects.filter(action="list", reason="review", actor=cast.patient).exists()
    r = client.post(f"/profiles/reviews/visit/{visit.pk}/", {"stars": "4", "text": "耐心，解释清楚。"})
    assert r.status_code == 302
    review = Review.objects.get()
    assert (review.stars, review.kind, review.booking_id, review.person_id) == (4, "session", visit.pk, visit.person_id)
    assert review.expert_id == cast.expert_practitioner.pk and review.status == ReviewStatus.VISIBLE
    assert AuditEvent.objects.filter(object_type="profiles.review", action="create", person_id=visit.person_id).exists()
    page = _page(client, cast.expert_practitioner)
    assert "耐心，解释清楚。" in page.text and "张三" not in page.text  # the reviewer is never named


def test_a_review_without_a_completed_encounter_is_refused(cast, client):
    # a place in a session that is still scheduled (not held)
    upcoming = make_session(cast.expert_practitioner, cast.dept_a, on=f.today() + timedelta(days=3))
    not_held = booking(upcoming, cast.patient_person, cast.coordinator)
    with pytest.raises(Forbidden) as refused:
        services.review_create(by=cast.patient, booking=not_held, stars=5, text="很好")
    assert refused.value.code == "no_completed_encounter"
    # a place that was cancelled, in a held session
    held = held_session(cast.expert_practitioner, cast.dept_a, days_ago=5)
    cancelled = booking(held, cast.patient_person, cast.coordinator)
    cancelled.status = BookingStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    with pytest.raises(Forbidden):
        services.review_create(by=cast.patient, booking=cancelled, stars=5, text="很好")
    # someone else's visit (王五 of another household)
    other = booking(held, cast.person_b, cast.coordinator, place=2)
    with pytest.raises(Forbidden):
        services.review_create(by=cast.patient, booking=other, stars=5, text="很好")
    assert not Review.objects.exists()
    # through the page: the encounter is not found for this patient (404), nothing stored
    client.force_login(cast.patient)
    for b in (not_held, cancelled, other):
        assert client.post(f"/profiles/reviews/visit/{b.pk}/", {"stars": "5", "text": "很好"}).status_code == 404
    assert not Review.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="outreach.booking").count() == 3


def test_only_a_patient_writes_a_review(cast, visit):
    for user in (cast.coordinator, cast.ops, cast.expert, cast.gp):
        with pytest.raises(Forbidden):
            services.review_create(by=user, booking=visit, stars=5, text="很好")
    assert not Review.objects.exists()


def test_the_proxy_reviews_a_visit_of_a_household_member(cast):
    held = held_session(cast.expert_practitioner, cast.dept_a, days_ago=3)
    child_visit = booking(held, cast.child_person, cast.coordinator)
    r = services.review_create(by=cast.patient, booking=child_visit, stars=5, text="孩子很配合。")
    assert r.person_id == cast.child_person.pk and r.written_by_id == cast.patient.pk


def test_a_second_review_of_the_same_encounter_is_refused(cast, visit, client):
    services.review_create(by=cast.patient, booking=visit, stars=5, text="很好")
    with pytest.raises(Conflict) as second:
        services.review_create(by=cast.patient, booking=visit, stars=1, text="改主意了")
    assert second.value.code == "already_reviewed"
    client.force_login(cast.patient)
    r = client.post(f"/profiles/reviews/visit/{visit.pk}/", {"stars": "1", "text": "改主意了"})
    assert r.status_code == 409 and "已经评价" in r.text
    assert Review.objects.count() == 1 and Review.objects.get().stars == 5
    # the database itself refuses a second row for one booking
    with pytest.raises(IntegrityError), transaction.atomic():
        review(visit, by=cast.patient, stars=2)


@pytest.mark.parametrize("stars", ["0", "6", "x", ""])
def test_stars_outside_one_to_five_are_refused_beside_the_field(cast, visit, client, stars):
    client.force_login(cast.patient)
    r = client.post(f"/profiles/reviews/visit/{visit.pk}/", {"stars": stars, "text": "写得很长的评价"})
    assert r.status_code == 422 and 'id="id_stars-error"' in r.text
    assert "写得很长的评价" in r.text  # what was typed is kept
    assert not Review.objects.exists()


def test_the_service_refuses_bad_stars_and_an_empty_text(cast, visit):
    with pytest.raises(ValidationFailed) as bad:
        services.review_create(by=cast.patient, booking=visit, stars=6, text="好")
    assert bad.value.details == {"field": "stars"}
    with pytest.raises(ValidationFailed) as empty:
        services.review_create(by=cast.patient, booking=visit, stars=5, text="   ")
    assert empty.value.details == {"field": "text"}


def test_a_signed_second_opinion_shared_with_the_patient_can_be_reviewed_once(cast, net):  # noqa: F811
    case = consults.case_create(by=cast.gp, person=cast.patient_person, question="持续发热？")
    opinion = consults.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    expert_user = opinion.expert.user
    with pytest.raises(Forbidden):  # not yet signed
        services.review_create(by=cast.patient, opinion=opinion, stars=5, text="意见清楚")
    consults.opinion_sign(by=expert_user, opinion=opinion, text="建议继续观察，三天后复查血常规。")
    r = services.review_create(by=cast.patient, opinion=opinion, stars=5, text="意见清楚")
    assert (r.kind, r.expert_id, r.person_id) == (EncounterKind.OPINION, opinion.expert_id, cast.patient_person.pk)
    with pytest.raises(Conflict):
        services.review_create(by=cast.patient, opinion=opinion, stars=4, text="再评一次")
    # another patient may not review it
    other_user = f.UserFactory(username="patient_b", role=Role.PATIENT)
    cast.person_b.user = other_user
    cast.person_b.save()
    with pytest.raises(Forbidden):
        services.review_create(by=other_user, opinion=opinion, stars=1, text="不是我的")


def test_a_hidden_review_is_gone_from_the_public_page_and_its_count(cast, visit, client):
    held = held_session(cast.expert_practitioner, cast.dept_a, days_ago=4)
    second = booking(held, cast.child_person, cast.coordinator)
    keep = services.review_create(by=cast.patient, booking=visit, stars=5, text="医术高明")
    bad = services.review_create(by=cast.patient, booking=second, stars=1, text="某某护士电话13800138000")
    page = _page(client, cast.expert_practitioner)
    assert "医术高明" in page.text and "13800138000" in page.text and "2 条评价" in page.text
    ops = client
    ops.force_login(cast.ops)
    refused = ops.post(f"/profiles/moderation/reviews/{bad.pk}/hide/", {"reason": ""})
    assert refused.status_code == 422 and 'id="id_reason-error"' in refused.text
    assert ops.post(f"/profiles/moderation/reviews/{bad.pk}/hide/", {"reason": "含他人电话号码"}).status_code == 302
    bad.refresh_from_db()
    assert bad.status == ReviewStatus.HIDDEN and bad.hidden_reason == "含他人电话号码" and bad.hidden_by == cast.ops
    assert bad.text == "某某护士电话13800138000" and bad.stars == 1  # never edited
    event = AuditEvent.objects.get(object_type="profiles.review", object_id=str(bad.pk), action="update")
    assert event.reason == "含他人电话号码" and event.actor == cast.ops
    ops.logout()
    page = _page(client, cast.expert_practitioner)  # the cached page was dropped by the write
    assert "13800138000" not in page.text and "医术高明" in page.text
    assert "1 条评价" in page.text and "2 条评价" not in page.text
    assert f'data-review="{keep.pk}"' in page.text and f'data-review="{bad.pk}"' not in page.text
    # the patient sees it hidden, with the reason, on their list
    client.force_login(cast.patient)
    assert "含他人电话号码" in client.get("/profiles/reviews/").text
    # hiding again is refused
    with pytest.raises(Conflict):
        services.review_hide(by=cast.ops, review=bad, reason="再次")


def test_only_operations_hide_a_review(cast, visit, client):
    r = services.review_create(by=cast.patient, booking=visit, stars=2, text="等了很久")
    for user in (cast.expert, cast.coordinator, cast.patient, cast.auditor):
        client.force_login(user)
        assert client.post(f"/profiles/moderation/reviews/{r.pk}/hide/", {"reason": "不喜欢"}).status_code == 404
        assert client.get("/profiles/moderation/").status_code == 403
    r.refresh_from_db()
    assert r.status == ReviewStatus.VISIBLE


def test_the_expert_replies_once_in_public(cast, visit, client):
    r = services.review_create(by=cast.patient, booking=visit, stars=3, text="等了很久")
    client.force_login(cast.expert)
    assert client.post(f"/profiles/mine/reviews/{r.pk}/reply/", {"reply": ""}).status_code == 422
    assert client.post(f"/profiles/mine/reviews/{r.pk}/reply/", {"reply": "抱歉，下次会准时。"}).status_code == 302
    again = client.post(f"/profiles/mine/reviews/{r.pk}/reply/", {"reply": "再说一次"})
    assert again.status_code == 422 and "已有您的回复" in again.text
    r.refresh_from_db()
    assert r.reply == "抱歉，下次会准时。" and r.replied_at is not None
    client.logout()
    assert "抱歉，下次会准时。" in _page(client, cast.expert_practitioner).text
    # another expert of the group may not reply
    other = f.UserFactory(username="expert_b", role=Role.EXPERT)
    f.PractitionerFactory(user=other, name="孙其他", doctor_group=cast.group)
    client.force_login(other)
    assert client.post(f"/profiles/mine/reviews/{r.pk}/reply/", {"reply": "冒名"}).status_code == 404
    with pytest.raises(Forbidden):
        services.review_reply(by=other, review=r, text="冒名")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_visit_racing_store_one(cast):
    from tests.concurrency import race_outcomes

    session = held_session(cast.expert_practitioner, cast.dept_a, days_ago=2)
    b = booking(session, cast.patient_person, cast.coordinator)
    write = [lambda s=s: services.review_create(by=cast.patient, booking=b, stars=s, text="并发") for s in (4, 5)]
    assert race_outcomes(*write, refused=(Conflict,)) == ["ok", "refused"]
    assert Review.objects.filter(booking=b).count() == 1
