"""The care team's proxy form (people.proxies does the checking; the form only parses)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.people.models import ProxyEvidence, ProxyKind


class ProxyForm(forms.Form):
    holder = forms.ChoiceField(label=_("Proxy (a member of the household)"))
    kind = forms.ChoiceField(label=_("Relationship"), choices=ProxyKind.choices)
    evidence_kind = forms.ChoiceField(label=_("Evidence shown"), choices=ProxyEvidence.choices)
    evidence_reference = forms.CharField(label=_("Evidence number or description"), max_length=120)
    valid_from = forms.DateField(label=_("Valid from"), required=False)
    valid_until = forms.DateField(label=_("Valid until"), required=False)

    def __init__(self, *args: object, holders: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["holder"].choices = holders  # type: ignore[attr-defined]


class RenewForm(forms.Form):
    evidence_kind = forms.ChoiceField(label=_("Evidence shown"), choices=ProxyEvidence.choices)
    evidence_reference = forms.CharField(label=_("Evidence number or description"), max_length=120)
    valid_until = forms.DateField(label=_("Valid until"), required=False)
