"""Tags of the site's frame (core/base.html): the language switch that keeps the page's filters."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def language_switch_url(context: dict[str, Any], code: str) -> str:
    """This page again in language ``code``: the query string as it is (filters, page), ``lang`` replaced.

    The error page of a server error renders without a request; it links to ``?lang=`` alone."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    params.pop("lang", None)
    params["lang"] = code
    return "?" + params.urlencode()
