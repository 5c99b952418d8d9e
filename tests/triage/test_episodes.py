"""Registrations per episode of care (issue 17): the grouping rule on its own, the collector over real bookings,
referrals and GP-center visits (idempotent, keyed in the database), the link to a recorded triage, and the chart's
figures and their scope."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.care.factories import enrol, followup
from tests.outreach.factories import make_session
from tests.referrals.conftest import net  # noqa: F401 (the referral cast, as a fixture)
from tests.referrals.helpers import reach
from tiercare.care.models import GpTeamMember
from tiercare.outreach.models import Booking, BookingStatus
from tiercare.triage.episodes import EPISODE_GAP_DAYS, REFERRED_ON_DAYS, Registration, group_episodes
from tiercare.triage.models import Episode, Scenario, TriageUse
from tiercare.triage.selectors import registrations_chart
from tiercare.triage.services import episodes_collect
from tiercare.workspace.panels import run_ticks

pytestmark = pytest.mark.django_db
P = uuid.uuid4()
D = date(2026, 6, 1)


def _reg(kind: str, days: int, specialty: str, treated: bool = False, person=P) -> Registration:
    return Registration(f"{kind}:{uuid.uuid4()}", kind, person, D + timedelta(days=days), specialty, None, treated)


# ---- the rule


def test_a_held_session_that_treats_is_one_registration():
    (e,) = group_episodes([_reg("booking", 0, "pediatrics", treated=True)])
    assert len(e.registrations) == 1 and e.treating_specialty == "pediatrics" and e.ended_on == D


def test_gp_visit_then_session_then_treated_referral_is_three_registrations_ending_at_the_referral():
    regs = [
        _reg("referral", 10, "cardiology", treated=True),
        _reg("followup", 0, "general_practice"),
        _reg("booking", 3, "internal_medicine", treated=True),  # held, but sent on within 14 days
    ]
    (e,) = group_episodes(regs)
    assert [r.kind for r in e.registrations] == ["followup", "booking", "referral"]
    assert e.first.specialty == "general_practice" and e.treating_specialty == "cardiology"


def test_a_referral_after_the_sent_on_window_is_a_new_episode():
    regs = [_reg("booking", 0, "internal_medicine", True), _reg("referral", REFERRED_ON_DAYS + 1, "cardiology", True)]
    assert [len(e.registrations) for e in group_episodes(regs)] == [1, 1]


@pytest.mark.parametrize("gap,episodes", [(EPISODE_GAP_DAYS, 1), (EPISODE_GAP_DAYS + 1, 2)])
def test_a_gap_of_more_than_two_months_starts_a_new_episode(gap, episodes):
    regs = [_reg("booking", 0, "orthopedics"), _reg("booking", gap, "orthopedics", True)]
    assert len(group_episodes(regs)) == episodes


def test_gp_visits_alone_are_routine_care_not_an_episode_and_patients_are_apart():
    other = uuid.uuid4()
    regs = [_reg("followup", 0, "general_practice"), _reg("followup", 30, "general_practice")]
    regs += [_reg("booking", 0, "ent", True, person=other)]
    (e,) = group_episodes(regs)
    assert e.person_id == other


def test_an_untreated_episode_stays_open():
    (e,) = group_episodes([_reg("booking", 0, "ent"), _reg("referral", 5, "ent")])
    assert len(e.registrations) == 2 and e.treating_specialty == "" and e.ended_on is None


# ---- the collector over real facts


def _facts(net, *, booking_days_ago=5):  # noqa: F811
    cast = net.cast
    today = timezone.localdate()
    e = enrol(cast.gp, cast.patient_person)
    followup(cast.gp, e, today - timedelta(days=20))
    session = make_session(
        cast.expert_practitioner, cast.dept_a, on=today - timedelta(days=booking_days_ago), status="held"
    )
    booking = Booking.objects.create(session=session, place_number=1, person=cast.patient_person, booked_by=cast.gp)
    referral = reach(net, "treated")
    return today, booking, referral


def test_the_collector_counts_a_visit_a_session_and_a_treated_referral_as_one_episode_of_three(net):  # noqa: F811
    today, booking, referral = _facts(net)
    result = episodes_collect(today=today)
    assert result["created"] == 1
    (e,) = Episode.objects.filter(scenario=Scenario.REAL)
    assert e.person == net.cast.patient_person and e.center == net.cast.center_a
    assert e.registrations == 3
    assert (e.first_specialty, e.treating_specialty) == ("general_practice", "pediatrics")
    assert e.started_on == today - timedelta(days=20) and e.ended_on == today
    # collecting again changes nothing
    assert episodes_collect(today=today) == {"episodes": 1, "created": 0, "updated": 0, "deleted": 0}
    assert Episode.objects.count() == 1


def test_a_cancelled_booking_is_no_registration_and_the_recount_says_so(net):  # noqa: F811
    today, booking, _referral = _facts(net)
    episodes_collect(today=today)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
    assert episodes_collect(today=today)["updated"] == 1
    assert Episode.objects.get().registrations == 2


def test_the_first_registration_keys_one_episode_in_the_database(net):  # noqa: F811
    today, _b, _r = _facts(net)
    episodes_collect(today=today)
    e = Episode.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            first_registration=e.first_registration, person=e.person, started_on=e.started_on, registrations=1,
            first_specialty="ent",
        )  # fmt: skip


@pytest.mark.parametrize("days_before,linked", [(0, True), (7, True), (8, False)])
def test_a_triage_recorded_up_to_a_week_before_the_first_registration_led_to_it(net, days_before, linked):  # noqa: F811
    today, _b, _r = _facts(net)
    first_on = today - timedelta(days=20)
    TriageUse.objects.create(
        person=net.cast.patient_person,
        first_specialty="pediatrics",
        at=timezone.make_aware(
            timezone.datetime.combine(first_on - timedelta(days=days_before), timezone.datetime.min.time())
        )
        + timedelta(hours=9),
    )
    episodes_collect(today=today)
    assert Episode.objects.get().triage_first == ("pediatrics" if linked else "")


def test_manage_py_tick_runs_the_collector(net):  # noqa: F811
    _facts(net)
    assert run_ticks(timezone.now())["triage"]["episodes"] == 1
    assert Episode.objects.count() == 1


# ---- the chart's figures and their scope


def _episode(key, *, center, on, n, scenario=Scenario.REAL, person=None, treating="ent", triage=""):
    return Episode.objects.create(
        first_registration=key, scenario=scenario, center=center, person=person, started_on=on, registrations=n,
        first_specialty="ent", treating_specialty=treating, triage_first=triage,
    )  # fmt: skip


def test_the_chart_gives_the_monthly_mean_per_center_network_wide_and_simulated_beside_2_6(cast):
    today = date(2026, 12, 6)
    p = cast.patient_person
    _episode("a1", center=cast.center_a, on=date(2026, 11, 3), n=1, person=p, triage="ent")
    _episode("a2", center=cast.center_a, on=date(2026, 11, 20), n=2, person=p, triage="cardiology")
    _episode("b1", center=cast.center_b, on=date(2026, 11, 5), n=4, person=p)
    _episode("b2", center=cast.center_b, on=date(2026, 12, 1), n=3, person=p, treating="")  # not treated: left out
    _episode("old", center=cast.center_a, on=date(2025, 11, 30), n=6, person=p)  # before the twelve months
    _episode("s1", center=None, on=date(2026, 11, 9), n=3, scenario=Scenario.WITHOUT_TRIAGE)
    _episode("s2", center=None, on=date(2026, 11, 9), n=1, scenario=Scenario.WITH_TRIAGE, triage="ent")
    chart = registrations_chart(for_user=cast.ops, today=today)
    assert chart["months"][0] == "2026-01" and chart["months"][-1] == "2026-12" and chart["seed"] == 2.6
    nov = chart["months"].index("2026-11")
    assert chart["network"][nov] == round((1 + 2 + 4) / 3, 2) and chart["network"][-1] is None
    assert {c["name"]: c["values"][nov] for c in chart["centers"]} == {"甲全科中心": 1.5, "乙全科中心": 4.0}
    assert chart["without_triage"][nov] == 3.0 and chart["with_triage"][nov] == 1.0
    real = chart["agreement"]["real"]
    assert (real["episodes"], real["same"], real["share"]) == (2, 1, 0.5)
    assert real["mismatches"] == [{"triage": "心血管内科", "treating": "耳鼻咽喉科", "count": 1}]


def test_a_center_lead_sees_their_center_and_the_network_wide_mean_only(cast):
    GpTeamMember.objects.create(
        team=__import__("tests.care.factories", fromlist=["team_with"]).team_with(cast.center_a, name="乙组"),
        practitioner=cast.gp.practitioner, role="gp", center_lead=True,
    )  # fmt: skip
    p = cast.patient_person
    _episode("a1", center=cast.center_a, on=date(2026, 11, 3), n=1, person=p)
    _episode("b1", center=cast.center_b, on=date(2026, 11, 5), n=3, person=p)
    chart = registrations_chart(for_user=cast.gp, today=date(2026, 12, 6))
    assert [c["name"] for c in chart["centers"]] == ["甲全科中心"]
    assert chart["network"][-2] == 2.0
