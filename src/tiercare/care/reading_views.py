"""Home readings (issue 16, item 5): the patient's page to report a home blood pressure or glucose (mobile-first,
served under /consults/online/readings/ beside their online consultations), and the team's "handled" action on an
urgent reading of their worklist. Thin: the rules are ``services.home_reading_report`` / ``home_reading_handle``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tiercare.care import access, selectors, services
from tiercare.care.forms import program_name, show_domain_error
from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.errors import DomainError, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.models import Role


class ReadingForm(forms.Form):
    enrollment = forms.ChoiceField(label=_("Program"))
    measured_at = forms.DateTimeField(label=_("Measured at"))
    sbp_mmhg = forms.IntegerField(label=_("Systolic (mmHg)"), required=False)
    dbp_mmhg = forms.IntegerField(label=_("Diastolic (mmHg)"), required=False)
    heart_rate_bpm = forms.IntegerField(label=_("Heart rate (beats/min)"), required=False)
    fasting_glucose_mmol_l = forms.DecimalField(
        label=_("Fasting glucose (mmol/L)"), required=False, max_digits=5, decimal_places=1
    )
    random_glucose_mmol_l = forms.DecimalField(
        label=_("Random glucose (mmol/L)"), required=False, max_digits=5, decimal_places=1
    )
    confirm_units = forms.BooleanField(label=_("The units are right"), required=False)

    def __init__(self, *args: Any, enrollments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enrollments = {str(e.pk): e for e in enrollments}
        self.fields["enrollment"].choices = [  # type: ignore[attr-defined]
            (pk, f"{e.person.name} · {program_name(e.protocol_code)}") for pk, e in self.enrollments.items()
        ]
        if not self.is_bound:
            self.fields["measured_at"].initial = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def measurements(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("sbp_mmhg", "dbp_mmhg", "heart_rate_bpm", "fasting_glucose_mmol_l", "random_glucose_mmol_l"):
            value = self.cleaned_data.get(key)
            if value is not None:
                out[key] = float(value) if "glucose" in key else value
        return out


@login_required
def my_readings(request: AuthedRequest) -> HttpResponse:
    """Report a home reading (the patient, or their household proxy for a member) and see the latest ones."""
    require_role(request.user, Role.PATIENT)
    persons = list(selectors.person_list(for_user=request.user))
    enrollments = [e for p in persons for e in services.reading_enrollments(p)]
    form = ReadingForm(request.POST or None, enrollments=enrollments)
    saved = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.home_reading_report(
                by=request.user, enrollment=form.enrollments[d["enrollment"]], measured_at=d["measured_at"],
                measurements=form.measurements(), confirm_units=d["confirm_units"],
            )  # fmt: skip
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect(f"{request.path}?saved={saved.pk}")
    readings = [r for p in persons for r in selectors.home_readings(person=p)]
    readings.sort(key=lambda r: r.measured_at, reverse=True)
    audit_patient_read(
        actor=request.user, person_ids=[p.pk for p in persons], object_type="care.homereading", reason="own readings"
    )
    last = next((r for r in readings if str(r.pk) == request.GET.get("saved")), None)
    ctx = {"form": form, "readings": readings[:30], "last": last, "has_programs": bool(enrollments)}
    return render(request, "care/readings.html", ctx, status=422 if request.method == "POST" else 200)


class HandleForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=300)


@login_required
@require_POST
def reading_handle(request: AuthedRequest, reading_id: str) -> HttpResponse:
    """A team member marks an urgent home reading handled; it leaves the worklist."""
    require_role(request.user, *selectors.TEAM_ROLES)
    reading = access.access_home_reading(request.user, reading_id)
    form = HandleForm(request.POST)
    if form.is_valid():
        try:
            services.home_reading_handle(by=request.user, reading=reading, note=form.cleaned_data["note"])
        except DomainError as exc:
            show_domain_error(form, exc)
    if form.errors:  # the worklist row's one-field form: the message on the error page, nothing stored
        raise ValidationFailed(" ".join(str(m) for msgs in form.errors.values() for m in msgs))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/care/") else "care:index")
