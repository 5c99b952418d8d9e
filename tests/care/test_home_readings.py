"""Issue 16, item 5: home readings a patient reports — plausibility as for follow-ups, marked self-reported, an urgent
item on the team's worklist when the protocol's urgent criterion is met, never a face-to-face follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from tests.care.factories import HTN_OK, contract, enrol, followup, second_team, team_with

from tiercare.care import selectors, services
from tiercare.care.models import Enrollment, FollowUp, HomeReading
from tiercare.core.errors import Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    team = team_with(cast.center_a, cast.gp, cast.health_manager, name="A组")
    contract(cast.gp, cast.household_a, team)
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, timezone.localdate() - timedelta(days=20), HTN_OK)
    e.refresh_from_db()
    return team, e


def report(cast, e, **m):
    return services.home_reading_report(
        by=cast.patient, enrollment=e, measured_at=timezone.now() - timedelta(minutes=5), measurements=m
    )


def test_an_urgent_reading_puts_the_patient_on_the_teams_urgent_list(cast, world, django_capture_on_commit_callbacks):
    team, e = world
    before = (e.next_due_on, e.last_followup_on, e.control_class, FollowUp.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        r = report(cast, e, sbp_mmhg=190, dbp_mmhg=115)
    assert r.urgent and r.self_reported and {x["id"] for x in r.fired_rules} == {"HTN-URGENT-SBP", "HTN-URGENT-DBP"}
    assert "190" in r.fired_rules[0]["explanation_zh"]
    assert list(selectors.worklist(team=team, kind="home_urgent")) == [e]
    assert list(selectors.urgent_readings(team=team)) == [r]
    e.refresh_from_db()  # never a face-to-face follow-up
    assert (e.next_due_on, e.last_followup_on, e.control_class, FollowUp.objects.count()) == before
    assert AuditEvent.objects.filter(object_id=str(r.pk), action=AuditAction.CREATE, person_id=e.person_id).exists()
    from tiercare.core.notify import InMemoryBackend

    assert {n.recipient for n in InMemoryBackend.outbox if n.template_code == "home_reading_urgent"} >= {"gp"}
    services.home_reading_handle(by=cast.health_manager, reading=r, note="已电话联系，今日来诊")
    assert not selectors.worklist(team=team, kind="home_urgent").exists()


@pytest.mark.parametrize("sbp, dbp, urgent", [(180, 100, True), (179, 109, False), (150, 110, True), (179, 100, False)])
def test_the_urgent_level_is_the_protocols_at_its_threshold(cast, world, sbp, dbp, urgent):
    _team, e = world
    assert report(cast, e, sbp_mmhg=sbp, dbp_mmhg=dbp).urgent is urgent


def test_glucose_of_a_diabetic_patient(cast, world):
    d = enrol(cast.gp, cast.patient_person, "diabetes_t2")
    assert report(cast, d, fasting_glucose_mmol_l=17.0).urgent
    assert report(cast, d, fasting_glucose_mmol_l=3.9).urgent
    assert not report(cast, d, fasting_glucose_mmol_l=6.1).urgent
    with pytest.raises(ValidationFailed) as e:  # mg/dL typed in the mmol/L box, as at a follow-up
        report(cast, d, fasting_glucose_mmol_l=126)
    assert e.value.code == "implausible" and e.value.details["field"] == "fasting_glucose_mmol_l"
    with pytest.raises(ValidationFailed) as e:  # possible in both units: confirm first
        report(cast, d, fasting_glucose_mmol_l=40)
    assert e.value.code == "unit_confirmation_required"


@pytest.mark.parametrize(
    "m, field",
    [
        ({"sbp_mmhg": 900, "dbp_mmhg": 90}, "sbp_mmhg"),
        ({"sbp_mmhg": 150}, "dbp_mmhg"),
        ({"sbp_mmhg": 90, "dbp_mmhg": 120}, "dbp_mmhg"),
        ({}, "sbp_mmhg"),
        ({"fasting_glucose_mmol_l": 6.0}, "fasting_glucose_mmol_l"),  # not a hypertension reading
    ],
)
def test_implausible_or_incomplete_readings_are_refused_naming_the_field(cast, world, m, field):
    _team, e = world
    with pytest.raises(ValidationFailed) as err:
        report(cast, e, **m)
    assert err.value.details["field"] == field
    assert not HomeReading.objects.exists()


def test_a_time_in_the_future_is_refused(cast, world):
    _team, e = world
    with pytest.raises(ValidationFailed) as err:
        services.home_reading_report(
            by=cast.patient, enrollment=e, measured_at=timezone.now() + timedelta(hours=2),
            measurements={"sbp_mmhg": 130, "dbp_mmhg": 80},
        )  # fmt: skip
    assert err.value.details["field"] == "measured_at"


def test_only_the_patient_or_their_proxy_reports_and_only_the_team_handles(cast, world):
    _team, e = world
    team_b, gp_b, _household_b, person_b = second_team(cast)
    e_b = enrol(gp_b, person_b)
    with pytest.raises(NotFound):  # another household's enrolment
        report(cast, e_b, sbp_mmhg=130, dbp_mmhg=80)
    with pytest.raises(NotFound):  # staff do not report as the patient
        services.home_reading_report(
            by=cast.gp, enrollment=e, measured_at=timezone.now(), measurements={"sbp_mmhg": 130, "dbp_mmhg": 80}
        )
    r = report(cast, e, sbp_mmhg=200, dbp_mmhg=120)
    with pytest.raises(Forbidden):
        services.home_reading_handle(by=gp_b, reading=r, note="不是我的")
    assert not selectors.worklist(team=team_b, kind="home_urgent").exists()
    with pytest.raises(ValidationFailed):
        services.home_reading_handle(by=cast.gp, reading=r, note=" ")


def test_a_reading_is_always_self_reported(cast, world):
    _team, e = world
    r = report(cast, e, sbp_mmhg=130, dbp_mmhg=80)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeReading.objects.filter(pk=r.pk).update(self_reported=False)
    assert Enrollment.objects.get(pk=e.pk).last_followup_on == e.last_followup_on
