"""The chain pages' forms: a GP center's share rule by operating mode, a center's cost for a month, a void. Numbers
are read as text and checked by ``finance.chain`` (percentages and yuan to the fen), so a refused value stays as
typed with the message beside it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.finance.forms import MonthField
from tiercare.finance.models import CostCategory
from tiercare.network.models import GpMode, Organization


def _text(label: Any, size: int = 6, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, max_length=20, required=required, widget=forms.TextInput(attrs={"size": size}))


class CenterRuleForm(forms.Form):
    """Which fields apply depends on the mode: cooperative, the partner's %; managed, the management fee %;
    franchise, the royalty % and the fee per month; owned and flagship, none (everything to the chain)."""

    center = forms.ModelChoiceField(label=_("GP center"), queryset=Organization.objects.none())
    mode = forms.ChoiceField(label=_("Operating mode"), choices=[("", "—"), *GpMode.choices])
    effective_from = forms.DateField(label=_("Effective from"))
    partner_pct = _text(_("Partner's share % (cooperative)"))
    fee_pct = _text(_("Management fee % (managed) or royalty % (franchise)"))
    monthly_fee = _text(_("Franchise fee per month (yuan)"), size=10)
    expert_pct = _text(_("Expert %"))
    premium_pct = _text(_("Malpractice premium %"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = Organization.objects.filter(kind="gp_center").order_by("name")  # type: ignore[attr-defined]


class CostForm(forms.Form):
    month = MonthField(label=_("Month"))
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *CostCategory.choices])
    amount = _text(_("Amount (yuan)"), size=10, required=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=300)
