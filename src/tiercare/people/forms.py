"""Page forms of the people app: register a household and its members, move a member, record a death or a move
away, record and withdraw a consent. Parsing only: the services decide, and a refusal goes next to the field it
names (``care.forms.show_domain_error``'s rule, here ``show_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.core.errors import DomainError
from tiercare.core.validation import validate_birth_date, validate_clean_name, validate_recent_date
from tiercare.network.models import Organization, OrgKind
from tiercare.network.selectors import user_organization_ids
from tiercare.people.identity import ID_KIND_CHOICES
from tiercare.people.models import CONSENT_PURPOSES, ConsentMethod, ConsentSigner, Household, Relation, Sex
from tiercare.people.selectors import household_list
from tiercare.people.widgets import HouseholdPicker

DATE = {"type": "date"}


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={**DATE, "placeholder": "YYYY-MM-DD"}, format="%Y-%m-%d")


class HouseholdForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=80, validators=[validate_clean_name])
    registered_at = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Registered at"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["registered_at"]
        field.queryset = (
            (
                Organization.objects.all()
                if user.role == "admin"
                else Organization.objects.filter(pk__in=user_organization_ids(user))
            )
            .exclude(kind=OrgKind.DOCTOR_GROUP)
            .order_by("name")
        )
        if field.queryset.count() == 1:
            field.initial = field.queryset.first().pk


class MemberForm(forms.Form):
    """A new member of a household; the ID number is checked (GB 11643 check character, birth date, sex) by the
    service, and a number already registered is refused without saying whose it is."""

    name = forms.CharField(label=_("Name"), max_length=60, validators=[validate_clean_name])
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Relation.choices, initial=Relation.HEAD)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), (Sex.MALE, Sex.MALE.label), (Sex.FEMALE, Sex.FEMALE.label)], required=False
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=_date_widget(),
        validators=[validate_birth_date],
        help_text=_("Empty: taken from the resident ID number."),
    )
    id_kind = forms.ChoiceField(label=_("ID document"), choices=ID_KIND_CHOICES, initial="resident_id")
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        data = {"name": d["name"], "sex": d["sex"] or "0", "phone": d["phone"], "address": d["address"]}
        if d.get("birth_date"):
            data["birth_date"] = d["birth_date"]
        return data


class MoveForm(forms.Form):
    household: forms.ModelChoiceField[Household] = forms.ModelChoiceField(
        queryset=None, label=_("Move to household"), widget=HouseholdPicker()
    )
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Relation.choices, initial=Relation.OTHER)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = household_list(for_user=user)  # type: ignore[attr-defined]


class LeaveForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What happened"), choices=[("death", _("Died")), ("moved_away", _("Moved away from the area"))]
    )
    on = forms.DateField(label=_("On"), widget=_date_widget(), validators=[validate_recent_date])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "leave")
        super().__init__(*args, **kwargs)

    def clean_on(self) -> Any:
        on = self.cleaned_data["on"]
        if on and on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot lie in the future."))
        return on


class ConsentForm(forms.Form):
    """One consent: purpose, signer, how it was given (with its evidence), the day signed and the last valid day."""

    purpose = forms.ChoiceField(label=_("Consent to"), choices=[(p.value, p.label) for p in CONSENT_PURPOSES])
    signer = forms.ChoiceField(
        label=_("Signed by"), choices=ConsentSigner.choices, initial=ConsentSigner.PATIENT, widget=forms.RadioSelect
    )
    given_by = forms.CharField(label=_("Name of the guardian or proxy"), max_length=60, required=False)
    signer_relation = forms.CharField(
        label=_("Their relationship to the patient"),
        max_length=30,
        required=False,
        help_text=_("For example: mother, son, legal guardian."),
    )
    method = forms.ChoiceField(label=_("How it was given"), choices=ConsentMethod.choices, widget=forms.RadioSelect)
    document = forms.FileField(label=_("Scan or photo of the signed form (PDF or image, ≤ 20 MB)"), required=False)
    signature = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-signature-input": ""}), max_length=700_000
    )
    phone = forms.CharField(label=_("Mobile number for the code"), max_length=20, required=False)
    sms_code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=_date_widget())
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=_date_widget(), help_text=_("Empty: until withdrawn.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signed_on"].initial = timezone.localdate()


class ContactForm(forms.Form):
    """Correct a person's name, mobile phone or address (the API's ``update_person``, those fields only): the phone
    is checked by the service; the ID number is not changed here."""

    name = forms.CharField(label=_("Name"), max_length=60, validators=[validate_clean_name])
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)


class HouseholdEditForm(forms.Form):
    """Rename a household or correct its address (the API's ``update_household``, those fields only)."""

    name = forms.CharField(label=_("Household name"), max_length=80, validators=[validate_clean_name])
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "edit")
        super().__init__(*args, **kwargs)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why the consent is withdrawn"), max_length=300)


def _strip_field(message: str, field: str) -> str:
    for sep in (": ", "："):
        if message.startswith(field + sep):
            return message[len(field) + len(sep) :]
    return message


def show_error(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """A refused write's message next to the field it names (``aliases`` maps the service's field name to the
    form's), without the ``field:`` prefix the API keeps; else above the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    field = details.get("field")
    if isinstance(field, str) and field:
        target = (aliases or {}).get(field, field)
        form.add_error(target if target in form.fields else None, _strip_field(exc.message, field))
    else:
        form.add_error(None, exc.message)
