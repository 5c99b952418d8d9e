"""Page forms of the care app: enrol in a program, record a follow-up, record an outreach call, act on a referral
suggestion (make the referral up, or dismiss it with a reason).

Parsing only: the services decide (eligibility, plausibility, classification). The follow-up form is built from the
enrolment's protocol (its required items, yes/no flags and symptoms, labelled in the page's language from the
protocol data); measurement labels and units come from ``care.plausibility``, so the page, the API and the engine
name a value the same way. A service's refusal is shown next to the field it names (``show_domain_error``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.care.models import DrugClass, OutreachOutcome
from tiercare.care.plausibility import RANGES
from tiercare.care.protocols import Protocol, ProtocolError, available_protocols, load_protocol
from tiercare.care.protocols.model import Text
from tiercare.core.context import zh_active
from tiercare.core.errors import DomainError
from tiercare.core.validation import validate_measured_at, validate_recent_date
from tiercare.network.models import Department, OrgStatus, Tier
from tiercare.network.widgets import DepartmentPicker

# The measurements a GP center records at a chronic-care visit, in the order of the paper form: blood pressure and
# pulse, glucose, body measures, lipids. A protocol's own items that are not here (e.g. temperature) follow.
MEASUREMENTS = (
    "sbp_mmhg",
    "dbp_mmhg",
    "heart_rate_bpm",
    "fasting_glucose_mmol_l",
    "hba1c_percent",
    "weight_kg",
    "height_cm",
    "waist_cm",
    "total_chol_mmol_l",
    "hdl_mmol_l",
    "ldl_mmol_l",
    "tg_mmol_l",
)
# Read in whole units on a cuff or a pulse count; the rest take decimals.
WHOLE_NUMBER_ITEMS = ("sbp_mmhg", "dbp_mmhg", "heart_rate_bpm")
# Recorded as yes / no / not asked: "not asked" must not be stored as "non-smoker" (it feeds the risk equation).
SMOKER = "smoker"
SYMPTOMS_ASKED = "symptoms_asked"
YES_NO = (("", "—"), ("yes", _("Yes")), ("no", _("No")))


def _english() -> bool:
    return not zh_active()


def in_language(text: Text) -> str:
    """The protocol text in the page's language (English, else zh-Hans)."""
    return text.en if _english() else text.zh


def program_name(code: str) -> str:
    """A program's name in the page's language, from its protocol; the code if the protocol is no longer shipped."""
    try:
        return in_language(load_protocol(code).name)
    except ProtocolError:
        return code


def protocol_or_none(code: str) -> Protocol | None:
    try:
        return load_protocol(code)
    except ProtocolError:
        return None


