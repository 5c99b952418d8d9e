"""Template filters of the consults app."""

from django import template

from tiercare.consults.forms import specialty_label as _specialty_label

register = template.Library()


@register.filter
def specialty_label(code: str) -> str:
    """``{{ t.specialty|specialty_label }}``: a specialty code in the page's language."""
    return _specialty_label(code)


@register.filter
def specialty_labels(codes: list[str]) -> str:
    """``{{ mdt.specialties|specialty_labels }}``: the specialties, named, joined with 、."""
    return "、".join(_specialty_label(c) for c in codes or [])
