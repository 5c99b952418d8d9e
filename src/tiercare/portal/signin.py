"""Sign-in by mobile number and SMS code (the notification backend; the console in the demo), as well as by
password: a 6-digit code kept only as a keyed hash, valid SMS_CODE_MINUTES, used once, SMS_CODE_ATTEMPTS wrong tries;
rate-limited per number (one a minute, LOGIN_SMS_PER_HOUR an hour) and per address (LOGIN_SMS_PER_IP_HOUR).

The first sign-in by SMS of a person is also their real-name check (实名核验): the name and ID number typed must
match the person on file (``people.realname``); a person on file without a login gets one then (a patient login,
no password). Later sign-ins need the code only. A number not on file gets the same answer as one on file and no
SMS, so the page does not tell who is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.audit import audit_record
from tiercare.core.context import zh_active
from tiercare.core.errors import DomainError, RateLimited, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify, register
from tiercare.core.phone import PhoneError, normalize_cn_mobile
from tiercare.people.models import Person
from tiercare.people.realname import real_name_matches
from tiercare.portal.models import LoginCode, RealNameCheck

SMS_CODE_MINUTES = 5
SMS_CODE_ATTEMPTS = 5
SMS_RESEND_SECONDS = 60
LOGIN_SMS_PER_HOUR = 5
LOGIN_SMS_PER_IP_HOUR = 20

register(
    "portal_login_code",
    "您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。",
    "Your sign-in code is {code}; valid for {minutes} minutes. Tell no one.",
)


def _field_error(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, details={"field": field})


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"login:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_number(value: str) -> str:
    try:
        return normalize_cn_mobile((value or "").strip())
    except PhoneError as exc:
        raise _field_error("phone", exc.message_zh if zh_active() else exc.message_en, "phone_invalid") from None


def _candidates(phone: str) -> list[Person]:
    """The persons on file with this mobile number who may sign in (not archived; a login, if any, a patient's)."""
    rows = Person.objects.filter(phone=phone, archived=False, deceased_on__isnull=True).select_related("user")
    return [p for p in rows if p.user is None or (p.user.role == Role.PATIENT and p.user.is_active)]


def needs_real_name(phone: str) -> bool:
    """Whether a sign-in with this number must pass the real-name check: yes unless one of its persons passed it
    before (and yes for a number on file nowhere, so the form looks the same)."""
    ids = [p.pk for p in _candidates(phone)]
    return not RealNameCheck.objects.filter(person_id__in=ids).exists()


def login_code_send(*, phone: str, ip: str | None) -> None:
    """Send a sign-in code to ``phone`` if a person on file has it; the same answer either way. Rate-limited."""
    number = phone_number(phone)
    now = timezone.now()
    recent = LoginCode.objects.filter(phone=number, created_at__gt=now - timedelta(hours=1))
    if recent.filter(created_at__gt=now - timedelta(seconds=SMS_RESEND_SECONDS)).exists():
        raise RateLimited(_("A code was sent less than a minute ago; wait before asking for another."))
    if recent.count() >= LOGIN_SMS_PER_HOUR or (
        ip and LoginCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count() >= LOGIN_SMS_PER_IP_HOUR
    ):
        raise RateLimited(_("Too many codes were asked for; try again in an hour or sign in with your password."))
    code = f"{secrets.randbelow(1_000_000):06d}"
    LoginCode.objects.create(
        phone=number, code_hash=_code_hash(number, code), expires_at=now + timedelta(minutes=SMS_CODE_MINUTES), ip=ip
    )
    if _candidates(number):  # the row is written (autocommit) before the SMS leaves
        notify(number, "portal_login_code", {"code": code, "minutes": SMS_CODE_MINUTES})


@dataclass
class SignIn:
    user: User
    person: Person
    new_login: bool


def login_code_check(*, phone: str, code: str, name: str = "", id_number: str = "", ip: str | None = None) -> SignIn:
    """The user signing in with ``code`` sent to ``phone`` (and, on the first SMS sign-in, the real-name check);
    refused with the field to fix. Every failure and success is audited."""
    number = phone_number(phone)
    code = "".join((code or "").split())
    if not code:
        raise _field_error("code", _("Type the code you received."), "code_missing")
    row = (
        LoginCode.objects.filter(phone=number, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise _field_error("code", _("No valid code was sent to this number; ask for a new one."), "code_none")
    if row.attempts >= SMS_CODE_ATTEMPTS:
        raise _field_error("code", _("Too many wrong codes; ask for a new one."), "code_locked")
    if not hmac.compare_digest(row.code_hash, _code_hash(number, code)):
        LoginCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="portal.logincode", reason="wrong code")
        raise _field_error("code", _("The code is not right."), "code_wrong")
    candidates = _candidates(number)
    try:
        person = _person_for(candidates, name=name, id_number=id_number)
    except ValidationFailed:
        LoginCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)  # no guessing ID numbers on one code
        raise
    with transaction.atomic():
        used = LoginCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not used:
            raise _field_error("code", _("No valid code was sent to this number; ask for a new one."), "code_none")
        new_login = person.user is None
        user = person.user or _new_patient_login(person, number)
        if name or id_number:
            RealNameCheck.objects.create(person=person, user=user, checked_at=timezone.now())
        audit_record(actor=user, action=AuditAction.LOGIN, obj=user, person_id=person.pk, reason="sms code")
    return SignIn(user=user, person=person, new_login=new_login)


def _person_for(candidates: list[Person], *, name: str, id_number: str) -> Person:
    checked = RealNameCheck.objects.filter(person_id__in=[p.pk for p in candidates]).order_by("-checked_at").first()
    if checked is not None and not (name or id_number):
        return next(p for p in candidates if p.pk == checked.person_id)
    if not (name or "").strip():
        raise _field_error("name", _("Type your name as on your ID card (first sign-in by SMS)."), "realname_missing")
    if not (id_number or "").strip():
        raise _field_error("id_number", _("Type your ID number (first sign-in by SMS)."), "realname_missing")
    for p in candidates:
        if real_name_matches(p, name=name, id_number=id_number):
            return p
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="portal.realnamecheck", reason="no match")
    raise _field_error(
        "id_number",
        _("The name and ID number do not match our record for this mobile number; ask your family doctor's team."),
        "realname_mismatch",
    )


def _new_patient_login(person: Person, phone: str) -> User:
    username = f"m{phone}"
    if User.objects.filter(username=username).exists():
        raise DomainError(_("This mobile number already has a login; sign in with its password."), code="login_exists")
    user = User(username=username, role=Role.PATIENT, display_name=person.name)
    user.set_unusable_password()
    user.save()
    Person.objects.filter(pk=person.pk, user__isnull=True).update(user=user)
    person.user = user
    audit_record(actor=user, action=AuditAction.CREATE, obj=user, person_id=person.pk, reason="first SMS sign-in")
    return user
