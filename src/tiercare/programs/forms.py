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
