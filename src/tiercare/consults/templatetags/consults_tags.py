"""Template filters of the consults app."""

from typing import Any

from django import template
from django.utils.translation import gettext as _

from tiercare.consults.forms import specialty_label as _specialty_label
from tiercare.consults.models import ConsultStatus, OpinionStatus

register = template.Library()


@register.filter
def specialty_label(code: str) -> str:
    """``{{ t.specialty|specialty_label }}``: a specialty code in the page's language."""
    return _specialty_label(code)


@register.filter
def specialty_labels(codes: list[str]) -> str:
    """``{{ mdt.specialties|specialty_labels }}``: the specialties, named, joined with 、."""
    return "、".join(_specialty_label(c) for c in codes or [])


@register.filter
def risk_kind_label(row: dict[str, Any]) -> str:
    """``{{ r|risk_kind_label }}``: the kind of a late or at-risk row (``ops_late_or_at_risk``), named."""
    labels = {"teleconsult": _("Tele-consultation"), "opinion": _("Second opinion")}
    return str(labels.get(row.get("kind", ""), row.get("kind", "")))


@register.filter
def risk_status_label(row: dict[str, Any]) -> str:
    """``{{ r|risk_status_label }}``: the status of a late or at-risk row, as the page names it."""
    choices = OpinionStatus if row.get("kind") == "opinion" else ConsultStatus
    status = row.get("status", "")
    return str(choices(status).label) if status in choices.values else str(status)