class EnrollmentForm(forms.Form):
    protocol_code = forms.ChoiceField(label=_("Program"))
    diagnosis_code = forms.CharField(
        label=_("Diagnosis (ICD-10)"),
        max_length=20,
        required=False,
        help_text=_("For example I10 or E11.9; a program admitted by risk needs none."),
    )
    enrolled_on = forms.DateField(
        label=_("Enrolled on"),
        validators=[validate_recent_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    schedule_from = forms.DateField(
        label=_("Intervals count from"),
        required=False,
        validators=[validate_recent_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For cancer survivorship: the end of treatment. Empty: the enrolment day."),
    )

    def __init__(self, *args: Any, exclude: Iterable[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "enrol")
        super().__init__(*args, **kwargs)
        taken = set(exclude)
        choices = []
        for code in available_protocols():
            protocol = protocol_or_none(code)
            if protocol is None or code in taken:
                continue
            codes = ", ".join(protocol.diagnosis_icd10_prefixes)
            name = in_language(protocol.name)
            choices.append((code, f"{name} · {codes}" if codes else name))
        cast(forms.ChoiceField, self.fields["protocol_code"]).choices = choices
        self.fields["enrolled_on"].initial = timezone.localdate()


class FollowUpForm(forms.Form):
    """One follow-up under ``protocol``: the measurements, the protocol's yes/no flags and its symptoms.

    Field names are the measurement keys of the API (``sbp_mmhg``, ``adverse_reaction``, …) under the prefix of the
    protocol's code, so that several programs' forms can share a page.
    """

    person_id = forms.UUIDField(widget=forms.HiddenInput)
    measured_at = forms.DateTimeField(
        label=_("Measured at"),
        validators=[validate_measured_at],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", protocol.code)
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        self.fields["measured_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        required = set(protocol.required_items)
        extra = [i for i in (*protocol.measured_items, *protocol.required_items) if i in RANGES]
        self.measurement_names = list(dict.fromkeys([*MEASUREMENTS, *extra]))
        for key in self.measurement_names:
            rng = RANGES[key]
            label = rng.label_en.capitalize() if _english() else rng.label_zh
            field_cls = forms.IntegerField if key in WHOLE_NUMBER_ITEMS else forms.FloatField
            attrs = {"inputmode": "numeric" if key in WHOLE_NUMBER_ITEMS else "decimal", "step": "any"}
            self.fields[key] = field_cls(
                label=f"{label} ({rng.unit if _english() else rng.unit_in_zh})",
                required=key in required,
                widget=forms.NumberInput(attrs=attrs),
            )
        smoker_flag = protocol.flags.get(SMOKER)
        self.fields[SMOKER] = forms.ChoiceField(
            label=in_language(smoker_flag.label) if smoker_flag else _("Current smoker"),
            choices=YES_NO,
            required=bool(smoker_flag and smoker_flag.required),
        )
        # Yes/no clinical questions start unanswered (no default): "not asked" is never stored as "no", and a
        # question the protocol requires is refused beside its field until answered.
        self.flag_names = [code for code in protocol.flags if code != SMOKER]
        for code in self.flag_names:
            self.fields[code] = forms.ChoiceField(
                label=in_language(protocol.flags[code].label),
                choices=YES_NO,
                required=protocol.flags[code].required,
            )
        if protocol.symptoms:
            self.fields[SYMPTOMS_ASKED] = forms.ChoiceField(
                label=_("Any of the symptoms below?"), choices=YES_NO, required=True
            )
        self.fields["symptoms"] = forms.MultipleChoiceField(
            label=_("Symptoms"),
            required=False,
            choices=[(code, in_language(text)) for code, text in protocol.symptoms.items()],
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["confirm_units"] = forms.BooleanField(
            label=_("I confirm the units of the values questioned above"), required=False
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        d = self.cleaned_data
        asked, ticked = d.get(SYMPTOMS_ASKED), d.get("symptoms") or []
        if asked == "yes" and not ticked:
            self.add_error("symptoms", _("Tick the symptoms reported, or answer no."))
        if asked == "no" and ticked:
            self.add_error("symptoms", _("Symptoms are ticked but the answer is no; correct one of them."))
        return d

    @property
    def measurement_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*self.measurement_names, SMOKER)]

    @property
    def flag_fields(self) -> list[forms.BoundField]:
        asked = [self[SYMPTOMS_ASKED]] if SYMPTOMS_ASKED in self.fields else []
        return [self[name] for name in self.flag_names] + asked

    def measurements(self) -> dict[str, Any]:
        """The follow-up's measurements as the API takes them: numbers given, each yes/no question only when
        answered (true or false; unanswered is absent, never false), the symptoms ticked when the question was
        answered."""
        d = self.cleaned_data
        out: dict[str, Any] = {k: d[k] for k in self.measurement_names if d.get(k) is not None}
        for code in (SMOKER, *self.flag_names):
            if d.get(code):
                out[code] = d[code] == "yes"
        if self.protocol.symptoms and d.get(SYMPTOMS_ASKED):
            out["symptoms"] = list(d.get("symptoms") or []) if d[SYMPTOMS_ASKED] == "yes" else []
        return out


class CallForm(forms.Form):
    """A call to a patient on the worklist; on the page each row's form has the enrolment's id as prefix."""

    # No default: an outcome the caller did not choose must never be stored (「同意就诊」 preselected was recorded for
    # calls that reached no one). The empty choice is refused beside the field.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("— choose the outcome —")), *OutreachOutcome.choices],
        widget=forms.Select(attrs={"aria-label": _("Outcome")}),
        error_messages={"required": _("Choose the outcome of the call.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Note"), "aria-label": _("Note")}),
    )


class SuggestionReferForm(forms.Form):
    """Make the referral a suggestion calls for (the API's ``care_suggestion_refer``); on the page each open
    suggestion's form has ``refer-<suggestion id>`` as prefix. Urgency is left to the service (emergency for an
    urgent suggestion, routine otherwise); the referrals service checks every field."""

    receiving_department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        label=_("Receiving department"),
        widget=DepartmentPicker(params={"tier": Tier.TERTIARY}),
    )
    diagnosis_text = forms.CharField(label=_("Diagnosis"), max_length=200)
    diagnosis_code = forms.CharField(label=_("Diagnosis code"), max_length=40, required=False)
    green_channel = forms.BooleanField(label=_("Green channel (reserved capacity)"), required=False)
    summary = forms.CharField(
        label=_("Summary of illness and tests"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, suggestion_id: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"refer-{suggestion_id}")
        super().__init__(*args, **kwargs)
        # Departments of tertiary hospitals (a referral up goes there), by hospital then department.
        departments = (
            Department.objects.filter(organization__tier=Tier.TERTIARY)
            .exclude(organization__status=OrgStatus.CLOSED)
            .select_related("organization")
            .order_by("organization__name", "name")
        )
        cast(forms.ModelChoiceField, self.fields["receiving_department"]).queryset = departments


class SuggestionDismissForm(forms.Form):
    """Decide not to refer (the API's ``care_suggestion_dismiss``); the reason is kept with the suggestion."""

    reason = forms.CharField(label=_("Reason for not referring"), max_length=300)

    def __init__(self, *args: Any, suggestion_id: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"dismiss-{suggestion_id}")
        super().__init__(*args, **kwargs)


def _strip_field(message: str, field: str) -> str:
    for sep in (": ", "："):
        if message.startswith(field + sep):
            return message[len(field) + len(sep) :]
    return message


def show_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a refused write's message next to the field it names, without the ``field:`` prefix the API keeps.

    Implausible measurements carry every problem with a zh-Hans and an English message: each goes next to its own
    field in the page's language (a computed BMI out of range goes above the form). Anything else naming no field
    of this form goes above the form.
    """
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = details.get("problems")
    if isinstance(problems, list) and problems:
        for p in problems:
            message = p.get("message") if _english() else p.get("message_zh") or p.get("message")
            form.add_error(p["field"] if p.get("field") in form.fields else None, message)
        return
    field = details.get("field")
    if isinstance(field, str) and field:
        form.add_error(field if field in form.fields else None, _strip_field(exc.message, field))
    else:
        form.add_error(None, exc.message)


class VoidForm(forms.Form):
    """Void a follow-up filed in error (the API's ``care_void``): the reason is required and kept with it."""

    reason = forms.CharField(label=_("Why is it void?"), max_length=200, widget=forms.TextInput(attrs={"size": 30}))

    def __init__(self, *args: Any, followup_id: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"void-{followup_id}")
        super().__init__(*args, **kwargs)


class MedicationForm(forms.Form):
    """Record a prescription (the API's ``care_prescribe``); the long-prescription rules are the service's, each
    refusal beside the field it names."""

    drug_name = forms.CharField(label=_("Medicine"), max_length=120)
    drug_class = forms.ChoiceField(label=_("Drug class"), choices=DrugClass.choices, initial=DrugClass.ORDINARY)
    dose = forms.CharField(label=_("Dose"), max_length=120, required=False)
    supply_days = forms.IntegerField(label=_("Days supplied"), min_value=1, max_value=366)
    prescribed_on = forms.DateField(
        label=_("Prescribed on"),
        validators=[validate_recent_date],
        widget=forms.DateInput(attrs={"type": "date", "placeholder": "YYYY-MM-DD"}, format="%Y-%m-%d"),
    )
    assessment = forms.CharField(
        label=_("Assessment (beyond 4 weeks)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    patient_confirmed = forms.BooleanField(label=_("The patient confirmed the long prescription"), required=False)
    tb_or_fungal = forms.BooleanField(label=_("For chronic tuberculosis or a fungal infection"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "rx")
        super().__init__(*args, **kwargs)


class TargetDecisionForm(forms.Form):
    """A GP center's decision on the hypertension target at 65 or more (the API's ``care_variant_decide`` for
    HTN-TARGET-65-150): who, when and why are kept; later follow-ups at the center are classified under it."""

    enabled = forms.TypedChoiceField(
        label=_("Target at 65 or more"),
        choices=[
            ("1", _("below 150/90 mmHg (the standard's age-specific target)")),
            ("0", _("below 140/90 mmHg at every age")),
        ],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Why (kept with the decision)"), max_length=500)

    def __init__(self, *args: Any, center_id: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"target-{center_id}")
        super().__init__(*args, **kwargs)
