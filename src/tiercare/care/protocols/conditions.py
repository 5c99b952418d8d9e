"""Conditions: compiling a rule's ``when`` from JSON (checked against the protocol) and evaluating it on a visit.

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

A named condition may refer to others but never, through any chain, to itself (:func:`check_ref_cycles`). The
compiled form is :class:`~tiercare.care.protocols.model.Cond`; :func:`evaluate` gives its truth on one visit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tiercare.care.protocols.model import CONTEXT_ITEMS, OPERATORS, Cond, Protocol, Threshold
from tiercare.care.protocols.reader import Reader

# --- compiling ----------------------------------------------------------------------------------------------


@dataclass
class ConditionCompiler:
    """Compiles condition JSON into :class:`Cond`, checking each name against the protocol's measured items,
    thresholds, symptoms, flags, named conditions and surveillance tests; ``v`` reports problems by key."""

    v: Reader
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


def check_ref_cycles(v: Reader, conditions: Mapping[str, Cond]) -> None:
    """ProtocolError (through ``v``) when a named condition refers to itself through any chain of ``ref``."""

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


# --- evaluating ---------------------------------------------------------------------------------------------


class MissingItem(Exception):
    """A condition needs an item the visit lacks and says nothing about a missing value."""

    def __init__(self, item: str) -> None:
        self.item = item


@dataclass
class EvalContext:
    """What a condition is evaluated against: the protocol, the earlier follow-ups (most recent first), this
    follow-up, and (for a phased or surveillance schedule) its date and the schedule's start."""

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


def evaluate(ctx: EvalContext, cond: Cond, visit: Mapping[str, Any], *, in_previous: bool) -> bool:
    """Whether ``cond`` holds on ``visit`` (this follow-up, or an earlier one when ``in_previous``). Raises
    :class:`MissingItem` for a missing item the condition gives no ``if_missing`` for."""
    protocol = ctx.protocol
    kind = cond.kind
    if kind == "item":
        value = visit.get(cond.item)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            if cond.if_missing is None:
                raise MissingItem(cond.item)
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
        return evaluate(ctx, protocol.conditions[cond.name], visit, in_previous=in_previous)
    if kind == "all":
        return all(evaluate(ctx, c, visit, in_previous=in_previous) for c in cond.children)
    if kind == "any":
        return any(evaluate(ctx, c, visit, in_previous=in_previous) for c in cond.children)
    if kind == "not":
        return not evaluate(ctx, cond.children[0], visit, in_previous=in_previous)
    if kind == "previous":
        visits = ctx.previous_visits(cond.visits, cond.within_days)
        if not visits:
            return False
        try:
            return all(evaluate(ctx, cond.children[0], p, in_previous=True) for p in visits)
        except MissingItem:  # that visit did not measure what the condition needs: it cannot count
            return False
    raise AssertionError(f"unknown condition kind {kind!r}")  # compile() admits no other kinds
