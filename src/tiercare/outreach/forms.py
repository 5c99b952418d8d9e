"""Page forms of outreach: plan a horizon, adjust a proposal, request sessions, book, move or cancel a session, the
expert's answer, availability and leave, and the session report.

Parsing only: the services decide. A service's refusal goes next to the field it names (``show_domain_error``), in
the page's language and without the API's ``field:`` prefix; experts are chosen from ``selectors.expert_choices``
(the access rule), departments from the user's own partner departments.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercare.core.errors import DomainError
from tiercare.core.models import Role, User
from tiercare.core.validation import validate_plan_date
from tiercare.network.models import Department
from tiercare.network.selectors import user_organization_ids
from tiercare.outreach.models import Cadence, HalfDay, LeaveKind, SessionKind
from tiercare.outreach.selectors import expert_choices
from tiercare.people.widgets import PersonPicker

WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"))
SURGERY_GRADES = (
    ("", "—"),
    ("1", _("Grade 1 surgery")),
    ("2", _("Grade 2 surgery")),
    ("3", _("Grade 3 surgery")),
    ("4", _("Grade 4 surgery")),
)
MAX_ATTENDEES = 200


def _date_input() -> forms.DateInput:
    """A browser date picker; its value is ISO whatever the language (zh-Hans would render 2026/12/14)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _strip_field(message: str, field: str) -> str:
    for sep in (": ", "："):
        if message.startswith(field + sep):
            return message[len(field) + len(sep) :]
    return message


def show_domain_error(form: forms.Form, exc: DomainError, rename: dict[str, str] | None = None) -> None:
    """Put a refused write's message next to the field it names (``rename`` maps a service's field to the form's),
    without the ``field:`` prefix; a placement's broken rules each as a message above the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = details.get("problems")
    if isinstance(problems, list) and problems:
        for p in problems:
            form.add_error(None, str(p.get("message", "")))
        return
    field = details.get("field")
    if isinstance(field, str) and field:
        target = (rename or {}).get(field, field)
        form.add_error(target if target in form.fields else None, _strip_field(str(exc.message), field))
    else:
        form.add_error(None, str(exc.message))


class ExpertField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_title_display()}" if obj.title else obj.name


def _expert_field(user: User, *, required: bool = True) -> ExpertField:
    return ExpertField(label=_("Expert"), queryset=expert_choices(for_user=user), required=required, empty_label="—")


class PlanForm(forms.Form):
    start = forms.DateField(
        validators=[validate_plan_date], label=pgettext_lazy("date range", "From"), widget=_date_input()
    )
    weeks = forms.IntegerField(label=_("Weeks"), min_value=1, max_value=12, initial=4)
    seconds = forms.FloatField(label=_("Seconds"), min_value=0.5, max_value=60, initial=5)
    replan = forms.BooleanField(
        label=_("Re-plan the confirmed sessions too (after leave or a decline)"), required=False
    )

    def clean_start(self) -> Any:
        start = self.cleaned_data["start"]
        if start < timezone.localdate():
            raise forms.ValidationError(_("The plan cannot start in the past."))
        return start


class ExpertPickForm(forms.Form):
    """Operations choose whose calendar, availability or leave to see (GET ``?expert=``)."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"] = _expert_field(user)


