"""Chronic-care follow-up protocols: rules are data (``*.json`` beside this file); the engine evaluates them.

See :mod:`tiercare.care.protocols.engine`. The JSON files ship as package data (``pyproject.toml``
``[tool.setuptools.package-data]`` includes ``protocols/*.json``).
"""

from tiercare.care.protocols.engine import (
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
    available_protocols,
    classify,
    is_eligible,
    load_protocol,
    parse_protocol,
    protocol_version,
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
