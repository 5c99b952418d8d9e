"""Reading and validating a roster instance (``load_instance``): the JSON format ``tiercare-roster-instance/1`` of
``bench/ROSTER.md`` ("Instance"), every field checked with a message naming the offending one."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from tiercare.outreach.roster.model import FORMAT, KINDS, Department, Expert, Instance, Request, Weights


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"invalid roster instance: {where}: {message}")


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise _fail(where, f"expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise _fail(where, f"missing field {key!r}")
    return obj[key]


def _int(value: Any, where: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"expected an integer >= {minimum}, got {value}")
    return value


def _num(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"expected a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"expected a number >= {minimum}, got {value}")
    return float(value)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, f"expected a non-empty string, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true/false, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    return value


def _unique_ids(items: Sequence[Any], where: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise _fail(where, f"duplicate id {item.id!r}")
        seen.add(item.id)


def load_instance(source: str | os.PathLike[str] | Mapping[str, Any]) -> Instance:
    """Read and validate an instance (a JSON file path or an already-parsed dict).

    Raises ``ValueError`` with a message naming the offending field (unknown department, day out of range,
    unknown site, missing travel time, ...) and ``OSError`` when the file cannot be read.
    """
    if isinstance(source, Mapping):
        data: Any = source
    else:
        with open(source, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid roster instance: {os.fspath(source)} is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise _fail("top level", "expected a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise _fail("format", f"expected {FORMAT!r}, got {fmt!r}")

    days = _int(_get(data, "days", "top level"), "days", 1)
    days_per_week = _int(_get(data, "days_per_week", "top level"), "days_per_week", 1)
    max_trip = _num(_get(data, "max_trip_hours", "top level"), "max_trip_hours", 0)
    max_spd = _int(_get(data, "max_sessions_per_day", "top level"), "max_sessions_per_day", 1)

    w = _get(data, "weights", "top level")
    cover_raw = _get(w, "cover_by_priority", "weights")
    if not isinstance(cover_raw, Mapping) or not cover_raw:
        raise _fail("weights.cover_by_priority", "expected a non-empty object")
    cover: dict[int, float] = {}
    for key, value in cover_raw.items():
        try:
            prio = int(key)
        except (TypeError, ValueError):
            raise _fail("weights.cover_by_priority", f"priority key {key!r} is not an integer") from None
        cover[prio] = _num(value, f"weights.cover_by_priority[{key}]", 0)
    weights = Weights(
        cover_by_priority=cover,
        travel_per_hour=_num(_get(w, "travel_per_hour", "weights"), "weights.travel_per_hour", 0),
        new_pair=_num(_get(w, "new_pair", "weights"), "weights.new_pair", 0),
        spread_per_specialty=_num(_get(w, "spread_per_specialty", "weights"), "weights.spread_per_specialty", 0),
        preferred=_num(_get(w, "preferred", "weights"), "weights.preferred", 0),
    )

    sites = tuple(_str(s, "sites[]") for s in _list(_get(data, "sites", "top level"), "sites"))
    if len(set(sites)) != len(sites):
        raise _fail("sites", "duplicate site id")
    site_set = set(sites)

    travel_raw = _get(data, "travel_hours", "top level")
    if not isinstance(travel_raw, Mapping):
        raise _fail("travel_hours", "expected an object home -> site -> hours")
    travel: dict[str, dict[str, float]] = {}
    for home, row in travel_raw.items():
        if not isinstance(row, Mapping):
            raise _fail(f"travel_hours[{home!r}]", "expected an object site -> hours")
        travel[home] = {}
        for site, hours in row.items():
            if site not in site_set:
                raise _fail(f"travel_hours[{home!r}]", f"unknown site {site!r}")
            travel[home][site] = _num(hours, f"travel_hours[{home!r}][{site!r}]", 0)

    def day_list(raw: Any, where: str) -> list[int]:
        out = []
        for value in _list(raw, where):
            day = _int(value, where)
            if not 0 <= day < days:
                raise _fail(where, f"bad day {day}: days are numbered 0..{days - 1}")
            out.append(day)
        return out

    experts: list[Expert] = []
    for i, raw in enumerate(_list(_get(data, "experts", "top level"), "experts")):
        where = f"experts[{i}]"
        eid = _str(_get(raw, "id", where), f"{where}.id")
        where = f"expert {eid!r}"
        home = _str(_get(raw, "home", where), f"{where}.home")
        if home not in travel:
            raise _fail(where, f"home {home!r} has no travel_hours row")
        licensed = [_str(s, f"{where}.licensed_sites") for s in _list(_get(raw, "licensed_sites", where), where)]
        for site in licensed:
            if site not in site_set:
                raise _fail(where, f"licensed at unknown site {site!r}")
        experts.append(
            Expert(
                id=eid,
                specialty=_str(_get(raw, "specialty", where), f"{where}.specialty"),
                home=home,
                surgeon=_bool(_get(raw, "surgeon", where), f"{where}.surgeon"),
                senior=_bool(_get(raw, "senior", where), f"{where}.senior"),
                max_per_week=_int(_get(raw, "max_per_week", where), f"{where}.max_per_week", 0),
                unavailable_days=frozenset(day_list(_get(raw, "unavailable_days", where), f"{where}.unavailable_days")),
                licensed_sites=frozenset(licensed),
            )
        )
    _unique_ids(experts, "experts")
    expert_ids = {e.id for e in experts}

    departments: list[Department] = []
    for i, raw in enumerate(_list(_get(data, "departments", "top level"), "departments")):
        where = f"departments[{i}]"
        did = _str(_get(raw, "id", where), f"{where}.id")
        where = f"department {did!r}"
        site = _str(_get(raw, "site", where), f"{where}.site")
        if site not in site_set:
            raise _fail(where, f"unknown site {site!r}")
        history = [_str(x, f"{where}.history") for x in _list(_get(raw, "history", where), where)]
        preferred = [_str(x, f"{where}.preferred") for x in _list(_get(raw, "preferred", where), where)]
        for eid in history + preferred:
            if eid not in expert_ids:
                raise _fail(where, f"unknown expert {eid!r} in history/preferred")
        departments.append(
            Department(
                id=did,
                site=site,
                specialty=_str(_get(raw, "specialty", where), f"{where}.specialty"),
                history=frozenset(history),
                preferred=frozenset(preferred),
            )
        )
    _unique_ids(departments, "departments")
    dept_by_id = {d.id: d for d in departments}

    homes = {e.home for e in experts}
    for dept in departments:
        for home in homes:
            if dept.site not in travel[home]:
                raise _fail("travel_hours", f"no travel time from home {home!r} to site {dept.site!r}")

    requests: list[Request] = []
    for i, raw in enumerate(_list(_get(data, "requests", "top level"), "requests")):
        where = f"requests[{i}]"
        rid = _str(_get(raw, "id", where), f"{where}.id")
        where = f"request {rid!r}"
        dept_id = _str(_get(raw, "department", where), f"{where}.department")
        if dept_id not in dept_by_id:
            raise _fail(where, f"unknown department {dept_id!r}")
        kind = _str(_get(raw, "kind", where), f"{where}.kind")
        if kind not in KINDS:
            raise _fail(where, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        priority = _int(_get(raw, "priority", where), f"{where}.priority")
        if priority not in cover:
            raise _fail(where, f"priority {priority} has no weight in weights.cover_by_priority")
        req_days = day_list(_get(raw, "days", where), f"{where}.days")
        if not req_days:
            raise _fail(where, "no days: a request must allow at least one day")
        requests.append(
            Request(id=rid, department=dept_id, kind=kind, priority=priority, days=tuple(sorted(set(req_days))))
        )
    _unique_ids(requests, "requests")

    return Instance(
        days=days,
        days_per_week=days_per_week,
        max_trip_hours=max_trip,
        max_sessions_per_day=max_spd,
        weights=weights,
        sites=sites,
        travel_hours=travel,
        experts=tuple(experts),
        departments=tuple(departments),
        requests=tuple(requests),
    )
