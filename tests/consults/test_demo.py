"""The demo hook adds hard cases to the demo network that each demo login can see."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tiercare.consults.demo import consults_demo
from tiercare.core.models import User

pytestmark = pytest.mark.django_db


def test_consults_demo_on_the_demo_network(api):
    call_command("load_demo", "--households", "20", "--seed", "7", "--network-only", stdout=StringIO())
    counts = consults_demo(7, timezone.localdate())
    assert counts["teleconsults"] == 3 and counts["opinions"] == 2 and counts["mdt"] == 1
    expert, gp, patient = (User.objects.get(username=u) for u in ("expert", "gp", "patient"))
    inbox = api(expert).get("consults/inbox")[1]
    assert {r["kind"] for r in inbox} == {"teleconsult", "opinion"}
    assert api(gp).get("consults/teleconsults")[1]["count"] == 3
    opinions = api(patient).get("consults/opinions")[1]
    assert opinions["count"] == 1 and opinions["items"][0]["signed_at"]


def test_the_full_demo_has_an_online_follow_up_in_progress_and_a_reviewed_prescription(api):
    from tiercare.consults.models import EPrescription, OnlineConsult

    call_command("load_demo", "--households", "20", "--seed", "7", stdout=StringIO())
    patient = User.objects.get(username="patient")
    consults = OnlineConsult.objects.filter(requested_by=patient)
    assert set(consults.values_list("status", flat=True)) == {"closed", "in_progress"}
    rx = EPrescription.objects.get(consult__requested_by=patient)
    assert rx.is_valid and rx.reviewed_by.username == "pharmacist"
    assert rx.reviewed_by.practitioner.roles.filter(organization__gp_mode="flagship", role="pharmacist").exists()
