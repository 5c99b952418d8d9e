from __future__ import annotations

from typing import Any

from django import template

from tiercare.finance.forms import UnpricedPriceForm

register = template.Library()


@register.filter
def get_form(forms: dict[Any, Any], work: Any) -> Any:
    """The form of one unpriced item: the one just refused (with its errors and input), else an empty one whose
    effective date is the day of the work."""
    return forms.get(work.pk) or UnpricedPriceForm(
        initial={"effective_from": work.occurred_on}, prefix=None, auto_id=f"id_{work.pk.hex[:8]}_%s"
    )