class MoveAssignmentForm(forms.Form):
    date = forms.DateField(validators=[validate_plan_date], label=_("Date"), required=False, widget=_date_input())
    half_day = forms.ChoiceField(label=_("Half-day"), choices=[("", "—"), *HalfDay.choices], required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"] = _expert_field(user, required=False)


class RequestForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), empty_label="—")
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    cadence = forms.ChoiceField(label=_("Cadence"), choices=Cadence.choices)
    window_start = forms.DateField(
        validators=[validate_plan_date], label=pgettext_lazy("date range", "From"), widget=_date_input()
    )
    window_end = forms.DateField(
        validators=[validate_plan_date], label=pgettext_lazy("date range", "To"), widget=_date_input()
    )
    places = forms.IntegerField(label=_("Places"), min_value=1, max_value=200, initial=10)
    priority = forms.IntegerField(label=pgettext_lazy("request rank", "Priority"), min_value=1, max_value=3, initial=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Department.objects.filter(partnerships__isnull=False).distinct().select_related("organization")
        if user.role == Role.COORDINATOR:
            qs = qs.filter(organization_id__in=user_organization_ids(user))
        elif user.role not in (Role.OPS, Role.ADMIN):
            qs = qs.none()
        self.fields["department"].queryset = qs.order_by("organization__name", "name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            self.add_error("window_end", _("The window ends before it starts."))
        elif end and end < timezone.localdate():
            self.add_error("window_end", _("The window is in the past."))
        return data


class BookForm(forms.Form):
    person = forms.UUIDField(label=_("Patient"), widget=PersonPicker())  # resolved by access_person_by_id
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class SessionChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    date = forms.DateField(validators=[validate_plan_date], label=_("New date"), required=False, widget=_date_input())
    half_day = forms.ChoiceField(label=_("Half-day"), choices=[("", "—"), *HalfDay.choices], required=False)

    def __init__(self, *args: Any, action: str = "cancel", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.action == "move":
            if not data.get("date") and "date" not in self.errors:
                self.add_error("date", _("Give the new date."))
            if not data.get("half_day"):
                self.add_error("half_day", _("Choose the half-day."))
        return data


class AnswerForm(forms.Form):
    """The expert accepts a session, or declines it with a reason (operations are asked to re-plan)."""

    reason = forms.CharField(label=_("Reason for declining"), max_length=300, required=False)

    def __init__(self, *args: Any, accept: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accept = accept

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.accept and not (data.get("reason") or "").strip() and "reason" not in self.errors:
            self.add_error("reason", _("Say why you decline, so that operations can re-plan."))
        return data


class AvailabilityForm(forms.Form):
    half_days = forms.MultipleChoiceField(
        label=_("Half-days I can travel"),
        choices=[(f"{w}{h}", f"{WEEKDAYS[w]} {label}") for w in range(5) for h, label in HalfDay.choices],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    weekly_limit = forms.IntegerField(label=_("Sessions per week at most"), min_value=0, max_value=10, initial=3)
    home_city = forms.CharField(label=_("Home city"), max_length=40, required=False)

    def half_day_pairs(self) -> list[tuple[int, str]]:
        return [(int(v[0]), v[1:]) for v in self.cleaned_data["half_days"]]


class LeaveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LeaveKind.choices)
    start = forms.DateField(
        validators=[validate_plan_date], label=pgettext_lazy("date range", "From"), widget=_date_input()
    )
    end = forms.DateField(
        validators=[validate_plan_date], label=pgettext_lazy("date range", "To"), widget=_date_input()
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last day is before the first."))
        elif end and end < timezone.localdate():
            self.add_error("end", _("This leave is over; enter leave from today on."))
        return data


class ProcedureRowForm(forms.Form):
    procedure = forms.CharField(label=_("Procedure or service"), max_length=100, required=False)
    cases = forms.IntegerField(label=_("Cases"), min_value=1, max_value=1000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("procedure") and not data.get("cases") and "cases" not in self.errors:
            self.add_error("cases", _("How many cases?"))
        if data.get("cases") and not data.get("procedure"):
            self.add_error("procedure", _("Name the procedure."))
        return data


class SurgeryRowForm(forms.Form):
    procedure = forms.CharField(label=_("Operation"), max_length=100, required=False)
    grade = forms.TypedChoiceField(label=_("Surgery grade"), choices=SURGERY_GRADES, coerce=int, required=False)
    count = forms.IntegerField(label=_("Number"), min_value=1, max_value=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("procedure"):
            if not data.get("grade") and "grade" not in self.errors:
                self.add_error("grade", _("Choose the surgery grade (1–4)."))
        elif data.get("grade") or data.get("count"):
            self.add_error("procedure", _("Name the operation."))
        return data


ProcedureFormSet = forms.formset_factory(ProcedureRowForm, extra=4, max_num=30)
SurgeryFormSet = forms.formset_factory(SurgeryRowForm, extra=3, max_num=30)

_SPLIT = re.compile(r"[\s,，、;；]+")


class ReportForm(forms.Form):
    cases_seen = forms.IntegerField(label=_("Cases seen"), min_value=0, max_value=1000)
    referred = forms.IntegerField(label=_("Patients referred up"), min_value=0, max_value=1000, initial=0)
    teaching_topic = forms.CharField(label=_("Teaching topic"), max_length=200, required=False)
    attendees = forms.CharField(
        label=_("Attendees, one per line: name and role"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("e.g. 王丽 护士")}),
    )
    complications = forms.CharField(label=_("Complications"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_attendees(self) -> list[dict[str, str]]:
        out = []
        for number, line in enumerate((self.cleaned_data.get("attendees") or "").splitlines(), start=1):
            parts = [p for p in _SPLIT.split(line.strip()) if p]
            if not parts:
                continue
            name, role = parts[0], " ".join(parts[1:])
            if len(name) > 40 or len(role) > 60:
                raise forms.ValidationError(_("Line %(n)s: a name or role is too long.") % {"n": number})
            out.append({"name": name, "role": role})
        if len(out) > MAX_ATTENDEES:
            raise forms.ValidationError(_("At most %(n)s attendees.") % {"n": MAX_ATTENDEES})
        return out

    def report_data(self, procedures: Any, surgeries: Any) -> dict[str, Any]:
        d = self.cleaned_data
        rows = [r for r in (f.cleaned_data for f in procedures.forms) if r.get("procedure")]
        ops = [r for r in (f.cleaned_data for f in surgeries.forms) if r.get("procedure")]
        return {
            "cases_seen": d["cases_seen"],
            "referred": d["referred"] or 0,
            "teaching_topic": d["teaching_topic"],
            "attendee_list": d["attendees"],
            "attendees": len(d["attendees"]),
            "complications": d["complications"],
            "notes": d["notes"],
            "procedure_cases": [{"procedure": r["procedure"], "cases": r["cases"]} for r in rows],
            "procedures": [r["procedure"] for r in rows] + [s["procedure"] for s in ops],
            "surgeries": [
                {"procedure": s["procedure"], "grade": s["grade"], "count": s.get("count") or 1} for s in ops
            ],
        }
