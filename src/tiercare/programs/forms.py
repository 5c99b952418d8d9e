"""The programs pages' forms: an assessment built from the survey template (each item a field with its range, a
bad value refused beside its field with the input kept), a month's KPI actuals, a pipeline move, a department moved
into the pipeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercare.programs.definitions import Template, kpis, text
from tiercare.programs.models import Program, Stage, Workstream


class AssessmentForm(forms.Form):
    """One field per template item, labelled in the page's language; equipment against the specialty's set."""

    def __init__(self, *args: Any, template: Template, specialty: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections: list[tuple[str, list[str]]] = []
        for section in template.doc["sections"]:
            names = []
            for item in section["items"]:
                label = text(item["label"])
                field: forms.Field
                if item["kind"] == "int":
                    field = forms.IntegerField(label=label, min_value=item["min"], max_value=item["max"])
                elif item["kind"] == "choice":
                    field = forms.ChoiceField(label=label, choices=[(c[0], text(c[1])) for c in item["choices"]])
                else:
                    field = forms.MultipleChoiceField(
                        label=label,
                        required=False,
                        widget=forms.CheckboxSelectMultiple,
                        choices=[(e, template.equipment_label(e)) for e in template.minimum_set(specialty)],
                    )
                self.fields[item["code"]] = field
                names.append(item["code"])
            self.sections.append((text(section["title"]), names))

    def section_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[n] for n in names]) for title, names in self.sections]


class ActualsForm(forms.Form):
    """A month's actuals of the program's entered KPIs (derived ones come from outreach and are not asked)."""

    month = forms.ChoiceField(label=_("Month"))

    def __init__(self, *args: Any, program: Program, months: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        month = self.fields["month"]
        assert isinstance(month, forms.ChoiceField)
        month.choices = [(m.isoformat(), f"{m:%Y-%m}") for m in months]
        defs = kpis()
        for code in program.kpi_codes:
            kpi = defs.get(code)
            if kpi is None or kpi.derived:
                continue
            self.fields[code] = forms.DecimalField(
                label=f"{text(kpi.label)}（{text(kpi.unit)}）",
                required=False,
                min_value=0,
                max_digits=10,
                decimal_places=2,
            )

    def kpi_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n != "month"]


class MilestoneForm(forms.Form):
    """A new milestone of the plan."""

    workstream = forms.ChoiceField(label=_("Workstream"), choices=Workstream.choices)
    title = forms.CharField(label=_("Milestone"), max_length=200)
    owner = forms.CharField(label=_("Owner"), max_length=60)
    due_on = forms.DateField(label=_("Due"))


class TargetsForm(forms.Form):
    """A KPI's twelve monthly targets."""

    kpi = forms.ChoiceField(label=_("KPI"))

    def __init__(self, *args: Any, program: Program, months: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defs = kpis()
        kpi = self.fields["kpi"]
        assert isinstance(kpi, forms.ChoiceField)
        kpi.choices = [(c, text(defs[c].label)) for c in program.kpi_codes if c in defs]
        for i, m in enumerate(months):
            self.fields[f"m{i}"] = forms.DecimalField(
                label=f"{m:%Y-%m}", required=False, min_value=0, max_digits=10, decimal_places=2
            )

    def month_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n != "kpi"]

    def values(self) -> list[Any]:
        return [self.cleaned_data.get(n) for n in self.fields if n != "kpi"]


class MoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Next stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class EnrolForm(forms.Form):
    """Move a ranked department into the partner pipeline as a prospect."""

    department = forms.UUIDField(widget=forms.HiddenInput)


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class CourseForm(forms.Form):
    """A course on one item of the department's curriculum (三基三严 core items, then the specialty's)."""

    curriculum_item = forms.ChoiceField(label=_("Curriculum item"))
    title = forms.CharField(label=_("Course title (optional)"), max_length=120, required=False)
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), min_value=0, max_value=100, max_digits=5, decimal_places=2, initial=60
    )

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["curriculum_item"], items)


class CourseSessionForm(forms.Form):
    """A session of a course, optionally the outreach teaching session where the expert taught it."""

    course = forms.ChoiceField(label=_("Course"))
    held_on = forms.DateField(label=_("Held on"))
    teacher = forms.CharField(label=_("Teacher"), max_length=60)
    outreach_session = forms.ChoiceField(label=_("Outreach teaching session"), required=False)

    def __init__(
        self, *args: Any, courses: list[tuple[str, str]], teaching: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["course"], courses)
        _choices(self.fields["outreach_session"], [("", str(_("None"))), *teaching])


class AttendanceForm(forms.Form):
    """Who of the department's staff attended a session."""

    session = forms.ChoiceField(label=_("Session"))
    trainees = forms.MultipleChoiceField(label=_("Attended"), widget=forms.CheckboxSelectMultiple)

    def __init__(
        self, *args: Any, sessions: list[tuple[str, str]], staff: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["session"], sessions)
        _choices(self.fields["trainees"], staff)


class ScoreForm(forms.Form):
    """A trainee's score in a course's assessment."""

    course = forms.ChoiceField(label=_("Course"))
    trainee = forms.ChoiceField(label=_("Trainee"))
    score = forms.DecimalField(label=_("Score"), min_value=0, max_value=100, max_digits=5, decimal_places=2)
    taken_on = forms.DateField(label=_("Taken on"))

    def __init__(self, *args: Any, courses: list[tuple[str, str]], staff: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["course"], courses)
        _choices(self.fields["trainee"], staff)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file (PDF or image)"))


class XlsxForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class CampaignForm(forms.Form):
    """A new needs survey (operations): its name; the template is the current survey template."""

    name = forms.CharField(label=_("Survey name"), max_length=120)
