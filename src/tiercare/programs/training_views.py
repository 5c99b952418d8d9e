"""The training pages of a program: the curriculum's courses and their sessions, attendance and assessment scores
(recorded by the hospital's coordinator, operations or the lead expert; courses added by plan editors), a trainee's
record, and the certificate of a passed assessment as PDF. Everyone who may see the program reads them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercare.care.forms import show_domain_error
from tiercare.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.core.pdf import pdf_response, render_pdf_template
from tiercare.programs import selectors, services
from tiercare.programs.access import (
    access_course_by_id,
    access_course_session_by_id,
    access_program_by_id,
    access_score_by_id,
    access_teaching_session_by_id,
    access_trainee_by_id,
)
from tiercare.programs.forms import AttendanceForm, CourseForm, CourseSessionForm, ScoreForm
from tiercare.programs.models import Program


def _forms(program: Program, action: str | None, data: Any) -> dict[str, forms.Form]:
    labels = selectors.curriculum_labels(program)
    courses = list(program.courses.all())
    taken = {c.curriculum_item for c in courses}
    course_choices = [(str(c.pk), c.title) for c in courses]
    staff = [(str(p.pk), p.name) for p in selectors.department_staff(program.department)]
    sessions = [(str(s.pk), f"{s.held_on:%Y-%m-%d} {s.course.title}") for s in selectors.course_sessions(program)]
    teaching = [(str(s.pk), f"{s.date:%Y-%m-%d} {s.expert.name}") for s in selectors.teaching_sessions(program)[:50]]

    def bound(name: str) -> Any:
        return data if action == name else None

    return {
        "course": CourseForm(bound("course"), prefix="c", items=[(k, v) for k, v in labels.items() if k not in taken]),
        "session": CourseSessionForm(bound("session"), prefix="s", courses=course_choices, teaching=teaching),
        "attendance": AttendanceForm(bound("attendance"), prefix="a", sessions=sessions, staff=staff),
        "score": ScoreForm(bound("score"), prefix="x", courses=course_choices, staff=staff),
    }


def _write(request: AuthedRequest, program: Program, action: str, form: forms.Form) -> None:
    """Resolve the form's ids for the user (404 otherwise) and call the service."""
    d = form.cleaned_data
    if action == "course":
        services.course_add(
            by=request.user,
            program=program,
            curriculum_item=d["curriculum_item"],
            title=d["title"],
            pass_mark=d["pass_mark"],
        )
    elif action == "session":
        outreach = (
            access_teaching_session_by_id(request.user, program, d["outreach_session"])
            if d["outreach_session"]
            else None
        )
        services.course_session_add(
            by=request.user,
            course=access_course_by_id(request.user, program, d["course"]),
            held_on=d["held_on"],
            teacher=d["teacher"],
            outreach_session=outreach,
        )
    elif action == "attendance":
        services.attendance_record(
            by=request.user,
            session=access_course_session_by_id(request.user, program, d["session"]),
            trainees=[access_trainee_by_id(request.user, program, t) for t in d["trainees"]],
        )
    elif action == "score":
        services.score_record(
            by=request.user,
            course=access_course_by_id(request.user, program, d["course"]),
            trainee=access_trainee_by_id(request.user, program, d["trainee"]),
            score=d["score"],
            taken_on=d["taken_on"],
        )


@login_required
@require_http_methods(["GET", "POST"])
def training(request: AuthedRequest, program_id: str) -> HttpResponse:
    """The program's training: courses of the curriculum, sessions (with the outreach teaching session where the
    expert taught), the staff's attendance, passes and what they owe, and the completion rate. Forms for those who
    record training; a bad value is refused beside its field with the input kept."""
    program = access_program_by_id(request.user, program_id)
    action = request.POST.get("action") if request.method == "POST" else None
    can_record = selectors.may_record_training(request.user, program)
    can_plan = selectors.may_edit_plan(request.user, program)
    if request.method == "POST":
        if action not in ("course", "session", "attendance", "score"):
            raise NotFound(_("No such form."))
        if not (can_plan if action == "course" else can_record):
            raise Forbidden(_("Only the hospital's coordinator, operations and the lead expert record training."))
    all_forms = _forms(program, action, request.POST)
    if action is not None:
        form = all_forms[action]
        if form.is_valid():
            try:
                _write(request, program, action, form)
            except (ValidationFailed, Conflict) as exc:
                show_domain_error(form, exc)
            else:
                return redirect("programs:training", program_id=program.pk)
    labels = selectors.curriculum_labels(program)
    context = {
        "program": program,
        "courses": [(c, labels.get(c.curriculum_item, c.curriculum_item)) for c in program.courses.all()],
        "sessions": selectors.course_sessions(program).prefetch_related("attendance"),
        "staff": selectors.training_overview(program),
        "completion": selectors.training_completion(program),
        "forms": all_forms,
        "can_record": can_record,
        "can_plan": can_plan,
    }
    return render(request, "programs/training.html", context, status=422 if action else 200)


@login_required
@require_GET
def trainee(request: AuthedRequest, program_id: str, trainee_id: str) -> HttpResponse:
    """A trainee's record in the program: per course, sessions attended of those held, the best score, passed or
    owed, and the certificate of each passed assessment."""
    program = access_program_by_id(request.user, program_id)
    person = access_trainee_by_id(request.user, program, trainee_id)
    records = selectors.trainee_record(program, person)
    context = {
        "program": program,
        "trainee": person,
        "records": records,
        "owed": sum(1 for r in records if r.owed),
    }
    return render(request, "programs/trainee.html", context)


@login_required
@require_GET
def certificate(request: AuthedRequest, program_id: str, score_id: str) -> HttpResponse:
    """The certificate of a passed assessment as PDF (a score below the pass mark has none: 404)."""
    program = access_program_by_id(request.user, program_id)
    score = access_score_by_id(request.user, program, score_id)
    if not score.passed:
        raise NotFound(_("This assessment was not passed; there is no certificate."))
    labels = selectors.curriculum_labels(program)
    context = {
        "program": program,
        "score": score,
        "item": labels.get(score.course.curriculum_item, ""),
        "hospital": program.department.organization.name,
    }
    pdf = render_pdf_template("programs/certificate_pdf.html", context, request=request)
    return pdf_response(
        pdf, _("Certificate %(name)s %(course)s.pdf") % {"name": score.trainee.name, "course": score.course.title}
    )
