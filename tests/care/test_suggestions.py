"""Referral suggestions close the loop with the referrals app: taking one makes the referral up (the referrals
service's rules and messages apply), marks it taken and brings the next follow-up within 14 days of the referral
(NBPHS 2017: refer up, follow up within 2 weeks); dismissing needs a reason; a back-referral brings every active
enrolment's next follow-up within 14 days of the patient's return. Only the resident's contracted team may act."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from tests.care.factories import (
    HTN_HIGH,
    HTN_OK,
    enrol,
    f,
    followup,
    second_team,
    two_unsatisfactory,
)

from tiercare.care import services
from tiercare.care.models import Enrollment, ReferralSuggestion
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent, Role
from tiercare.people.models import Consent, ConsentScope
from tiercare.referrals import services as referral_services
from tiercare.referrals.models import Referral
from tiercare.referrals.selectors import sides_of

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


def refer_body(dept, **kw):
    return {"receiving_department": str(dept.pk), "diagnosis_text": "高血压 2 级", "diagnosis_code": "I10", **kw}


def test_taking_a_suggestion_makes_the_referral_and_brings_the_followup_within_14_days(
    cast, api, dept, consent, e, suggestion
):
    status, body = api(cast.gp).post(f"care/referral-suggestions/{suggestion.pk}/refer", refer_body(dept))
    assert status == 201, body
    assert body["status"] == "taken" and body["referral"] and body["acted_at"]
    ref = Referral.objects.get()
    assert str(ref.pk) == body["referral"]
    assert (ref.person, ref.receiving_department, ref.urgency, ref.status) == (
        cast.patient_person, dept, "routine", "sent",
    )  # fmt: skip
    assert ref.consent == consent and ref.referring_organization == cast.center_a
    assert ref.reason.startswith("[HTN-UNSAT-2X] 2026-05-14:") and "156/94" in ref.reason
    assert (ref.diagnosis_text, ref.diagnosis_code) == ("高血压 2 级", "I10")

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.referral, suggestion.acted_by) == ("taken", ref, cast.gp)
    e.refresh_from_db()
    assert e.next_due_on == TODAY + timedelta(days=14)  # 26 August brought forward to 15 June

    s_event = AuditEvent.objects.get(object_type="care.referralsuggestion", object_id=str(suggestion.pk),
                                     action="update")  # fmt: skip
    assert s_event.actor == cast.gp and s_event.person_id == cast.patient_person.pk
    assert s_event.details["changes"]["status"] == ["open", "taken"]
    assert s_event.details["changes"]["referral"] == str(ref.pk)
    e_event = AuditEvent.objects.get(object_type="care.enrollment", object_id=str(e.pk), action="update")
    assert e_event.details["changes"]["next_due_on"] == ["2026-08-26", "2026-06-15"]
    assert str(ref.pk) in e_event.reason
    assert AuditEvent.objects.filter(object_type="referrals.referral", object_id=str(ref.pk), action="create").exists()


def test_an_earlier_due_date_is_kept(cast, dept, consent, e):
    s = two_unsatisfactory(cast.gp, e, date(2026, 5, 20), date(2026, 5, 30))
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 6, 13)  # the protocol's 2-week recheck, earlier than referral day + 14
    services.suggestion_refer(by=cast.gp, suggestion=s, receiving_department=dept, diagnosis_text="高血压")
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 6, 13)
    assert not AuditEvent.objects.filter(object_type="care.enrollment", object_id=str(e.pk), action="update").exists()


@pytest.mark.parametrize(("given", "expected"), [(None, "emergency"), ("priority", "priority")])
def test_an_urgent_suggestion_refers_as_emergency_unless_urgency_is_given(cast, api, dept, consent, e, given, expected):
    fu = followup(cast.gp, e, date(2026, 5, 30), {**HTN_OK, "sbp_mmhg": 182, "dbp_mmhg": 100})
    s = ReferralSuggestion.objects.get(followup=fu)
    assert s.urgent
    body = refer_body(dept, **({"urgency": given} if given else {}))
    status, out = api(cast.gp).post(f"care/referral-suggestions/{s.pk}/refer", body)
    assert status == 201, out
    assert Referral.objects.get().urgency == expected


def test_a_bad_urgency_is_the_referral_services_422(cast, api, dept, consent, suggestion):
    status, body = api(cast.gp).post(
        f"care/referral-suggestions/{suggestion.pk}/refer", refer_body(dept, urgency="whenever")
    )
    assert status == 422 and body["details"]["field"] == "urgency"
    assert not Referral.objects.exists()
    suggestion.refresh_from_db()
    assert suggestion.status == "open"


@pytest.mark.parametrize("reason", ["", "   "])
def test_dismissing_needs_a_reason(cast, api, suggestion, reason):
    status, body = api(cast.gp).post(f"care/referral-suggestions/{suggestion.pk}/dismiss", {"reason": reason})
    assert status == 422 and body["details"]["field"] == "reason" and "reason" in body["message"]
    suggestion.refresh_from_db()
    assert suggestion.status == "open" and suggestion.acted_at is None


def test_dismissing_with_a_reason_is_kept_and_audited(cast, api, e, suggestion):
    status, body = api(cast.health_manager).post(
        f"care/referral-suggestions/{suggestion.pk}/dismiss", {"reason": "患者拒绝转诊，已加强随访"}
    )
    assert status == 200, body
    assert body["status"] == "dismissed" and body["dismiss_reason"] == "患者拒绝转诊，已加强随访"
    assert body["referral"] is None
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.acted_by, suggestion.referral) == ("dismissed", cast.health_manager, None)
    event = AuditEvent.objects.get(object_type="care.referralsuggestion", object_id=str(suggestion.pk),
                                   action="update")  # fmt: skip
    assert event.details["changes"]["status"] == ["open", "dismissed"] and event.reason == "患者拒绝转诊，已加强随访"
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)  # dismissing does not move the follow-up


def test_acting_twice_answers_409_with_the_current_state(cast, api, dept, consent, suggestion):
    url = f"care/referral-suggestions/{suggestion.pk}"
    assert api(cast.gp).post(f"{url}/refer", refer_body(dept))[0] == 201
    for action, body in (("refer", refer_body(dept)), ("dismiss", {"reason": "重复"})):
        status, out = api(cast.gp).post(f"{url}/{action}", body)
        assert status == 409, (action, out)
        assert out["code"] == "illegal_transition" and out["details"] == {"state": "taken"}
    assert Referral.objects.count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "taken" and suggestion.dismiss_reason == ""


def test_a_dismissed_suggestion_cannot_be_taken(cast, dept, consent, suggestion):
    services.suggestion_dismiss(by=cast.gp, suggestion=suggestion, reason="已在上级医院就诊")
    with pytest.raises(Conflict) as exc:
        services.suggestion_refer(by=cast.gp, suggestion=suggestion, receiving_department=dept, diagnosis_text="x")
    assert exc.value.details == {"state": "dismissed"}
    assert not Referral.objects.exists()


def test_a_gp_of_another_team_gets_404_and_nothing_is_stored(cast, api, dept, consent, e, suggestion):
    _team_b, gp_b, _household_b, _person_b = second_team(cast)
    url = f"care/referral-suggestions/{suggestion.pk}"
    for action, body in (("refer", refer_body(dept)), ("dismiss", {"reason": "不需要"})):
        status, out = api(gp_b).post(f"{url}/{action}", body)
        assert status == 404 and out["code"] == "not_found", (action, out)
    assert not Referral.objects.exists()
    suggestion.refresh_from_db()
    assert suggestion.status == "open" and suggestion.acted_by is None
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)
    denied = AuditEvent.objects.filter(actor=gp_b, action="denied", object_type="care.referralsuggestion")
    assert denied.count() == 2


def test_an_unknown_suggestion_is_404(cast, api, e):
    status, _body = api(cast.gp).post("care/referral-suggestions/00000000-0000-0000-0000-000000000000/dismiss",
                                      {"reason": "x"})  # fmt: skip
    assert status == 404


@pytest.mark.parametrize("who", ["patient", "coordinator", "admin"])
def test_other_roles_are_refused(cast, api, dept, consent, suggestion, who):
    user = getattr(cast, who)
    url = f"care/referral-suggestions/{suggestion.pk}"
    assert api(user).post(f"{url}/refer", refer_body(dept))[0] == 403
    assert api(user).post(f"{url}/dismiss", {"reason": "不需要"})[0] == 403
    suggestion.refresh_from_db()
    assert suggestion.status == "open"
    assert not Referral.objects.exists()


def test_the_service_refuses_a_user_outside_the_team(cast, dept, consent, suggestion):
    _team_b, gp_b, _h, _p = second_team(cast)
    with pytest.raises(Forbidden) as exc:
        services.suggestion_dismiss(by=gp_b, suggestion=suggestion, reason="不需要")
    assert exc.value.code == "not_team_member"
    suggestion.refresh_from_db()
    assert suggestion.status == "open"


@pytest.mark.parametrize("withdrawn", [False, True])
def test_without_referral_consent_the_referral_services_message_and_the_suggestion_stays_open(
    cast, api, dept, e, suggestion, withdrawn
):
    if withdrawn:
        Consent.objects.create(
            person=cast.patient_person, scope=ConsentScope.REFERRAL, granted_at=timezone.now() - timedelta(days=3),
            withdrawn_at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    status, body = api(cast.gp).post(f"care/referral-suggestions/{suggestion.pk}/refer", refer_body(dept))
    assert status == 422 and body["code"] == "consent_missing" and body["details"]["field"] == "consent"
    assert body["details"]["person"] == str(cast.patient_person.pk)  # so that a page can offer to record it
    with pytest.raises(ValidationFailed) as direct:  # the same message the referrals service gives on its own
        referral_services.referral_create(
            by=cast.gp, person=cast.patient_person, receiving_department=dept, reason="x", diagnosis_text="x"
        )
    assert body["message"] == direct.value.message
    assert not Referral.objects.exists()
    suggestion.refresh_from_db()
    assert suggestion.status == "open" and suggestion.referral is None and suggestion.acted_at is None
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)
    assert not AuditEvent.objects.filter(object_type="care.referralsuggestion", action="update").exists()


def test_a_department_outside_a_tertiary_hospital_is_the_referral_services_422(cast, api, consent, suggestion):
    status, body = api(cast.gp).post(f"care/referral-suggestions/{suggestion.pk}/refer", refer_body(cast.dept_a))
    assert status == 422 and body["details"]["field"] == "receiving_department"
    suggestion.refresh_from_db()
    assert suggestion.status == "open"


def _move(referral, action, by, **kw):
    return referral_services.referral_transition(
        referral=referral, by=by, sides=sides_of(by, referral), action=action, **kw
    )


def test_back_referral_brings_each_active_enrolment_within_14_days(cast, dept, consent, e, suggestion):
    diabetes = enrol(cast.gp, cast.patient_person, "diabetes_t2")
    followup(cast.gp, diabetes, date(2026, 5, 29), {**HTN_OK, "fasting_glucose_mmol_l": 6.1})  # satisfactory
    diabetes.refresh_from_db()
    assert diabetes.next_due_on == date(2026, 8, 27)
    receiver = f.staff_user(Role.COORDINATOR, cast.tertiary, username="tert_coord")
    taken = services.suggestion_refer(by=cast.gp, suggestion=suggestion, receiving_department=dept,
                                      diagnosis_text="高血压 2 级")  # fmt: skip
    ref = taken.referral
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 6, 15)
    followup(cast.gp, e, date(2026, 6, 1), HTN_OK)  # seen again: next routine follow-up in 90 days
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 30)

    for action, kw in (("accept", {}), ("schedule", {"scheduled_for": timezone.now()}),
                       ("arrive", {}), ("treat", {})):  # fmt: skip
        ref = _move(ref, action, receiver, **kw)
    with time_machine.travel("2026-07-20 15:00 +0800", tick=False):
        ref = _move(ref, "back_refer", receiver, discharge_summary="血压控制平稳，出院", care_plan="继续服药，2周复查")
    assert ref.status == "back_referred"

    e.refresh_from_db()
    diabetes.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 3)  # 20 July + 14 days, earlier than 30 August
    assert diabetes.next_due_on == date(2026, 8, 3)
    event = AuditEvent.objects.filter(object_type="care.enrollment", object_id=str(e.pk), action="update").latest("at")
    assert event.details["changes"]["next_due_on"] == ["2026-08-30", "2026-08-03"]
    assert f"back-referral of referral {ref.pk}" in event.reason and event.person_id == cast.patient_person.pk

    # the nightly recompute derives 30 August from the last follow-up, but the owed follow-up keeps it to 3 August
    with time_machine.travel("2026-07-21 02:00 +0800", tick=False):
        services.enrollments_recompute()
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 3) and e.followup_owed_by == date(2026, 8, 3)
    with time_machine.travel("2026-07-25 10:00 +0800", tick=False):
        followup(cast.gp, e, date(2026, 7, 25), HTN_OK)  # the owed follow-up is done: routine again
        services.enrollments_recompute()
    e.refresh_from_db()
    assert e.followup_owed_by is None and e.next_due_on == date(2026, 10, 23)


def test_back_referral_keeps_an_earlier_due_date_and_leaves_ended_enrolments(cast, e):
    followup(cast.gp, e, date(2026, 5, 30), HTN_HIGH)  # first unsatisfactory: recheck on 13 June
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=date(2026, 6, 13))
    ended = enrol(cast.gp, cast.patient_person, "diabetes_t2")
    Enrollment.objects.filter(pk=ended.pk).update(status="ended", next_due_on=date(2026, 12, 1))
    changed = services.enrollments_after_back_referral(person=cast.patient_person, on=TODAY)
    assert changed == []
    e.refresh_from_db()
    ended.refresh_from_db()
    assert e.next_due_on == date(2026, 6, 13) and ended.next_due_on == date(2026, 12, 1)
