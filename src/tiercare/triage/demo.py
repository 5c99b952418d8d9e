"""Triage's demo: a simulated year of episodes of care with and without triage (said to be simulated on the page),
a few recorded triages before real demo bookings, and the collector run over the demo's bookings, referrals and
GP-center visits.

The simulation's assumptions, stated: without triage the registrations per episode follow a spread whose mean is
the seed's 2.6 (1: 28%, 2: 27%, 3: 20%, 4: 13%, 5: 8%, 6: 4%); with triage, 80% of patients follow it and then
need as many registrations as the rank of the first acceptable specialty on the blind benchmark after the second
pass (bench/RESULTS.md: 90% first, 6% second, 2% third, 2% none of three = 4), the other 20% as without triage."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from tiercare.outreach.selectors import registration_bookings
from tiercare.referrals.selectors import registration_referrals
from tiercare.triage.models import Episode, Scenario, TriageUse
from tiercare.triage.selectors import CHART_MONTHS
from tiercare.triage.services import episodes_collect

WITHOUT = ((1, 28), (2, 27), (3, 20), (4, 13), (5, 8), (6, 4))
TRIAGE_RANK = ((1, 90), (2, 6), (3, 2), (4, 2))
FOLLOW_TRIAGE = 0.8
EPISODES_PER_MONTH = 60
SPECIALTIES = (
    "pediatrics", "internal_medicine", "cardiology", "respiratory", "gastroenterology", "orthopedics",
    "gynecology", "obstetrics", "neurology", "endocrinology", "dermatology", "ent", "ophthalmology", "urology",
)  # fmt: skip


# when triage's first choice is not the treating department, it is a neighbour a front desk would also have
# guessed (the kind of miss bench/RESULTS.md lists: 颈椎病 → neurology before orthopedics …)
NEIGHBOURS = {
    "pediatrics": ("respiratory", "gastroenterology", "ent"),
    "internal_medicine": ("cardiology", "gastroenterology", "endocrinology"),
    "cardiology": ("respiratory", "internal_medicine", "endocrinology"),
    "respiratory": ("cardiology", "ent", "internal_medicine"),
    "gastroenterology": ("internal_medicine", "surgery", "gynecology"),
    "orthopedics": ("neurology", "rehabilitation", "tcm"),
    "gynecology": ("obstetrics", "urology", "gastroenterology"),
    "obstetrics": ("gynecology",),
    "neurology": ("orthopedics", "ent", "psychiatry"),
    "endocrinology": ("internal_medicine", "cardiology", "nephrology"),
    "dermatology": ("pediatrics", "internal_medicine"),
    "ent": ("respiratory", "neurology", "ophthalmology"),
    "ophthalmology": ("neurology", "ent"),
    "urology": ("nephrology", "surgery", "gynecology"),
}


def _draw(rng: random.Random, spread: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([v for v, _w in spread], weights=[w for _v, w in spread])[0]


def simulate_year(*, seed: int, today: date) -> int:
    """Write the simulated episodes (no patient) of the twelve months to ``today``; replaces any earlier ones."""
    rng = random.Random(seed)
    Episode.objects.exclude(scenario=Scenario.REAL).delete()
    rows = []
    first = today.replace(day=1)
    for back in range(CHART_MONTHS - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        month = date(y, m + 1, 1)
        for n in range(EPISODES_PER_MONTH):
            day = month + timedelta(days=rng.randrange(28))
            if day > today:
                day = today
            treating = rng.choice(SPECIALTIES)
            without = _draw(rng, WITHOUT)
            rows.append(
                Episode(
                    first_registration=f"sim:without_triage:{month:%Y-%m}:{n}", scenario=Scenario.WITHOUT_TRIAGE,
                    started_on=day, ended_on=day + timedelta(days=7 * (without - 1)), registrations=without,
                    first_specialty=rng.choice(SPECIALTIES), treating_specialty=treating,
                )
            )  # fmt: skip
            follows = rng.random() < FOLLOW_TRIAGE
            rank = _draw(rng, TRIAGE_RANK) if follows else _draw(rng, WITHOUT)
            triage_first = treating if rank == 1 else rng.choice(NEIGHBOURS[treating])
            rows.append(
                Episode(
                    first_registration=f"sim:with_triage:{month:%Y-%m}:{n}", scenario=Scenario.WITH_TRIAGE,
                    started_on=day, ended_on=day + timedelta(days=7 * (rank - 1)), registrations=rank,
                    first_specialty=triage_first if follows else rng.choice(SPECIALTIES),
                    treating_specialty=treating, triage_first=triage_first if follows else "",
                )
            )  # fmt: skip
    Episode.objects.bulk_create(rows)
    return len(rows)


def triage_demo(seed: int = 2024, today: date | None = None) -> dict[str, int]:
    """The simulated year, triages recorded by a front desk the day before some real demo registrations (bookings
    and referrals; most naming the department that then saw the patient, some a neighbour), then the collector over
    the demo's facts."""
    from django.utils import timezone

    today = today or timezone.localdate()
    rng = random.Random(seed + 17)
    simulated = simulate_year(seed=seed, today=today)
    since = today - timedelta(days=365)
    firsts: list[tuple[uuid.UUID, date, str]] = [
        (b.person_id, b.session.date, b.session.department.specialty) for b in registration_bookings(since=since)[:200]
    ]
    firsts += [
        (r.person_id, timezone.localdate(r.sent_at), r.receiving_department.specialty)
        for r in registration_referrals(since=since)[:200]
        if r.sent_at is not None
    ]
    uses = 0
    for person_id, on, specialty in rng.sample(firsts, k=min(40, len(firsts) // 2)):
        first = specialty
        if rng.random() > 0.85:
            first = rng.choice(NEIGHBOURS.get(specialty, ("general_practice",)))
        at = timezone.make_aware(datetime.combine(on - timedelta(days=1), time(9)))
        TriageUse.objects.create(person_id=person_id, first_specialty=first, at=at)
        uses += 1
    collected = episodes_collect(today=today)
    return {"simulated_episodes": simulated, "triage_uses": uses, "episodes": collected["episodes"]}
