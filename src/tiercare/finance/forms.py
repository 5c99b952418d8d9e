"""The finance pages' forms: a price version, a share-rule version, a month to issue, a correction. Amounts are
read as text and checked by the services (yuan with at most two places), so a refused value stays as typed with
the message beside it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiercare.finance.models import IncidentKind, IncidentOutcome, IncidentStatus, InstitutionTier, Scheme, Service
from tiercare.network.models import Organization


def hospitals() -> Any:
    return Organization.objects.exclude(kind="doctor_group").order_by("name")


class MonthField(forms.CharField):
    """A month as YYYY-MM, returned as its first day."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "2026-10", "size": 8}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text:
            return None
        try:
            year, month = (int(p) for p in text.split("-"))
            return date(year, month, 1)
        except (ValueError, TypeError):
            raise ValidationError(_("Enter a month as YYYY-MM, like 2026-10.")) from None


class PriceForm(forms.Form):
    hospital = forms.ModelChoiceField(label=_("Hospital"), queryset=Organization.objects.none())
    service = forms.ChoiceField(label=_("Service"), choices=Service.choices)
    amount = forms.CharField(label=_("Price (yuan)"), max_length=20, widget=forms.TextInput(attrs={"size": 10}))
    effective_from = forms.DateField(label=_("Effective from"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = hospitals()  # type: ignore[attr-defined]


class UnpricedPriceForm(forms.Form):
    """The price that covers one unpriced item: its hospital and service are the item's."""

    amount = forms.CharField(label=_("Price (yuan)"), max_length=20, widget=forms.TextInput(attrs={"size": 10}))
    effective_from = forms.DateField(label=_("Effective from"))

    def __init__(self, *args: Any, work_on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.work_on = work_on

    def clean_effective_from(self) -> date:
        value: date = self.cleaned_data["effective_from"]
        if self.work_on is not None and value > self.work_on:
            raise ValidationError(_("This price is not in force on the day of the work."))
        return value


class ShareRuleForm(forms.Form):
    """A partner hospital's rule version (a GP center's follows its operating mode: ``chain_views.center_rules``)."""

    hospital = forms.ModelChoiceField(label=_("Hospital"), queryset=Organization.objects.none())
    effective_from = forms.DateField(label=_("Effective from"))
    hospital_pct = forms.CharField(label=_("Hospital %"), max_length=8, widget=forms.TextInput(attrs={"size": 6}))
    expert_pct = forms.CharField(label=_("Expert %"), max_length=8, widget=forms.TextInput(attrs={"size": 6}))
    premium_pct = forms.CharField(
        label=_("Malpractice premium %"), max_length=8, widget=forms.TextInput(attrs={"size": 6})
    )
    travel_pct = forms.CharField(label=_("Travel %"), max_length=8, widget=forms.TextInput(attrs={"size": 6}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = hospitals().exclude(kind="gp_center")  # type: ignore[attr-defined]


class IssueForm(forms.Form):
    month = MonthField(label=_("Month"))


class CorrectionForm(forms.Form):
    line = forms.ChoiceField(label=_("Line corrected"), required=False)
    amount = forms.CharField(
        label=_("Correction (yuan, negative takes back)"), max_length=20, widget=forms.TextInput(attrs={"size": 10})
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, lines: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(ln.pk), f"{ln.occurred_on:%Y-%m-%d} {ln.hospital_name} ¥{ln.share}") for ln in lines
        ]


class IncidentForm(forms.Form):
    """Record an adverse event or a dispute. ``source`` is "kind:id" among the sessions, cases and referrals the
    user may see (resolved again through their apps' access functions on saving); the expert may stay blank when
    the work has one expert; the patient is optional."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *IncidentKind.choices])
    source = forms.ChoiceField(label=_("Arose from"))
    expert = forms.ChoiceField(label=_("Expert involved"), required=False)
    about_patient = forms.BooleanField(label=_("About the patient of this case or referral"), required=False)
    occurred_on = forms.DateField(label=_("Occurred on"))
    summary = forms.CharField(label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, sources: Any = (), experts: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—"), *sources]  # type: ignore[attr-defined]
        self.fields["expert"].choices = [("", _("The work's expert")), *experts]  # type: ignore[attr-defined]


class IncidentMoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Next state"), choices=IncidentStatus.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—"), *IncidentOutcome.choices])
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CoverageForm(forms.Form):
    """A person's coverage: scheme, the scheme's region (a division code), validity and the member number."""

    scheme = forms.ChoiceField(label=_("Scheme"), choices=[("", "—"), *Scheme.choices])
    region_code = forms.CharField(
        label=_("Scheme region (division code)"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"size": 8, "placeholder": "330000", "inputmode": "numeric"}),
    )
    valid_from = forms.DateField(label=_("Valid from"))
    valid_to = forms.DateField(label=_("Valid to (blank: open)"), required=False)
    member_number = forms.CharField(label=_("Member number"), max_length=30, required=False)


class EstimateForm(forms.Form):
    """What a service at a price and an institution level costs whom, for the person on a day (the year's deductible
    and cap use come from the person's stored charges, not from the form)."""

    amount = forms.CharField(label=_("Price (yuan)"), max_length=20, widget=forms.TextInput(attrs={"size": 10}))
    tier = forms.ChoiceField(label=_("Institution level"), choices=InstitutionTier.choices)
    on = forms.DateField(label=_("Date of service"))
    special_needs = forms.BooleanField(label=_("Special-needs service"), required=False)
