"""Case-file documents attached to an open referral."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.files import sniff_upload
from tiercare.core.models import AuditAction, User
from tiercare.referrals.models import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    OPEN_STATUSES,
    Referral,
    ReferralAttachment,
)
from tiercare.referrals.rules import Side


def attachment_add(*, by: User, referral: Referral, sides: set[str], upload: UploadedFile) -> ReferralAttachment:
    """Attach a case-file document (PDF, JPEG, PNG, DICOM; at most 20 MB) to an open referral, from either
    clinical side."""
    if not sides & {Side.REFERRING, Side.RECEIVING}:
        raise Forbidden(_("Only the referring or receiving side may attach documents."), code="not_your_side")
    if referral.status not in OPEN_STATUSES:
        raise Conflict(
            _("The referral is no longer open."), code="illegal_transition", details={"state": referral.status}
        )
    # The type is proven by the file's own bytes, never taken from the browser's Content-Type.
    content_type = sniff_upload(upload) or ""
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationFailed(
            _("file: only PDF, JPEG, PNG or DICOM files may be attached."),
            code="file_type",
            details={"field": "file", "allowed": list(ATTACHMENT_TYPES)},
        )
    if not upload.size or upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationFailed(
            _("file: the file is empty or larger than 20 MB."),
            code="file_size",
            details={"field": "file", "max_bytes": ATTACHMENT_MAX_BYTES},
        )
    name = (upload.name or "attachment")[-200:]
    with transaction.atomic():
        row = ReferralAttachment(
            referral=referral, name=name, content_type=content_type, size=upload.size, uploaded_by=by
        )
        row.file.save(f"{referral.pk}{ATTACHMENT_TYPES[content_type]}", upload, save=False)
        row.save()
        audit_write(
            actor=by,
            action=AuditAction.CREATE,
            obj=row,
            changes={"name": name, "size": upload.size, "content_type": content_type},
        )
    return row
