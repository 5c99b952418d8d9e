"""Every write of the programs app: survey campaigns and assessments (validated against the template, scored),
programs and their moves through the pipeline (a transition row each), milestones, KPI targets and monthly
actuals. Each in one transaction, audited; refusals are ``core.errors`` exceptions naming the field."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.files import HEAD_BYTES, check_upload
from tiercare.core.models import AuditAction, User
from tiercare.network.models import Department, Practitioner
from tiercare.outreach.models import ExpertSession
from tiercare.programs import rules
from tiercare.programs.definitions import SURVEY, Template, kpis, load_template, score
from tiercare.programs.models import (
    Assessment,
    Attendance,
    Course,
    CourseSession,
    KpiActual,
    KpiTarget,
    Milestone,
    MilestoneEvidence,
    Program,
    ProgramTransition,
    Stage,
    SurveyCampaign,
    TrainingScore,
)
from tiercare.programs.selectors import (
    PLAN_EDITORS,
    add_months,
    curriculum_labels,
    department_assessable,
    department_staff,
    may_edit_plan,
    may_enter_actuals,
    may_record_training,
    program_months,
)


def campaign_create(*, by: User, name: str, template_code: str = SURVEY) -> SurveyCampaign:
    """A survey campaign (operations and administrators; 403 otherwise). Its name is required (422) and unique
    (409, and the database's unique constraint when two start one at once)."""
    if by.role not in PLAN_EDITORS:
        raise Forbidden(_("Your role may not do this."))
    load_template(template_code)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("name: this field is required."), details={"field": "name"})
    if SurveyCampaign.objects.filter(name=name).exists():
        raise Conflict(_("name: a survey of this name exists already."), details={"field": "name"})
    with transaction.atomic():
        campaign = SurveyCampaign(name=name, template_code=template_code, created_by=by)
        campaign.full_clean()
        campaign.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=campaign)
    return campaign


def clean_answers(template: Template, answers: dict[str, Any], specialty: str) -> dict[str, Any]:
    """The answers checked against the template: a number inside its item's range, a choice among its codes,
    equipment among the known items. The first bad value is refused naming its item (422)."""
    out: dict[str, Any] = {}
    for item in template.items():
        code = item["code"]
        value = answers.get(code)
        if item["kind"] == "int":
            if value is None or value == "" or isinstance(value, bool):
                raise ValidationFailed(_("%(f)s: this answer is required.") % {"f": code}, details={"field": code})
            try:
                number = int(str(value))
            except ValueError:
                raise ValidationFailed(
                    _("%(f)s: enter a whole number.") % {"f": code}, details={"field": code}
                ) from None
            if not item["min"] <= number <= item["max"]:
                raise ValidationFailed(
                    _("%(f)s: must be between %(min)s and %(max)s.")
                    % {"f": code, "min": item["min"], "max": item["max"]},
                    details={"field": code},
                )
            out[code] = number
        elif item["kind"] == "choice":
            if value not in [c[0] for c in item["choices"]]:
                raise ValidationFailed(_("%(f)s: choose one of the answers.") % {"f": code}, details={"field": code})
            out[code] = value
        elif item["kind"] == "equipment":
            listed = list(value or [])
            if any(e not in template.doc["equipment_labels"] for e in listed):
                raise ValidationFailed(_("%(f)s: unknown equipment.") % {"f": code}, details={"field": code})
            out[code] = sorted(set(listed))
    return out


def assessment_record(
    *,
    by: User,
    department: Department,
    answers: dict[str, Any],
    campaign: SurveyCampaign | None = None,
    on: date | None = None,
) -> Assessment:
    """Record one department's answers and their score (parts per item; need and feasibility their sums).
    Operations, administrators and visiting experts assess any department, a coordinator their hospital's
    (403 otherwise); a bad value is refused naming its item (422)."""
    if not department_assessable(by, department.organization_id):
        raise Forbidden(_("Your role may not do this."))
    template = load_template(campaign.template_code if campaign else SURVEY)
    clean = clean_answers(template, answers, department.specialty)
    parts = score(template, clean, department.specialty)
    with transaction.atomic():
        a = Assessment(
            campaign=campaign,
            department=department,
            template_code=template.code,
            template_version=template.version,
            template_sha256=template.sha256,
            answers=clean,
            parts=[{"item": p.item, "need": p.need, "feasibility": p.feasibility} for p in parts],
            need=sum(p.need for p in parts),
            feasibility=sum(p.feasibility for p in parts),
            assessed_on=on or timezone.localdate(),
            assessed_by=by,
        )
        a.full_clean()
        a.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=a)
    return a


