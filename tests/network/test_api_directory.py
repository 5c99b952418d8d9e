"""The directory API: lists, filters, pagination, writes with validation, permissions, audit."""

from datetime import date, timedelta

import pytest
from tests import factories as f

from tiercare.core.models import AuditEvent
from tiercare.network.models import InsurancePolicy, Organization

pytestmark = pytest.mark.django_db


def test_practitioners_filter_by_specialty_and_allowed_site(cast, api):
    f.PractitionerFactory(specialty="oncology", home_organization=cast.tertiary)
    status, body = api(cast.ops).get("practitioners", {"specialty": "pediatrics"})
    assert status == 200
    assert {p["name"] for p in body["items"]} >= {"赵专家"}
    assert all(p["specialty"] == "pediatrics" for p in body["items"])
    status, body = api(cast.ops).get("practitioners", {"allowed_at": str(cast.hospital_a.pk)})
    assert status == 200 and [p["name"] for p in body["items"]] == ["赵专家"]
    status, body = api(cast.ops).get("practitioners", {"allowed_at": str(cast.hospital_b.pk)})
    assert body["count"] == 0
    far = (date.today() + timedelta(days=2000)).isoformat()  # no cover that far ahead
    assert api(cast.ops).get("practitioners", {"allowed_at": str(cast.hospital_a.pk), "on": far})[1]["count"] == 0


def test_practice_check_endpoint_gives_basis_or_reason(cast, api):
    pid = cast.expert_practitioner.pk
    status, body = api(cast.coordinator).get(
        f"practitioners/{pid}/practice", {"site": str(cast.hospital_a.pk), "on": date.today().isoformat()}
    )
    assert status == 200 and body["allowed"] and body["basis"] == "filing"
    status, body = api(cast.coordinator).get(
        f"practitioners/{pid}/practice", {"site": str(cast.hospital_b.pk), "on": date.today().isoformat()}
    )
    assert status == 200 and not body["allowed"] and body["refusals"] == ["no_legal_basis"] and body["reason"]


def test_lists_are_paginated_and_bounded(cast, api):
    for _ in range(5):
        f.OrganizationFactory()
    status, body = api(cast.ops).get("organizations", {"limit": 2, "offset": 1})
    assert status == 200 and len(body["items"]) == 2 and body["count"] == Organization.objects.count()
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}):
        status, body = api(cast.ops).get("organizations", bad)
        assert status == 422 and body["code"] == "validation_error"
        assert body["message"].split(":")[0] in bad


def test_filters_by_tier_and_kind(cast, api):
    status, body = api(cast.ops).get("organizations", {"tier": "gp_center"})
    assert {o["name"] for o in body["items"]} == {"甲全科中心", "乙全科中心"}
    assert api(cast.ops).get("organizations", {"kind": "doctor_group"})[1]["count"] == 1
    status, body = api(cast.ops).get("organizations", {"tier": "quaternary"})
    assert status == 422 and body["message"].startswith("tier:")


def test_create_organization_validates_and_audits(cast, api):
    payload = {
        "name": "新县人民医院",
        "kind": "hospital",
        "tier": "primary",
        "county_code": "510129",
        "latitude": 30.5,
        "longitude": 103.5,
    }
    status, body = api(cast.ops).post("organizations", payload)
    assert status == 201 and body["county_code"] == "510129"
    org = Organization.objects.get(pk=body["id"])
    assert org.division_id == "510129"
    event = AuditEvent.objects.get(object_id=str(org.pk), action="create")
    assert event.actor == cast.ops and event.details["changes"]["name"] == "新县人民医院"
    # A GP center must have an operating mode; a hospital must have a tier: the database constraint speaks.
    status, body = api(cast.ops).post("organizations", {"name": "无模式中心", "kind": "gp_center", "tier": "gp_center"})
    assert status == 422 and not Organization.objects.filter(name="无模式中心").exists()
    status, body = api(cast.ops).post("organizations", {**payload, "name": "坏县", "county_code": "999999"})
    assert status == 422 and body["message"].startswith("county_code")
    status, body = api(cast.ops).post("organizations", {**payload, "latitude": 120})
    assert status == 422 and body["message"].startswith("latitude")
    status, body = api(cast.ops).post("organizations", payload)  # the same name again
    assert status == 422 and "name" in body["message"]


