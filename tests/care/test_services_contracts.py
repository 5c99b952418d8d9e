"""Family-doctor contracts (regulation §4): one team per resident, term ≥ 1 year, renewals, terminations,
panel cap warning, time per patient, long prescriptions."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from tests.care.factories import contract, enrol, team_with

from tiercare.care import services
from tiercare.care.models import CareContract, ContractEvent, ContractMember, MedicationRecord
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(cast):
    return team_with(cast.center_a, cast.gp, cast.health_manager)


def test_sign_enrols_every_member_and_records_the_event(cast, team):
    result = services.contract_sign(
        by=cast.gp, household=cast.household_a, team=team, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    c = result.contract
    c.refresh_from_db()
    assert c.status == "active" and result.warnings == []
    assert set(c.enrolled.filter(active=True).values_list("person_id", flat=True)) == {
        cast.patient_person.pk,
        cast.child_person.pk,
    }
    assert ContractEvent.objects.filter(contract=c, kind="signed", to_status="active", by=cast.gp).exists()
    assert AuditEvent.objects.filter(object_type="care.carecontract", object_id=str(c.pk), action="create").exists()


def test_term_shorter_than_one_year_is_refused_naming_end(cast, team):
    with pytest.raises(ValidationFailed) as exc:
        services.contract_sign(
            by=cast.gp, household=cast.household_a, team=team, start=date(2026, 1, 1), end=date(2026, 12, 30)
        )
    assert exc.value.details["field"] == "end" and exc.value.code == "term_too_short"
    assert not CareContract.objects.exists()


def test_a_resident_has_one_contracted_team_at_a_time(cast, team):
    other = team_with(cast.center_a, cast.gp_b, name="二组")
    cast.gp_b.practitioner.roles.update(organization=cast.center_a)
    contract(cast.gp, cast.household_a, team)
    with pytest.raises(Conflict) as exc:
        services.contract_sign(
            by=cast.gp_b,
            household=cast.household_a,
            team=other,
            start=date(2026, 2, 1),
            end=date(2027, 1, 31),
        )
    assert exc.value.code == "household_contracted"
    assert ContractMember.objects.filter(person=cast.patient_person, active=True).count() == 1


def test_the_database_refuses_a_second_active_team_for_a_resident(cast, team):
    c = contract(cast.gp, cast.household_a, team)
    other = team_with(cast.center_a, name="二组")
    c2 = CareContract.objects.create(
        household=cast.household_hospital_a, team=other, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractMember.objects.create(contract=c2, person=cast.patient_person, team=other)
    assert c.enrolled.count() == 2


def test_terminate_then_sign_with_another_team(cast, team):
    c = contract(cast.gp, cast.household_a, team)
    with pytest.raises(ValidationFailed):
        services.contract_terminate(by=cast.gp, contract=c, on=date(2026, 3, 1), reason=" ")
    services.contract_terminate(by=cast.gp, contract=c, on=date(2026, 3, 1), reason="moved to another district")
    c.refresh_from_db()
    assert c.status == "terminated"
    assert not c.enrolled.filter(active=True).exists()
    assert ContractEvent.objects.filter(contract=c, kind="terminated", from_status="active").exists()
    with pytest.raises(Conflict) as exc:
        services.contract_terminate(by=cast.gp, contract=c, on=date(2026, 3, 2), reason="again")
    assert exc.value.code == "illegal_transition"
    other = team_with(cast.center_a, cast.health_manager, name="二组")
    assert contract(cast.health_manager, cast.household_a, other, start=date(2026, 3, 2)).status == "active"


def test_renewal_carries_members_into_a_new_term(cast, team):
    c = contract(cast.gp, cast.household_a, team)
    new = services.contract_renew(by=cast.gp, contract=c, end=date(2027, 12, 31), package="personalised").contract
    c.refresh_from_db()
    assert c.status == "renewed" and new.status == "active" and new.renewal_of == c
    assert new.start == date(2027, 1, 1) and new.package == "personalised"
    assert new.enrolled.filter(active=True).count() == 2
    assert not c.enrolled.filter(active=True).exists()


def test_only_a_team_member_signs(cast, team):
    with pytest.raises(Forbidden):
        services.contract_sign(
            by=cast.gp_b,
            household=cast.household_a,
            team=team,
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
        )


@override_settings(CARE_PANEL_CAP=1)
def test_a_panel_past_the_cap_warns_and_still_signs(cast, team):
    result = services.contract_sign(
        by=cast.gp, household=cast.household_a, team=team, start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    assert result.contract.pk
    assert [w["code"] for w in result.warnings] == ["panel_over_cap"]
    assert result.warnings[0]["panel_size"] == 2 and result.warnings[0]["cap"] == 1


def test_panel_size_and_time_per_patient(cast, team):
    contract(cast.gp, cast.household_a, team)
    panels = {p.name: p for p in services.team_panels(team)}
    gp = panels[cast.gp.practitioner.name]
    assert gp.panel_size == 2 and gp.cap == 2000 and not gp.over_cap
    assert gp.minutes_per_patient_per_year == 40 * 52 * 60 / 2


# --- long prescriptions ------------------------------------------------------------------------------------


@pytest.fixture
def enrolled(cast, team):
    contract(cast.gp, cast.household_a, team)
    enrol(cast.gp, cast.patient_person)
    return cast.patient_person


def _rx(cast, person, **kw):
    data = {"drug_name": "氨氯地平片", "supply_days": 28, "prescribed_on": date(2026, 2, 1)} | kw
    return services.medication_prescribe(by=cast.gp, person=person, **data)


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"supply_days": 29}, "assessment", "long_rx_needs_assessment"),
        (
            {"supply_days": 84, "assessment": "stable for 1 year"},
            "patient_confirmed",
            "long_rx_needs_confirmation",
        ),
        (
            {"supply_days": 85, "assessment": "x", "patient_confirmed": True},
            "supply_days",
            "supply_over_12_weeks",
        ),
        ({"supply_days": 14, "drug_class": "psychotropic_2"}, "drug_class", "long_rx_excluded_class"),
        ({"supply_days": 14, "drug_class": "antimicrobial"}, "drug_class", "long_rx_excluded_class"),
    ],
)
def test_long_prescription_rules_refuse_naming_the_field(cast, enrolled, kw, field, code):
    with pytest.raises(ValidationFailed) as exc:
        _rx(cast, enrolled, **kw)
    assert exc.value.details["field"] == field and exc.value.code == code
    assert not MedicationRecord.objects.exists()


def test_long_prescriptions_within_the_rules(cast, enrolled):
    assert _rx(cast, enrolled, supply_days=28).supply_days == 28
    rx = _rx(cast, enrolled, supply_days=84, assessment="stable 12 months", patient_confirmed=True)
    assert rx.patient_confirmed_at is not None
    assert _rx(cast, enrolled, supply_days=28, drug_class="antimicrobial", tb_or_fungal=True).pk


def test_long_prescription_only_for_a_chronic_care_patient(cast, enrolled):
    assert _rx(cast, cast.child_person, supply_days=7).pk
    with pytest.raises(ValidationFailed) as exc:
        _rx(cast, cast.child_person, supply_days=8)
    assert exc.value.code == "long_rx_not_chronic"


def test_the_database_refuses_more_than_12_weeks(cast, enrolled):
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationRecord.objects.create(person=enrolled, drug_name="x", supply_days=85, prescribed_on=date(2026, 1, 1))
