"""Schema validation: a protocol's JSON document checked section by section and built into a :class:`Protocol`.

Raises :class:`~tiercare.care.protocols.model.ProtocolError` at the first problem, naming the file and the key.
Variants are applied here (a variant may add thresholds and required items, and replace named conditions); rules
see only the base thresholds, so every rule is valid whichever variants are enabled.

Optional schema parts (each protocol states what it needs; none is a code branch per protocol):

- ``eligibility.risk``: ``{"equation": "china_par", "min_percent": 10, "zh", "en"}`` makes a person with a
  ten-year ASCVD risk at or above ``min_percent`` eligible, besides (or, with an empty ``icd10_prefixes``,
  instead of) the diagnosis (:func:`~tiercare.care.protocols.classify.is_eligible`).
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

import re
import string
from types import MappingProxyType
from typing import Any

from tiercare.care.plausibility import RANGES as PLAUSIBLE_RANGES
from tiercare.care.protocols.conditions import ConditionCompiler, check_ref_cycles
from tiercare.care.protocols.model import (
    ACTIONS,
    CONTEXT_ITEMS,
    CONTROL_CLASSES,
    NEXT_DUE_KINDS,
    RISK_EQUATIONS,
    SCHEMA_VERSION,
    FlagSpec,
    Protocol,
    ProtocolVersion,
    RiskCriterion,
    Rule,
    SchedulePhase,
    SurveillanceTest,
    Text,
    Threshold,
    Variant,
)
from tiercare.care.protocols.reader import Reader

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RULE_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class ProtocolValidator(Reader):
    """Builds a :class:`Protocol` from a JSON document; raises :class:`ProtocolError` at the first problem."""

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
            if not RULE_ID_RE.match(vid) or vid in raw_variants:
                raise self.fail(f"variants[{i}].id", f"{vid!r} must be a unique id like HTN-TARGET-65-150")
            raw_variants[vid] = (i, vd)
        unknown = (enabled | disabled) - set(raw_variants)
        if unknown:
            raise self.fail("variants", f"no such variant: {', '.join(sorted(unknown))}")

        if not isinstance(d["conditions"], dict):
            raise self.fail("conditions", "an object is required")
        raw_conditions = d["conditions"]
        ctx = ConditionCompiler(
            self, measured, required, thresholds, set(symptoms), set(flags), set(raw_conditions), set(surveillance)
        )
        conditions = {n: ctx.compile(c, f"conditions.{n}", required_extra=()) for n, c in raw_conditions.items()}
        check_ref_cycles(self, conditions)

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
            v_ctx = ConditionCompiler(
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
        check_ref_cycles(self, active_conditions)

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
            if not CODE_RE.match(name) or name in NEXT_DUE_KINDS:
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
            if not CODE_RE.match(code) or code in out:
                raise self.fail(f"{k}.code", f"{code!r} must be a unique lower_snake_case code")
            months = self.month_list(td["at_months"], f"{k}.at_months")
            every = td.get("then_every_months")
            every = self.integer(every, f"{k}.then_every_months") if every is not None else None
            extra_flag: str | None = None
            extra_months: tuple[int, ...] = ()
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
            if not CODE_RE.match(name):
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
            if not CODE_RE.match(code) or code in out:
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
            if not CODE_RE.match(code) or code in out:
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

    def rules(self, value: Any, ctx: ConditionCompiler, named_intervals: tuple[str, ...] = ()) -> tuple[Rule, ...]:
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
            if not RULE_ID_RE.match(rid) or any(o.id == rid for o in out):
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
