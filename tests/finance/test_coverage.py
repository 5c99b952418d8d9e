"""Issue 15 item 7: a person's coverage, recorded by the GP team or a coordinator who may see the person (404 and an
audited refusal otherwise), overlapping coverage of a scheme refused, the member number kept only masked and hashed,
the estimate of who pays what by the region's rules (found at the region or above it), the page and the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, AuditEvent
from tiercare.finance import services
from tiercare.finance.access import access_coverage_person
from tiercare.finance.models import Coverage, ReimbursementRule

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/finance/people/{}/coverage/"


def record(cast: Any, person: Any = None, **kw: Any) -> Coverage:
    return services.coverage_record(
        by=kw.pop("by", cast.gp),
        person=person or cast.patient_person,
        scheme=kw.pop("scheme", "employee"),
        region_code=kw.pop("region_code", "510129"),
        valid_from=kw.pop("valid_from", date(2026, 1, 1)),
        **kw,
    )


@pytest.fixture
def rule(cast: Any) -> ReimbursementRule:
    return ReimbursementRule.objects.create(
        region_id="510100",
        scheme="employee",
        year=2026,
        deductible=D("800.00"),
        grassroots_pct=D("90"),
        secondary_pct=D("85"),
        tertiary_pct=D("75"),
        annual_cap=D("400000.00"),
    )


def test_member_number_is_kept_only_masked_and_hashed(cast: Any) -> None:
    c = record(cast, member_number="5101290012345678")
    c.refresh_from_db()
    assert c.member_masked == "5101********5678"
    assert len(c.member_hash) == 64
    assert "5101290012345678" not in str(Coverage.objects.filter(pk=c.pk).values().first())
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(c.pk)).exists()


def test_overlapping_coverage_of_the_same_scheme_is_refused(cast: Any) -> None:
    record(cast, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    with pytest.raises(Conflict):
        record(cast, valid_from=date(2026, 6, 1))
    with pytest.raises(Conflict):
        record(cast, valid_from=date(2025, 1, 1))  # open-ended from 2025 runs into 2026
    record(cast, valid_from=date(2027, 1, 1))  # after it ends: fine
    record(cast, scheme="commercial", valid_from=date(2026, 3, 1))  # another scheme may overlap
    assert Coverage.objects.filter(person=cast.patient_person).count() == 3


def test_the_database_refuses_the_same_start_twice_and_dates_out_of_order(cast: Any) -> None:
    c = record(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            person=c.person, scheme=c.scheme, region_id="510129", valid_from=c.valid_from, recorded_by=cast.gp
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            person=c.person,
            scheme="resident",
            region_id="510129",
            valid_from=date(2026, 5, 1),
            valid_to=date(2026, 4, 1),
            recorded_by=cast.gp,
        )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"scheme": "nhs"}, "scheme"),
        ({"region_code": "999999"}, "region_code"),
        ({"valid_to": date(2025, 1, 1)}, "valid_to"),
        ({"member_number": "12"}, "member_number"),
        ({"scheme": "self_pay", "member_number": "123456"}, "member_number"),
    ],
)
def test_bad_input_names_its_field(cast: Any, kw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        record(cast, **kw)
    assert exc.value.details["field"] == field


def test_a_role_outside_the_gp_team_and_coordinators_may_not_record(cast: Any) -> None:
    with pytest.raises(Forbidden):
        record(cast, by=cast.expert)


def test_a_user_who_may_not_see_the_person_gets_404_and_an_audited_refusal(cast: Any) -> None:
    with pytest.raises(NotFound):
        access_coverage_person(cast.gp_b, cast.patient_person.pk)
    assert AuditEvent.objects.filter(actor=cast.gp_b, action=AuditAction.DENIED).exists()
    assert access_coverage_person(cast.gp, cast.patient_person.pk) == cast.patient_person


def test_estimate_uses_the_rule_of_the_region_above_and_the_tier(cast: Any, rule: Any) -> None:
    record(cast)
    kw = {"person": cast.patient_person, "amount": D("1000.00"), "on": date(2026, 5, 1)}
    grassroots = services.payers_estimate(tier="grassroots", **kw)
    assert grassroots.rule == rule
    # 800 deductible, then 90% of 200 = 180.
    assert (grassroots.split.insurer, grassroots.split.patient) == (D("180.00"), D("820.00"))
    tertiary = services.payers_estimate(tier="tertiary", deductible_used=D("800"), **kw)
    assert (tertiary.split.insurer, tertiary.split.patient) == (D("750.00"), D("250.00"))
    special = services.payers_estimate(tier="grassroots", special_needs=True, **kw)
    assert special.split.patient == D("1000.00") and special.why
    before = services.payers_estimate(tier="grassroots", **{**kw, "on": date(2025, 5, 1)})
    assert before.coverage is None and before.split.insurer == 0


def test_page_records_coverage_and_shows_the_estimate(cast: Any, rule: Any) -> None:
    c = Client()
    c.force_login(cast.gp)
    url = URL.format(cast.patient_person.pk)
    r = c.post(
        url, {"scheme": "employee", "region_code": "510129", "valid_from": "2026-01-01", "member_number": "AB123456"}
    )
    assert r.status_code == 302
    assert Coverage.objects.get(person=cast.patient_person).member_masked.endswith("3456")
    # The year's deductible use is summed from the person's stored charges (none yet), not typed: a typed figure is
    # ignored. 800 deductible, then 90% of 200 = 180.
    r = c.get(url, {"amount": "1000.00", "tier": "grassroots", "on": "2026-05-01", "deductible_used": "800"})
    body = r.content.decode()
    assert r.status_code == 200
    assert 'id="insurer-pays">¥180.00' in body and 'id="patient-pays">¥820.00' in body
    assert 'id="deductible-used">¥0.00' in body
    assert "2026年度规则：起付线¥800.00" in body and "示例，非官方政策" in body


def test_page_keeps_what_was_typed_and_puts_the_error_beside_the_field(cast: Any) -> None:
    c = Client()
    c.force_login(cast.gp)
    record(cast, valid_from=date(2026, 1, 1))
    r = c.post(
        URL.format(cast.patient_person.pk),
        {"scheme": "employee", "region_code": "510129", "valid_from": "2026-03-01", "member_number": "XY998877"},
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "重叠" in body and "XY998877" in body
    assert Coverage.objects.filter(person=cast.patient_person).count() == 1


def test_page_and_api_refuse_a_user_who_may_not_see_the_person(cast: Any) -> None:
    record(cast)
    c = Client()
    c.force_login(cast.gp_b)
    assert c.get(URL.format(cast.patient_person.pk)).status_code == 404
    r = c.post(
        URL.format(cast.patient_person.pk), {"scheme": "resident", "region_code": "510129", "valid_from": "2027-01-01"}
    )
    assert r.status_code == 404
    assert c.get(f"/api/v1/finance/people/{cast.patient_person.pk}/coverage").status_code == 404
    assert Coverage.objects.filter(person=cast.patient_person).count() == 1


def test_api_lists_coverage_masked(cast: Any) -> None:
    record(cast, member_number="5101290012345678")
    c = Client()
    c.force_login(cast.gp)
    r = c.get(f"/api/v1/finance/people/{cast.patient_person.pk}/coverage")
    assert r.status_code == 200
    [row] = r.json()
    assert row["scheme"] == "employee" and row["region_code"] == "510129"
    assert row["member_masked"] == "5101********5678" and "5101290012345678" not in r.content.decode()


def test_the_persons_record_links_to_their_coverage(cast: Any) -> None:
    c = Client()
    c.force_login(cast.gp)
    body = c.get(f"/people/persons/{cast.patient_person.pk}/").content.decode()
    assert URL.format(cast.patient_person.pk) in body and "参保" in body
