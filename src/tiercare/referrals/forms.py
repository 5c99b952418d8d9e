"""Page forms of the referral loop (the API takes pydantic schemas; these are for the htmx pages)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.core.validation import validate_plan_date
from tiercare.network.models import Department, Practitioner, Tier
from tiercare.network.widgets import DepartmentPicker, ExpertPicker
from tiercare.people.selectors import person_list
from tiercare.people.widgets import PersonPicker
from tiercare.referrals.models import CapacityKind, Urgency
from tiercare.referrals.rules import USER_ACTIONS


class ReferralForm(forms.Form):
    person = forms.ModelChoiceField(queryset=None, label=_("Patient"), widget=PersonPicker())
    receiving_department = forms.ModelChoiceField(
        queryset=None, label=_("Receiving department"), widget=DepartmentPicker(params={"tier": Tier.TERTIARY})
    )
    named_expert = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Named expert (optional)"),
        widget=ExpertPicker(params={"experts_only": "1"}),
    )
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_("Urgency"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label=_("Reason for referral"))
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        required=False,
        label=_("Summary of illness and tests"),
    )
    diagnosis_text = forms.CharField(max_length=200, label=_("Diagnosis"))
    diagnosis_code = forms.CharField(max_length=40, required=False, label=_("Diagnosis code"))
    diagnosis_system = forms.CharField(
        max_length=60, required=False, initial="ICD-10 国家临床版", label=_("Code system")
    )
    diagnosis_version = forms.CharField(max_length=20, required=False, initial="2.0", label=_("Code version"))
    green_channel = forms.BooleanField(required=False, label=_("Green channel (reserved capacity)"))
    capacity_kind = forms.ChoiceField(choices=CapacityKind.choices, label=_("Kind of place"))
    wanted_from = forms.DateField(
        required=False,
        label=_("Wanted from"),
        validators=[validate_plan_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = person_list(for_user=user)
        self.fields["receiving_department"].queryset = Department.objects.filter(
            organization__tier=Tier.TERTIARY
        ).select_related("organization")
        self.fields["named_expert"].queryset = Practitioner.objects.filter(
            is_active=True, home_organization__tier=Tier.TERTIARY, doctor_group__isnull=False
        ).order_by("name_pinyin")


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in (*USER_ACTIONS, "escalate")])
    reason = forms.CharField(required=False, max_length=4000)
    scheduled_for = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    discharge_summary = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    care_plan = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG, PNG, DICOM; ≤ 20 MB)"))


class CapacityForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=None, label=_("Department"), widget=DepartmentPicker(params={"tier": Tier.TERTIARY})
    )
    date = forms.DateField(
        label=_("Date"), validators=[validate_plan_date], widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(choices=CapacityKind.choices, label=_("Kind"))
    places = forms.IntegerField(min_value=1, max_value=10000, required=False, label=_("Reserved places"))

    def __init__(self, *args, departments, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
