"""Follow-up protocol engine: load a protocol (data) and classify one follow-up against it.

Pure Python, no Django. A protocol is a JSON file beside this module (``hypertension.json``,
``diabetes_t2.json``) that states who is eligible, the schedule, the named thresholds, and the classification
rules with their actions, each rule quoting its source text in zh-Hans and English. This module knows *how* to
evaluate rules, never *what* they say: a clinician corrects a threshold or a rule by editing the data, and the
change shows in the protocol's version and sha256 (:func:`protocol_version`), which every
:class:`Classification` carries, because a silent protocol change is a clinical hazard.

Rule semantics (National Basic Public Health Service Standards, 3rd ed., 2017, as encoded in the data): every
rule whose condition holds *fires*. The follow-up is urgent if any fired rule is urgent; the actions are the
union of the fired rules' actions; the next follow-up is due at the earliest ``next_due`` among them; the
control class is the fired class that comes first in the protocol's ``control_class_precedence``. A protocol
whose rules leave a follow-up without a control class is an error in the protocol, raised rather than
defaulted.

Conditions (JSON):

- ``{"item": key, "op": ">=" | ">" | "<=" | "<", "threshold": name}`` compares a measurement with a *named*
  threshold (numbers never appear inside conditions). A missing item is an input error for the current
  follow-up unless the condition says ``"if_missing": false`` (or ``true``); items used without ``if_missing``
  must be listed in ``required_items``.
- ``{"symptom_any": [codes]}``, ``{"flag": code}``, ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": cond}``,
  ``{"ref": name}`` (a named condition, which a variant may replace), ``{"always": true}``.
- ``{"previous": cond}`` evaluates ``cond`` on the most recent earlier follow-up; it is false when there is
  none or when that follow-up lacks an item the condition needs (a visit without the measurement cannot count
  as "unsatisfactory", so the next unsatisfactory visit is treated as the first).

Optional schema parts (each protocol states what it needs; none is a code branch per protocol):

- ``eligibility.risk``: ``{"equation": "china_par", "min_percent": 10, "zh", "en"}`` makes a person with a
  ten-year ASCVD risk at or above ``min_percent`` eligible, besides (or, with an empty ``icd10_prefixes``,
  instead of) the diagnosis (:func:`is_eligible`).
- ``schedule.routine_interval_phases``: ``[{"until_years": 2, "days": 90}, {"until_years": 5, "days": 180}]``
  makes the routine interval depend on the years since the schedule's start (``classify(...,
  schedule_start=...)`` with the follow-up's ``date``); after the last phase ``routine_interval_days`` applies.
- ``schedule.intervals``: ``{"urgent_recheck": 14}`` names further intervals a rule's ``next_due`` may use
  besides ``routine`` and ``recheck`` (e.g. an alarm sign re-checked within 14 days, not at the next routine
  visit).
- ``{"previous": cond, "visits": n}`` holds when ``cond`` holds on each of the ``n`` most recent earlier
  follow-ups taken on different days from each other and from this one (NBPHS 2017: three raised readings on
  different days); false when there are fewer. With ``"within_days": d`` only earlier follow-ups dated at most
  ``d`` days before this one count (NBPHS 2017: the three readings within 2 weeks; day 14 counts, day 15 not).
- ``surveillance``: ``[{"code": "colonoscopy", "zh", "en", "at_months": [12, 36], "then_every_months": 60,
  "extra_at_months_if_flag": {"flag": "...", "at_months": [3]}, "source_text": {...}}]`` lists tests due at
  months counted from the schedule's start. ``{"due": code}`` holds when such a test falls due between one
  routine interval before this follow-up and one routine interval after it; a rule's explanation may show the
  date with the placeholder ``{due_<code>}``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from tiercare.care.plausibility import RANGES as PLAUSIBLE_RANGES
from tiercare.care.plausibility import raise_if_implausible
from tiercare.care.risk import Equation

PROTOCOL_DIR: Final = Path(__file__).resolve().parent
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

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


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


# --- loading ------------------------------------------------------------------------------------------------


def available_protocols() -> tuple[str, ...]:
    """The codes of the protocol files shipped beside this module."""
    return tuple(sorted(p.stem for p in PROTOCOL_DIR.glob("*.json")))


def _read(code: str) -> tuple[str, bytes]:
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ProtocolError(f"{code!r}", "", "not a protocol code (lower-case letters, digits and _)")
    path = PROTOCOL_DIR / f"{code}.json"
    try:
        return path.name, path.read_bytes()
    except FileNotFoundError:
        available = ", ".join(available_protocols())
        raise ProtocolError(path.name, "", f"no such protocol; available: {available}") from None


def protocol_version(code: str) -> ProtocolVersion:
    """Return the protocol file's declared version and the sha256 of its bytes (variants not applied).

    Store it with every classification, and compare it with the stored one to notice a protocol change.
    """
    filename, raw = _read(code)
    doc = _parse_json(filename, raw)
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version:
        raise ProtocolError(filename, "version", "a non-empty string is required")
    return ProtocolVersion(code, version, hashlib.sha256(raw).hexdigest())


def load_protocol(code: str, *, variants: Iterable[str] = (), disabled: Iterable[str] = ()) -> Protocol:
    """Load and validate the protocol ``code``.

    ``variants`` names variants to enable besides those the file enables by default; ``disabled`` names default
    variants to turn off (a center's recorded clinical decision, e.g. 140/90 at every age). The file is read every
    time (it is small) so that the content, the sha256 and the rules agree; parsing is cached by content.

    Raises :class:`ProtocolError` (with the file and the key) for an unknown code, an unknown variant or any
    schema violation.
    """
    filename, raw = _read(code)
    return _build(filename, raw, frozenset(variants), frozenset(disabled))


def parse_protocol(doc: Mapping[str, Any], *, filename: str = "<dict>", variants: Iterable[str] = ()) -> Protocol:
    """Validate and build a protocol from an already-parsed JSON document (for tests and protocol tooling);
    its sha256 is that of the document's canonical JSON."""
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()
    return _build(filename, raw, frozenset(variants))


@functools.lru_cache(maxsize=64)
def _build(filename: str, raw: bytes, variants: frozenset[str], disabled: frozenset[str] = frozenset()) -> Protocol:
    doc = _parse_json(filename, raw)
    return _Validator(filename).protocol(doc, hashlib.sha256(raw).hexdigest(), variants, disabled)


def _parse_json(filename: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(filename, "", f"not valid UTF-8 JSON: {exc}") from exc


class _Validator:
    """Builds a :class:`Protocol` from a JSON document; raises :class:`ProtocolError` at the first problem."""

    def __init__(self, filename: str) -> None:
        self.file = filename

    def fail(self, key: str, message: str) -> ProtocolError:
        return ProtocolError(self.file, key, message)

    # -- generic readers --

    def obj(self, value: Any, key: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "an object is required")
        required, optional = tuple(required), tuple(optional)
        for name in required:
            if name not in value:
                raise self.fail(_join(key, name), "is required")
        for name in value:
            if name not in required and name not in optional:
                raise self.fail(_join(key, name), "unknown key (typo?)")
        return value

    def text(self, value: Any, key: str) -> Text:
        d = self.obj(value, key, ("zh", "en"))
        return Text(self.string(d["zh"], _join(key, "zh")), self.string(d["en"], _join(key, "en")))

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string is required")
        return value

    def integer(self, value: Any, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer >= {minimum} is required")
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, "a number is required")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false is required")
        return value

    def str_list(self, value: Any, key: str, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "a list is required")
        allowed_set = set(allowed) if allowed is not None else None
        out: list[str] = []
        for i, item in enumerate(value):
            s = self.string(item, f"{key}[{i}]")
            if allowed_set is not None and s not in allowed_set:
                raise self.fail(f"{key}[{i}]", f"{s!r} is not one of {sorted(allowed_set)}")
            if s in out:
                raise self.fail(f"{key}[{i}]", f"{s!r} is listed twice")
            out.append(s)
        return tuple(out)

    # -- sections --

    def protocol(
        self, doc: Any, sha256: str, enabled: frozenset[str], disabled: frozenset[str] = frozenset()
    ) -> Protocol:
        d = self.obj(
            doc,
            "",
            (
                "schema_version", "code", "version", "name", "source", "eligibility", "schedule",
                "required_items", "measured_items", "thresholds", "symptoms", "flags", "conditions",
                "control_class_precedence", "rules", "variants",
            ),
            ("surveillance",),
        )  # fmt: skip
        if d["schema_version"] != SCHEMA_VERSION:
            raise self.fail("schema_version", f"must be {SCHEMA_VERSION}")
        code = self.string(d["code"], "code")
        stem = self.file.removesuffix(".json")
        if self.file.endswith(".json") and code != stem:
            raise self.fail("code", f"{code!r} does not match the file name {self.file!r}")
        version = self.string(d["version"], "version")
        name = self.text(d["name"], "name")
        source = self.obj(d["source"], "source", ("citation", "evidence"), ("note",))
        citation = self.string(source["citation"], "source.citation")
        evidence = self.string(source["evidence"], "source.evidence")
        elig = self.obj(d["eligibility"], "eligibility", ("min_age_years", "diagnosis"), ("risk",))
        min_age = self.number(elig["min_age_years"], "eligibility.min_age_years")
        diag = self.obj(elig["diagnosis"], "eligibility.diagnosis", ("icd10_prefixes", "zh", "en"))
        prefixes = self.str_list(diag["icd10_prefixes"], "eligibility.diagnosis.icd10_prefixes")
        risk = self.risk_criterion(elig["risk"], "eligibility.risk") if "risk" in elig else None
        if not prefixes and risk is None:
            raise self.fail(
                "eligibility.diagnosis.icd10_prefixes", "at least one code is required (or an eligibility.risk)"
            )
        diagnosis = Text(
            self.string(diag["zh"], "eligibility.diagnosis.zh"),
            self.string(diag["en"], "eligibility.diagnosis.en"),
        )
        sched = self.obj(
            d["schedule"],
            "schedule",
            ("routine_interval_days", "recheck_days", "min_face_to_face_per_year"),
            ("routine_interval_phases", "intervals"),
        )
        routine = self.integer(sched["routine_interval_days"], "schedule.routine_interval_days")
        recheck = self.integer(sched["recheck_days"], "schedule.recheck_days")
        per_year = self.integer(sched["min_face_to_face_per_year"], "schedule.min_face_to_face_per_year")
        if routine * per_year > 366:
            raise self.fail(
                "schedule.routine_interval_days",
                f"{routine} days between routine visits cannot give {per_year} visits a year",
            )
        phases = self.phases(sched.get("routine_interval_phases"), "schedule.routine_interval_phases", per_year)
        named = self.intervals(sched.get("intervals", {}), "schedule.intervals")

        known_items = tuple(PLAUSIBLE_RANGES) + CONTEXT_ITEMS
        measured = self.str_list(d["measured_items"], "measured_items", known_items)
        required = self.str_list(d["required_items"], "required_items", measured)
        thresholds = self.thresholds(d["thresholds"], "thresholds")
        symptoms = self.symptoms(d["symptoms"], "symptoms")
        flags = self.flags(d["flags"], "flags")
        surveillance = self.surveillance(d.get("surveillance", []), "surveillance", set(flags))
        precedence = self.str_list(d["control_class_precedence"], "control_class_precedence", CONTROL_CLASSES)
        if set(precedence) != set(CONTROL_CLASSES):
            raise self.fail("control_class_precedence", f"must list each of {list(CONTROL_CLASSES)} once")

        # Variant ids first, so that a request for an unknown variant is refused before anything is built.
        if not isinstance(d["variants"], list):
            raise self.fail("variants", "a list is required")
        raw_variants = {}
        for i, v in enumerate(d["variants"]):
            vd = self.obj(
                v,
                f"variants[{i}]",
                ("id", "enabled_by_default", "name", "source_text"),
                ("add_required_items", "thresholds", "conditions"),
            )
            vid = self.string(vd["id"], f"variants[{i}].id")
            if not _RULE_ID_RE.match(vid) or vid in raw_variants:
                raise self.fail(f"variants[{i}].id", f"{vid!r} must be a unique id like HTN-TARGET-65-150")
            raw_variants[vid] = (i, vd)
        unknown = (enabled | disabled) - set(raw_variants)
        if unknown:
            raise self.fail("variants", f"no such variant: {', '.join(sorted(unknown))}")

        if not isinstance(d["conditions"], dict):
            raise self.fail("conditions", "an object is required")
        raw_conditions = d["conditions"]
        ctx = _CondContext(
            self, measured, required, thresholds, set(symptoms), set(flags), set(raw_conditions), set(surveillance)
        )
        conditions = {n: ctx.compile(c, f"conditions.{n}", required_extra=()) for n, c in raw_conditions.items()}
        _check_ref_cycles(self, conditions)

        variants: dict[str, Variant] = {}
        active_required = list(required)
        active_thresholds = dict(thresholds)
        active_conditions = dict(conditions)
        for vid, (i, vd) in raw_variants.items():
            key = f"variants[{i}]"
            add_req = self.str_list(
                vd.get("add_required_items", []), f"{key}.add_required_items", measured + CONTEXT_ITEMS
            )
            v_thresholds = self.thresholds(vd.get("thresholds", {}), f"{key}.thresholds")
            for tname in v_thresholds:
                if tname in thresholds:
                    raise self.fail(f"{key}.thresholds.{tname}", "a variant may add, not redefine, thresholds")
            v_ctx = _CondContext(
                self,
                measured,
                required,
                {**thresholds, **v_thresholds},
                set(symptoms),
                set(flags),
                set(conditions),
                set(surveillance),
            )
            v_raw_conditions = vd.get("conditions", {})
            if not isinstance(v_raw_conditions, dict):
                raise self.fail(f"{key}.conditions", "an object is required")
            v_conditions = {}
            for n, c in v_raw_conditions.items():
                if n not in conditions:
                    raise self.fail(f"{key}.conditions.{n}", "a variant may replace, not add, named conditions")
                v_conditions[n] = v_ctx.compile(c, f"{key}.conditions.{n}", required_extra=add_req)
            variant = Variant(
                vid,
                self.boolean(vd["enabled_by_default"], f"{key}.enabled_by_default"),
                self.text(vd["name"], f"{key}.name"),
                self.text(vd["source_text"], f"{key}.source_text"),
                add_req,
                MappingProxyType(v_thresholds),
                MappingProxyType(v_conditions),
            )
            variants[vid] = variant
            if (variant.enabled_by_default and vid not in disabled) or vid in enabled:
                active_required += [r for r in add_req if r not in active_required]
                active_thresholds.update(v_thresholds)
                active_conditions.update(v_conditions)
        _check_ref_cycles(self, active_conditions)

        rules = self.rules(d["rules"], ctx, tuple(named))
        active_variants = tuple(
            sorted(v for v in variants if (variants[v].enabled_by_default and v not in disabled) or v in enabled)
        )
        return Protocol(
            code=code,
            version=ProtocolVersion(code, version, sha256, active_variants),
            name=name,
            source_citation=citation,
            source_evidence=evidence,
            min_age_years=min_age,
            diagnosis_icd10_prefixes=prefixes,
            diagnosis=diagnosis,
            routine_interval_days=routine,
            recheck_days=recheck,
            min_face_to_face_per_year=per_year,
            required_items=tuple(active_required),
            measured_items=measured,
            thresholds=MappingProxyType(active_thresholds),
            symptoms=MappingProxyType(symptoms),
            flags=MappingProxyType(flags),
            conditions=MappingProxyType(active_conditions),
            control_class_precedence=precedence,
            rules=rules,
            variants=MappingProxyType(variants),
            eligibility_risk=risk,
            routine_interval_phases=phases,
            named_intervals=MappingProxyType(named),
            surveillance=MappingProxyType(surveillance),
        )

    def intervals(self, value: Any, key: str) -> dict[str, int]:
        if not isinstance(value, dict):
            raise self.fail(key, "an object is required")
        out: dict[str, int] = {}
        for name, days in value.items():
            if not _CODE_RE.match(name) or name in NEXT_DUE_KINDS:
                raise self.fail(f"{key}.{name}", "a lower_snake_case name other than routine and recheck is required")
            out[name] = self.integer(days, f"{key}.{name}")
        return out

    def surveillance(self, value: Any, key: str, flags: set[str]) -> dict[str, SurveillanceTest]:
        if not isinstance(value, list):
            raise self.fail(key, "a list is required")
        out: dict[str, SurveillanceTest] = {}
        for i, t in enumerate(value):
            k = f"{key}[{i}]"
            td = self.obj(
                t, k, ("code", "zh", "en", "at_months", "source_text"), ("then_every_months", "extra_at_months_if_flag")
            )
            code = self.string(td["code"], f"{k}.code")
            if not _CODE_RE.match(code) or code in out:
                raise self.fail(f"{k}.code", f"{code!r} must be a unique lower_snake_case code")
            months = self.month_list(td["at_months"], f"{k}.at_months")
            every = td.get("then_every_months")
            every = self.integer(every, f"{k}.then_every_months") if every is not None else None
            extra_flag, extra_months = None, ()
            if "extra_at_months_if_flag" in td:
                ed = self.obj(td["extra_at_months_if_flag"], f"{k}.extra_at_months_if_flag", ("flag", "at_months"))
                if ed["flag"] not in flags:
                    raise self.fail(f"{k}.extra_at_months_if_flag.flag", f"no flag named {ed['flag']!r}")
                extra_flag = ed["flag"]
                extra_months = self.month_list(ed["at_months"], f"{k}.extra_at_months_if_flag.at_months")
            out[code] = SurveillanceTest(
                code,
                Text(self.string(td["zh"], f"{k}.zh"), self.string(td["en"], f"{k}.en")),
                months,
                every,
                extra_flag,
                extra_months,
                self.text(td["source_text"], f"{k}.source_text"),
            )
        return out

    def month_list(self, value: Any, key: str) -> tuple[int, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, "a non-empty list of months is required")
        months = tuple(self.integer(m, f"{key}[{i}]") for i, m in enumerate(value))
        if list(months) != sorted(set(months)):
            raise self.fail(key, "months must increase")
        return months

    def risk_criterion(self, value: Any, key: str) -> RiskCriterion:
        rd = self.obj(value, key, ("equation", "min_percent", "zh", "en"))
        equation = self.string(rd["equation"], f"{key}.equation")
        if equation not in RISK_EQUATIONS:
            raise self.fail(f"{key}.equation", f"must be one of {list(RISK_EQUATIONS)}")
        min_percent = self.number(rd["min_percent"], f"{key}.min_percent")
        if not 0 < min_percent < 100:
            raise self.fail(f"{key}.min_percent", "a percentage above 0 and below 100 is required")
        return RiskCriterion(equation, min_percent, self.text({"zh": rd["zh"], "en": rd["en"]}, key))

    def phases(self, value: Any, key: str, per_year: int) -> tuple[SchedulePhase, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(key, "a non-empty list is required")
        out: list[SchedulePhase] = []
        for i, p in enumerate(value):
            k = f"{key}[{i}]"
            pd = self.obj(p, k, ("until_years", "days"))
            until = self.integer(pd["until_years"], f"{k}.until_years")
            days = self.integer(pd["days"], f"{k}.days")
            if out and until <= out[-1].until_years:
                raise self.fail(f"{k}.until_years", "phases must end in increasing years")
            if days * per_year > 366:
                raise self.fail(f"{k}.days", f"{days} days between routine visits cannot give {per_year} visits a year")
            out.append(SchedulePhase(until, days))
        return tuple(out)

    def thresholds(self, value: Any, key: str) -> dict[str, Threshold]:
        if not isinstance(value, dict):
            raise self.fail(key, "an object is required")
        out: dict[str, Threshold] = {}
        for name, t in value.items():
            k = f"{key}.{name}"
            if not _CODE_RE.match(name):
                raise self.fail(k, "threshold names are lower_snake_case")
            td = self.obj(t, k, ("value", "unit", "role", "zh", "en"))
            role = self.string(td["role"], f"{k}.role")
            if role not in ("control_target", "urgent_referral"):
                raise self.fail(f"{k}.role", "must be control_target or urgent_referral")
            out[name] = Threshold(
                name,
                self.number(td["value"], f"{k}.value"),
                self.string(td["unit"], f"{k}.unit"),
                role,
                Text(self.string(td["zh"], f"{k}.zh"), self.string(td["en"], f"{k}.en")),
            )
        return out

    def symptoms(self, value: Any, key: str) -> dict[str, Text]:
        if not isinstance(value, list):
            raise self.fail(key, "a list is required")
        out: dict[str, Text] = {}
        for i, s in enumerate(value):
            sd = self.obj(s, f"{key}[{i}]", ("code", "zh", "en"))
            code = self.string(sd["code"], f"{key}[{i}].code")
            if not _CODE_RE.match(code) or code in out:
                raise self.fail(f"{key}[{i}].code", f"{code!r} must be a unique lower_snake_case code")
            out[code] = Text(self.string(sd["zh"], f"{key}[{i}].zh"), self.string(sd["en"], f"{key}[{i}].en"))
        return out

    def flags(self, value: Any, key: str) -> dict[str, FlagSpec]:
        if not isinstance(value, list):
            raise self.fail(key, "a list is required")
        out: dict[str, FlagSpec] = {}
        for i, f in enumerate(value):
            k = f"{key}[{i}]"
            fd = self.obj(f, k, ("code", "required", "zh", "en"), ("implies",))
            code = self.string(fd["code"], f"{k}.code")
            if not _CODE_RE.match(code) or code in out:
                raise self.fail(f"{k}.code", f"{code!r} must be a unique lower_snake_case code")
            implies = fd.get("implies")
            if implies is not None and implies not in out:
                raise self.fail(f"{k}.implies", f"{implies!r} must be a flag listed before this one")
            out[code] = FlagSpec(
                code,
                self.boolean(fd["required"], f"{k}.required"),
                Text(self.string(fd["zh"], f"{k}.zh"), self.string(fd["en"], f"{k}.en")),
                implies,
            )
        return out

    def rules(self, value: Any, ctx: _CondContext, named_intervals: tuple[str, ...] = ()) -> tuple[Rule, ...]:
        """Rules see the base thresholds and the named conditions (which variants may replace), never a
        variant's own thresholds, so that every rule is valid whichever variants are enabled."""
        if not isinstance(value, list) or not value:
            raise self.fail("rules", "a non-empty list is required")
        placeholders = set(ctx.measured) | set(CONTEXT_ITEMS) | set(ctx.thresholds) | {"symptoms"}
        placeholders |= {f"due_{code}" for code in ctx.surveillance}
        next_due_kinds = NEXT_DUE_KINDS + named_intervals
        out: list[Rule] = []
        for i, r in enumerate(value):
            k = f"rules[{i}]"
            rd = self.obj(
                r,
                k,
                ("id", "when", "explain", "source_text"),
                ("control_class", "urgent", "actions", "next_due", "note"),
            )
            rid = self.string(rd["id"], f"{k}.id")
            if not _RULE_ID_RE.match(rid) or any(o.id == rid for o in out):
                raise self.fail(f"{k}.id", f"{rid!r} must be a unique id like HTN-UNSAT-2X")
            control_class = rd.get("control_class")
            if control_class is not None and control_class not in CONTROL_CLASSES:
                raise self.fail(f"{k}.control_class", f"must be one of {list(CONTROL_CLASSES)}")
            urgent = self.boolean(rd.get("urgent", False), f"{k}.urgent")
            actions = self.str_list(rd.get("actions", []), f"{k}.actions", ACTIONS)
            if urgent and "urgent_referral" not in actions:
                raise self.fail(f"{k}.actions", "an urgent rule must include urgent_referral")
            next_due = rd.get("next_due")
            if next_due is not None and next_due not in next_due_kinds:
                raise self.fail(f"{k}.next_due", f"must be one of {list(next_due_kinds)}")
            if (control_class is not None or urgent) and next_due is None:
                raise self.fail(f"{k}.next_due", "a rule that classifies or is urgent must say when to follow up")
            explain = self.text(rd["explain"], f"{k}.explain")
            for lang, template in (("zh", explain.zh), ("en", explain.en)):
                for _, fname, _, _ in string.Formatter().parse(template):
                    if fname is not None and fname not in placeholders:
                        raise self.fail(f"{k}.explain.{lang}", f"unknown placeholder {{{fname}}}")
            out.append(
                Rule(
                    id=rid,
                    when=ctx.compile(rd["when"], f"{k}.when", required_extra=()),
                    control_class=control_class,
                    urgent=urgent,
                    actions=actions,
                    next_due=next_due,
                    explain=explain,
                    source_text=self.text(rd["source_text"], f"{k}.source_text"),
                    note=self.text(rd["note"], f"{k}.note") if "note" in rd else None,
                )
            )
        if not any(r.control_class for r in out):
            raise self.fail("rules", "no rule sets a control class")
        return tuple(out)


@dataclass
class _CondContext:
    v: _Validator
    measured: tuple[str, ...]
    required: tuple[str, ...]
    thresholds: Mapping[str, Threshold]
    symptoms: set[str]
    flags: set[str]
    condition_names: set[str] = field(default_factory=set)
    surveillance: set[str] = field(default_factory=set)

    def compile(self, value: Any, key: str, *, required_extra: Iterable[str], in_previous: bool = False) -> Cond:
        required_extra = tuple(required_extra)
        if not isinstance(value, dict) or len(value) == 0:
            raise self.v.fail(key, "a condition object is required")
        if "item" in value:
            d = self.v.obj(value, key, ("item", "op", "threshold"), ("if_missing",))
            item = self.v.string(d["item"], f"{key}.item")
            if item not in self.measured and item not in CONTEXT_ITEMS:
                raise self.v.fail(f"{key}.item", f"{item!r} is not a measured item of this protocol")
            if d["op"] not in OPERATORS:
                raise self.v.fail(f"{key}.op", f"must be one of {list(OPERATORS)}")
            if d["threshold"] not in self.thresholds:
                raise self.v.fail(f"{key}.threshold", f"no threshold named {d['threshold']!r}")
            if_missing = self.v.boolean(d["if_missing"], f"{key}.if_missing") if "if_missing" in d else None
            if if_missing is None and item not in self.required and item not in required_extra:
                raise self.v.fail(
                    f"{key}.if_missing", f"{item!r} is not a required item, so say what a missing value means"
                )
            return Cond("item", item=item, op=d["op"], threshold=d["threshold"], if_missing=if_missing)
        if "symptom_any" in value:
            d = self.v.obj(value, key, ("symptom_any",))
            codes = self.v.str_list(d["symptom_any"], f"{key}.symptom_any", self.symptoms)
            if not codes:
                raise self.v.fail(f"{key}.symptom_any", "at least one symptom code is required")
            return Cond("symptom_any", codes=codes)
        if "flag" in value:
            d = self.v.obj(value, key, ("flag",))
            if d["flag"] not in self.flags:
                raise self.v.fail(f"{key}.flag", f"no flag named {d['flag']!r}")
            return Cond("flag", name=d["flag"])
        if "due" in value:
            d = self.v.obj(value, key, ("due",))
            if d["due"] not in self.surveillance:
                raise self.v.fail(f"{key}.due", f"no surveillance test named {d['due']!r}")
            return Cond("due", name=d["due"])
        if "always" in value:
            d = self.v.obj(value, key, ("always",))
            if d["always"] is not True:
                raise self.v.fail(f"{key}.always", "must be true")
            return Cond("always")
        if "ref" in value:
            d = self.v.obj(value, key, ("ref",))
            if d["ref"] not in self.condition_names:
                raise self.v.fail(f"{key}.ref", f"no named condition {d['ref']!r}")
            return Cond("ref", name=d["ref"])
        for kind in ("all", "any"):
            if kind in value:
                d = self.v.obj(value, key, (kind,))
                if not isinstance(d[kind], list) or not d[kind]:
                    raise self.v.fail(f"{key}.{kind}", "a non-empty list is required")
                children = tuple(
                    self.compile(c, f"{key}.{kind}[{i}]", required_extra=required_extra, in_previous=in_previous)
                    for i, c in enumerate(d[kind])
                )
                return Cond(kind, children=children)
        if "not" in value:
            d = self.v.obj(value, key, ("not",))
            child = self.compile(d["not"], f"{key}.not", required_extra=required_extra, in_previous=in_previous)
            return Cond("not", children=(child,))
        if "previous" in value:
            d = self.v.obj(value, key, ("previous",), ("visits", "within_days"))
            if in_previous:
                raise self.v.fail(f"{key}.previous", "previous cannot be nested")
            visits = self.v.integer(d["visits"], f"{key}.visits") if "visits" in d else 1
            within = self.v.integer(d["within_days"], f"{key}.within_days") if "within_days" in d else None
            child = self.compile(d["previous"], f"{key}.previous", required_extra=required_extra, in_previous=True)
            return Cond("previous", children=(child,), visits=visits, within_days=within)
        raise self.v.fail(key, f"unknown condition form: {sorted(value)}")


def _check_ref_cycles(v: _Validator, conditions: Mapping[str, Cond]) -> None:
    def refs(c: Cond) -> Iterable[str]:
        if c.kind == "ref":
            yield c.name
        for child in c.children:
            yield from refs(child)

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise v.fail(f"conditions.{name}", f"refers to itself through {' -> '.join(path + (name,))}")
        for r in refs(conditions[name]):
            visit(r, path + (name,))

    for name in conditions:
        visit(name, ())


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months; a day past the month's end falls on its last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def add_years(d: date, years: int) -> date:
    """The ``years``-th anniversary of ``d``; 29 February falls on 28 February in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


# --- eligibility --------------------------------------------------------------------------------------------


def is_eligible(
    protocol: Protocol,
    *,
    age_years: float,
    diagnosis_codes: Iterable[str],
    risk_percent: float | None = None,
    risk_equation: Equation | None = None,
) -> bool:
    """Whether a person belongs in the protocol's program.

    The age is at least ``eligibility.min_age_years`` (NBPHS 2017: residents aged 35 or more), and either a
    diagnosis matches (``diagnosis_codes`` are ICD-10 codes of any edition: ``I10.x00x002`` matches the prefix
    ``I10``) or, for a protocol with ``eligibility.risk``, the ten-year risk ``risk_percent`` computed with
    that criterion's equation is at or above its ``min_percent``. A risk from another equation is a caller's
    error (ValueError): the bands of one equation do not apply to another.
    """
    if age_years < protocol.min_age_years:
        return False
    if any(
        code.strip().upper().startswith(prefix.upper())
        for code in diagnosis_codes
        for prefix in protocol.diagnosis_icd10_prefixes
    ):
        return True
    crit = protocol.eligibility_risk
    if crit is None or risk_percent is None:
        return False
    if risk_equation != crit.equation:
        raise ValueError(f"{protocol.code}: eligibility needs a {crit.equation} risk, got {risk_equation!r}")
    # Judged on the one-decimal value the page shows (risk.band_for): a risk shown as 10.0% is eligible.
    return round(risk_percent, 1) >= crit.min_percent


# --- classifying --------------------------------------------------------------------------------------------


class _Missing(Exception):
    def __init__(self, item: str) -> None:
        self.item = item


def classify(
    protocol: Protocol,
    followup: Mapping[str, Any],
    previous: Sequence[Mapping[str, Any]],
    *,
    schedule_start: date | str | None = None,
) -> Classification:
    """Classify one follow-up under ``protocol`` and say what to do next.

    ``followup`` is a flat dict: the measurements by key (``sbp_mmhg``, ``fasting_glucose_mmol_l``, ...;
    ``protocol.required_items`` must be present), ``symptoms`` (a list of symptom codes, default none), the
    protocol's flags as booleans (required ones must be present; others default to false), ``age_years`` when
    a variant needs it, and optionally ``date`` (ISO ``YYYY-MM-DD``). Other keys are ignored.

    ``previous`` holds the earlier follow-ups of the same program, same shape. When every one has a ``date``
    they are ordered by it; otherwise they must be given most recent first. Only the most recent is used (for
    "unsatisfactory twice in a row"), re-evaluated under the current protocol so that a protocol change
    applies consistently.

    ``schedule_start`` (a date or ISO string: the end of treatment, or the enrolment) is needed, with the
    follow-up's ``date``, by a protocol whose routine interval has phases (``schedule.routine_interval_phases``);
    other protocols ignore it.

    Raises :class:`FollowupInputError` for a missing or malformed input,
    :class:`~tiercare.care.plausibility.ImplausibleMeasurementError` for impossible values (a systolic of
    900), and :class:`ProtocolError` if the protocol's rules leave the follow-up unclassified.
    """
    current = _validated_followup(protocol, followup, "followup")
    earlier = _ordered_previous(protocol, followup, previous)
    on, since = _schedule_dates(protocol, followup, schedule_start)
    ctx = _EvalContext(protocol, earlier, current, on, since)

    fired: list[Rule] = []
    for rule in protocol.rules:
        try:
            holds = _eval(ctx, rule.when, current, in_previous=False)
        except _Missing as exc:  # only reachable for an item not in required_items; the schema forbids it
            raise FollowupInputError(
                exc.item,
                f"{exc.item} is needed by rule {rule.id}.",
                f"规则 {rule.id} 需要 {exc.item}。",
                code="missing",
            ) from None
        if holds:
            fired.append(rule)

    classes = {r.control_class for r in fired if r.control_class}
    if not classes:
        raise ProtocolError(f"{protocol.code}.json", "rules", "no rule classified this follow-up")
    control_class = next(c for c in protocol.control_class_precedence if c in classes)
    action_codes = {a for r in fired for a in r.actions}
    actions = Actions(**{a: a in action_codes for a in ACTIONS})
    next_due = min(protocol.next_due_days(r.next_due, on=on, since=since) for r in fired if r.next_due)
    urgent = any(r.urgent for r in fired)

    values = _placeholder_values(protocol, current)
    for code in protocol.surveillance:
        due = ctx.due_date(code)
        for lang in ("zh", "en"):
            values[lang][f"due_{code}"] = due.isoformat() if due else "?"
    fired_rules = tuple(
        FiredRule(r.id, Text(_fill(r.explain.zh, values["zh"]), _fill(r.explain.en, values["en"])), r.source_text)
        for r in fired
    )
    return Classification(
        protocol_code=protocol.code,
        protocol_version=str(protocol.version),
        control_class=control_class,  # type: ignore[arg-type]  # one of CONTROL_CLASSES, checked on load
        urgent=urgent,
        fired_rules=fired_rules,
        actions=actions,
        next_due_in_days=next_due,
        explanation_zh="；".join(f.explanation.zh for f in fired_rules) + f"。下次随访：{next_due} 天内。",
        explanation_en="; ".join(f.explanation.en for f in fired_rules) + f". Next follow-up within {next_due} days.",
    )


def _schedule_dates(
    protocol: Protocol, followup: Mapping[str, Any], schedule_start: date | str | None
) -> tuple[date | None, date | None]:
    """The follow-up's date and the schedule's start, both required when the routine interval has phases or the
    protocol lists surveillance tests."""
    if not protocol.routine_interval_phases and not protocol.surveillance:
        return None, None
    if schedule_start is None:
        raise FollowupInputError(
            "schedule_start",
            f"The {protocol.name.en.lower()} schedule depends on the time since its start; give the start date.",
            f"{protocol.name.zh}的随访间隔取决于距起始日期的时间，须提供起始日期。",
            code="missing",
        )
    if followup.get("date") is None:
        raise FollowupInputError(
            "date",
            f"The {protocol.name.en.lower()} schedule depends on the follow-up's date.",
            f"{protocol.name.zh}的随访间隔取决于本次随访日期，须填写日期。",
            code="missing",
        )
    on = _parse_date(followup["date"], "date")
    since = _parse_date(schedule_start, "schedule_start")
    if on < since:
        raise FollowupInputError(
            "date",
            f"The follow-up ({on.isoformat()}) is before the schedule's start ({since.isoformat()}).",
            f"本次随访日期 {on.isoformat()} 早于起始日期 {since.isoformat()}。",
            code="inconsistent",
        )
    return on, since


def _validated_followup(protocol: Protocol, followup: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(followup, Mapping):
        raise FollowupInputError(where, "A follow-up must be an object.", "随访记录必须是对象。", code="wrong_type")
    for item in protocol.required_items:
        if followup.get(item) is None:
            label_en, label_zh = _item_labels(item)
            raise FollowupInputError(
                item,
                f"{label_en.capitalize()} is required for a {protocol.name.en.lower()} follow-up.",
                f"{protocol.name.zh}随访须填写{label_zh}。",
                code="missing",
            )
    age = followup.get("age_years")
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, (int, float)) or not AGE_YEARS_MIN <= age <= AGE_YEARS_MAX
    ):
        raise FollowupInputError(
            "age_years",
            f"Age must be a number of years between {AGE_YEARS_MIN} and {AGE_YEARS_MAX}; got {age!r}.",
            f"年龄必须是 {AGE_YEARS_MIN}–{AGE_YEARS_MAX} 之间的数字，收到 {age!r}。",
            code="wrong_type",
        )
    raise_if_implausible(followup)

    for code, spec in protocol.flags.items():
        value = followup.get(code)
        if value is None:
            if spec.required:
                raise FollowupInputError(
                    code,
                    f'"{spec.label.en}" (yes/no) must be recorded.',
                    f"须填写“{spec.label.zh}”（是/否）。",
                    code="missing",
                )
        elif not isinstance(value, bool):
            raise FollowupInputError(
                code,
                f'"{spec.label.en}" must be true or false; got {value!r}.',
                f"“{spec.label.zh}”必须为 true 或 false，收到 {value!r}。",
                code="wrong_type",
            )
        elif value and spec.implies and followup.get(spec.implies) is not True:
            implied = protocol.flags[spec.implies].label
            raise FollowupInputError(
                spec.implies,
                f'"{spec.label.en}" is recorded, so "{implied.en}" must be too.',
                f"已填写“{spec.label.zh}”，则“{implied.zh}”也应为是。",
                code="inconsistent",
            )

    symptoms = followup.get("symptoms")
    if symptoms is not None:
        if not isinstance(symptoms, (list, tuple)) or not all(isinstance(s, str) for s in symptoms):
            raise FollowupInputError(
                "symptoms",
                "Symptoms must be a list of symptom codes.",
                "症状必须是症状代码列表。",
                code="wrong_type",
            )
        known = set(protocol.symptoms)
        for s in symptoms:
            if s not in known:  # never ignored: an unrecognised emergency symptom must not pass as none
                raise FollowupInputError(
                    "symptoms",
                    f"Symptom code {s!r} is not one of the {protocol.name.en.lower()} protocol's symptoms; known "
                    f"codes: {', '.join(sorted(known)) or 'none'}.",
                    f"症状代码 {s!r} 不属于{protocol.name.zh}规范的症状；"
                    f"可用代码：{'、'.join(sorted(known)) or '无'}。",
                    code="invalid_choice",
                )
    return followup


def _ordered_previous(
    protocol: Protocol, followup: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    if isinstance(previous, (str, bytes)) or not isinstance(previous, Sequence):
        raise FollowupInputError(
            "previous", "Previous follow-ups must be a list.", "既往随访必须是列表。", code="wrong_type"
        )
    for i, p in enumerate(previous):
        if not isinstance(p, Mapping):
            raise FollowupInputError(
                f"previous[{i}]", "A follow-up must be an object.", "随访记录必须是对象。", code="wrong_type"
            )
    dated = [p.get("date") is not None for p in previous]
    if not any(dated):
        return list(previous)
    if not all(dated):
        raise FollowupInputError(
            "previous",
            "Either every previous follow-up has a date or none has (then they must be most recent first).",
            "既往随访要么都有日期，要么都没有日期（此时须按由近及远排列）。",
            code="inconsistent",
        )
    keyed = [(_parse_date(p["date"], f"previous[{i}].date"), p) for i, p in enumerate(previous)]
    keyed.sort(key=lambda kp: kp[0], reverse=True)
    if followup.get("date") is not None:
        today = _parse_date(followup["date"], "date")
        if keyed and keyed[0][0] >= today:
            raise FollowupInputError(
                "previous",
                f"A previous follow-up is dated {keyed[0][0].isoformat()}, not before this one ({today.isoformat()}).",
                f"既往随访日期 {keyed[0][0].isoformat()} 不早于本次随访（{today.isoformat()}）。",
                code="inconsistent",
            )
    return [p for _, p in keyed]


def _parse_date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise FollowupInputError(
            key,
            f"Dates are ISO YYYY-MM-DD; got {value!r}.",
            f"日期格式应为 YYYY-MM-DD，收到 {value!r}。",
            code="wrong_type",
        ) from None


@dataclass
class _EvalContext:
    protocol: Protocol
    earlier: Sequence[Mapping[str, Any]]
    current: Mapping[str, Any]
    on: date | None
    since: date | None

    def previous_visits(self, n: int, within_days: int | None = None) -> list[Mapping[str, Any]] | None:
        """The ``n`` most recent earlier follow-ups; for ``n`` > 1 one per day, none on this follow-up's day (when
        dated). With ``within_days`` only those dated no more than that many days before this follow-up count (an
        undated one never does). None when there are fewer."""
        earlier = self.earlier
        if within_days is not None:
            today_d = self.current.get("date")
            if today_d is None:
                return None
            start = date.fromisoformat(str(today_d)) - timedelta(days=within_days)
            earlier = [p for p in earlier if p.get("date") is not None and date.fromisoformat(str(p["date"])) >= start]
        if n == 1:
            return [earlier[0]] if earlier else None
        today = self.current.get("date")
        seen = {str(today)} if today is not None else set()
        out: list[Mapping[str, Any]] = []
        for p in earlier:
            day = p.get("date")
            if day is not None:
                if str(day) in seen:
                    continue
                seen.add(str(day))
            out.append(p)
            if len(out) == n:
                return out
        return None

    def due_date(self, code: str) -> date | None:
        """The due date of surveillance test ``code`` within one routine interval either side of this follow-up."""
        if self.on is None or self.since is None:
            return None
        interval = timedelta(days=self.protocol.next_due_days("routine", on=self.on, since=self.since))
        test = self.protocol.surveillance[code]
        dates = [d for d in test.due_dates(self.since, self.on + interval, self.current) if d > self.on - interval]
        return dates[0] if dates else None


def _eval(ctx: _EvalContext, cond: Cond, visit: Mapping[str, Any], *, in_previous: bool) -> bool:
    protocol = ctx.protocol
    kind = cond.kind
    if kind == "item":
        value = visit.get(cond.item)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            if cond.if_missing is None:
                raise _Missing(cond.item)
            return cond.if_missing
        limit = protocol.thresholds[cond.threshold].value
        if cond.op == ">=":
            return value >= limit
        if cond.op == ">":
            return value > limit
        if cond.op == "<=":
            return value <= limit
        return value < limit
    if kind == "symptom_any":
        reported = visit.get("symptoms") or ()
        return any(code in reported for code in cond.codes)
    if kind == "flag":
        return visit.get(cond.name) is True
    if kind == "always":
        return True
    if kind == "due":
        return not in_previous and ctx.due_date(cond.name) is not None
    if kind == "ref":
        return _eval(ctx, protocol.conditions[cond.name], visit, in_previous=in_previous)
    if kind == "all":
        return all(_eval(ctx, c, visit, in_previous=in_previous) for c in cond.children)
    if kind == "any":
        return any(_eval(ctx, c, visit, in_previous=in_previous) for c in cond.children)
    if kind == "not":
        return not _eval(ctx, cond.children[0], visit, in_previous=in_previous)
    if kind == "previous":
        visits = ctx.previous_visits(cond.visits, cond.within_days)
        if not visits:
            return False
        try:
            return all(_eval(ctx, cond.children[0], p, in_previous=True) for p in visits)
        except _Missing:  # that visit did not measure what the condition needs: it cannot count
            return False
    raise AssertionError(f"unknown condition kind {kind!r}")  # compile() admits no other kinds


def _item_labels(item: str) -> tuple[str, str]:
    if item in PLAUSIBLE_RANGES:
        rng = PLAUSIBLE_RANGES[item]
        return rng.label_en, rng.label_zh
    if item == "age_years":
        return "age", "年龄"
    return item, item


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"
    return str(value)


def _placeholder_values(protocol: Protocol, visit: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    common = {name: _fmt(t.value) for name, t in protocol.thresholds.items()}
    for item in protocol.measured_items + CONTEXT_ITEMS:
        common[item] = _fmt(visit[item]) if visit.get(item) is not None else "?"
    reported = [s for s in visit.get("symptoms") or () if s in protocol.symptoms]
    zh = dict(common, symptoms="、".join(protocol.symptoms[s].zh for s in reported))
    en = dict(common, symptoms=", ".join(protocol.symptoms[s].en for s in reported))
    return {"zh": zh, "en": en}


def _fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)
