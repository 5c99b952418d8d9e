"""Triage of one complaint: the rules (``triage.rules``) over the text model (``triage.textmodel``).

The model ranks every specialty it knows; the rules drop the ones the person cannot need (gynecology for a man,
pediatrics for an adult), put first the ones they call for (emergency medicine on a red flag, pediatrics for a child,
obstetrics in pregnancy) and set the urgent flag. A specialty a rule puts first scores 1.0; the others keep the
model's probability. Emergency medicine is named by the red flags: without one, the model's vote for it goes below
the first three (a complaint that is no emergency should not send the person to one). Nothing here reads the
database.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiercare.triage.rules import Fired, apply_rules
from tiercare.triage.textmodel import TextModel, text_model

MIN_SPECIALTIES = 3
MAX_SPECIALTIES = 5


@dataclass(frozen=True)
class Ranked:
    code: str
    score: float


@dataclass(frozen=True)
class Triage:
    specialties: list[Ranked]
    urgent: bool
    red_flags: list[Fired]


def triage(complaint: str, age_years: float, sex: str, *, model: TextModel | None = None) -> Triage:
    """The ranked specialties (best first, at least three), the urgent flag and the red flags of one complaint."""
    rules = apply_rules(complaint, age_years, sex)
    ranked = [Ranked(code, 1.0) for code in rules.first]
    placed = set(rules.first) | rules.excluded
    demoted: list[Ranked] = []
    for code, prob in (model or text_model()).rank(complaint, age_years, sex):
        if code not in placed:
            (demoted if code == "emergency" and not rules.urgent else ranked).append(Ranked(code, round(prob, 4)))
            placed.add(code)
    ranked[MIN_SPECIALTIES:MIN_SPECIALTIES] = demoted
    return Triage(
        specialties=ranked[:MAX_SPECIALTIES],
        urgent=rules.urgent,
        red_flags=rules.red_flags,
    )
