"""The demo network has the shape the issue promises, and its logins work."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tiercare.core.models import AuditEvent, Role
from tiercare.network.models import Organization, Partnership
from tiercare.people.models import Household, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    out = StringIO()
    call_command("load_demo", "--households", "40", "--seed", "7", "--network-only", stdout=out)
    return out.getvalue()


def bearer(username: str) -> dict:
    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": "tiercare-demo"},
        content_type="application/json",
    ).json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_counts_through_the_api(demo):
    client, auth = Client(), bearer("ops")

    def count(path: str) -> int:
        response = client.get(f"/api/v1/{path}", **auth)
        assert response.status_code == 200
        return response.json()["count"]

    assert count("practitioners?specialty=pediatrics&experts_only=true") == 35
    assert count("practitioners?specialty=gynecology") == 30
    assert count("practitioners?specialty=oncology") == 38
    assert count("organizations?tier=primary") >= 124
    assert count("organizations?tier=tertiary") == 6
    assert count("partnerships") == 7
    assert count("departments") >= 256 + 18
    specialties = sorted(p.department.specialty for p in Partnership.objects.select_related("department"))
    assert specialties == sorted(
        ["pediatrics"] * 3 + ["neonatology", "gynecology", "gynecology", "gynecologic_oncology"]
    )
    assert len({p.department.organization_id for p in Partnership.objects.select_related("department")}) == 5
    grassroots_departments = sum(o.departments.count() for o in Organization.objects.filter(tier="primary"))
    assert grassroots_departments == 256
    centers = Organization.objects.filter(tier="gp_center")
    assert sorted(centers.values_list("status", flat=True)) == ["operating", "preparing", "preparing"]
    assert centers.get(status="operating").gp_mode == "flagship"
    assert "password: tiercare-demo" in demo


def test_every_role_can_sign_in(demo):
    for role in Role.values:
        client = Client()
        assert client.post("/login/", {"username": role, "password": "tiercare-demo"}).status_code == 302, role
        assert client.get("/").status_code == 200, role


def test_gp_cannot_read_another_centers_household_member(demo):
    other = Household.objects.filter(registered_at__name__contains="青羊").first()
    person = Person.objects.filter(membership__household=other).first()
    client, auth = Client(), bearer("gp")
    response = client.get(f"/api/v1/persons/{person.pk}", **auth)
    assert response.status_code in (403, 404)
    assert AuditEvent.objects.filter(actor_username="gp", action="denied", person_id=person.pk).exists()
    own = client.get("/api/v1/persons?limit=500", **auth).json()
    assert own["count"] > 0 and all(p["household"] != str(other.pk) for p in own["items"])


def _wipe() -> None:
    from tiercare.core.models import User
    from tiercare.network import models as n
    from tiercare.people.models import HouseholdMember

    Household.objects.update(proxy=None)
    for model in (
        HouseholdMember,
        Person,
        Household,
        n.Partnership,
        n.InsurancePolicy,
        n.SiteRegistration,
        n.PractitionerRole,
        n.Practitioner,
        n.Department,
        n.AllianceMembership,
        n.SupportAgreement,
        n.Alliance,
        n.Organization,
        User,
    ):
        model.objects.all().delete()


def test_loading_is_deterministic_for_a_seed(db):
    def load(seed: int) -> list:
        call_command(
            "load_demo",
            "--households",
            "10",
            "--seed",
            str(seed),
            "--today",
            "2026-11-26",
            "--network-only",
            stdout=StringIO(),
        )
        return list(Person.objects.order_by("id").values_list("id", "name", "birth_date", "id_hash"))

    first = load(7)
    _wipe()
    assert load(7) == first
    _wipe()
    assert load(8) != first


def test_second_load_is_refused_or_skipped(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()


def test_full_demo_loads_every_workflow(db):
    out = StringIO()
    call_command("load_demo", "--households", "30", "--seed", "3", stdout=out)
    text = out.getvalue()
    for part in ("outreach", "care", "consults", "referrals"):
        assert f"{part}:" in text
