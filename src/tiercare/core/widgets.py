"""Pickers that scale: a form widget that chooses one row of a large table by searching, never by listing.

``SearchPicker`` renders the chosen value as a hidden input, its label, and a search box that asks an htmx search
endpoint for at most a handful of matches (the endpoint scopes and audits them; see ``people.widgets.PersonPicker``,
``network.widgets.ExpertPicker`` and ``network.widgets.DepartmentPicker``). Clicking a match fills the hidden input
(``static/tiercare/picker.js``, no inline script: the Content-Security-Policy forbids it).

Use it on a ``ModelChoiceField``: the field's queryset stays the access check on submit, and after a validation
error the widget renders the chosen row's label again by looking it up in that same queryset (a value outside it
renders as no choice). On another field (a ``UUIDField``) the value is kept but no label can be shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# At most this many matches per search: a picker narrows by typing, it never pages through a table.
PICKER_LIMIT = 12


class SearchPicker(forms.Widget):
    """Base picker; subclasses set ``search_url_name`` and, when the label needs more than ``str(obj)``,
    ``label_for``. ``params`` are passed to the search endpoint (e.g. ``{"tier": "tertiary"}``)."""

    template_name = "core/widgets/picker.html"
    search_url_name = ""
    placeholder = _("Type a name, pinyin or initials")

    def __init__(
        self, attrs: dict[str, Any] | None = None, *, params: dict[str, str] | None = None, search_url_name: str = ""
    ) -> None:
        super().__init__(attrs)
        self.params = dict(params or {})
        if search_url_name:
            self.search_url_name = search_url_name
        self.choices: Any = ()

    def label_for(self, obj: Any) -> str:
        return str(obj)

    def chosen(self, value: Any) -> Any:
        """The chosen row, looked up in the field's queryset (ModelChoiceField sets ``self.choices``), or None."""
        if value in (None, "", [], ()):
            return None
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return None
        if hasattr(value, "pk"):
            value = value.pk
        try:
            return queryset.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            return None

    def format_value(self, value: Any) -> str:
        if value in (None, ""):
            return ""
        return str(getattr(value, "pk", value))

    def search_url(self, name: str) -> str:
        return f"{reverse(self.search_url_name)}?{urlencode({**self.params, 'field': name})}"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        obj = self.chosen(value)
        widget = context["widget"]
        if obj is not None:
            widget["value"] = self.format_value(obj.pk)
        elif getattr(self.choices, "queryset", None) is not None:
            widget["value"] = ""  # not in the field's queryset: shown as no choice, never echoed back
        else:
            widget["value"] = self.format_value(value)
        widget["chosen_label"] = self.label_for(obj) if obj is not None else ""
        widget["search_url"] = self.search_url(name)
        widget["placeholder"] = self.placeholder
        widget["results_id"] = f"{widget['attrs'].get('id') or name}-results"
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_search" if id_ else id_

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data
