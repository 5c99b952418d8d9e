"""MDT cases: specialties chosen, slots proposed for all, the meeting booked once, the chair's signed conclusion."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories as f
from tests.concurrency import run_together
from tiercare.consults import services, slots
from tiercare.consults.models import MdtMeeting, MdtParticipant, SignedOpinionError, Transition
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.notify import InMemoryBackend
from tiercare.network.models import InsurancePolicy, Practitioner

pytestmark = pytest.mark.django_db
HOOK_CALLS: list[dict] = []


def record_referral(**kwargs):
    """Stands in for the referrals app's hook (wired by the lead through CONSULTS_REFERRAL_HOOK)."""
    HOOK_CALLS.append(kwargs)
    return "referral-1"


def first_grid_time(now):
    """The first time on the grid in working hours: 08:00–18:00 on a weekday (the experts here marked no other)."""
    return next(t for t in slots.grid(now, now + timedelta(days=3)) if t.astimezone(slots.SHANGHAI).weekday() < 5)


def book_first(cast, mdt, now=None):
    now = now or timezone.now()
    [first, *_] = services.mdt_propose(mdt=mdt, now=now)
    experts = {s: Practitioner.objects.get(pk=k) for s, k in first.experts.items()}
    return services.mdt_book(
        by=cast.ops, mdt=mdt, starts_at=first.starts_at, experts=experts, video_link="https://meet.example/1"
    )


def test_gp_opens_mdt_naming_ops_as_coordinator_through_the_api(cast, net, case, api):
    deadline = (timezone.now() + timedelta(days=3)).isoformat()
    payload = {"case": str(case.pk), "specialties": ["pediatrics", "cardiology"], "deadline": deadline}
    assert api(cast.ops).get(f"consults/cases/{case.pk}")[0] == 404
    status, body = api(cast.gp).post("consults/mdt", {**payload, "coordinator": "ops"})
    assert status == 201, body
    assert api(cast.ops).get(f"consults/cases/{case.pk}")[0] == 200  # coordinating it now
    other_ops = f.UserFactory(username="ops2", role="ops")
    assert api(other_ops).get(f"consults/cases/{case.pk}")[0] == 404
    assert api(cast.gp_b).post("consults/mdt", payload)[0] == 422  # not their case
    assert api(cast.expert).post("consults/mdt", payload)[0] == 403
    status, body = api(cast.ops).post("consults/mdt", {**payload, "specialties": ["pediatrics"]})
    assert status == 422 and "specialties" in body["message"]
    status, body = api(cast.gp).post("consults/mdt", {**payload, "coordinator": "expert"})
    assert status == 422 and body["details"]["field"] == "coordinator"
    # The coordinating ops user may open a further MDT on the case they coordinate.
    assert api(cast.ops).post("consults/mdt", payload)[0] == 201


def test_ops_cannot_make_themselves_coordinator_of_any_case(cast, net, case, api):
    """Issue 10: ops naming a case id they are not on got 201 and became its coordinator; a second ops user could
    open MDTs on the first one's cases."""
    from tiercare.consults.models import MdtCase

    deadline = (timezone.now() + timedelta(days=3)).isoformat()
    payload = {"case": str(case.pk), "specialties": ["pediatrics", "cardiology"], "deadline": deadline}
    status, body = api(cast.ops).post("consults/mdt", payload)
    assert status == 422 and body["details"] == {"field": "case"}, body
    case.refresh_from_db()
    assert case.coordinated_by_id is None and not MdtCase.objects.filter(case=case).exists()
    assert api(cast.ops).get(f"consults/cases/{case.pk}")[0] == 404
    # Once coordinated by ops, another ops user still may not open MDTs on it.
    assert api(cast.gp).post("consults/mdt", {**payload, "coordinator": "ops"})[0] == 201
    other_ops = f.UserFactory(username="ops2", role="ops")
    assert api(other_ops).post("consults/mdt", payload)[0] == 422
    assert MdtCase.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.coordinated_by_id == cast.ops.pk
    # Nor may the requesting GP hand it to a second coordinator.
    status, body = api(cast.gp).post("consults/mdt", {**payload, "coordinator": "ops2"})
    assert status == 422 and body["details"]["field"] == "coordinator"


