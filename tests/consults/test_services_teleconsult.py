"""Tele-consultations: the remote-consultation rules, routing, the thread, closing, deadlines and re-routing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from tests import factories as f
from tiercare.consults import services, tasks
from tiercare.consults.models import (
    ROUTINE_DEADLINE_HOURS,
    URGENT_DEADLINE_HOURS,
    Case,
    ConsultStatus,
    Outcome,
    Teleconsult,
    Transition,
)
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.core.notify import InMemoryBackend
from tiercare.network.models import InsurancePolicy, SupportAgreement
from tiercare.people.models import Consent

pytestmark = pytest.mark.django_db


def test_case_needs_written_consent_first(cast, net):
    net.consent.withdrawn_at = timezone.now()
    net.consent.save()
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(by=cast.gp, person=cast.patient_person, question="?")
    assert exc.value.code == "consent_missing"
    assert not Case.objects.exists()


def test_case_only_for_a_patient_the_requester_cares_for(cast, net):
    with pytest.raises(NotFound):
        services.case_create(by=cast.gp_b, person=cast.patient_person, question="?")
    assert AuditEvent.objects.filter(actor=cast.gp_b, action="denied").exists()


def test_request_routes_to_an_allowed_expert_and_records_basis(cast, net, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    tc.refresh_from_db()
    assert tc.status == ConsultStatus.ASSIGNED
    assert tc.expert == cast.expert_practitioner  # equal load: by name
    assert tc.basis == "support_agreement" and tc.agreement == net.agreement
    assert tc.deadline == tc.created_at + timedelta(hours=ROUTINE_DEADLINE_HOURS)
    assert Transition.objects.filter(object_id=tc.pk, from_state="unassigned", to_state="assigned", by=cast.gp).exists()
    assert [n.recipient for n in InMemoryBackend.outbox] == ["expert"]


def test_the_expert_is_told_in_chinese_words_whatever_the_requesting_page_language(
    cast, net, case, django_capture_on_commit_callbacks
):
    InMemoryBackend.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    (told,) = InMemoryBackend.outbox
    assert told.text.startswith("您有新的远程会诊待回复"), told.text


def test_urgent_deadline_is_24_hours(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics", priority="urgent")
    assert tc.deadline - tc.created_at == timedelta(hours=URGENT_DEADLINE_HOURS)


def test_load_spreads_work_and_continuity_keeps_the_patient_with_their_expert(cast, net, case):
    first = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    # Same patient again: continuity wins over load.
    second = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    assert second.expert == first.expert == cast.expert_practitioner
    # Another patient goes to the less loaded expert.
    other = f.PersonFactory(household=cast.household_a)
    Consent.objects.create(person=other, scope="teleconsultation", granted_at=timezone.now())
    other_case = services.case_create(by=cast.gp, person=other, question="?")
    third = services.teleconsult_request(by=cast.gp, case=other_case, specialty="pediatrics")
    assert third.expert == net.expert2_practitioner


def test_refused_without_a_cooperation_agreement(cast, net, case):
    SupportAgreement.objects.all().delete()
    with pytest.raises(ValidationFailed) as exc:
        services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    assert exc.value.code == "no_cooperation_agreement"
    assert "书面合作协议" in exc.value.message  # in the user's language (zh-Hans), never the English msgid
    assert not Teleconsult.objects.exists()


def test_named_expert_with_less_than_three_years_of_practice_is_refused(cast, net, case):
    net.expert2_practitioner.independent_practice_since = f.today() - timedelta(days=3 * 365 - 5)
    net.expert2_practitioner.save()
    with pytest.raises(ValidationFailed) as exc:
        services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics", expert=net.expert2_practitioner)
    assert exc.value.code == "insufficient_independent_practice"


def test_expert_whose_cover_ends_before_the_deadline_is_not_chosen(cast, net, case):
    InsurancePolicy.objects.filter(practitioner=cast.expert_practitioner).update(valid_to=f.today() + timedelta(days=1))
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    assert tc.expert == net.expert2_practitioner


def test_thread_first_answer_close_and_filing(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    services.teleconsult_message(by=cast.gp, teleconsult=tc, body="补充：体温39度")
    tc.refresh_from_db()
    assert tc.first_answer_at is None  # the requester's message is not an answer
    services.teleconsult_message(by=cast.expert, teleconsult=tc, body="建议查血培养")
    tc.refresh_from_db()
    assert tc.status == ConsultStatus.ANSWERED and tc.first_answer_at is not None
    with pytest.raises(Forbidden):
        services.teleconsult_close(by=cast.gp, teleconsult=tc, outcome=Outcome.ADVICE_ONLY)
    services.teleconsult_close(by=cast.expert, teleconsult=tc, outcome=Outcome.ADVICE_ONLY, note="门诊随访")
    tc.refresh_from_db()
    assert tc.status == ConsultStatus.CLOSED and tc.outcome == Outcome.ADVICE_ONLY
    assert tc.filed_to == cast.center_a  # filed into the inviting side's record
    assert tc.messages.count() == 3
    assert tc.messages.first().retain_until.year == f.today().year + 3  # chat ≥3 years
    assert case.retain_until.year == f.today().year + 15  # records ≥15 years
    with pytest.raises(Conflict) as exc:
        services.teleconsult_message(by=cast.gp, teleconsult=tc, body="再问一句")
    assert exc.value.code == "illegal_transition" and exc.value.details["state"] == "closed"


def test_reroutes_when_cover_lapses_before_the_deadline(cast, net, case, django_capture_on_commit_callbacks):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    assert tc.expert == cast.expert_practitioner
    InsurancePolicy.objects.filter(practitioner=cast.expert_practitioner).update(valid_to=f.today() + timedelta(days=1))
    InMemoryBackend.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = tasks.tick(timezone.now())

    tc.refresh_from_db()
    assert done["rerouted"] == 1
    assert tc.expert == net.expert2_practitioner and tc.status == ConsultStatus.ASSIGNED
    move = Transition.objects.filter(object_id=tc.pk).last()
    assert move.details["from_expert"] == str(cast.expert_practitioner.pk)
    assert {(n.recipient, n.template_code) for n in InMemoryBackend.outbox} == {
        ("expert", "consult_rerouted"),
        ("expert2", "consult_assigned"),
    }
    # A second tick leaves it alone.
    assert tasks.tick(timezone.now())["rerouted"] == 0


def test_goes_back_to_unassigned_and_escalates_when_nobody_else_is_allowed(
    cast, net, case, django_capture_on_commit_callbacks
):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    InsurancePolicy.objects.filter(practitioner__in=[cast.expert_practitioner, net.expert2_practitioner]).update(
        valid_to=f.today()
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.tick(timezone.now())
    tc.refresh_from_db()
    assert tc.status == ConsultStatus.UNASSIGNED and tc.expert is None
    assert ("ops", "consult_escalated") in {(n.recipient, n.template_code) for n in InMemoryBackend.outbox}


def test_reminder_then_escalation_before_the_deadline(cast, net, case, django_capture_on_commit_callbacks):
    start = timezone.now()
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    allowed = tc.deadline - tc.created_at
    InMemoryBackend.outbox.clear()
    with time_machine.travel(start + allowed * 0.49, tick=False):
        assert tasks.tick(timezone.now()) == {"rerouted": 0, "reminded": 0, "escalated": 0}
    with time_machine.travel(start + allowed * 0.51, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.tick(timezone.now())["reminded"] == 1
    with time_machine.travel(start + allowed * 0.81, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.tick(timezone.now()) == {"rerouted": 0, "reminded": 0, "escalated": 1}
        assert tasks.tick(timezone.now())["escalated"] == 0  # once
    assert [(n.recipient, n.template_code) for n in InMemoryBackend.outbox] == [
        ("expert", "consult_reminder"),
        ("ops", "consult_escalated"),
    ]
    tc.refresh_from_db()
    assert tc.escalated_at is not None and tc.escalated_at < tc.deadline


def test_cancel_is_a_recorded_transition_and_final(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    with pytest.raises(Forbidden):
        services.work_cancel(by=cast.expert, work=tc)
    services.work_cancel(by=cast.gp, work=tc, reason="患者已上转")
    tc.refresh_from_db()
    assert tc.status == "cancelled"
    with pytest.raises(Conflict):
        services.work_cancel(by=cast.gp, work=tc)
