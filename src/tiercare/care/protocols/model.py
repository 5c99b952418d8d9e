"""The protocol model: what a loaded protocol is, what classifying a follow-up returns, and the engine's errors.

Frozen dataclasses only (immutable once loaded, so a cached protocol is safe to share), the closed vocabularies the
schema admits (control classes, actions, operators), and the two errors: :class:`ProtocolError` (the data is
wrong) and :class:`FollowupInputError` (the follow-up is). Built by :mod:`tiercare.care.protocols.schema`, read by
:mod:`~tiercare.care.protocols.conditions` and :mod:`~tiercare.care.protocols.classify`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final, Literal

from tiercare.care.protocols.schedule import add_months, add_years

SCHEMA_VERSION: Final = 1

ControlClass = Literal["satisfactory", "unsatisfactory", "adverse_reaction", "complication"]
CONTROL_CLASSES: Final[tuple[str, ...]] = (
    "satisfactory",
    "unsatisfactory",
    "adverse_reaction",
    "complication",
)
ACTIONS: Final[tuple[str, ...]] = ("refer_up", "urgent_referral", "adjust_medication", "health_education")
NEXT_DUE_KINDS: Final[tuple[str, ...]] = ("routine", "recheck")
OPERATORS: Final[tuple[str, ...]] = (">=", ">", "<=", "<")
# Items a condition may test besides the plausibility-checked measurements.
CONTEXT_ITEMS: Final[tuple[str, ...]] = ("age_years",)
# Ten-year risk equations an eligibility rule may name (those of :mod:`tiercare.care.risk`).
RISK_EQUATIONS: Final[tuple[str, ...]] = ("china_par", "pce")
# Ages outside this range are typing errors, not patients.
AGE_YEARS_MIN: Final = 0
AGE_YEARS_MAX: Final = 130


# --- errors -------------------------------------------------------------------------------------------------


class ProtocolError(Exception):
    """A protocol file is missing, unreadable or breaks the schema.

    ``file`` and ``key`` (a dotted path such as ``rules[3].when.threshold``) say where.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")
        self.file = file
        self.key = key
        self.message = message


