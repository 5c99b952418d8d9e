"""Page forms for family-doctor contracts and teams: sign a contract, end it, build a team, assign a member.
Parsing only; the services (``care.services``, ``care.teams``) decide, and their refusals go beside the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercare.care.models import GpTeam, Package, TeamRole
from tiercare.care.services import add_years
from tiercare.care.teams import center_staff, managed_centers
from tiercare.core.validation import validate_clean_name, validate_plan_date, validate_recent_date
from tiercare.network.models import Organization, Practitioner
from tiercare.network.widgets import ExpertPicker
from tiercare.people.models import Household, Person


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "placeholder": "YYYY-MM-DD"}, format="%Y-%m-%d")


class ContractSignForm(forms.Form):
    team = forms.ModelChoiceField(queryset=GpTeam.objects.none(), label=_("Team"))
    package = forms.ChoiceField(label=_("Service package"), choices=Package.choices, initial=Package.BASIC)
    start = forms.DateField(label=_("Start"), widget=_date_widget(), validators=[validate_recent_date])
    end = forms.DateField(
        label=_("End"),
        widget=_date_widget(),
        validators=[validate_plan_date],
        help_text=_("At least one year after the start."),
    )
    persons = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), label=_("Members covered"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, household: Household, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.queryset = teams.filter(center_id=household.registered_at_id, active=True)
        if team_field.queryset.count() == 1:
            team_field.initial = team_field.queryset.first().pk
        members = Person.objects.filter(
            membership__household=household, deceased_on__isnull=True, moved_away_on__isnull=True
        ).order_by("created_at")
        persons: Any = self.fields["persons"]
        persons.queryset = members
        persons.initial = [p.pk for p in members]
        today = timezone.localdate()
        self.fields["start"].initial = today
        self.fields["end"].initial = add_years(today, 1) - timedelta(days=1)

    def clean_end(self) -> Any:
        end = self.cleaned_data["end"]
        if end and end < timezone.localdate():
            raise forms.ValidationError(_("The end lies in the past: a contract runs from today on."))
        return end


class ContractEndForm(forms.Form):
    reason = forms.CharField(label=_("Why the contract ends"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)


class TeamForm(forms.Form):
    center = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("GP center"))
    name = forms.CharField(label=_("Team name"), max_length=80, validators=[validate_clean_name])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = managed_centers(user)  # type: ignore[attr-defined]


class TeamMemberForm(forms.Form):
    practitioner: forms.ModelChoiceField[Practitioner] = forms.ModelChoiceField(
        queryset=None, label=_("GP, nurse or health manager"), widget=ExpertPicker()
    )
    role = forms.ChoiceField(label=_("Role in the team"), choices=TeamRole.choices)
    hours_per_week = forms.DecimalField(
        label=_("Hours a week for the team"), min_value=1, max_value=60, decimal_places=1, initial=40
    )
    center_lead = forms.BooleanField(label=_("Lead of the center"), required=False)

    def __init__(self, *args: Any, team: GpTeam, can_name_lead: bool, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "member")
        super().__init__(*args, **kwargs)
        field: Any = self.fields["practitioner"]
        field.queryset = center_staff(team.center)
        field.widget.params = {"center": str(team.center_id)}  # the search offers the center's staff only
        if not can_name_lead:
            del self.fields["center_lead"]
