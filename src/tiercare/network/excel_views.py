"""Excel pages of the directory: export the three sheets, upload one, preview it, confirm or discard it.

Operations and administrators only (DIRECTORY_WRITERS); a batch is seen by the user who uploaded it and by
administrators (``access_import_batch``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from tiercare.core.access import DIRECTORY_WRITERS, require_role
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.http import AuthedRequest
from tiercare.network import excel
from tiercare.network.models import ImportBatch, ImportKind, ImportStatus

# The preview shows this many good rows and errors; the rest are in the batch and in the bad-rows download.
PREVIEW_ROWS = 200
PREVIEW_ERRORS = 500


class ExcelImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Sheet"), choices=ImportKind.choices)
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _home_context(request: AuthedRequest, form: ExcelImportForm) -> dict[str, object]:
    recent = ImportBatch.objects.filter(created_by=request.user).only(
        "id", "kind", "filename", "status", "created_at", "confirmed_at"
    )[:10]
    return {
        "form": form,
        "kinds": ImportKind.choices,
        "recent": recent,
        "max_rows": excel.MAX_ROWS,
        "max_mb": excel.MAX_UPLOAD_BYTES // 1024 // 1024,
    }


@login_required
@require_GET
def excel_home(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *DIRECTORY_WRITERS)
    return render(request, "network/excel.html", _home_context(request, ExcelImportForm()))


@login_required
@require_GET
def excel_export(request: AuthedRequest, kind: str) -> HttpResponse:
    require_role(request.user, *DIRECTORY_WRITERS)
    if kind not in ImportKind.values:
        raise NotFound(_("No such sheet."))
    content, _n = excel.export_workbook(by=request.user, kind=kind)
    return _xlsx(content, excel.export_filename(kind))


@login_required
@require_POST
def excel_import(request: AuthedRequest) -> HttpResponse:
    require_role(request.user, *DIRECTORY_WRITERS)
    form = ExcelImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "network/excel.html", _home_context(request, form), status=422)
    upload = form.cleaned_data["file"]
    try:
        batch = excel.import_preview(
            by=request.user, kind=form.cleaned_data["kind"], file=upload, filename=upload.name or ""
        )
    except ValidationFailed as exc:
        form.add_error("file", exc.message)
        return render(request, "network/excel.html", _home_context(request, form), status=exc.status)
    return _render_batch(request, batch)


@login_required
@require_GET
def excel_batch(request: AuthedRequest, batch_id: str) -> HttpResponse:
    batch = excel.access_import_batch(request.user, batch_id)
    return _render_batch(request, batch)


def _render_batch(request: AuthedRequest, batch: ImportBatch) -> HttpResponse:
    headers, rows = excel.preview_table(batch, limit=PREVIEW_ROWS)
    return render(
        request,
        "network/excel_preview.html",
        {
            "batch": batch,
            "headers": headers,
            "rows": rows,
            "errors": excel.error_table(batch, PREVIEW_ERRORS),
            "good": len(batch.rows),
            "bad": len(batch.rejected),
            "checked": len(batch.rows) + len(batch.rejected),
            "more_rows": max(0, len(batch.rows) - PREVIEW_ROWS),
            "more_errors": max(0, len(batch.errors) - PREVIEW_ERRORS),
            "can_confirm": batch.status == ImportStatus.PREVIEWED and bool(batch.rows),
            "is_open": batch.status == ImportStatus.PREVIEWED,
        },
    )


@login_required
@require_POST
def excel_confirm(request: AuthedRequest, batch_id: str) -> HttpResponse:
    batch = excel.access_import_batch(request.user, batch_id)
    try:
        n = excel.import_confirm(by=request.user, batch=batch)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ngettext("%(n)s row imported.", "%(n)s rows imported.", n) % {"n": n})
    return redirect("network:excel_batch", batch_id=batch.pk)


@login_required
@require_POST
def excel_discard(request: AuthedRequest, batch_id: str) -> HttpResponse:
    batch = excel.access_import_batch(request.user, batch_id)
    try:
        excel.import_discard(by=request.user, batch=batch)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("network:excel_batch", batch_id=batch.pk)
    messages.info(request, _("Import discarded; nothing was written."))
    return redirect("network:excel")


@login_required
@require_GET
def excel_errors(request: AuthedRequest, batch_id: str) -> HttpResponse:
    batch = excel.access_import_batch(request.user, batch_id)
    if not batch.rejected:
        raise NotFound(_("This import has no rows with errors."))
    stem = (batch.filename.rsplit(".", 1)[0] or batch.kind) if batch.filename else batch.kind
    return _xlsx(excel.rejected_workbook(batch), _ascii_filename(f"{stem}-errors.xlsx", batch.kind))


def _ascii_filename(name: str, fallback: str) -> str:
    """A file name safe in a Content-Disposition header (uploads are often named in Chinese)."""
    safe = "".join(ch for ch in name if ch.isascii() and (ch.isalnum() or ch in "-_."))
    return safe if safe and not safe.startswith(".") and safe != "-errors.xlsx" else f"{fallback}-errors.xlsx"