def test_only_operations_and_admins_write_the_directory(cast, api):
    payload = {"name": "某医院", "kind": "hospital", "tier": "primary"}
    for user in (cast.coordinator, cast.gp, cast.expert, cast.patient, cast.auditor):
        status, body = api(user).post("organizations", payload)
        assert status == 403 and body["code"] == "forbidden"
    assert not Organization.objects.filter(name="某医院").exists()
    assert api(cast.admin).post("organizations", payload)[0] == 201


def test_patients_and_anonymous_see_no_directory(cast, api):
    status, body = api(cast.patient).get("organizations")
    assert status == 200 and body["count"] == 0
    status, body = api(None).get("organizations")
    assert status == 401 and body["code"] == "unauthenticated"
    assert api(cast.patient).get(f"organizations/{cast.hospital_a.pk}")[0] == 404


def test_insurance_policy_rules(cast, api):
    pid = str(cast.expert_practitioner.pk)
    good = {
        "practitioner": pid,
        "insurer": "平安产险",
        "number": "P-1",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "cover_amount": "1000000.00",
    }
    status, body = api(cast.ops).post("insurance-policies", good)
    assert status == 201 and body["cover_amount"] == "1000000.00"
    status, body = api(cast.ops).post("insurance-policies", {**good, "number": "P-2", "valid_to": "2025-12-31"})
    assert status == 422 and "valid_to" in body["message"] or "before" in body["message"].lower()
    status, body = api(cast.ops).post("insurance-policies", {**good, "number": "P-3", "cover_amount": "-5"})
    assert status == 422 and body["message"].startswith("cover_amount")
    status, body = api(cast.ops).post("insurance-policies", {**good, "practitioner": str(cast.tertiary.pk)})
    assert status == 422 and body["message"].startswith("practitioner")
    status, body = api(cast.ops).post("insurance-policies", good)  # same insurer + number
    assert status == 422
    assert InsurancePolicy.objects.filter(insurer="平安产险").count() == 1


def test_personnel_records_are_for_ops_and_the_practitioner(cast, api):
    assert api(cast.ops).get("insurance-policies")[1]["count"] == 1
    assert api(cast.expert).get("insurance-policies")[1]["count"] == 1
    assert api(cast.coordinator).get("insurance-policies")[1]["count"] == 0
    assert api(cast.coordinator).get("site-registrations")[1]["count"] == 0
    assert api(cast.auditor).get("site-registrations")[1]["count"] == 1


def test_update_changes_only_what_is_sent_and_records_old_and_new(cast, api):
    pid = cast.expert_practitioner.pk
    status, body = api(cast.ops).patch(f"practitioners/{pid}", {"title": "associate_chief"})
    assert status == 200 and body["title"] == "associate_chief" and body["name"] == "赵专家"
    event = AuditEvent.objects.filter(object_id=str(pid), action="update").get()
    assert event.details["changes"]["title"] == ["chief", "associate_chief"]
    status, body = api(cast.ops).patch(f"practitioners/{pid}", {"home_organization": str(cast.group.pk)})
    assert status == 422 and body["message"].startswith("home_organization")
    cast.expert_practitioner.refresh_from_db()
    assert cast.expert_practitioner.home_organization == cast.tertiary


def test_partnership_needs_a_doctor_group(cast, api):
    payload = {
        "doctor_group": str(cast.tertiary.pk),
        "department": str(cast.dept_a.pk),
        "start": "2026-01-01",
    }
    status, body = api(cast.ops).post("partnerships", payload)
    assert status == 422 and body["message"].startswith("doctor_group")
    status, body = api(cast.ops).get("partnerships", {"specialty": "pediatrics"})
    assert body["count"] == 1 and body["items"][0]["organization_name"] == "甲县人民医院"


def test_list_queries_do_not_grow_with_rows(cast, api, django_assert_max_num_queries):
    for _ in range(20):
        f.PractitionerFactory(home_organization=cast.tertiary)
    client = api(cast.ops)
    with django_assert_max_num_queries(8):
        status, body = client.get("practitioners", {"limit": 50})
    assert status == 200 and len(body["items"]) >= 20
