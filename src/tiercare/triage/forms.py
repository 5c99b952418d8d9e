"""The triage page's form: the complaint, the age with its unit (a front desk says "3 months", not 0.25 years) and
the sex, with the API's bounds."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.people.widgets import PersonPicker
from tiercare.triage.rules import DAYS_PER_YEAR
from tiercare.triage.services import AGE_MAX_YEARS, COMPLAINT_MAX_CHARS

AGE_UNITS = {"years": 1.0, "months": 12.0, "days": DAYS_PER_YEAR}


class TriageForm(forms.Form):
    complaint = forms.CharField(
        label=_("What is wrong (in your own words)"),
        max_length=COMPLAINT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. my child has had a fever for three days")}),
    )
    age = forms.DecimalField(label=_("Age"), min_value=0, max_digits=6, decimal_places=2)
    age_unit = forms.ChoiceField(
        label=_("Age in"),
        choices=[("years", _("years")), ("months", _("months")), ("days", _("days"))],
        initial="years",
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("female", _("female")), ("male", _("male"))])

    def __init__(self, *args: Any, front_desk: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if front_desk:  # a signed-in front desk may record the triage for a patient (its first choice, not the text)
            self.fields["patient"] = forms.UUIDField(
                label=_("Record for a patient (optional)"), required=False, widget=PersonPicker()
            )  # resolved by access_person_by_id in services.triage_use_record

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("age") is not None and data.get("age_unit") in AGE_UNITS:
            years = float(data["age"]) / AGE_UNITS[data["age_unit"]]
            if years > AGE_MAX_YEARS:
                self.add_error("age", _("Enter an age of at most 120 years."))
            data["age_years"] = years
        return data
