"""Filter forms of the directory pages (parsing only; the selectors do the work)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.network.models import Organization, OrgKind, Specialty, Tier


class ExpertFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or pinyin"), required=False, max_length=60)
    specialty = forms.ChoiceField(label=_("Specialty"), required=False, choices=[("", "—"), *Specialty.choices])
    home = forms.ModelChoiceField(
        label=_("Home hospital"),
        required=False,
        queryset=Organization.objects.filter(tier=Tier.TERTIARY),
        empty_label="—",
    )
    allowed_at = forms.ModelChoiceField(
        label=_("Allowed at site"),
        required=False,
        empty_label="—",
        queryset=Organization.objects.filter(kind__in=[OrgKind.HOSPITAL, OrgKind.GP_CENTER]).exclude(
            tier=Tier.TERTIARY
        ),
    )
    on = forms.DateField(label=_("on date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    insurance_expiring = forms.BooleanField(label=_("Insurance expiring within 30 days"), required=False)


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=60)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", "—"), *Tier.choices])
    partner = forms.ChoiceField(
        label=_("Partner"),
        required=False,
        choices=[("", "—"), ("yes", _("Partners only")), ("no", _("Not partners"))],
    )
