"""The slot finder's calendar from the database (consults.availability): an expert's outreach session with its travel,
their leave, working hours, and the weekend or evening hours an expert marks; and booking outside them refused."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from tiercare.consults import availability, services, slots
from tiercare.consults.models import MeetingHours
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.outreach.models import ExpertLeave, ExpertSession, LeaveKind, TravelTime

pytestmark = pytest.mark.django_db
SH = slots.SHANGHAI


def next_weekday(weekday: int) -> datetime:
    """Midnight (Shanghai) of the next such weekday after today, within a week of the fixtures' dates."""
    today = timezone.localdate()
    ahead = (weekday - today.weekday()) % 7 or 7
    day = today + timedelta(days=ahead)
    return datetime(day.year, day.month, day.day, tzinfo=SH)


def open_mdt(cast, net, days: float):
    """The GP's case and MDT (pediatrics with 赵专家, cardiology with 孙专家), meeting within ``days``."""
    case = services.case_create(by=cast.gp, person=cast.patient_person, question="胸痛伴发热，需多学科会诊")
    mdt = services.mdt_create(
        by=cast.gp, case=case, specialties=["pediatrics", "cardiology"], deadline=timezone.now() + timedelta(days=days)
    )
    only = {"pediatrics": cast.expert_practitioner, "cardiology": net.cardiologist_practitioner}
    return mdt, only


def starts(proposals) -> list[datetime]:
    return [p.starts_at.astimezone(SH) for p in proposals]


def test_an_outreach_session_and_its_travel_are_busy(cast, net):
    monday = next_weekday(0)
    TravelTime.objects.create(origin=cast.tertiary, destination=cast.hospital_a, hours=Decimal("1.5"))
    with time_machine.travel(monday + timedelta(hours=6), tick=False):
        mdt, only = open_mdt(cast, net, days=2)
        assert starts(services.mdt_propose(mdt=mdt, only=only, limit=1)) == [monday + timedelta(hours=8)]
        ExpertSession.objects.create(
            expert=net.cardiologist_practitioner, department=cast.dept_a, site=cast.hospital_a, date=monday.date(),
            half_day="am", kind="clinic", places=10, basis="support_agreement",
        )  # fmt: skip
        proposals = services.mdt_propose(mdt=mdt, only=only, limit=20)
    # The session is 08:30–12:00 at 甲县人民医院, 1.5 h each way from his hospital: busy 07:00–13:30.
    assert starts(proposals)[0] == monday + timedelta(hours=13, minutes=30)
    busy_from, busy_to = monday + timedelta(hours=7), monday + timedelta(hours=13, minutes=30)
    assert all(not (p.starts_at < busy_to and busy_from < p.ends_at) for p in proposals)


def test_a_session_at_a_site_of_unknown_distance_takes_the_day(cast, net):
    monday = next_weekday(0)
    with time_machine.travel(monday + timedelta(hours=6), tick=False):
        mdt, only = open_mdt(cast, net, days=2)
        ExpertSession.objects.create(
            expert=net.cardiologist_practitioner, department=cast.dept_a, site=cast.hospital_a, date=monday.date(),
            half_day="pm", kind="clinic", places=10, basis="support_agreement",
        )  # fmt: skip
        proposals = services.mdt_propose(mdt=mdt, only=only, limit=1)
    assert starts(proposals) == [monday + timedelta(days=1, hours=8)]


def test_leave_is_busy_and_home_duty_is_not(cast, net):
    monday = next_weekday(0)
    with time_machine.travel(monday + timedelta(hours=6), tick=False):
        mdt, only = open_mdt(cast, net, days=3)
        ExpertLeave.objects.create(
            practitioner=cast.expert_practitioner, kind=LeaveKind.DUTY, start=monday.date(), end=monday.date()
        )
        assert starts(services.mdt_propose(mdt=mdt, only=only, limit=1)) == [monday + timedelta(hours=8)]
        ExpertLeave.objects.create(
            practitioner=cast.expert_practitioner,
            kind=LeaveKind.LEAVE,
            start=monday.date(),
            end=monday.date() + timedelta(days=1),
        )
        proposals = services.mdt_propose(mdt=mdt, only=only, limit=1)
    assert starts(proposals) == [monday + timedelta(days=2, hours=8)]  # Wednesday: leave Monday and Tuesday


def test_no_weekend_time_unless_every_expert_marked_it(cast, net):
    friday = next_weekday(4)
    with time_machine.travel(friday + timedelta(hours=17, minutes=30), tick=False):
        mdt, only = open_mdt(cast, net, days=2)  # Friday 17:30 to Sunday 17:30: working hours are over
        assert services.mdt_propose(mdt=mdt, only=only) == []
        availability.meeting_hours_add(by=cast.expert, weekday=5, start=time(9), end=time(12))
        assert services.mdt_propose(mdt=mdt, only=only) == []  # the cardiologist has not marked Saturday
        availability.meeting_hours_add(by=net.cardiologist, weekday=5, start=time(10), end=time(18))
        proposals = services.mdt_propose(mdt=mdt, only=only)
        saturday = friday + timedelta(days=1)
        both = [
            saturday + timedelta(hours=10),
            saturday + timedelta(hours=10, minutes=30),
            saturday + timedelta(hours=11),
        ]
        assert starts(proposals) == both  # 10:00–12:00, the hours both marked
        with pytest.raises(ValidationFailed) as exc:  # Saturday evening: outside both experts' hours
            services.mdt_book(by=cast.gp, mdt=mdt, starts_at=saturday + timedelta(hours=19), experts=only)
        assert exc.value.code == "expert_outside_hours" and exc.value.details["field"] == "starts_at"
        meeting = services.mdt_book(by=cast.gp, mdt=mdt, starts_at=proposals[0].starts_at, experts=only)
    assert meeting.starts_at == saturday + timedelta(hours=10)


def test_an_evening_the_expert_marked(cast, net):
    monday = next_weekday(0)
    with time_machine.travel(monday + timedelta(hours=18), tick=False):
        mdt, only = open_mdt(cast, net, days=0.2)  # until 22:48
        assert services.mdt_propose(mdt=mdt, only=only) == []
        for user in (cast.expert, net.cardiologist):
            availability.meeting_hours_add(by=user, weekday=0, start=time(19, 30), end=time(21))
        proposals = services.mdt_propose(mdt=mdt, only=only)
    assert starts(proposals) == [monday + timedelta(hours=19, minutes=30), monday + timedelta(hours=20)]


def test_meeting_hours_are_the_experts_own(cast, net):
    with pytest.raises(Forbidden):
        availability.meeting_hours_add(by=cast.gp, weekday=5, start=time(9), end=time(12))
    with pytest.raises(ValidationFailed) as exc:
        availability.meeting_hours_add(by=cast.expert, weekday=5, start=time(12), end=time(9))
    assert exc.value.details == {"field": "end"}
    row = availability.meeting_hours_add(by=cast.expert, weekday=5, start=time(9), end=time(12))
    with pytest.raises(ValidationFailed) as exc:
        availability.meeting_hours_add(by=cast.expert, weekday=5, start=time(9), end=time(11))
    assert exc.value.details == {"field": "start"}
    with pytest.raises(Forbidden):
        availability.meeting_hours_remove(by=net.cardiologist, row=row)
    availability.meeting_hours_remove(by=cast.expert, row=row)
    assert not MeetingHours.objects.exists()
