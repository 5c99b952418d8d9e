"""The programs pages: the list of programs a user may see, a program (KPI charts, milestones, a traffic light,
the pipeline), a month's actuals, a department's assessment and a survey campaign's ranking. Ids from outside go
through ``programs.access``; writes through ``programs.services``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercare.care.forms import show_domain_error
from tiercare.core.access import require_role
from tiercare.core.audit import audit_record
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.files import attachment_response
from tiercare.core.http import AuthedRequest
from tiercare.core.models import AuditAction, Role
from tiercare.core.pdf import pdf_response, render_pdf_template
from tiercare.network.excel import XLSX_CONTENT_TYPE
from tiercare.programs import rules, selectors, services, sheets
from tiercare.programs.access import (
    access_campaign_by_id,
    access_department_to_assess,
    access_evidence_by_id,
    access_milestone_by_id,
    access_program_by_id,
)
from tiercare.programs.definitions import load_template, text
from tiercare.programs.evaluation import SOURCE_WORDS, Evaluation, program_evaluation
from tiercare.programs.evaluation import evaluation_xlsx as build_evaluation_xlsx
from tiercare.programs.forms import (
    ActualsForm,
    AssessmentForm,
    CampaignForm,
    EnrolForm,
    EvidenceForm,
    MilestoneForm,
    MoveForm,
    TargetsForm,
    XlsxForm,
)
from tiercare.programs.models import Program, Stage, SurveyCampaign

LIGHT_WORDS = {
    "green": gettext_lazy("On target"),
    "amber": gettext_lazy("Close to target"),
    "red": gettext_lazy("Behind target"),
    "grey": gettext_lazy("No figures yet"),
}


@login_required
def program_list(request: AuthedRequest) -> HttpResponse:
    """The programs the user may see, with their stage; survey campaigns for those who read them."""
    programs = selectors.program_list(for_user=request.user)
    campaigns = SurveyCampaign.objects.all() if request.user.role in selectors.ALL_SEEING else []
    context = {
        "programs": programs,
        "campaigns": campaigns,
        "to_assess": selectors.departments_to_assess(request.user),
        "can_survey": request.user.role in selectors.PLAN_EDITORS,
        "campaign_form": CampaignForm(),
    }
    return render(request, "programs/list.html", context)


@login_required
@require_POST
def campaign_new(request: AuthedRequest) -> HttpResponse:
    """Start a needs survey (operations); its departments are assessed from the survey's page and the assessment
    pages. A name already used is refused beside the field."""
    require_role(request.user, *selectors.PLAN_EDITORS)
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            camp = services.campaign_create(by=request.user, name=form.cleaned_data["name"])
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            return redirect("programs:campaign", campaign_id=camp.pk)
    context = {
        "programs": selectors.program_list(for_user=request.user),
        "campaigns": SurveyCampaign.objects.all(),
        "to_assess": [],
        "can_survey": True,
        "campaign_form": form,
    }
    return render(request, "programs/list.html", context, status=422)


def _overall(lights: list[str], late: int) -> str:
    if "red" in lights or late > 1:
        return "red"
    if "amber" in lights or late == 1:
        return "amber"
    return "green" if "green" in lights else "grey"


def _program_context(request: AuthedRequest, program: Program) -> dict[str, Any]:
    today = timezone.localdate()
    series = selectors.kpi_series(program, until=today)
    chart: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for s in series:
        light = s.light(today)
        chart[s.kpi.code] = {
            "title": f"{text(s.kpi.label)}（{text(s.kpi.unit)}）",
            "months": [f"{p.month:%Y-%m}" for p in s.points],
            "target": [float(p.target) if p.target is not None else None for p in s.points],
            "actual": [float(p.actual) if p.actual is not None else None for p in s.points],
            "labels": {"target": _("Target"), "actual": _("Actual")},
        }
        source = str(SOURCE_WORDS[selectors.kpi_source(s.kpi)])
        rows.append(
            {
                "series": s,
                "label": text(s.kpi.label),
                "light": light,
                "light_word": str(LIGHT_WORDS[light]),
                "source": source,
            }
        )
    milestones = list(program.milestones.prefetch_related("evidence"))
    late = [m for m in milestones if m.done_on is None and m.due_on < today]
    overall = _overall([str(r["light"]) for r in rows], len(late))
    return {
        "program": program,
        "rows": rows,
        "chart": chart,
        "milestones": milestones,
        "late_ids": {m.pk for m in late},
        "today": today,
        "overall": overall,
        "overall_word": str(LIGHT_WORDS[overall]),
        "transitions": program.transitions.select_related("by"),
        "moves": [(s, Stage(s).label) for s in rules.legal_moves(program.stage)],
        "can_move": request.user.role in selectors.PLAN_EDITORS,
        "can_edit": selectors.may_edit_plan(request.user, program),
        "can_enter": selectors.may_enter_actuals(request.user, program),
        "move_form": MoveForm(),
        "can_attach": selectors.may_record_training(request.user, program),
        "evidence_form": EvidenceForm(),
        "evidence_for": None,
    }


@login_required
def program_detail(request: AuthedRequest, program_id: str) -> HttpResponse:
    """A program at a glance: a traffic light, target vs actual per KPI (charts and table, each value's source),
    milestones late or done, the pipeline's moves."""
    program = access_program_by_id(request.user, program_id)
    return render(request, "programs/program.html", _program_context(request, program))


@login_required
@require_POST
def program_move(request: AuthedRequest, program_id: str) -> HttpResponse:
    """Move the program to a next stage (operations); only legal moves are accepted, ending needs a reason."""
    program = access_program_by_id(request.user, program_id)
    require_role(request.user, *selectors.PLAN_EDITORS)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.program_move(
                by=request.user, program=program, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"]
            )
        except (ValidationFailed, Conflict) as exc:
            show_domain_error(form, exc)
        else:
            return redirect("programs:program", program_id=program.pk)
    context = _program_context(request, program)
    context["move_form"] = form
    return render(request, "programs/program.html", context, status=422)


@login_required
@require_POST
def milestone_done(request: AuthedRequest, program_id: str, milestone_id: str) -> HttpResponse:
    """Mark a milestone done today (operations, the lead expert)."""
    program = access_program_by_id(request.user, program_id)
    milestone = access_milestone_by_id(request.user, program, milestone_id)
    services.milestone_done(by=request.user, milestone=milestone)
    return redirect("programs:program", program_id=program.pk)


@login_required
@require_http_methods(["GET", "POST"])
def actuals(request: AuthedRequest, program_id: str) -> HttpResponse:
    """A month's actuals, entered by a coordinator of the program's hospital; a bad value is refused beside its
    field with the input kept."""
    program = access_program_by_id(request.user, program_id)
    require_role(request.user, Role.COORDINATOR)
    today = timezone.localdate()
    months = [m for m in selectors.program_months(program) if m <= today]
    form = ActualsForm(request.POST or None, program=program, months=months)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            month = date.fromisoformat(data.pop("month"))
            try:
                services.kpi_actuals_enter(by=request.user, program=program, month=month, values=data)
            except ValidationFailed as exc:
                show_domain_error(form, exc)
            else:
                return redirect("programs:program", program_id=program.pk)
        status = 422
    context = {"program": program, "form": form, "upload_form": XlsxForm()}
    return render(request, "programs/actuals.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: AuthedRequest, program_id: str) -> HttpResponse:
    """Edit the plan (operations, the lead expert): add a milestone, set a KPI's monthly targets. Anyone else who
    may see the program gets 403."""
    program = access_program_by_id(request.user, program_id)
    if not selectors.may_edit_plan(request.user, program):
        raise Forbidden(_("Only operations and the program's lead expert edit the plan."))
    months = selectors.program_months(program)
    action = request.POST.get("action")
    milestone_form = MilestoneForm(request.POST if action == "milestone" else None, prefix="ms")
    targets_form = TargetsForm(request.POST if action == "targets" else None, program=program, months=months)
    if request.method == "POST":
        try:
            if action == "milestone" and milestone_form.is_valid():
                services.milestone_add(by=request.user, program=program, **milestone_form.cleaned_data)
                return redirect("programs:program", program_id=program.pk)
            if action == "targets" and targets_form.is_valid():
                services.kpi_targets_set(
                    by=request.user,
                    program=program,
                    kpi=targets_form.cleaned_data["kpi"],
                    values=targets_form.values(),
                )
                return redirect("programs:program", program_id=program.pk)
        except ValidationFailed as exc:
            show_domain_error(milestone_form if action == "milestone" else targets_form, exc)
    context = {"program": program, "milestone_form": milestone_form, "targets_form": targets_form}
    return render(request, "programs/plan.html", context, status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def assess(request: AuthedRequest, department_id: str) -> HttpResponse:
    """A department's needs assessment (operations, visiting experts; a coordinator for their hospital), into a
    survey campaign when ``?campaign=`` names one."""
    department = access_department_to_assess(request.user, department_id)
    campaign_id = request.GET.get("campaign")
    campaign = access_campaign_by_id(request.user, campaign_id) if campaign_id else None
    template = load_template(campaign.template_code if campaign else "department_survey")
    form = AssessmentForm(request.POST or None, template=template, specialty=department.specialty)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                a = services.assessment_record(
                    by=request.user, department=department, answers=form.cleaned_data, campaign=campaign
                )
            except ValidationFailed as exc:
                show_domain_error(form, exc)
            else:
                return render(request, "programs/assessed.html", {"assessment": a, "department": department})
        status = 422
    context = {
        "department": department,
        "form": form,
        "template": template,
        "campaign": campaign,
        "upload_form": XlsxForm(),
    }
    return render(request, "programs/assess.html", context, status=status)


def _ranking_rows(campaign: SurveyCampaign) -> list[dict[str, Any]]:
    template = load_template(campaign.template_code)
    labels = {i["code"]: text(i["label"]) for i in template.items()}
    open_depts = set(
        Program.objects.exclude(stage__in=[Stage.GRADUATED, Stage.ENDED]).values_list("department_id", flat=True)
    )
    rows = []
    for rank, a in enumerate(selectors.campaign_ranking(campaign), start=1):
        parts = [dict(p, label=labels.get(p["item"], p["item"])) for p in a.parts if p["need"] or p["feasibility"]]
        rows.append({"rank": rank, "a": a, "parts": parts, "in_pipeline": a.department_id in open_depts})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def campaign(request: AuthedRequest, campaign_id: str) -> HttpResponse:
    """A survey campaign's ranking by need and feasibility, each score's parts shown; operations move a ranked
    department into the partner pipeline (a prospect program)."""
    camp = access_campaign_by_id(request.user, campaign_id)
    error = ""
    if request.method == "POST":
        require_role(request.user, *selectors.PLAN_EDITORS)
        form = EnrolForm(request.POST)
        a = None
        if form.is_valid():
            a = camp.assessments.filter(department_id=form.cleaned_data["department"]).first()
        if a is None:
            error = _("This department is not in the survey.")
        else:
            try:
                program = services.program_create(
                    by=request.user,
                    department=a.department,
                    title=_("Building %(dept)s") % {"dept": a.department.name},
                    start=timezone.localdate().replace(day=1),
                    kpi_codes=["cases_seen", "teaching_attendees", "referrals_out"],
                    assessment=a,
                )
            except Conflict as exc:
                error = exc.message
            else:
                return redirect("programs:program", program_id=program.pk)
    context = {
        "campaign": camp,
        "rows": _ranking_rows(camp),
        "can_enrol": request.user.role in selectors.PLAN_EDITORS,
        "can_assess": request.user.role in selectors.ASSESSORS,
        "error": error,
    }
    return render(request, "programs/campaign.html", context, status=422 if error else 200)


def _evaluation(request: AuthedRequest, program_id: str) -> Evaluation:
    program = access_program_by_id(request.user, program_id)
    month = request.GET.get("month", "")
    until = None
    if month:
        try:
            until = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValidationFailed(_("month: write the month as YYYY-MM."), details={"field": "month"}) from None
    return program_evaluation(program, until=until)


def _audit_export(request: AuthedRequest, ev: Evaluation, fmt: str) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=ev.program,
        details={"report": "evaluation", "format": fmt, "until": ev.until.isoformat()},
    )


@login_required
@require_GET
def evaluation(request: AuthedRequest, program_id: str) -> HttpResponse:
    """The program's evaluation for the hospital's director, at any month of its year (``?month=YYYY-MM``), with
    its PDF and xlsx downloads."""
    ev = _evaluation(request, program_id)
    months = [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in selectors.program_months(ev.program)]
    return render(request, "programs/evaluation.html", {"ev": ev, "program": ev.program, "months": months})


@login_required
@require_GET
def evaluation_pdf(request: AuthedRequest, program_id: str) -> HttpResponse:
    """The evaluation as PDF (Chinese font embedded); the download is audited."""
    ev = _evaluation(request, program_id)
    pdf = render_pdf_template("programs/evaluation_pdf.html", {"ev": ev, "program": ev.program}, request=request)
    _audit_export(request, ev, "pdf")
    name = _("Evaluation %(dept)s %(month)s.pdf") % {
        "dept": f"{ev.program.department.organization.name}{ev.program.department.name}",
        "month": f"{ev.until:%Y-%m}",
    }
    return pdf_response(pdf, name)


@login_required
@require_GET
def evaluation_xlsx(request: AuthedRequest, program_id: str) -> HttpResponse:
    """The evaluation as an xlsx workbook; the download is audited."""
    ev = _evaluation(request, program_id)
    content = build_evaluation_xlsx(ev)
    _audit_export(request, ev, "xlsx")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = f"evaluation-{ev.until:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def evidence_add(request: AuthedRequest, program_id: str, milestone_id: str) -> HttpResponse:
    """Attach a file proving a milestone (the hospital's coordinator, operations, the lead expert); a refused file
    is named beside the field on the program page."""
    program = access_program_by_id(request.user, program_id)
    milestone = access_milestone_by_id(request.user, program, milestone_id)
    if not selectors.may_record_training(request.user, program):
        raise Forbidden(_("Only the hospital's coordinator, operations and the lead expert add evidence."))
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_add(by=request.user, milestone=milestone, upload=form.cleaned_data["file"])
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            return redirect(reverse("programs:program", args=[program.pk]) + "#milestones")
    context = _program_context(request, program)
    context["evidence_form"] = form
    context["evidence_for"] = milestone.pk
    return render(request, "programs/program.html", context, status=422)


@login_required
@require_GET
def evidence_download(request: AuthedRequest, program_id: str, evidence_id: str) -> FileResponse:
    """A milestone's evidence file: only to those who may see the program (404 otherwise, audited), never cached,
    served as a download with the type sniffed when it was uploaded."""
    program = access_program_by_id(request.user, program_id)
    ev = access_evidence_by_id(request.user, program, evidence_id)
    return attachment_response(default_storage.open(ev.file.name, "rb"), filename=ev.name, content_type=ev.content_type)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def assess_blank(request: AuthedRequest, department_id: str) -> HttpResponse:
    """A blank assessment sheet for the department, to fill offline."""
    department = access_department_to_assess(request.user, department_id)
    return _xlsx(sheets.assessment_blank(load_template(), department.specialty), "assessment.xlsx")


@login_required
@require_POST
def assess_import(request: AuthedRequest, department_id: str) -> HttpResponse:
    """A filled assessment sheet: every bad row named by number and reason and nothing written, else recorded as
    the page's form would (into the campaign when ``?campaign=`` names one)."""
    department = access_department_to_assess(request.user, department_id)
    campaign_id = request.GET.get("campaign")
    campaign = access_campaign_by_id(request.user, campaign_id) if campaign_id else None
    template = load_template(campaign.template_code if campaign else "department_survey")
    upload_form = XlsxForm(request.POST, request.FILES)
    row_errors: list[str] = []
    if upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            answers, errors = sheets.assessment_read(template, department.specialty, upload, upload.name or "")
            row_errors = [str(e) for e in errors]
            if not errors:
                a = services.assessment_record(
                    by=request.user, department=department, answers=answers, campaign=campaign
                )
                return render(request, "programs/assessed.html", {"assessment": a, "department": department})
        except (ValidationFailed, Forbidden) as exc:
            upload_form.add_error("file", exc.message)
    form = AssessmentForm(template=template, specialty=department.specialty)
    context = {
        "department": department,
        "form": form,
        "template": template,
        "campaign": campaign,
        "upload_form": upload_form,
        "row_errors": row_errors,
    }
    return render(request, "programs/assess.html", context, status=422)


@login_required
@require_GET
def actuals_blank(request: AuthedRequest, program_id: str) -> HttpResponse:
    """The program's entered KPIs month by month as a sheet (values so far filled in), for the coordinator."""
    program = access_program_by_id(request.user, program_id)
    require_role(request.user, Role.COORDINATOR)
    return _xlsx(sheets.actuals_blank(program), "actuals.xlsx")


@login_required
@require_POST
def actuals_import(request: AuthedRequest, program_id: str) -> HttpResponse:
    """A filled actuals sheet from the hospital's coordinator: all rows good or nothing written, each bad row named."""
    program = access_program_by_id(request.user, program_id)
    require_role(request.user, Role.COORDINATOR)
    upload_form = XlsxForm(request.POST, request.FILES)
    row_errors: list[str] = []
    if upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            values, errors = sheets.actuals_read(program, upload, upload.name or "")
            row_errors = [str(e) for e in errors]
            if not errors:
                services.kpi_actuals_import(by=request.user, program=program, values=values)
                return redirect("programs:program", program_id=program.pk)
        except (ValidationFailed, Forbidden) as exc:
            upload_form.add_error("file", exc.message)
    today = timezone.localdate()
    months = [m for m in selectors.program_months(program) if m <= today]
    context = {
        "program": program,
        "form": ActualsForm(program=program, months=months),
        "upload_form": upload_form,
        "row_errors": row_errors,
    }
    return render(request, "programs/actuals.html", context, status=422)