def program_create(
    *,
    by: User,
    department: Department,
    title: str,
    start: date,
    kpi_codes: list[str],
    lead_expert: Practitioner | None = None,
    assessment: Assessment | None = None,
) -> Program:
    """Move a department into the partner pipeline as a prospect (operations and administrators). One open program
    per department (409 otherwise); KPIs must be defined (422)."""
    if by.role not in PLAN_EDITORS:
        raise Forbidden(_("Your role may not do this."))
    unknown = [c for c in kpi_codes if c not in kpis()]
    if unknown:
        raise ValidationFailed(_("kpi_codes: unknown KPI."), details={"field": "kpi_codes", "unknown": unknown})
    with transaction.atomic():
        if (
            Program.objects.select_for_update()
            .filter(department=department)
            .exclude(stage__in=[Stage.GRADUATED, Stage.ENDED])
            .exists()
        ):
            raise Conflict(
                _("department: this department already has an open program."), details={"field": "department"}
            )
        program = Program(
            department=department,
            title=title,
            start=start.replace(day=1),
            kpi_codes=list(kpi_codes),
            lead_expert=lead_expert,
            assessment=assessment,
            created_by=by,
        )
        program.full_clean()
        program.save()
        ProgramTransition.objects.create(program=program, from_stage="", to_stage=Stage.PROSPECT, by=by)
        audit_write(actor=by, action=AuditAction.CREATE, obj=program)
    return program


def program_move(*, by: User, program: Program, to: str, reason: str = "") -> Program:
    """Move a program to the next stage of the pipeline (operations and administrators; 403 otherwise). Only the
    moves of ``rules.TRANSITIONS`` are accepted (409 ``illegal_transition``); ending needs a reason (422)."""
    if by.role not in PLAN_EDITORS:
        raise Forbidden(_("Your role may not do this."))
    reason = reason.strip()
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        if to not in rules.legal_moves(locked.stage):
            raise Conflict(
                _("This program cannot move from this stage to that one."),
                code="illegal_transition",
                details={"from": locked.stage, "to": to},
            )
        if to in rules.REASON_REQUIRED and not reason:
            raise ValidationFailed(_("reason: say why the program ends."), details={"field": "reason"})
        before = locked.stage
        locked.stage = to
        locked.save(update_fields=["stage", "updated_at"])
        ProgramTransition.objects.create(program=locked, from_stage=before, to_stage=to, by=by, reason=reason)
        audit_write(actor=by, action=AuditAction.UPDATE, obj=locked, changes={"stage": [before, to]}, reason=reason)
    return locked


def _require_plan_editor(by: User, program: Program) -> None:
    if not may_edit_plan(by, program):
        raise Forbidden(_("Only operations and the program's lead expert edit the plan."))


def milestone_add(*, by: User, program: Program, workstream: str, title: str, owner: str, due_on: date) -> Milestone:
    """Add a milestone to the plan (operations, administrators, the lead expert)."""
    _require_plan_editor(by, program)
    with transaction.atomic():
        m = Milestone(program=program, workstream=workstream, title=title, owner=owner, due_on=due_on)
        m.full_clean()
        m.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=m)
    return m


