"""Issue 11, clinical safety: no patient lost between contracts, programs and tiers.

A lapsed contract never orphans a patient (renewal worklist at 30/7 days, the center's "contract lapsed" worklist
owned by its lead, a grace period for an urgent follow-up, dashboard counts); worklists put the sickest first;
referral suggestions have a deadline, escalate to the center's lead, owe a follow-up from the day they are made and
come back when the referral is declined, cancelled or expires; hypoglycaemia is its own class; control targets come
from the protocol data; a failed nightly recompute is alerted. Thresholds are tested on both sides.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from tests import factories as f
from tests.care.factories import HTN_HIGH, HTN_OK, at, contract, enrol, followup, team_with

from tiercare.care import selectors, services, tasks
from tiercare.care.models import (
    CareContract,
    ContractMember,
    Enrollment,
    FollowUp,
    GpTeamMember,
    RecomputeRun,
    ReferralSuggestion,
)
from tiercare.core.errors import Forbidden
from tiercare.core.notify import InMemoryBackend
from tiercare.referrals.rules import Side
from tiercare.referrals.services import referral_transition

pytestmark = pytest.mark.django_db
HTN_URGENT = {**HTN_OK, "sbp_mmhg": 182, "dbp_mmhg": 100}
RISKY = {**HTN_OK, "total_chol_mmol_l": 6.0, "hdl_mmol_l": 1.0, "waist_cm": 95, "smoker": True, "north": True,
         "urban": True, "family_history_ascvd": False, "bp_treated": False}  # fmt: skip


@pytest.fixture(autouse=True)
def _outbox():
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()


@pytest.fixture
def team(cast):
    t = team_with(cast.center_a, cast.gp, cast.health_manager)
    # the health manager leads center A
    GpTeamMember.objects.filter(team=t, practitioner=cast.health_manager.practitioner).update(center_lead=True)
    return t


@pytest.fixture
def lapsing(cast, team):
    """Household A contracted 2025-06-01 .. 2026-05-31, the patient in the hypertension program."""
    with time_machine.travel("2026-01-10 10:00 +0800", tick=False):
        c = contract(cast.gp, cast.household_a, team, start=date(2025, 6, 1))
        e = enrol(cast.gp, cast.patient_person, on=date(2026, 1, 5))
    return c, e


def _client(user):
    c = Client()
    c.force_login(user)
    return c


# --- 1. a lapsed contract never orphans a patient ----------------------------------------------------------------


@pytest.mark.parametrize(("today", "listed", "within_7"), [
    (date(2026, 5, 1), True, False),    # ends in 30 days
    (date(2026, 4, 30), False, False),  # 31 days
    (date(2026, 5, 24), True, True),    # 7 days
    (date(2026, 5, 23), True, False),   # 8 days
])  # fmt: skip
def test_contracts_ending_within_30_and_7_days(cast, team, lapsing, today, listed, within_7):
    rows = list(selectors.contracts_expiring(team=team, today=today))
    assert [c.pk for c in rows] == ([lapsing[0].pk] if listed else [])
    if listed:
        assert rows[0].within_7 is within_7


def test_renewal_from_the_ending_list_is_a_new_term_with_the_same_team_audited(cast, team, lapsing):
    c, _e = lapsing
    with time_machine.travel("2026-05-20 10:00 +0800", tick=False):
        page = _client(cast.gp).get(f"/care/teams/{team.pk}/contracts-ending/")
        assert page.status_code == 200 and cast.household_a.name in page.content.decode()
        # an outsider (GP of another center) is refused, and nothing changes
        assert _client(cast.gp_b).post(f"/care/contracts/{c.pk}/renew/").status_code == 404
        assert _client(cast.gp_b).get(f"/care/teams/{team.pk}/contracts-ending/").status_code == 404
        c.refresh_from_db()
        assert c.status == "active"
        r = _client(cast.gp).post(
            f"/care/contracts/{c.pk}/renew/", {"next": f"/care/teams/{team.pk}/contracts-ending/"}
        )
    assert r.status_code == 302
    new = CareContract.objects.get(renewal_of=c)
    assert (new.team, new.start, new.end, new.status) == (team, date(2026, 6, 1), date(2027, 5, 31), "active")
    assert ContractMember.objects.get(person=cast.patient_person, active=True).contract == new
    from tiercare.core.models import AuditEvent

    assert AuditEvent.objects.filter(object_type="care.carecontract", object_id=str(new.pk), action="create").exists()


def _expire(today=date(2026, 6, 1)):
    with time_machine.travel(f"{today.isoformat()} 02:00 +0800", tick=False):
        return services.contracts_expire(today=today)


def test_at_expiry_a_member_in_a_program_is_on_the_centers_lapsed_list_owned_by_its_lead(cast, team, lapsing):
    c, e = lapsing
    assert _expire() == 1
    lapsed = selectors.lapsed_persons(center_ids=[cast.center_a.pk])
    # the child (no program, no suggestion) is not listed; the patient in a program is
    assert [p.pk for p in lapsed] == [cast.patient_person.pk]
    assert lapsed[0].lapsed_contract_id == c.pk and lapsed[0].lapsed_on == date(2026, 5, 31)
    with time_machine.travel("2026-06-02 10:00 +0800", tick=False):
        lead = _client(cast.health_manager)
        page = lead.get(f"/care/centers/{cast.center_a.pk}/worklists/lapsed/")
        assert page.status_code == 200 and cast.patient_person.name in page.content.decode()
        assert lead.get(f"/care/persons/{cast.patient_person.pk}/").status_code == 200  # the lead may open the record
        # a GP who is not the center's lead, and an outsider, are refused
        assert _client(cast.gp).get(f"/care/centers/{cast.center_a.pk}/worklists/lapsed/").status_code == 404
        assert _client(cast.gp_b).get(f"/care/centers/{cast.center_a.pk}/worklists/lapsed/").status_code == 404
        assert _client(cast.gp_b).get(f"/care/persons/{cast.patient_person.pk}/").status_code == 404
        assert selectors.dashboard(teams=selectors.dashboard_teams(for_user=cast.gp))["contract_lapsed"] == 1


def test_the_lapsed_list_keeps_them_until_renewed(cast, team, lapsing):
    c, _e = lapsing
    _expire()
    with time_machine.travel("2026-06-10 10:00 +0800", tick=False):
        r = _client(cast.health_manager).post(
            f"/care/contracts/{c.pk}/renew/", {"next": f"/care/centers/{cast.center_a.pk}/worklists/lapsed/"}
        )
        assert r.status_code == 302
    new = CareContract.objects.get(renewal_of=c)
    assert (new.start, new.end, new.team) == (date(2026, 6, 10), date(2027, 6, 9), team)
    assert not selectors.lapsed_persons(center_ids=[cast.center_a.pk]).exists()
    c.refresh_from_db()
    assert c.status == "renewed"


def test_the_lapsed_list_keeps_them_until_transferred_or_the_enrolment_is_ended(cast, team, lapsing):
    _c, e = lapsing
    _expire()
    other = team_with(cast.center_a, cast.gp_b, name="二组")  # gp_b also works in a team at center A
    with time_machine.travel("2026-06-05 10:00 +0800", tick=False):
        services.contract_sign(by=cast.gp_b, household=cast.household_a, team=other, start=date(2026, 6, 5),
                               end=date(2027, 6, 4), persons=[cast.patient_person])  # fmt: skip
    assert not selectors.lapsed_persons(center_ids=[cast.center_a.pk]).exists()


def test_ending_the_enrolment_needs_a_reason_and_takes_them_off(cast, team, lapsing):
    _c, e = lapsing
    _expire()
    with time_machine.travel("2026-06-05 10:00 +0800", tick=False):
        with pytest.raises(Exception, match="reason"):
            services.enrollment_end(by=cast.health_manager, enrollment=e, reason=" ")
        with pytest.raises(Forbidden):
            services.enrollment_end(by=cast.gp_b, enrollment=e, reason="搬离")
        assert selectors.lapsed_persons(center_ids=[cast.center_a.pk]).count() == 1
        services.enrollment_end(by=cast.health_manager, enrollment=e, reason="已迁往外省，由当地社区接管")
    e.refresh_from_db()
    assert (e.status, e.end_reason) == ("ended", "已迁往外省，由当地社区接管")
    assert not selectors.lapsed_persons(center_ids=[cast.center_a.pk]).exists()


@pytest.mark.parametrize(("day", "allowed"), [(date(2026, 6, 30), True), (date(2026, 7, 1), False)])
def test_the_last_team_may_file_an_urgent_followup_for_30_days(cast, team, lapsing, day, allowed):
    """Ended on 31 May: 30 days of grace run to 30 June inclusive."""
    _c, e = lapsing
    _expire()
    with time_machine.travel(f"{day.isoformat()} 11:00 +0800", tick=False):
        if allowed:
            fu = followup(cast.gp, e, day, HTN_URGENT)
            assert fu.urgent and ReferralSuggestion.objects.filter(followup=fu, urgent=True).exists()
        else:
            with pytest.raises(Forbidden):
                followup(cast.gp, e, day, HTN_URGENT)


def test_in_the_grace_period_a_non_urgent_followup_is_refused_naming_the_lapse(cast, team, lapsing):
    _c, e = lapsing
    _expire()
    with time_machine.travel("2026-06-03 11:00 +0800", tick=False), pytest.raises(Forbidden) as info:
        followup(cast.gp, e, date(2026, 6, 3), HTN_HIGH)
    assert info.value.code == "contract_lapsed"


# --- 5. worklist order: the sickest first --------------------------------------------------------------------------


def test_worklist_puts_urgent_then_uncontrolled_then_overdue_then_risk(cast, team):
    hh = f.HouseholdFactory(registered_at=cast.center_a)
    people = [f.PersonFactory(household=hh, birth_date=date(1960, 1, 1)) for _ in range(5)]
    with time_machine.travel("2026-02-01 10:00 +0800", tick=False):
        contract(cast.gp, hh, team)
        urgent, uncontrolled, unknown, controlled_old, controlled_risky = [enrol(cast.gp, p) for p in people]
        followup(cast.gp, urgent, date(2026, 1, 20), HTN_URGENT)
        followup(cast.gp, urgent, date(2026, 1, 25), HTN_OK)  # a later normal visit: the suggestion stays open
    upd = Enrollment.objects.filter
    upd(pk=urgent.pk).update(next_due_on=date(2026, 5, 25))
    upd(pk=uncontrolled.pk).update(next_due_on=date(2026, 5, 25), control_class="unsatisfactory", controlled=False)
    upd(pk=unknown.pk).update(next_due_on=date(2026, 5, 25), control_class="", controlled=None, risk_percent=None)
    for e, risk in ((controlled_old, 5.0), (controlled_risky, 25.0)):
        # a risk the worklist may use is one a follow-up computed within 12 months (selectors.with_usable_risk)
        with time_machine.travel("2026-02-01 10:00 +0800", tick=False):
            fu = followup(cast.gp, e, date(2026, 1, 30), RISKY)
        FollowUp.objects.filter(pk=fu.pk).update(risk_percent=risk)
        upd(pk=e.pk).update(
            next_due_on=date(2026, 4, 1), control_class="satisfactory", controlled=True, risk_percent=risk
        )
    ids = [e.pk for e in selectors.worklist(team=team, kind="overdue", today=date(2026, 6, 1))]
    # no computed risk and no known control is never below a controlled one, however risky or overdue
    assert ids == [urgent.pk, uncontrolled.pk, unknown.pk, controlled_risky.pk, controlled_old.pk]
    assert [e.pk for e in selectors.worklist(team=team, kind="suggestions", today=date(2026, 6, 1))] == [urgent.pk]


# --- 6. referral suggestions cannot be lost ------------------------------------------------------------------------


@pytest.mark.parametrize(("made", "urgent", "due"), [
    (date(2026, 6, 4), True, date(2026, 6, 5)),    # Thursday → Friday
    (date(2026, 6, 5), True, date(2026, 6, 8)),    # Friday → Monday
    (date(2026, 6, 6), True, date(2026, 6, 8)),    # Saturday → Monday
    (date(2026, 6, 4), False, date(2026, 6, 18)),  # routine: 14 days
])  # fmt: skip
def test_suggestion_deadlines(made, urgent, due):
    assert services.suggestion_due_on(made, urgent=urgent) == due


def test_an_overdue_suggestion_escalates_to_the_centers_lead_the_day_after_its_deadline(
    cast, team, django_capture_on_commit_callbacks
):
    with time_machine.travel("2026-06-05 10:00 +0800", tick=False):  # a Friday
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        fu = followup(cast.gp, e, date(2026, 6, 5), HTN_URGENT)
    s = ReferralSuggestion.objects.get(followup=fu)
    assert (s.due_on, s.specialty) == (date(2026, 6, 8), "emergency")
    assert services.suggestions_escalate(today=date(2026, 6, 8)) == 0  # on the deadline: not yet
    with time_machine.travel("2026-06-09 02:00 +0800", tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.suggestions_escalate(today=date(2026, 6, 9)) == 1
        assert services.suggestions_escalate(today=date(2026, 6, 9)) == 0  # once
    s.refresh_from_db()
    assert s.escalated_at is not None and s.status == "open"
    assert [(n.recipient, n.template_code) for n in InMemoryBackend.outbox] == [
        ("health_manager", "care_suggestion_escalated")
    ]
    with time_machine.travel("2026-06-09 10:00 +0800", tick=False):
        page = _client(cast.health_manager).get(f"/care/centers/{cast.center_a.pk}/worklists/escalated/")
        assert page.status_code == 200 and cast.patient_person.name in page.content.decode()
        assert _client(cast.gp_b).get(f"/care/centers/{cast.center_a.pk}/worklists/escalated/").status_code == 404
        assert selectors.dashboard(teams=selectors.dashboard_teams(for_user=cast.gp))["suggestions_escalated"] == 1


def test_the_owed_followup_starts_when_the_suggestion_is_made_and_survives_the_recompute(cast, team):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        fu = followup(cast.gp, e, date(2026, 2, 15), HTN_HIGH)  # HTN-UNSAT-2X: refer up
    assert ReferralSuggestion.objects.get(followup=fu).due_on == date(2026, 3, 1)
    e.refresh_from_db()
    assert (e.followup_owed_by, e.followup_owed_since) == (date(2026, 3, 1), date(2026, 2, 16))
    # a corrupted due date is restored to no later than the owed day by the nightly recompute
    Enrollment.objects.filter(pk=e.pk).update(next_due_on=date(2026, 9, 1))
    services.enrollments_recompute(queryset=Enrollment.objects.filter(pk=e.pk))
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 3, 1)


def test_a_declined_referral_comes_back_to_the_team_with_the_reason(cast, team, dept, consent):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        s = ReferralSuggestion.objects.get(followup=followup(cast.gp, e, date(2026, 2, 15), HTN_HIGH))
        services.suggestion_refer(by=cast.gp, suggestion=s, receiving_department=dept, diagnosis_text="高血压")
        s.refresh_from_db()
        assert s.status == "taken"
        assert selectors.worklist(team=team, kind="suggestions").count() == 0
        referral_transition(referral=s.referral, by=None, sides={Side.RECEIVING}, action="decline",
                            reason="本院床位已满")  # fmt: skip
    s.refresh_from_db()
    assert s.status == "open" and s.return_reason == "拒绝转诊: 本院床位已满"  # the outcome in words, not its code
    assert s.due_on == date(2026, 3, 15)
    assert [x.pk for x in selectors.worklist(team=team, kind="suggestions", today=date(2026, 3, 2))] == [e.pk]
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        page = _client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/")
    assert "本院床位已满" in page.content.decode()


def test_an_expired_referral_comes_back_too(cast, team, dept, consent):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        s = ReferralSuggestion.objects.get(followup=followup(cast.gp, e, date(2026, 2, 15), HTN_HIGH))
        services.suggestion_refer(by=cast.gp, suggestion=s, receiving_department=dept, diagnosis_text="高血压")
        s.refresh_from_db()
        referral_transition(referral=s.referral, by=None, sides={Side.SYSTEM}, action="expire", reason="accept lapsed")
    s.refresh_from_db()
    assert (s.status, s.return_reason) == ("open", "逾期失效: accept lapsed")


# --- 9. hypoglycaemia is not "controlled"; targets are the protocol's data -----------------------------------------


@pytest.mark.parametrize(("glucose", "cls", "controlled"), [
    (3.9, "hypoglycaemia", False),
    (4.0, "satisfactory", True),
    (6.9, "satisfactory", True),
    (7.0, "unsatisfactory", False),
])  # fmt: skip
def test_hypoglycaemia_is_its_own_class(cast, team, glucose, cls, controlled):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person, code="diabetes_t2")
        fu = followup(cast.gp, e, date(2026, 2, 20), {**HTN_OK, "fasting_glucose_mmol_l": glucose})
    assert (fu.control_class, fu.controlled) == (cls, controlled)
    e.refresh_from_db()
    assert e.control_class == cls
    data = selectors.dashboard(teams=selectors.dashboard_teams(for_user=cast.gp), today=date(2026, 3, 1))
    assert data["hypoglycaemia"] == (1 if cls == "hypoglycaemia" else 0)
    assert data["glucose_control_percent"] == (100.0 if controlled else 0.0)
    listed = [x.pk for x in selectors.worklist(team=team, kind="uncontrolled", today=date(2026, 3, 1))]
    assert listed == ([] if controlled else [e.pk])


def test_dashboard_control_targets_are_read_from_the_protocol(cast, team, monkeypatch):
    from tiercare.care.protocols import load_protocol
    from tiercare.care.protocols.model import Threshold

    real = load_protocol("diabetes_t2")
    t = real.thresholds["glucose_control_target_mmol_l"]
    changed = type(real.thresholds)({**real.thresholds, "glucose_control_target_mmol_l": Threshold(
        **{**t.__dict__, "value": 6.5})})  # fmt: skip

    class P:
        def __getattr__(self, name):
            return changed if name == "thresholds" else getattr(real, name)

    monkeypatch.setattr(  # where control_targets looks it up
        "tiercare.care.services.control.load_protocol",
        lambda code, **kw: P() if code == "diabetes_t2" else load_protocol(code),
    )
    assert services.control_targets("diabetes_t2") == {"glucose_control_target_mmol_l": 6.5}
    assert services.is_controlled(P(), {"fasting_glucose_mmol_l": 6.4}) is True
    assert services.is_controlled(P(), {"fasting_glucose_mmol_l": 6.5}) is False
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        page = _client(cast.gp).get("/care/dashboard/")
    assert "6.5" in page.content.decode()


# --- the nightly recompute reports failure loudly ------------------------------------------------------------------


def test_a_failed_nightly_recompute_alerts_operations_and_shows_a_red_line(cast, team):
    """The recompute meets a real database error — the follow-up table it reads is not there (a restore or a
    migration gone wrong) — raised by the database driver itself; no function of tiercare is replaced."""
    from django.db import connection

    with time_machine.travel("2026-02-20 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        followup(cast.gp, enrol(cast.gp, cast.patient_person), date(2026, 2, 1), HTN_HIGH)
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE care_followup RENAME TO care_followup_gone")
    try:
        with time_machine.travel("2026-03-01 02:00 +0800", tick=False):
            tasks.tick(at(date(2026, 3, 1), 2))  # the task backend records the task as failed; the tick goes on
    finally:
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE care_followup_gone RENAME TO care_followup")
    run = RecomputeRun.objects.get(day=date(2026, 3, 1))
    assert run.failed_at is not None and run.finished_at is None
    assert "care_followup" in run.error and ("OperationalError" in run.error or "ProgrammingError" in run.error)
    alerts = [(n.recipient, n.template_code) for n in InMemoryBackend.outbox]
    assert ("ops", "care_recompute_failed") in alerts
    with time_machine.travel("2026-03-01 09:00 +0800", tick=False):
        page = _client(cast.gp).get("/care/dashboard/").content.decode()
        ops_page = _client(cast.ops).get("/care/dashboard/").content.decode()
    assert 'id="recompute-failed"' in page and "care_followup" in page and 'id="recompute-failed"' in ops_page


def test_a_finished_recompute_shows_no_red_line(cast, team):
    with time_machine.travel("2026-03-01 02:00 +0800", tick=False):
        tasks.tick(at(date(2026, 3, 1), 2))
    assert RecomputeRun.objects.get().finished_at is not None and not InMemoryBackend.outbox
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):  # the next morning, before its run
        page = _client(cast.gp).get("/care/dashboard/").content.decode()
    assert "recompute-failed" not in page and "recompute-stale" not in page
    with time_machine.travel("2026-03-03 09:00 +0800", tick=False):  # a day without a run: stale
        page = _client(cast.gp).get("/care/dashboard/").content.decode()
    assert 'id="recompute-stale"' in page


def test_the_refer_form_proposes_the_department_that_fits_the_rule(cast, team, dept):
    """HTN-UNSAT-2X proposes cardiology (``dept`` is the tertiary hospital's 心内科)."""
    f.DepartmentFactory(organization=cast.tertiary, name="内分泌科", specialty="endocrinology")
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        contract(cast.gp, cast.household_a, team)
        e = enrol(cast.gp, cast.patient_person)
        followup(cast.gp, e, date(2026, 2, 1), HTN_HIGH)
        s = ReferralSuggestion.objects.get(followup=followup(cast.gp, e, date(2026, 2, 15), HTN_HIGH))
        assert s.specialty == "cardiology"
        page = _client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/").content.decode()
    assert f'value="{dept.pk}" data-picker-input' in page  # the department picker comes with it chosen
