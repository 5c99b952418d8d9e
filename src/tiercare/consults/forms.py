"""Page forms of the consults app: open a case (with attachments), ask for a tele-consultation or a second opinion,
the expert's answer / request for more information / decline, the requester's reply, the opinion and its addendum,
open an MDT, pick its experts and book a proposed time, the chair's conclusion, an expert's meeting hours.

Parsing only: the services decide. Every id a form takes is a ModelChoiceField over a queryset from
``consults.access`` (an id outside it is refused beside the field, without saying whether it exists). A service's
refusal goes next to the field it names (care.forms.show_domain_error).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.consults import access
from tiercare.consults.models import ConclusionAction, MdtCase, Outcome, Priority
from tiercare.core.errors import ValidationFailed
from tiercare.core.files import check_upload
from tiercare.network.models import Practitioner, Specialty
from tiercare.people.models import Person

TEXTAREA = {"rows": 4}
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def specialty_label(code: str) -> str:
    return str(Specialty(code).label) if code in Specialty.values else code


class PatientChoiceField(forms.ModelChoiceField):
    """A patient, told apart from a namesake by sex, birth year and masked ID."""

    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.name, obj.get_sex_display()]
        if obj.birth_date:
            parts.append(str(obj.birth_date.year))
        if obj.id_masked:
            parts.append(obj.id_masked)
        return " · ".join(str(p) for p in parts if p)


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        org = getattr(obj, "home_organization", None)
        spec = specialty_label(obj.specialty) if obj.specialty else ""
        return " · ".join(p for p in (obj.name, spec, org.name if org else "") if p)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each checked like the API checks it (size before reading, type from the bytes)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        errors = []
        for upload in files:
            try:
                check_upload(name=upload.name or "file", size=upload.size or 0, head=_head(upload))
            except ValidationFailed as exc:
                errors.append(_without_field(exc.message, "file"))
        if errors:
            raise ValidationError(errors)
        return list(files)


def _without_field(message: str, field: str) -> str:
    for sep in (": ", "："):
        if message.startswith(field + sep):
            return message[len(field) + len(sep) :]
    return message


def _head(upload: Any) -> bytes:
    upload.seek(0)
    head = upload.read(160)
    upload.seek(0)
    return bytes(head)


class CaseForm(forms.Form):
    person = PatientChoiceField(queryset=Person.objects.none(), label=_("Patient"))
    question = forms.CharField(label=_("Question to the experts"), max_length=4000, widget=forms.Textarea(TEXTAREA))
    history = forms.CharField(label=_("History"), max_length=8000, required=False, widget=forms.Textarea(TEXTAREA))
    findings = forms.CharField(
        label=_("Findings and test results"), max_length=8000, required=False, widget=forms.Textarea(TEXTAREA)
    )
    current_treatment = forms.CharField(
        label=_("Current treatment"), max_length=4000, required=False, widget=forms.Textarea(TEXTAREA)
    )
    # A declared field named "files": the form metaclass moves it into base_fields, so it does not replace
    # BaseForm.files (the uploads) at run time; the stubs see a class attribute.
    files = AttachmentsField(  # type: ignore[assignment]
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, images or DICOM, each up to 20 MB; the type is checked from the file's content."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["person"]).queryset = access.case_patients(user)


class AttachmentForm(forms.Form):
    files = AttachmentsField(label=_("Add files"))  # type: ignore[assignment]  # see CaseForm.files


class AskForm(forms.Form):
    """Ask for a tele-consultation or a second opinion on a case (the API's ``WorkIn``)."""

    specialty = forms.ChoiceField(label=_("Specialty"), choices=[("", "—"), *Specialty.choices])
    priority = forms.ChoiceField(
        label=pgettext_lazy("consult urgency", "Priority"), choices=Priority.choices, initial=Priority.ROUTINE
    )
    expert = ExpertChoiceField(
        queryset=Practitioner.objects.none(),
        label=_("Expert (optional)"),
        required=False,
        empty_label=_("Routed automatically"),
        help_text=_("Empty: routed to the qualified expert with continuity and the lightest load."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["expert"]).queryset = access.consult_experts()


class AnswerForm(forms.Form):
    """The expert's answer with its outcome coding: advice only or referral needed close the tele-consultation;
    more information needed asks the requester and keeps it open."""

    body = forms.CharField(label=_("Answer"), max_length=8000, widget=forms.Textarea({"rows": 6}))
    outcome = forms.ChoiceField(
        label=pgettext_lazy("consult outcome", "Outcome"), choices=[("", "—"), *Outcome.choices]
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), max_length=250)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=300)


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Reply or further information"), max_length=8000, widget=forms.Textarea(TEXTAREA))


