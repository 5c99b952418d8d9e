"""Forms of the online follow-up pages (issue 16). Choices are scoped to the user: an id outside them is refused
beside its field, never looked up. The rules themselves are the services' (consults.services.online)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.consults.models import VisitKind
from tiercare.consults.services.online import diagnosis_label, online_diagnoses, online_formulary
from tiercare.core.models import User
from tiercare.network.models import Department
from tiercare.people.models import Person
from tiercare.people.selectors import person_scope_q

FIRST_VISIT = "first_visit"


def online_persons(user: User) -> QuerySet[Person]:
    """The persons a patient asks for: themselves and the members of a household whose proxy they are."""
    return Person.objects.filter(person_scope_q(user), archived=False).order_by("birth_date", "pk").distinct()


class AskForm(forms.Form):
    person = forms.ModelChoiceField(label=_("For whom"), queryset=Person.objects.none(), empty_label=None)
    diagnosis = forms.ChoiceField(label=_("Which diagnosis made in person do you follow up?"))
    question = forms.CharField(label=_("Your question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    guardian_present = forms.BooleanField(
        label=_("A guardian is present (required for a child under 6)"), required=False
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=60, required=False)
    guardian_relationship = forms.CharField(
        label=_("Guardian's relationship to the child"), max_length=30, required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        persons = online_persons(user)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]
        self.enrollments = {str(e.pk): e for p in persons for e in online_diagnoses(p)}
        choices = [
            (pk, f"{e.person.name} · {diagnosis_label(e.protocol_code)}（{_('diagnosed in person')}）")
            for pk, e in self.enrollments.items()
        ]
        choices.append((FIRST_VISIT, str(_("A new problem, not yet diagnosed in person"))))
        self.fields["diagnosis"].choices = choices  # type: ignore[attr-defined]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    image = forms.FileField(label=_("Photo"), required=False)
    sbp_mmhg = forms.IntegerField(label=_("Systolic (mmHg)"), required=False)
    dbp_mmhg = forms.IntegerField(label=_("Diastolic (mmHg)"), required=False)
    fasting_glucose_mmol_l = forms.DecimalField(
        label=_("Fasting glucose (mmol/L)"), required=False, max_digits=5, decimal_places=1
    )
    confirm_units = forms.BooleanField(label=_("The units are right"), required=False)

    def reading(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("sbp_mmhg", "dbp_mmhg", "fasting_glucose_mmol_l"):
            value = self.cleaned_data.get(key)
            if value is not None:
                out[key] = float(value) if key == "fasting_glucose_mmol_l" else value
        return out


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PrescribeForm(forms.Form):
    drug = forms.ChoiceField(label=_("Drug"))
    dose = forms.CharField(label=_("Dose and how to take it"), max_length=120)
    supply_days = forms.IntegerField(label=_("Days supplied"), min_value=1, max_value=365)
    assessment = forms.CharField(
        label=_("Assessment (beyond 4 weeks)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    patient_confirmed = forms.BooleanField(label=_("The patient confirmed the long prescription"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drug"].choices = [(d["code"], d["zh"]) for d in online_formulary()]  # type: ignore[attr-defined]


class StopForm(forms.Form):
    kind = forms.ChoiceField(label=_("Send the patient to"), choices=VisitKind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Why they must be seen in person"), max_length=300)
    visit_by = forms.DateField(label=_("Visit by (GP center)"), required=False)
    department = forms.ModelChoiceField(
        label=_("Department (referral)"), queryset=Department.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(organization__tier="tertiary").select_related("organization")
        )
        if not self.is_bound:
            self.fields["visit_by"].initial = timezone.localdate()


class CloseForm(forms.Form):
    summary = forms.CharField(label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return to the doctor"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason for returning"), max_length=300, required=False)
