from __future__ import annotations

from django import template
from django.urls import reverse

from tiercare.network.models import Practitioner
from tiercare.profiles.selectors import expert_slug

register = template.Library()


@register.filter
def expert_url(expert: Practitioner) -> str:
    """The public page of an expert: ``/experts/<pinyin>-<8 hex>/``."""
    return reverse("profiles:expert", kwargs={"slug": expert_slug(expert)})


@register.filter
def stars(n: object) -> str:
    """★★★★☆ for 4 (a mean is rounded)."""
    try:
        k = max(0, min(5, round(float(str(n)))))
    except ValueError:
        return ""
    return "★" * k + "☆" * (5 - k)


@register.filter(name="expert_slug")
def expert_slug_filter(expert: Practitioner) -> str:
    return expert_slug(expert)


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """``forms|get_item:row.pk``: the form a refused POST left for that row, if any."""
    return mapping.get(key) if isinstance(mapping, dict) else None