class OpinionForm(forms.Form):
    text = forms.CharField(label=_("Opinion"), max_length=20000, required=False, widget=forms.Textarea({"rows": 12}))


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("Add an addendum"), max_length=8000, widget=forms.Textarea(TEXTAREA))


class MdtForm(forms.Form):
    """Make the case an MDT case (the API's ``MdtIn``)."""

    specialties = forms.MultipleChoiceField(
        label=_("Specialties"), choices=Specialty.choices, widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateTimeField(label=_("Meet before"), widget=DATETIME, help_text=_("For example 2026-12-20 17:00"))
    coordinator = forms.ModelChoiceField(
        queryset=access.mdt_coordinators().none(),
        label=_("Coordinated by operations (optional)"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["coordinator"]).queryset = access.mdt_coordinators()

    def clean_specialties(self) -> list[str]:
        chosen = self.cleaned_data["specialties"]
        if len(chosen) < 2:
            raise ValidationError(_("An MDT needs at least two specialties."))
        return chosen

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise ValidationError(_("Must be in the future."))
        return deadline


def expert_field_name(specialty: str) -> str:
    return f"expert_{specialty}"


class ExpertsForm(forms.Form):
    """The organiser's pick of an expert per specialty (each optional: empty lets the slot finder choose). Also the
    booking form: with ``starts_at`` the proposal chosen, every specialty then needs its expert."""

    def __init__(self, *args: Any, mdt: MdtCase, booking: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mdt = mdt
        self.booking = booking
        for spec in mdt.specialties:
            self.fields[expert_field_name(spec)] = ExpertChoiceField(
                queryset=access.mdt_experts(mdt, spec),
                label=specialty_label(spec),
                required=booking,
                empty_label=_("Chosen by the slot finder"),
            )
        if booking:
            self.fields["starts_at"] = forms.DateTimeField(widget=forms.HiddenInput)
            self.fields["chair"] = forms.CharField(required=False, widget=forms.HiddenInput)
            self.fields["video_link"] = forms.URLField(
                label=_("Video link"), required=False, max_length=200, assume_scheme="https"
            )

    def experts(self) -> dict[str, Practitioner]:
        return {
            spec: self.cleaned_data[expert_field_name(spec)]
            for spec in self.mdt.specialties
            if self.cleaned_data.get(expert_field_name(spec)) is not None
        }

    def chair(self) -> Practitioner | None:
        """The chair among the chosen experts (by specialty); None: the first specialty's expert."""
        return self.experts().get(self.cleaned_data.get("chair") or "")


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), max_length=20000, required=False, widget=forms.Textarea({"rows": 6}))
    video_link = forms.URLField(label=_("Video link"), required=False, max_length=200, assume_scheme="https")


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), max_length=8000, widget=forms.Textarea({"rows": 6}))
    action = forms.ChoiceField(label=_("Next step"), choices=ConclusionAction.choices, required=False)
    care_plan = forms.CharField(
        label=_("Care plan for the GP"), max_length=8000, required=False, widget=forms.Textarea(TEXTAREA)
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        d = self.cleaned_data
        if d.get("action") == ConclusionAction.CARE_PLAN and not (d.get("care_plan") or "").strip():
            self.add_error("care_plan", _("Write the care plan for the GP."))
        return d


class MeetingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    start = forms.TimeField(label=pgettext_lazy("time range", "From"), widget=TIME)
    end = forms.TimeField(label=pgettext_lazy("time range", "To"), widget=TIME)

    def clean(self) -> dict[str, Any]:
        super().clean()
        d = self.cleaned_data
        if d.get("start") and d.get("end") and d["end"] <= d["start"]:
            self.add_error("end", _("The end is not after the start."))
        return d