def test_slots_are_the_earliest_with_one_allowed_expert_per_specialty(cast, net, mdt, api):
    now = timezone.now()
    proposals = services.mdt_propose(mdt=mdt, now=now)
    assert proposals[0].starts_at == first_grid_time(now)
    assert proposals[0].experts == {
        "pediatrics": cast.expert_practitioner.pk,
        "cardiology": net.cardiologist_practitioner.pk,
    }
    status, body = api(cast.ops).get(f"consults/mdt/{mdt.pk}/slots")
    assert status == 200 and len(body) == 5
    assert api(cast.gp_b).get(f"consults/mdt/{mdt.pk}/slots")[0] == 404


def test_uncovered_cardiologist_means_no_slot(cast, net, mdt):
    InsurancePolicy.objects.filter(practitioner=net.cardiologist_practitioner).update(
        valid_to=timezone.localdate() - timedelta(days=1), valid_from=timezone.localdate() - timedelta(days=30)
    )
    assert services.mdt_propose(mdt=mdt) == []


def test_booking_records_basis_once_and_busy_experts_are_skipped(
    cast, net, mdt, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_first(cast, mdt)
    mdt.refresh_from_db()
    assert mdt.status == "scheduled"
    assert {p.basis for p in meeting.participants.all()} == {"support_agreement"}
    assert Transition.objects.filter(object_id=mdt.pk, to_state="scheduled", by=cast.ops).exists()
    assert {n.recipient for n in InMemoryBackend.outbox} == {"expert", "cardio"}
    # Booked once: a second booking is an illegal transition.
    with pytest.raises(Conflict) as exc:
        book_first(cast, mdt)
    assert exc.value.code == "illegal_transition" and exc.value.details["state"] == "scheduled"
    # Another MDT: the busy experts are not proposed at that time.
    other = services.mdt_create(
        by=cast.ops, case=case, specialties=["pediatrics", "cardiology"], deadline=timezone.now() + timedelta(days=3)
    )
    for p in services.mdt_propose(mdt=other, limit=20):
        overlaps = p.starts_at < meeting.ends_at and meeting.starts_at < p.ends_at
        if overlaps:
            assert net.cardiologist_practitioner.pk not in p.experts.values()
            assert cast.expert_practitioner.pk not in p.experts.values()
    experts = {"pediatrics": net.expert2_practitioner, "cardiology": net.cardiologist_practitioner}
    with pytest.raises(Conflict) as exc:
        services.mdt_book(by=cast.ops, mdt=other, starts_at=meeting.starts_at, experts=experts)
    assert exc.value.code == "expert_busy"


def test_booking_an_expert_not_allowed_is_refused(cast, net, mdt):
    stranger = f.PractitionerFactory(name="外省专家", specialty="cardiology")
    f.InsurancePolicyFactory(practitioner=stranger)
    start = first_grid_time(timezone.now())
    with pytest.raises(ValidationFailed) as exc:
        services.mdt_book(
            by=cast.ops,
            mdt=mdt,
            starts_at=start,
            experts={"pediatrics": cast.expert_practitioner, "cardiology": stranger},
        )
    assert exc.value.code == "expert_not_allowed"
    assert not MdtMeeting.objects.exists()


def test_chair_signs_conclusion_care_plan_goes_back_to_gp(cast, net, mdt, api, django_capture_on_commit_callbacks):
    meeting = book_first(cast, mdt)
    assert meeting.chair == cast.expert_practitioner
    # Participants read the case now; the cardiologist was not on it before.
    assert api(net.cardiologist).get(f"consults/cases/{mdt.case_id}")[0] == 200
    assert api(net.cardiologist).post(f"consults/mdt/{mdt.pk}/conclusion", {"conclusion": "x"})[0] == 403
    assert api(cast.expert).patch(f"consults/mdt/{mdt.pk}/meeting", {"minutes": "讨论记录"})[0] == 200
    InMemoryBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(meeting.starts_at, tick=False):
        status, body = api(cast.expert).post(
            f"consults/mdt/{mdt.pk}/conclusion",
            {"conclusion": "保守治疗", "action": "care_plan", "care_plan": "每周随访血压"},
        )
    assert status == 200 and body["signed_at"]
    assert [(n.recipient, n.template_code) for n in InMemoryBackend.outbox] == [("gp", "mdt_care_plan")]
    status, body = api(cast.expert).patch(f"consults/mdt/{mdt.pk}/meeting", {"minutes": "改"})
    assert status == 409 and body["code"] == "illegal_transition" and body["details"]["state"] == "concluded"
    meeting.refresh_from_db()
    meeting.conclusion = "tampered"
    with pytest.raises(SignedOpinionError):
        meeting.save()


def test_conclusion_can_open_a_referral_through_the_hook(cast, net, mdt, settings):
    settings.CONSULTS_REFERRAL_HOOK = "tests.consults.test_mdt.record_referral"
    HOOK_CALLS.clear()
    meeting = book_first(cast, mdt)
    with time_machine.travel(meeting.starts_at, tick=False):
        services.mdt_conclude(by=cast.expert, meeting=meeting, conclusion="需手术", action="referral")
    assert len(HOOK_CALLS) == 1 and HOOK_CALLS[0]["case"] == mdt.case and HOOK_CALLS[0]["by"] == cast.expert


def test_conclusion_is_signed_from_the_meeting_start_not_a_second_before(cast, net, mdt, api):
    meeting = book_first(cast, mdt)
    with time_machine.travel(meeting.starts_at - timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict) as exc:
            services.mdt_conclude(by=cast.expert, meeting=meeting, conclusion="保守治疗")
        assert exc.value.code == "meeting_not_started"
        status, body = api(cast.expert).post(f"consults/mdt/{mdt.pk}/conclusion", {"conclusion": "保守治疗"})
        assert status == 409 and body["code"] == "meeting_not_started"
    meeting.refresh_from_db()
    mdt.refresh_from_db()
    assert meeting.signed_at is None and meeting.conclusion == "" and mdt.status == "scheduled"
    with time_machine.travel(meeting.starts_at, tick=False):
        signed = services.mdt_conclude(by=cast.expert, meeting=meeting, conclusion="保守治疗")
    assert signed.signed_at == meeting.starts_at
    mdt.refresh_from_db()
    assert mdt.status == "concluded"


def test_only_chair_concludes(cast, net, mdt):
    meeting = book_first(cast, mdt)
    with pytest.raises(Forbidden):
        services.mdt_conclude(by=net.cardiologist, meeting=meeting, conclusion="x")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_bookings_of_one_mdt_exactly_one_wins(cast, net, mdt):
    proposals = services.mdt_propose(mdt=mdt, limit=2)
    bookings = [(p.starts_at, {s: Practitioner.objects.get(pk=k) for s, k in p.experts.items()}) for p in proposals]
    outcomes = run_together(
        [lambda a=a, e=e: services.mdt_book(by=cast.ops, mdt=mdt, starts_at=a, experts=e) for a, e in bookings]
    )
    assert sorted("won" if e is None else getattr(e, "code", repr(e)) for e in outcomes) == [
        "illegal_transition",
        "won",
    ]
    assert MdtMeeting.objects.filter(mdt_case=mdt).count() == 1
    assert MdtParticipant.objects.count() == 2


def test_case_page_shows_the_meeting_and_signed_conclusion(cast, net, mdt):
    from django.test import Client

    meeting = book_first(cast, mdt)
    with time_machine.travel(meeting.starts_at, tick=False):
        services.mdt_conclude(
            by=cast.expert, meeting=meeting, conclusion="保守治疗", action="care_plan", care_plan="每周随访"
        )
    c = Client()
    c.force_login(net.cardiologist)
    page = c.get(f"/consults/cases/{mdt.case_id}/")
    assert page.status_code == 200
    assert "保守治疗".encode() in page.content and "每周随访".encode() in page.content
    assert cast.expert_practitioner.name.encode() in page.content
