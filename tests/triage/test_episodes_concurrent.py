"""Two ticks collecting at once on PostgreSQL: each episode stored once (the first registration is unique in the
database), no error."""

from __future__ import annotations

import pytest

from tests.referrals.conftest import net  # noqa: F401 (the referral cast, as a fixture)
from tests.referrals.test_concurrent_booking import race
from tests.triage.test_episodes import _facts
from tiercare.triage.models import Episode
from tiercare.triage.services import episodes_collect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_four_collectors_at_once_store_each_episode_once(net):  # noqa: F811
    today, _booking, _referral = _facts(net)
    race(4, lambda i: episodes_collect(today=today))
    assert Episode.objects.count() == 1 and Episode.objects.get().registrations == 3
