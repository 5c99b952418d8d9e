"""Page forms of outreach."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.outreach.models import Cadence, HalfDay, SessionKind
from tiercare.people.widgets import PersonPicker


class PlanForm(forms.Form):
    start = forms.DateField(label=_("From"))
    weeks = forms.IntegerField(label=_("Weeks"), min_value=1, max_value=12, initial=4)
    seconds = forms.FloatField(label=_("Seconds"), min_value=0.5, max_value=60, initial=5)


class MoveAssignmentForm(forms.Form):
    expert = forms.UUIDField(label=_("Expert"), required=False)
    date = forms.DateField(label=_("Date"), required=False)
    half_day = forms.ChoiceField(label=_("Half-day"), choices=[("", "—"), *HalfDay.choices], required=False)


class RequestForm(forms.Form):
    department = forms.UUIDField(label=_("Department"))
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    cadence = forms.ChoiceField(label=_("Cadence"), choices=Cadence.choices)
    window_start = forms.DateField(label=_("From"))
    window_end = forms.DateField(label=_("To"))
    places = forms.IntegerField(label=_("Places"), min_value=1, max_value=200, initial=10)
    priority = forms.IntegerField(label=_("Priority"), min_value=1, max_value=3, initial=2)


class BookForm(forms.Form):
    person = forms.UUIDField(label=_("Patient"), widget=PersonPicker())  # resolved by access_person_by_id
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class SessionChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    date = forms.DateField(label=_("New date"), required=False)
    half_day = forms.ChoiceField(label=_("Half-day"), choices=HalfDay.choices, required=False)
