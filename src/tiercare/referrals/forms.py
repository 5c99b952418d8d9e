"""Page forms of the referral loop (the API takes pydantic schemas; these are for the pages).

Parsing only: the services decide. A refused write is shown next to the field it names (``show_domain_error``),
in the page's language, with what was typed kept; the referral page has one form per action the user may take now,
built for that action (a reason to decline or cancel, the visit time to schedule, the override reason to mark a
patient arrived before the scheduled day, the documents of a back-referral).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.care.forms import show_domain_error
from tiercare.core.models import User
from tiercare.core.validation import validate_plan_date
from tiercare.network.models import Department, Practitioner, Tier
from tiercare.network.widgets import DepartmentPicker, ExpertPicker
from tiercare.people.models import Person
from tiercare.people.selectors import person_list
from tiercare.people.widgets import PersonPicker
from tiercare.referrals import selectors
from tiercare.referrals.models import CapacityKind, Referral, Urgency
from tiercare.referrals.services import DEFAULT_VISIT_TIME

__all__ = ["AttachmentForm", "CapacityForm", "ReferralForm", "TransitionForm", "arrival_is_early", "show_domain_error"]


class ReferralForm(forms.Form):
    person: forms.ModelChoiceField[Person] = forms.ModelChoiceField(
        queryset=None, label=_("Patient"), widget=PersonPicker()
    )
    receiving_department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        queryset=None, label=_("Receiving department"), widget=DepartmentPicker(params={"tier": Tier.TERTIARY})
    )
    named_expert: forms.ModelChoiceField[Practitioner] = forms.ModelChoiceField(
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

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["person"]).queryset = person_list(for_user=user)
        cast(forms.ModelChoiceField, self.fields["receiving_department"]).queryset = Department.objects.filter(
            organization__tier=Tier.TERTIARY
        ).select_related("organization")
        cast(forms.ModelChoiceField, self.fields["named_expert"]).queryset = Practitioner.objects.filter(
            is_active=True, home_organization__tier=Tier.TERTIARY, doctor_group__isnull=False
        ).order_by("name_pinyin")


class VisitTimeField(forms.DateTimeField):
    """A visit's day AND time: a day alone is refused (it would silently mean midnight)."""

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and value.strip() and ":" not in value:
            raise ValidationError(_("Give the time of the visit as well as the day."), code="time_missing")
        return super().to_python(value)


def arrival_is_early(referral: Referral, now: datetime | None = None) -> bool:
    """Whether marking the patient arrived now would be before their scheduled day (local days)."""
    if referral.scheduled_for is None:
        return False
    return timezone.localdate(now or timezone.now()) < timezone.localdate(referral.scheduled_for)


def _text(label: Any, *, required: bool = True, rows: int = 2, max_length: int = 4000) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class TransitionForm(forms.Form):
    """The form of one action on the referral page; its fields are the ones that action needs."""

    def __init__(self, *args: Any, action: str, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        if action == "decline":
            self.fields["reason"] = _text(_("Reason for declining"))
        elif action == "cancel":
            self.fields["reason"] = _text(_("Reason for cancelling"))
        elif action == "escalate":
            self.fields["reason"] = _text(_("Note for operations"), required=False, rows=1)
        elif action == "schedule":
            self.fields["scheduled_for"] = VisitTimeField(
                label=_("Visit day and time"),
                help_text=_("Beijing time, day and time, e.g. 2026-12-07 09:00; not in the past."),
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            )
            booking = selectors.active_booking(referral)
            if booking is not None:
                proposed = timezone.make_aware(datetime.combine(booking.capacity.date, DEFAULT_VISIT_TIME))
                if proposed > timezone.now():
                    self.fields["scheduled_for"].initial = proposed  # the reserved place's day, shown and editable
        elif action == "arrive" and arrival_is_early(referral):
            day = timezone.localdate(referral.scheduled_for).isoformat()  # type: ignore[arg-type]
            self.fields["reason"] = _text(
                _("The patient is scheduled for %(day)s. Reason for marking them arrived before that day")
                % {"day": day}
            )
            self.fields["reason"].error_messages["required"] = _(
                "Say why the patient is marked arrived before the scheduled day."
            )
        elif action == "back_refer":
            self.fields["discharge_summary"] = _text(_("Discharge summary"), rows=3, max_length=20000)
            self.fields["care_plan"] = _text(_("Care plan"), rows=3, max_length=20000)

    def payload(self) -> dict[str, Any]:
        """The service's keyword arguments from the cleaned form."""
        d = self.cleaned_data
        return {
            "reason": d.get("reason") or "",
            "scheduled_for": d.get("scheduled_for"),
            "discharge_summary": d.get("discharge_summary") or "",
            "care_plan": d.get("care_plan") or "",
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG, PNG, DICOM; ≤ 20 MB)"))


class CapacityForm(forms.Form):
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        queryset=None, label=_("Department"), widget=DepartmentPicker(params={"tier": Tier.TERTIARY})
    )
    date = forms.DateField(
        label=_("Date"), validators=[validate_plan_date], widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(choices=CapacityKind.choices, label=_("Kind"))
    places = forms.IntegerField(min_value=1, max_value=10000, label=_("Reserved places"))

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
