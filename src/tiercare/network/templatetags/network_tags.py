"""Template filters of the network app: the directory's codes (legal basis, specialty, service) in words."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils import translation

from tiercare.network.models import ServiceKind, Specialty
from tiercare.network.practice import basis_label as _basis_label

register = template.Library()


@register.filter
def basis_label(code: str) -> str:
    """``{{ session.basis|basis_label }}``: a legal-basis code in the page's language."""
    return _basis_label(code)


def _labels(codes: str | Iterable[str] | None, choices: type[ServiceKind] | type[Specialty]) -> str:
    if not codes:
        return ""
    items = [codes] if isinstance(codes, str) else list(codes)
    known = dict(choices.choices)
    separator = "、" if (translation.get_language() or "zh-hans").startswith("zh") else ", "
    return separator.join(str(known.get(code, code)) for code in items)


@register.filter
def specialty_label(codes: str | Iterable[str] | None) -> str:
    """``pediatrics`` → 儿科; a list of specialties → 「儿科、新生儿科」. A free-text value is shown as it is."""
    return _labels(codes, Specialty)


@register.filter
def service_labels(codes: Iterable[str] | None) -> str:
    """``["surgery", "clinic", "ward_round"]`` → 「手术、门诊、查房」."""
    return _labels(codes, ServiceKind)
