"""Classification: one follow-up judged under a protocol, and whether a person is eligible for its program.

Rule semantics (National Basic Public Health Service Standards, 3rd ed., 2017, as encoded in the data): every
rule whose condition holds *fires*. The follow-up is urgent if any fired rule is urgent; the actions are the
union of the fired rules' actions; the next follow-up is due at the earliest ``next_due`` among them; the
control class is the fired class that comes first in the protocol's ``control_class_precedence``. A protocol
whose rules leave a follow-up without a control class is an error in the protocol, raised rather than
defaulted.

The follow-up's input is checked here (required items, flags, symptom codes, dates, the order of the earlier
follow-ups) and refused with :class:`~tiercare.care.protocols.model.FollowupInputError` in both languages;
conditions are evaluated by :mod:`tiercare.care.protocols.conditions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from tiercare.care.plausibility import RANGES as PLAUSIBLE_RANGES
from tiercare.care.plausibility import raise_if_implausible
from tiercare.care.protocols.conditions import EvalContext, MissingItem, evaluate
from tiercare.care.protocols.model import (
    ACTIONS,
    AGE_YEARS_MAX,
    AGE_YEARS_MIN,
    CONTEXT_ITEMS,
    Actions,
    Classification,
    FiredRule,
    FollowupInputError,
    Protocol,
    ProtocolError,
    Rule,
    Text,
)
from tiercare.care.risk import Equation

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
    ctx = EvalContext(protocol, earlier, current, on, since)

    fired: list[Rule] = []
    for rule in protocol.rules:
        try:
            holds = evaluate(ctx, rule.when, current, in_previous=False)
        except MissingItem as exc:  # only reachable for an item not in required_items; the schema forbids it
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
