"""The case file: opening a case for a patient (only with their written consent to remote consultation on file at
the inviting institution) and the files attached to it.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tiercare.consults.models import Case, CaseAttachment
from tiercare.consults.services.moves import _clean, _save
from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied, audit_write
from tiercare.core.errors import Forbidden, NotFound, ValidationFailed
from tiercare.core.files import check_upload
from tiercare.core.models import AuditAction, Role, User
from tiercare.network.models import Organization
from tiercare.network.selectors import user_organization_ids
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.people.selectors import person_scope_q

CASE_OPENERS = (Role.GP, Role.COORDINATOR, Role.PATIENT)


def active_consent(person: Person, org: Organization) -> Consent | None:
    """The patient's active written consent to remote consultation recorded for the inviting institution."""
    return (
        Consent.objects.in_force()
        .filter(person=person, scope=ConsentScope.TELECONSULTATION)
        .filter(Q(granted_to=org) | Q(granted_to__isnull=True))
        .order_by("-granted_at")
        .first()
    )


def _requesting_org(by: User, person: Person) -> Organization:
    household = getattr(getattr(person, "membership", None), "household", None)
    if household is None:
        raise ValidationFailed(_("person: the patient is not registered in a household."), details={"field": "person"})
    if by.role != Role.PATIENT and household.registered_at_id not in user_organization_ids(by):
        raise Forbidden(_("You may open cases only for patients registered at your institution."))
    return household.registered_at


def case_create(
    *,
    by: User,
    person: Person,
    question: str,
    history: str = "",
    findings: str = "",
    current_treatment: str = "",
) -> Case:
    """Open a case for ``person``. Refused unless ``by`` may see the person (their care team, or the patient or
    proxy), and unless written consent to remote consultation is on file at the inviting institution (checked
    first: no case data is stored without it)."""
    require_role(by, *CASE_OPENERS)
    if not Person.objects.filter(person_scope_q(by), pk=person.pk).exists():
        audit_denied(actor=by, object_type="people.person", object_id=str(person.pk), reason="open case")
        raise NotFound(_("No such person."))
    org = _requesting_org(by, person)
    consent = active_consent(person, org)
    if consent is None:
        raise ValidationFailed(
            _("consent: %(person)s has no written consent to remote consultation on file at %(org)s; record it first.")
            % {"person": person.name, "org": org.name},
            code="consent_missing",
            details={"field": "consent", "scope": ConsentScope.TELECONSULTATION.value, "person": str(person.pk)},
        )
    case = Case(
        person=person,
        consent=consent,
        requested_by=by,
        requesting_practitioner=getattr(by, "practitioner", None) if by.role != Role.PATIENT else None,
        requesting_org=org,
        question=question.strip(),
        history=history,
        findings=findings,
        current_treatment=current_treatment,
    )
    _clean(case)
    with transaction.atomic():
        _save(case, by=by, action=AuditAction.CREATE)
    return case


def can_upload(by: User, case: Case) -> bool:
    """Whether ``by`` adds files to ``case``: its requester and the experts assigned to it."""
    return _can_upload(by, case)


def _can_upload(by: User, case: Case) -> bool:
    if case.requested_by_id == by.pk:
        return True
    practitioner = getattr(by, "practitioner", None)
    return practitioner is not None and (
        case.teleconsults.filter(expert=practitioner).exists() or case.opinions.filter(expert=practitioner).exists()
    )


def attachment_add(*, by: User, case: Case, upload: File) -> CaseAttachment:
    """Attach a file to ``case``. Its size is checked before it is read and its type sniffed from the bytes; a refused
    file raises ValidationFailed with the reason and leaves the case and its other attachments as they were."""
    if not _can_upload(by, case):
        raise Forbidden(_("Only the requester and the assigned experts add files to a case."))
    name = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(160)
    ctype = check_upload(name=name, size=size, head=head)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    row = CaseAttachment(
        case=case, filename=name, content_type=ctype, size=size, sha256=digest.hexdigest(), uploaded_by=by
    )
    stored = ""
    try:
        with transaction.atomic():
            row.file.save(name, upload, save=False)
            stored = row.file.name
            row.save()
            audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"filename": name, "size": size})
    except Exception:
        if stored:  # the row was not written: leave no orphan file in storage
            default_storage.delete(stored)
        raise
    return row
