"""Template filters of the network app."""

from django import template

from tiercare.network.practice import basis_label as _basis_label

register = template.Library()


@register.filter
def basis_label(code: str) -> str:
    """``{{ session.basis|basis_label }}``: a legal-basis code in the page's language."""
    return _basis_label(code)
