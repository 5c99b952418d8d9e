"""An online follow-up the doctor answered or closed is a completed encounter: the patient (or a proxy holder)
reviews it once (a unique constraint keeps it once, and the check names exactly one encounter); a waiting one, or
another family's, is refused (404 on the page)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories as f
from tests.consults.online.conftest import online  # noqa: F401  (the online follow-up world)
from tests.consults.online.test_online_rules import ask, ready
from tiercare.consults import services as consults
from tiercare.core.errors import Conflict, Forbidden
from tiercare.core.models import AuditEvent
from tiercare.people.models import Proxy
from tiercare.profiles import services
from tiercare.profiles.models import EncounterKind, Review

pytestmark = pytest.mark.django_db


def answered(cast, online):  # noqa: F811
    c = ready(cast, ask(cast, online))
    consults.online_message(by=cast.gp, consult=c, body="继续服药。")
    return c


def test_the_patient_reviews_an_answered_online_follow_up_through_the_page(cast, online, client):  # noqa: F811
    c = answered(cast, online)
    client.force_login(cast.patient)
    listing = client.get("/profiles/reviews/")
    assert listing.status_code == 200 and f"/profiles/reviews/online/{c.pk}/" in listing.text
    assert "在线复诊" in listing.text
    r = client.post(f"/profiles/reviews/online/{c.pk}/", {"stars": "5", "text": "回复及时。"})
    assert r.status_code == 302
    review = Review.objects.get()
    assert (review.kind, review.online_id, review.expert_id, review.person_id) == (
        EncounterKind.ONLINE, c.pk, online.doctor.pk, cast.patient_person.pk
    )  # fmt: skip
    assert AuditEvent.objects.filter(object_type="profiles.review", action="create").exists()
    # one review per encounter: the page now shows it, a second is refused
    assert f"/profiles/reviews/online/{c.pk}/" not in client.get("/profiles/reviews/").text
    with pytest.raises(Conflict):
        services.review_create(by=cast.patient, online=c, stars=3, text="再评")
    with pytest.raises(IntegrityError), transaction.atomic():  # nor behind the service's back
        Review.objects.create(
            kind="online", online=c, expert=online.doctor, person=cast.patient_person, written_by=cast.patient,
            encounter_on=date.today(), stars=2, text="x",
        )  # fmt: skip


def test_a_closed_consultation_counts_and_a_waiting_one_does_not(cast, online):  # noqa: F811
    waiting = ask(cast, online)
    with pytest.raises(Forbidden) as refused:
        services.review_create(by=cast.patient, online=waiting, stars=5, text="很好")
    assert refused.value.code == "no_completed_encounter"
    closed = consults.online_close(by=cast.gp, consult=ready(cast, waiting), summary="血压平稳，继续服药。")
    review = services.review_create(by=cast.patient, online=closed, stars=4, text="很好")
    assert review.kind == "online" and review.encounter_on == timezone.localdate(closed.closed_at)
    assert Review.objects.filter(online=closed).count() == 1


def test_another_family_and_staff_may_not_review_it(cast, online, client):  # noqa: F811
    c = answered(cast, online)
    other = f.UserFactory(username="wangwu", role="patient")
    cast.person_b.user = other
    cast.person_b.save(update_fields=["user"])
    for user in (other, cast.gp, cast.coordinator):
        with pytest.raises(Forbidden):
            services.review_create(by=user, online=c, stars=5, text="很好")
    client.force_login(other)
    assert client.post(f"/profiles/reviews/online/{c.pk}/", {"stars": "5", "text": "很好"}).status_code == 404
    assert client.get("/profiles/reviews/online/not-an-id/").status_code == 404
    assert not Review.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="consults.onlineconsult").exists()


def test_the_proxy_holder_reviews_the_childs_consultation_and_loses_it_with_the_proxy(cast, online):  # noqa: F811
    mother_user = f.UserFactory(username="mother", role="patient")
    mother = f.PersonFactory(name="张母", household=cast.household_a, user=mother_user)
    c = answered(cast, online)
    proxy = Proxy.objects.create(
        holder=mother, person=cast.patient_person, kind="authorised", evidence_kind="power_of_attorney",
        evidence_reference="授权书 A1", valid_from=date(2020, 1, 1),
    )  # fmt: skip
    Proxy.objects.filter(pk=proxy.pk).update(valid_until=date(2021, 1, 1))  # ended: no longer theirs
    with pytest.raises(Forbidden):
        services.review_create(by=mother_user, online=c, stars=5, text="很好")
    Proxy.objects.filter(pk=proxy.pk).update(valid_until=None)
    review = services.review_create(by=mother_user, online=c, stars=5, text="很好")
    assert review.person_id == cast.patient_person.pk and review.written_by == mother_user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_online_consultation_racing_store_one(cast, online):  # noqa: F811
    from tests.concurrency import race_outcomes

    c = answered(cast, online)
    write = [lambda s=s: services.review_create(by=cast.patient, online=c, stars=s, text="并发") for s in (4, 5)]
    assert race_outcomes(*write, refused=(Conflict,)) == ["ok", "refused"]
    assert Review.objects.filter(online=c).count() == 1