class FollowupInputError(ValueError):
    """A follow-up the protocol cannot classify.

    A required item or flag missing, a wrong type, an unknown symptom code. ``field`` names the key; messages
    in English and zh-Hans. (Implausible measurement values raise
    :class:`tiercare.care.plausibility.ImplausibleMeasurementError` instead, listing every problem.)
    """

    def __init__(self, field: str, message: str, message_zh: str, *, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.message_zh = message_zh
        self.code = code


# --- protocol model -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """The same text in zh-Hans and English."""

    zh: str
    en: str


@dataclass(frozen=True)
class Threshold:
    """A named number the rules compare with; ``role`` is ``control_target`` or ``urgent_referral``."""

    name: str
    value: float
    unit: str
    role: str
    label: Text


@dataclass(frozen=True)
class FlagSpec:
    """A yes/no fact recorded at the follow-up (e.g. an adverse drug reaction)."""

    code: str
    required: bool
    label: Text
    implies: str | None = None


@dataclass(frozen=True)
class RiskCriterion:
    """Eligibility by a ten-year ASCVD risk: ``equation``'s estimate at or above ``min_percent``."""

    equation: str
    min_percent: float
    label: Text


@dataclass(frozen=True)
class SchedulePhase:
    """Routine follow-ups every ``days`` until the ``until_years``-th anniversary of the schedule's start."""

    until_years: int
    days: int


@dataclass(frozen=True)
class SurveillanceTest:
    """A test due at fixed months from the schedule's start (e.g. colonoscopy at 1 and 3 years, then 5-yearly)."""

    code: str
    label: Text
    at_months: tuple[int, ...]
    then_every_months: int | None
    extra_flag: str | None
    extra_at_months: tuple[int, ...]
    source_text: Text

    def due_dates(self, since: date, until: date, flags: Mapping[str, Any]) -> list[date]:
        """The due dates from ``since`` up to ``until`` (inclusive), in order."""
        months = list(self.at_months)
        if self.extra_flag and flags.get(self.extra_flag) is True:
            months += list(self.extra_at_months)
        if self.then_every_months and self.at_months:
            m = max(self.at_months) + self.then_every_months
            while add_months(since, m) <= until:
                months.append(m)
                m += self.then_every_months
        return sorted({add_months(since, m) for m in months if add_months(since, m) <= until})


@dataclass(frozen=True)
class Cond:
    """A compiled condition node (see the module docstring for the JSON forms)."""

    kind: str
    item: str = ""
    op: str = ""
    threshold: str = ""
    if_missing: bool | None = None
    codes: tuple[str, ...] = ()
    children: tuple[Cond, ...] = ()
    name: str = ""
    visits: int = 1
    within_days: int | None = None


@dataclass(frozen=True)
class Rule:
    """One classification rule: its condition, its effect, and the source text it encodes."""

    id: str
    when: Cond
    control_class: str | None
    urgent: bool
    actions: tuple[str, ...]
    next_due: str | None
    explain: Text
    source_text: Text
    note: Text | None = None


@dataclass(frozen=True)
class Variant:
    """An optional, named change to a protocol (e.g. another target for older people), off unless enabled."""

    id: str
    enabled_by_default: bool
    name: Text
    source_text: Text
    add_required_items: tuple[str, ...]
    thresholds: Mapping[str, Threshold]
    conditions: Mapping[str, Cond]


@dataclass(frozen=True)
class ProtocolVersion:
    """What identifies the protocol text a decision was made under.

    The file's declared ``version``, the sha256 of the file's bytes, and the variants enabled.
    """

    code: str
    version: str
    sha256: str
    variants: tuple[str, ...] = ()

    def __str__(self) -> str:
        suffix = f"+{','.join(self.variants)}" if self.variants else ""
        return f"{self.code}@{self.version}+sha256:{self.sha256}{suffix}"


@dataclass(frozen=True)
class Protocol:
    """A loaded, validated protocol with its variants applied; immutable. See :func:`load_protocol`."""

    code: str
    version: ProtocolVersion
    name: Text
    source_citation: str
    source_evidence: str
    min_age_years: float
    diagnosis_icd10_prefixes: tuple[str, ...]
    diagnosis: Text
    routine_interval_days: int
    recheck_days: int
    min_face_to_face_per_year: int
    required_items: tuple[str, ...]
    measured_items: tuple[str, ...]
    thresholds: Mapping[str, Threshold]
    symptoms: Mapping[str, Text]
    flags: Mapping[str, FlagSpec]
    conditions: Mapping[str, Cond]
    control_class_precedence: tuple[str, ...]
    rules: tuple[Rule, ...]
    variants: Mapping[str, Variant]
    eligibility_risk: RiskCriterion | None = None
    routine_interval_phases: tuple[SchedulePhase, ...] = ()
    named_intervals: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    surveillance: Mapping[str, SurveillanceTest] = field(default_factory=lambda: MappingProxyType({}))

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id`` (KeyError if none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def next_due_days(self, kind: str, *, on: date | None = None, since: date | None = None) -> int:
        """Days until the next follow-up for a ``next_due`` kind (``routine`` or ``recheck``).

        With ``routine_interval_phases`` the routine interval depends on the time from ``since`` (the
        schedule's start, e.g. the end of treatment or the enrolment) to ``on`` (the follow-up's date): the
        first phase whose ``until_years``-th anniversary of ``since`` is still ahead applies, and after the
        last phase ``routine_interval_days``. Both dates are then required (ValueError otherwise).
        """
        if kind in self.named_intervals:
            return self.named_intervals[kind]
        if kind != "routine":
            return self.recheck_days
        if not self.routine_interval_phases:
            return self.routine_interval_days
        if on is None or since is None:
            raise ValueError(f"{self.code}: the routine interval depends on the follow-up date and the start")
        for phase in self.routine_interval_phases:
            if on < add_years(since, phase.until_years):
                return phase.days
        return self.routine_interval_days


# --- classification -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired: its id, why (filled-in explanation) and the source text it quotes."""

    id: str
    explanation: Text
    source_text: Text


@dataclass(frozen=True)
class Actions:
    """What the follow-up calls for."""

    refer_up: bool = False
    urgent_referral: bool = False
    adjust_medication: bool = False
    health_education: bool = False

    def codes(self) -> tuple[str, ...]:
        """The action codes that are set, in ``ACTIONS`` order."""
        return tuple(a for a in ACTIONS if getattr(self, a))


@dataclass(frozen=True)
class Classification:
    """The protocol's verdict on one follow-up. ``protocol_version`` names the exact protocol text used."""

    protocol_code: str
    protocol_version: str
    control_class: ControlClass
    urgent: bool
    fired_rules: tuple[FiredRule, ...]
    actions: Actions
    next_due_in_days: int
    explanation_zh: str
    explanation_en: str

    @property
    def fired_rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules that fired, in protocol order."""
        return tuple(r.id for r in self.fired_rules)
