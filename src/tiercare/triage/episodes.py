"""Episodes of care from registrations (issue 17): the pure rule, no database.

An episode runs from a patient's first registration for a complaint to the department that treated it. The
registrations are the facts the other apps keep: a place booked in an expert's session (its department), a referral
sent (its receiving department) and a GP-center visit (general practice). The rule, in order of time per patient:

- a registration more than ``EPISODE_GAP_DAYS`` after the previous one, or after the episode was treated, starts a
  new episode;
- a referral the receiving department marked treated ends its episode there;
- a booking in a session that was held ends its episode there, unless a referral follows within
  ``REFERRED_ON_DAYS`` (the expert sent the patient on);
- GP-center visits alone are routine chronic care, not an episode of a complaint: an episode made only of them is
  dropped (a visit that leads to a booking or referral counts as that episode's first registration).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

EPISODE_GAP_DAYS = 60  # two months without a registration: the next one is for a new complaint
REFERRED_ON_DAYS = 14  # a referral within two weeks of a held session is that session's patient sent on
TRIAGE_LEADS_DAYS = 7  # a triage recorded up to a week before the first registration led to it


@dataclass(frozen=True)
class Registration:
    key: str  # "booking:<id>", "referral:<id>", "followup:<id>"
    kind: str  # booking, referral, followup
    person_id: uuid.UUID
    on: date
    specialty: str
    center_id: uuid.UUID | None  # where the patient registered from: the GP center, the referring or the host site
    treated: bool  # the department treated the patient (a held session, a referral marked treated)


@dataclass
class EpisodeDraft:
    person_id: uuid.UUID
    registrations: list[Registration] = field(default_factory=list)
    treating_specialty: str = ""
    ended_on: date | None = None
    triage_first: str = ""

    @property
    def first(self) -> Registration:
        return self.registrations[0]

    @property
    def last_on(self) -> date:
        return self.registrations[-1].on


def group_episodes(registrations: Iterable[Registration]) -> list[EpisodeDraft]:
    """The episodes of the registrations (any order, several patients), each with its registrations in order."""
    by_person: dict[uuid.UUID, list[Registration]] = {}
    for r in registrations:
        by_person.setdefault(r.person_id, []).append(r)
    episodes: list[EpisodeDraft] = []
    for person_id, rows in by_person.items():
        rows.sort(key=lambda r: (r.on, r.kind != "followup", r.key))
        current: EpisodeDraft | None = None
        for i, r in enumerate(rows):
            if current is None or current.ended_on is not None or (r.on - current.last_on).days > EPISODE_GAP_DAYS:
                current = EpisodeDraft(person_id)
                episodes.append(current)
            current.registrations.append(r)
            if r.treated and not _sent_on(r, rows[i + 1 :]):
                current.treating_specialty, current.ended_on = r.specialty, r.on
    return [e for e in episodes if any(r.kind != "followup" for r in e.registrations)]


def _sent_on(r: Registration, later: list[Registration]) -> bool:
    """A held session's patient referred on within REFERRED_ON_DAYS was not treated there."""
    if r.kind != "booking":
        return False
    return any(n.kind == "referral" and 0 <= (n.on - r.on).days <= REFERRED_ON_DAYS for n in later)


def link_triage(episodes: list[EpisodeDraft], uses: dict[uuid.UUID, list[tuple[date, str]]]) -> None:
    """Set each episode's ``triage_first``: the latest triage recorded for its patient on the day of its first
    registration or up to TRIAGE_LEADS_DAYS before."""
    for e in episodes:
        fitting = [
            (on, code) for on, code in uses.get(e.person_id, []) if 0 <= (e.first.on - on).days <= TRIAGE_LEADS_DAYS
        ]
        e.triage_first = max(fitting)[1] if fitting else ""