def milestone_done(*, by: User, milestone: Milestone, on: date | None = None) -> Milestone:
    """Mark a milestone done (plan editors); a date in the future is refused (422)."""
    _require_plan_editor(by, milestone.program)
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationFailed(_("done_on: the date is in the future."), details={"field": "done_on"})
    with transaction.atomic():
        milestone.done_on = day
        milestone.save(update_fields=["done_on", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=milestone, changes={"done_on": day})
    return milestone


def _decimal(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("%(f)s: enter a number.") % {"f": field}, details={"field": field}) from None
    if not d.is_finite() or d < 0 or d >= Decimal("100000000"):
        raise ValidationFailed(_("%(f)s: enter a number from 0.") % {"f": field}, details={"field": field})
    return d.quantize(Decimal("0.01"))


def kpi_targets_set(*, by: User, program: Program, kpi: str, values: list[Any]) -> None:
    """Set a KPI's 12 monthly targets (plan editors)."""
    _require_plan_editor(by, program)
    if kpi not in program.kpi_codes:
        raise ValidationFailed(_("kpi: not a KPI of this program."), details={"field": "kpi"})
    months = program_months(program)
    with transaction.atomic():
        for m, v in zip(months, values, strict=False):
            if v is None or v == "":
                continue
            KpiTarget.objects.update_or_create(program=program, kpi=kpi, month=m, defaults={"value": _decimal(v, kpi)})
        audit_write(actor=by, action=AuditAction.UPDATE, obj=program, changes={"targets": {kpi: values}})


def kpi_actuals_enter(*, by: User, program: Program, month: date, values: dict[str, Any]) -> list[KpiActual]:
    """A month's actuals of the program's entered KPIs, by a coordinator of its hospital (403 otherwise). The month
    must be one of the program's twelve and not in the future; derived KPIs are not entered (422 naming it); an
    empty value leaves the month's actual as it was."""
    if not may_enter_actuals(by, program):
        raise Forbidden(_("Only a coordinator of the program's hospital enters its actuals."))
    month = month.replace(day=1)
    if month not in program_months(program) or month > timezone.localdate():
        raise ValidationFailed(_("month: not a month of this program so far."), details={"field": "month"})
    defs = kpis()
    rows = []
    with transaction.atomic():
        for code, raw in values.items():
            if raw is None or raw == "":
                continue
            if code not in program.kpi_codes or code not in defs:
                raise ValidationFailed(_("%(f)s: not a KPI of this program.") % {"f": code}, details={"field": code})
            if defs[code].derived:
                raise ValidationFailed(
                    _("%(f)s: this KPI comes from outreach session reports.") % {"f": code}, details={"field": code}
                )
            value = _decimal(raw, code)
            row, _created = KpiActual.objects.update_or_create(
                program=program, kpi=code, month=month, defaults={"value": value, "entered_by": by}
            )
            rows.append(row)
            audit_write(
                actor=by,
                action=AuditAction.UPDATE,
                obj=row,
                changes={"kpi": code, "month": month, "value": value},
            )
    return rows


def kpi_actuals_import(*, by: User, program: Program, values: dict[date, dict[str, Any]]) -> int:
    """Several months' actuals from an uploaded sheet, all or nothing (one transaction; each month as
    ``kpi_actuals_enter``). Returns the number of values written."""
    n = 0
    with transaction.atomic():
        for month in sorted(values):
            n += len(kpi_actuals_enter(by=by, program=program, month=month, values=values[month]))
    return n


# --- training -----------------------------------------------------------------------------------------------------


def _require_training_recorder(by: User, program: Program) -> None:
    if not may_record_training(by, program):
        raise Forbidden(_("Only the hospital's coordinator, operations and the lead expert record training."))


def _require_staff(program: Program, trainee: Practitioner, field: str = "trainee") -> None:
    if not department_staff(program.department).filter(pk=trainee.pk).exists():
        raise ValidationFailed(
            _("%(f)s: not on the staff of the program's department.") % {"f": field}, details={"field": field}
        )


def course_add(
    *, by: User, program: Program, curriculum_item: str, title: str = "", pass_mark: Decimal | int = 60
) -> Course:
    """Add a course on one item of the department's curriculum (plan editors; 403 otherwise). An item outside the
    curriculum, or a pass mark outside 0–100, is refused naming its field (422); one course per item (409)."""
    _require_plan_editor(by, program)
    labels = curriculum_labels(program)
    if curriculum_item not in labels:
        raise ValidationFailed(
            _("curriculum_item: not an item of this department's curriculum."), details={"field": "curriculum_item"}
        )
    mark = _decimal(pass_mark, "pass_mark")
    if mark > 100:
        raise ValidationFailed(_("pass_mark: must be between 0 and 100."), details={"field": "pass_mark"})
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one writer of a program's courses
        if Course.objects.filter(program=program, curriculum_item=curriculum_item).exists():
            raise Conflict(
                _("curriculum_item: this program already has a course on this item."),
                details={"field": "curriculum_item"},
            )
        course = Course(
            program=program,
            curriculum_item=curriculum_item,
            title=(title.strip() or labels[curriculum_item])[:120],
            pass_mark=mark,
            created_by=by,
        )
        course.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=course)
    return course


