"""Care has a referral made through the seam that the referrals app registers at start-up (ADR 0005), never by
importing referrals; with nothing registered, taking a suggestion is refused with a clear configuration error and
nothing is stored."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from tiercare.care import services
from tiercare.care.referral_maker import referral_maker, register_referral_maker
from tiercare.referrals.care_seam import make_referral_for_care
from tiercare.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


@pytest.fixture
def no_referral_maker():
    previous = register_referral_maker(None)
    yield
    register_referral_maker(previous)


def test_the_referrals_app_registers_its_referral_maker_at_start_up():
    assert referral_maker() is make_referral_for_care


def test_the_registered_maker_makes_the_referral_the_suggestion_links(cast, dept, consent, suggestion):
    taken = services.suggestion_refer(
        by=cast.gp, suggestion=suggestion, receiving_department=dept, diagnosis_text="高血压 2 级"
    )
    ref = Referral.objects.get()
    assert (taken.status, taken.referral_id) == ("taken", ref.pk)
    assert (ref.person, ref.receiving_department, ref.status) == (cast.patient_person, dept, "sent")


def test_without_a_referral_maker_taking_a_suggestion_is_a_clear_error_and_nothing_changes(
    cast, dept, consent, suggestion, no_referral_maker
):
    with pytest.raises(ImproperlyConfigured, match="tiercare.referrals"):
        services.suggestion_refer(
            by=cast.gp, suggestion=suggestion, receiving_department=dept, diagnosis_text="高血压 2 级"
        )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.referral_id) == ("open", None)
    assert not Referral.objects.exists()
