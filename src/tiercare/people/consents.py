"""Consent (regulation/README.md §6; PIPL Arts. 23, 29, 31): recording a person's separate consent per purpose, the
SMS confirmation codes that prove one, and withdrawal.

A consent names its purpose, who signed (the patient, or a guardian or proxy with the relationship; a child under 14
needs a guardian), how it was given (a scanned signed paper, checked like every clinical upload by ``core.files``; a
signature drawn on a tablet, kept as its PNG; an SMS code sent to the signer's phone and typed back), the day it was
signed and, optionally, the last day it is valid. It is granted to the institution holding the person's record (the
household's GP center or hospital), which is the institution that shares the data.

Withdrawing stops future sharing (``Consent.objects.in_force`` is what referrals and consultations check); what was
shared under the consent stays, and the consent row stays with it. Every write is audited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied
from tiercare.core.context import zh_active
from tiercare.core.crud import row_save
from tiercare.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from tiercare.core.files import check_upload
from tiercare.core.models import Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.core.phone import PhoneError, normalize_cn_mobile
from tiercare.core.validation import PLAN_AHEAD_YEARS, RECORD_LOOKBACK_YEARS
from tiercare.people.models import (
    CONSENT_PURPOSES,
    Consent,
    ConsentMethod,
    ConsentScope,
    ConsentSigner,
    ConsentSmsCode,
    Person,
)
from tiercare.people.selectors import person_scope_q

CONSENT_WRITERS = (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR, Role.ADMIN)
GUARDIAN_BELOW_AGE = 14  # PIPL Art. 31
SMS_CODE_MINUTES = 10
SMS_CODE_ATTEMPTS = 5
SMS_RESEND_SECONDS = 60
SIGNATURE_MAX_BYTES = 512 * 1024

register(
    "consent_sms_code",
    "您的知情同意确认码为{code}（{purpose}），{minutes}分钟内有效。如非本人操作请忽略。",
    "Your consent confirmation code is {code} ({purpose}); valid for {minutes} minutes.",
)


def _field_error(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, details={"field": field})


def _code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def _age_on(person: Person, day: date) -> int | None:
    b = person.birth_date
    if b is None:
        return None
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def _in_scope(by: User, person: Person) -> None:
    """The writer may see the person (the caller resolved them through an access function; checked again here so
    that no other caller can record for someone out of reach)."""
    if not Person.objects.filter(person_scope_q(by), pk=person.pk).exists():
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="consent")
        raise NotFound(_("No such person."))


def _check_purpose(scope: str) -> None:
    if scope not in ConsentScope.values:
        raise _field_error("scope", _("Choose what the consent is for."))


def _check_dates(signed_on: date, valid_until: date | None) -> None:
    today = timezone.localdate()
    if signed_on > today:
        raise _field_error("signed_on", _("The day of signing cannot lie in the future."))
    earliest = today - timedelta(days=365 * RECORD_LOOKBACK_YEARS)
    if signed_on < earliest:
        raise _field_error(
            "signed_on",
            _("The date must lie between %(first)s and %(last)s.")
            % {"first": earliest.isoformat(), "last": today.isoformat()},
        )
    if valid_until is not None:
        if valid_until < today:
            raise _field_error("valid_until", _("The consent would already have lapsed: choose a day from today on."))
        if valid_until < signed_on:
            raise _field_error("valid_until", _("The consent cannot end before it was signed."))
        if valid_until > today + timedelta(days=366 * PLAN_AHEAD_YEARS):
            raise _field_error(
                "valid_until",
                _("A consent is valid for at most %(n)d years; ask again then.") % {"n": PLAN_AHEAD_YEARS},
            )


def _check_signer(person: Person, signer: str, given_by: str, relation: str, signed_on: date) -> None:
    if signer not in ConsentSigner.values:
        raise _field_error("signer", _("Choose who signed."))
    if signer != ConsentSigner.PATIENT:
        if not given_by.strip():
            raise _field_error("given_by", _("Name the guardian or proxy who signed."))
        if not relation.strip():
            raise _field_error("signer_relation", _("Say how the signer is related to the patient."))
        return
    age = _age_on(person, signed_on)
    if age is not None and age < GUARDIAN_BELOW_AGE:
        raise _field_error(
            "signer", _("The patient is under %(n)d: a guardian signs for them.") % {"n": GUARDIAN_BELOW_AGE}
        )


def _signed_at(signed_on: date) -> datetime:
    now = timezone.localtime()
    if signed_on == now.date():
        return now
    return timezone.make_aware(datetime.combine(signed_on, time(12, 0)))


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a signature drawn on the page's canvas (a ``data:image/png;base64,`` URL)."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise _field_error("signature", _("Sign in the box with a finger or the pen."), "signature_missing")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise _field_error("signature", _("The signature could not be read; sign again."), "signature_bad") from None
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise _field_error("signature", _("The signature could not be read; sign again."), "signature_bad")
    return raw


def _document(method: str, document: Any, signature: str) -> tuple[Any, str, str, str]:
    """(file to store, its name, sniffed content type, sha256) of the paper scan or the tablet signature."""
    if method == ConsentMethod.PAPER:
        if document is None:
            raise _field_error("document", _("Attach the scan or photo of the signed form."), "file_missing")
        name = (getattr(document, "name", "") or "consent").rsplit("/", 1)[-1][:200]
        document.seek(0)
        head = document.read(160)
        document.seek(0)
        try:
            ctype = check_upload(name=name, size=document.size or 0, head=head)
        except ValidationFailed as exc:
            raise ValidationFailed(
                "document: " + exc.message.removeprefix("file: "), code=exc.code, details={"field": "document"}
            ) from None
        digest = hashlib.sha256()
        for chunk in document.chunks():
            digest.update(chunk)
        document.seek(0)
        return document, name, ctype, digest.hexdigest()
    raw = signature_png(signature)
    try:
        ctype = check_upload(name="signature.png", size=len(raw), head=raw[:160])
    except ValidationFailed:
        raise _field_error("signature", _("The signature could not be read; sign again."), "signature_bad") from None
    if ctype != "image/png":
        raise _field_error("signature", _("The signature could not be read; sign again."), "signature_bad")
    return ContentFile(raw, name="signature.png"), "signature.png", ctype, hashlib.sha256(raw).hexdigest()


def _check_sms(person: Person, scope: str, code: str) -> ConsentSmsCode:
    """The unused, unexpired code sent for ``scope``, if ``code`` is it. A wrong code counts as an attempt (kept
    even though the consent is refused); after SMS_CODE_ATTEMPTS a new code must be sent."""
    code = (code or "").strip()
    if not code:
        raise _field_error("sms_code", _("Type the code the signer received."), "sms_code_missing")
    row = (
        ConsentSmsCode.objects.filter(person=person, scope=scope, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise _field_error("sms_code", _("No valid code was sent for this purpose; send a code first."), "sms_no_code")
    if row.attempts >= SMS_CODE_ATTEMPTS:
        raise _field_error("sms_code", _("Too many wrong codes; send a new code."), "sms_locked")
    if not hmac.compare_digest(row.code_hash, _code_hash(code)):
        ConsentSmsCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        raise _field_error("sms_code", _("The code is not right; check it with the signer."), "sms_code_wrong")
    return row


def consent_record(
    *,
    by: User,
    person: Person,
    scope: str,
    signer: str = ConsentSigner.PATIENT,
    given_by: str = "",
    signer_relation: str = "",
    method: str = "",
    signed_on: date | None = None,
    valid_until: date | None = None,
    document: Any = None,
    signature: str = "",
    sms_code: str = "",
    text_version: str = "",
) -> Consent:
    """Record a consent for ``scope`` (PIPL Art. 29 separate consent).

    ``method`` paper needs ``document`` (a PDF or image, sniffed and size-capped), tablet a ``signature`` (PNG data
    URL from the page's canvas), sms the ``sms_code`` sent by ``sms_code_send``. An empty method is the API's and
    imports' record of a consent given before this system (no evidence kept here). Raises ValidationFailed naming
    the field at fault, NotFound when ``by`` may not see the person; nothing is stored on a refusal."""
    require_role(by, *CONSENT_WRITERS)
    _in_scope(by, person)
    _check_purpose(scope)
    signed_on = signed_on or timezone.localdate()
    _check_dates(signed_on, valid_until)
    _check_signer(person, signer, given_by, signer_relation, signed_on)
    if method and method not in ConsentMethod.values:
        raise _field_error("method", _("Choose how the consent was given."))
    household = getattr(getattr(person, "membership", None), "household", None)
    consent = Consent(
        person=person,
        scope=scope,
        granted_to_id=household.registered_at_id if household else None,
        granted_at=_signed_at(signed_on),
        valid_until=valid_until,
        signer=signer,
        given_by=given_by.strip()[:60] if signer != ConsentSigner.PATIENT else "",
        signer_relation=signer_relation.strip()[:30] if signer != ConsentSigner.PATIENT else "",
        method=method,
        text_version=text_version[:40],
        recorded_by=by,
    )
    upload = None
    if method in (ConsentMethod.PAPER, ConsentMethod.TABLET):
        upload, name, consent.document_type, consent.document_sha256 = _document(method, document, signature)
    changes = {
        "scope": scope,
        "signer": signer,
        "method": method,
        "signed_on": signed_on,
        "valid_until": valid_until,
        "granted_to": consent.granted_to_id,
    }
    code_row = _check_sms(person, scope, sms_code) if method == ConsentMethod.SMS else None
    stored = ""
    try:
        with transaction.atomic():
            if code_row is not None:  # used once: a second consent with the same code is refused
                used = ConsentSmsCode.objects.filter(pk=code_row.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
                if not used:
                    raise _field_error(
                        "sms_code", _("No valid code was sent for this purpose; send a code first."), "sms_no_code"
                    )
                consent.sms_phone_masked = code_row.phone[:3] + "****" + code_row.phone[7:]
            if upload is not None:
                consent.document.save(name, upload, save=False)
                stored = consent.document.name
            row_save(actor=by, obj=consent, changes=changes)
    except Exception:
        if stored:  # the row was not written: leave no orphan file in storage
            default_storage.delete(stored)
        raise
    return consent


def sms_code_send(*, by: User, person: Person, scope: str, phone: str = "") -> ConsentSmsCode:
    """Send a 6-digit confirmation code for ``scope`` to ``phone`` (default: the person's mobile). The code is kept
    only as a keyed hash, for SMS_CODE_MINUTES; a new code is refused within SMS_RESEND_SECONDS of the last."""
    require_role(by, *CONSENT_WRITERS)
    _in_scope(by, person)
    _check_purpose(scope)
    given = (phone or person.phone or "").strip()
    if not given:
        raise _field_error("phone", _("Give the signer's mobile number (11 digits)."), "phone_missing")
    try:
        number = normalize_cn_mobile(given)
    except PhoneError as exc:
        raise _field_error("phone", exc.message_zh if zh_active() else exc.message_en, "phone_invalid") from None
    recent = ConsentSmsCode.objects.filter(
        person=person, created_at__gt=timezone.now() - timedelta(seconds=SMS_RESEND_SECONDS)
    ).exists()
    if recent:
        raise RateLimited(_("A code was sent less than a minute ago; wait before sending another."))
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        row = ConsentSmsCode.objects.create(
            person=person,
            scope=scope,
            phone=number,
            code_hash=_code_hash(code),
            sent_by=by,
            expires_at=timezone.now() + timedelta(minutes=SMS_CODE_MINUTES),
        )
        notify_on_commit(
            number,
            "consent_sms_code",
            {"code": code, "purpose": ConsentScope(scope).label, "minutes": SMS_CODE_MINUTES},
        )
    return row


def consent_withdraw(*, by: User, consent: Consent, reason: str = "") -> Consent:
    """Withdraw a consent from now on: sharing for its purpose is refused from now, what was shared stays. Audited
    with the reason. Conflict when it was already withdrawn."""
    require_role(by, *CONSENT_WRITERS)
    _in_scope(by, consent.person)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise Conflict(_("This consent was already withdrawn."), code="already_withdrawn")
        locked.withdrawn_at = max(timezone.now(), locked.granted_at)
        locked.withdrawn_by = by
        locked.withdraw_reason = reason.strip()[:300]
        row_save(
            actor=by,
            obj=locked,
            changes={"withdrawn_at": locked.withdrawn_at, "reason": locked.withdraw_reason},
            reason=locked.withdraw_reason,
        )
    return locked


def purposes() -> list[tuple[str, str]]:
    """The purposes a page offers, in the page's language."""
    return [(p.value, str(p.label)) for p in CONSENT_PURPOSES]