def course_session_add(
    *, by: User, course: Course, held_on: date, teacher: str, outreach_session: ExpertSession | None = None
) -> CourseSession:
    """A session of a course (the hospital's coordinator, operations, the lead expert). The day must lie within the
    program's year and not in the future (422); a linked outreach session must be a teaching session at the
    program's department on that day (422); one session of a course a day (409)."""
    program = course.program
    _require_training_recorder(by, program)
    months = program_months(program)
    if not months[0] <= held_on <= min(timezone.localdate(), add_months(months[-1], 1) - timedelta(days=1)):
        raise ValidationFailed(_("held_on: not a day of this program's year so far."), details={"field": "held_on"})
    if not teacher.strip():
        raise ValidationFailed(_("teacher: this field is required."), details={"field": "teacher"})
    if outreach_session is not None and (
        outreach_session.department_id != program.department_id
        or outreach_session.kind != "teaching"
        or outreach_session.date != held_on
    ):
        raise ValidationFailed(
            _("outreach_session: not a teaching session at this department on that day."),
            details={"field": "outreach_session"},
        )
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()  # one writer of a course's sessions
        if CourseSession.objects.filter(course=course, held_on=held_on).exists():
            raise Conflict(_("held_on: this course already has a session on this day."), details={"field": "held_on"})
        session = CourseSession(
            course=course,
            held_on=held_on,
            teacher=teacher.strip()[:60],
            outreach_session=outreach_session,
            created_by=by,
        )
        session.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=session)
    return session


def attendance_record(*, by: User, session: CourseSession, trainees: list[Practitioner]) -> list[Attendance]:
    """Record who attended a course session (the hospital's coordinator, operations, the lead expert). Each
    trainee must be on the department's staff (422); recording someone twice keeps one row (the database's
    unique constraint decides when two people record at once)."""
    program = session.course.program
    _require_training_recorder(by, program)
    for t in trainees:
        _require_staff(program, t, "trainees")
    rows = []
    with transaction.atomic():
        for t in trainees:
            row, created = Attendance.objects.get_or_create(session=session, trainee=t, defaults={"recorded_by": by})
            if created:
                audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"trainee": str(t.pk)})
            rows.append(row)
    return rows


def score_record(
    *, by: User, course: Course, trainee: Practitioner, score: Any, taken_on: date | None = None
) -> TrainingScore:
    """A trainee's score in a course's assessment (0–100; passed when at least the pass mark). Recorded by the
    hospital's coordinator, operations or the lead expert; the trainee must be on the department's staff; a day in
    the future or a second score the same day is refused (422 / 409)."""
    program = course.program
    _require_training_recorder(by, program)
    _require_staff(program, trainee)
    value = _decimal(score, "score")
    if value > 100:
        raise ValidationFailed(_("score: must be between 0 and 100."), details={"field": "score"})
    day = taken_on or timezone.localdate()
    if day > timezone.localdate() or day < program.start:
        raise ValidationFailed(_("taken_on: not a day of this program so far."), details={"field": "taken_on"})
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()  # one writer of a course's scores
        if TrainingScore.objects.filter(course=course, trainee=trainee, taken_on=day).exists():
            raise Conflict(
                _("taken_on: this trainee already has a score in this course on this day."),
                details={"field": "taken_on"},
            )
        row = TrainingScore(
            course=course,
            trainee=trainee,
            taken_on=day,
            score=value,
            passed=value >= course.pass_mark,
            recorded_by=by,
        )
        row.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"score": value, "passed": row.passed})
    return row


def evidence_add(*, by: User, milestone: Milestone, upload: Any) -> MilestoneEvidence:
    """Attach a file proving a milestone (the hospital's coordinator, operations, the lead expert). The file is
    checked like every attachment (``core.files.check_upload``: not empty, under the size cap, a PDF, image or
    DICOM by its content); refused files answer 422 naming the reason."""
    _require_training_recorder(by, milestone.program)
    name = (getattr(upload, "name", "") or "evidence")[:200]
    ctype = check_upload(name=name, size=int(upload.size or 0), head=_head(upload))
    with transaction.atomic():
        ev = MilestoneEvidence(milestone=milestone, name=name, content_type=ctype, size=upload.size, uploaded_by=by)
        ev.file.save(name, upload, save=False)
        ev.save()
        audit_write(actor=by, action=AuditAction.CREATE, obj=ev, changes={"name": name, "size": upload.size})
    return ev


def _head(upload: Any) -> bytes:
    upload.seek(0)
    head: bytes = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


__all__ = [
    "kpi_actuals_import",
    "attendance_record",
    "course_add",
    "course_session_add",
    "evidence_add",
    "score_record",
    "assessment_record",
    "campaign_create",
    "kpi_actuals_enter",
    "kpi_targets_set",
    "milestone_add",
    "milestone_done",
    "program_create",
    "program_move",
]
