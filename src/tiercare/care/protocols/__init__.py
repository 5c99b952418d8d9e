"""Chronic-care follow-up protocols: rules are data (``*.json`` beside this package); the modules here evaluate them.

Pure Python, no Django. A protocol is a JSON file (``hypertension.json``, ``diabetes_t2.json``, ...) that states who
is eligible, the schedule, the named thresholds, and the classification rules with their actions, each rule quoting
its source text in zh-Hans and English. The code knows *how* to evaluate rules, never *what* they say: a clinician
corrects a threshold or a rule by editing the data, and the change shows in the protocol's version and sha256
(:func:`protocol_version`), which every :class:`Classification` carries, because a silent protocol change is a
clinical hazard.

The modules, from the bottom up (each imports only those above it in this list):

- :mod:`~tiercare.care.protocols.schedule`: calendar arithmetic (a date plus months or years).
- :mod:`~tiercare.care.protocols.model`: the loaded protocol, the classification result, the errors.
- :mod:`~tiercare.care.protocols.reader`: typed readers of JSON values that name the key on failure.
- :mod:`~tiercare.care.protocols.conditions`: compiling and evaluating a rule's condition.
- :mod:`~tiercare.care.protocols.schema`: validating a whole protocol document and applying its variants.
- :mod:`~tiercare.care.protocols.loading`: the shipped files, their identity, the parse cache.
- :mod:`~tiercare.care.protocols.classify`: eligibility, and classifying one follow-up.

Callers import from this package. The JSON files ship as package data (``pyproject.toml``
``[tool.setuptools.package-data]`` includes ``protocols/*.json``).
"""

from tiercare.care.protocols.classify import classify, is_eligible
from tiercare.care.protocols.loading import available_protocols, load_protocol, parse_protocol, protocol_version
from tiercare.care.protocols.model import (
    ACTIONS,
    CONTROL_CLASSES,
    Actions,
    Classification,
    FiredRule,
    FollowupInputError,
    Protocol,
    ProtocolError,
    ProtocolVersion,
    RiskCriterion,
    SchedulePhase,
)

__all__ = [
    "ACTIONS",
    "CONTROL_CLASSES",
    "Actions",
    "Classification",
    "FiredRule",
    "FollowupInputError",
    "Protocol",
    "ProtocolError",
    "ProtocolVersion",
    "RiskCriterion",
    "SchedulePhase",
    "available_protocols",
    "classify",
    "is_eligible",
    "load_protocol",
    "parse_protocol",
    "protocol_version",
]
