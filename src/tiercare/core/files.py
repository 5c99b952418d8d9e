"""Checking an uploaded attachment: the type is sniffed from the bytes (magic numbers), never trusted from the name
or the browser's Content-Type, and the size is capped (ATTACHMENT_MAX_BYTES; override with the Django setting
CONSULTS_ATTACHMENT_MAX_BYTES). Shared by every app that takes clinical documents (consults, referrals)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _

from tiercare.core.errors import ValidationFailed

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024  # 20 MB: a scanned lab report or a handful of photos

# (magic prefix, offset, content type). Lab reports arrive as PDF or images; DICOM is imaging's own format.
MAGIC: list[tuple[bytes, int, str]] = [
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"DICM", 128, "application/dicom"),
]
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "application/dicom": ".dcm",
}


HEAD_BYTES = 132  # enough for every prefix above, DICOM's "DICM" at offset 128 included


def max_bytes() -> int:
    return int(getattr(settings, "CONSULTS_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    for magic, offset, ctype in MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_upload(upload: Any) -> str | None:
    """The content type proven by an uploaded file's first bytes (the file is rewound for saving)."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return sniff(head)


def check_upload(*, name: str, size: int, head: bytes) -> str:
    """The sniffed content type of an acceptable file, or ValidationFailed saying why it is refused."""
    limit = max_bytes()
    if size <= 0:
        raise ValidationFailed(
            _("file: %(name)s is empty.") % {"name": name}, code="file_empty", details={"field": "file"}
        )
    if size > limit:
        raise ValidationFailed(
            _("file: %(name)s is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"name": name, "size": size, "limit": limit},
            code="file_too_large",
            details={"field": "file", "size": size, "limit": limit},
        )
    ctype = sniff(head)
    if ctype is None:
        raise ValidationFailed(
            _("file: %(name)s is not a PDF, image or DICOM file (checked from its content).") % {"name": name},
            code="file_type_refused",
            details={"field": "file", "allowed": sorted(EXTENSIONS)},
        )
    return ctype


def attachment_response(fileobj: Any, *, filename: str, content_type: str) -> FileResponse:
    """A clinical attachment as a download: never stored by a browser or shared cache (``private, no-store``) and
    never sniffed into something the browser would render. Every app's attachment download answers through this."""
    response = FileResponse(fileobj, content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
