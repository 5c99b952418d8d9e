"""Control at a follow-up: whether the readings are at the protocol's target, and hypoglycaemia.

The targets are the protocol's data (``thresholds`` of hypertension.json and diabetes_t2.json; NBPHS 2017), never
constants here: ``CONTROL_TARGETS`` names which threshold each item must stay below, ``AGE_SPECIFIC_TARGETS`` the
target that changes with age (<150/90 mmHg from 65 under HTN-TARGET-65-150). Used when a follow-up is filed, by the
dashboards (``control_targets``) and by the demo data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tiercare.care.protocols import load_protocol

# The control targets a follow-up is counted "controlled" by, and the dashboards with it: (measured item, the
# protocol threshold it must stay below). The numbers are the protocol's data (``thresholds`` of hypertension.json:
# 140/90 mmHg; diabetes_t2.json: fasting glucose 7.0 mmol/L — NBPHS 2017), never constants here.
CONTROL_TARGETS: dict[str, tuple[tuple[str, str], ...]] = {
    "hypertension": (("sbp_mmhg", "sbp_control_target_mmhg"), ("dbp_mmhg", "dbp_control_target_mmhg")),
    "diabetes_t2": (("fasting_glucose_mmol_l", "glucose_control_target_mmol_l"),),
}


# Hypoglycaemia: a glucose at or below this protocol threshold (diabetes_t2.json: 3.9 mmol/L, NBPHS 2017 "血糖
# ≤3.9 mmol/L" urgent referral, any glucose) is its own class and never "controlled".
HYPOGLYCAEMIA_THRESHOLD = "glucose_urgent_low_mmol_l"


GLUCOSE_ITEMS = ("fasting_glucose_mmol_l", "random_glucose_mmol_l", "glucose_mmol_l")


def is_hypoglycaemic(protocol: Any, m: Mapping[str, Any]) -> bool:
    """Whether any glucose reading is at or below the protocol's hypoglycaemia threshold (when it has one)."""
    t = protocol.thresholds.get(HYPOGLYCAEMIA_THRESHOLD)
    if t is None:
        return False
    return any(isinstance(m.get(k), int | float) and m[k] <= t.value for k in GLUCOSE_ITEMS)


# A target that changes with age: (the threshold naming the age it applies from, the target from that age). Both are
# the protocol's data and present only when the protocol, as the person's center decided it, has the variant on
# (hypertension.json HTN-TARGET-65-150: <150/90 mmHg from 65, NBPHS 2017 3rd ed.; on by default).
AGE_SPECIFIC_TARGETS: dict[str, tuple[str, str]] = {
    "sbp_control_target_mmhg": ("elderly_age_years", "sbp_control_target_65_plus_mmhg"),
}


def _target_value(protocol: Any, name: str, age: int | None) -> float:
    """The value of control target ``name`` for a person aged ``age`` (``AGE_SPECIFIC_TARGETS``)."""
    t = protocol.thresholds
    from_age, older = AGE_SPECIFIC_TARGETS.get(name, ("", ""))
    if age is not None and from_age in t and older in t and age >= t[from_age].value:
        return t[older].value
    return t[name].value


def control_targets(code: str) -> dict[str, float]:
    """The protocol's control targets the dashboard shows (threshold name -> value), read from its data; with the
    default variants, the age-specific ones too (e.g. ``sbp_control_target_65_plus_mmhg`` and ``elderly_age_years``)."""
    protocol = load_protocol(code)
    out = {name: protocol.thresholds[name].value for _item, name in CONTROL_TARGETS.get(code, ())}
    for name in list(out):
        for extra in AGE_SPECIFIC_TARGETS.get(name, ()):
            if extra in protocol.thresholds:
                out[extra] = protocol.thresholds[extra].value
    return out


def is_controlled(protocol: Any, m: Mapping[str, Any], age: int | None = None) -> bool | None:
    """Controlled at this follow-up: every target item below the protocol's threshold for the person's ``age`` on
    the day (``_target_value``: <150/90 from 65 under the age-specific target, else <140/90); hypoglycaemia never is;
    None when an item is missing (or the protocol has no dashboard target)."""
    targets = CONTROL_TARGETS.get(protocol.code)
    if not targets:
        return None
    if is_hypoglycaemic(protocol, m):
        return False
    values = [(m.get(item), _target_value(protocol, name, age)) for item, name in targets]
    if any(v is None for v, _t in values):
        return None
    return all(v is not None and v < t for v, t in values)  # none is None here
