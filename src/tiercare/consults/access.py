"""Who may read a case's clinical content, and fetching one object for one user (or 404, audited).

Readers of a case (regulation/README.md §6, DESIGN.md §3): the requester; the experts currently assigned to its
tele-consultations or second opinions; the chair and participants of its MDT meeting; the patient and their household
proxy; and the operations user coordinating it (``Case.coordinated_by``). Nobody else — not other GPs at the
center, not other ops, not administrators — reads it through the product. Every read is audited against the patient;
every refusal is audited as denied.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from tiercare.consults.models import Case, CaseAttachment, MdtCase, SecondOpinion, Teleconsult
from tiercare.core.audit import audit_denied, audit_patient_read
from tiercare.core.errors import NotFound
from tiercare.core.models import Role, User

M = TypeVar("M", bound=models.Model)


def case_scope_q(user: User) -> Q:
    """A filter on Case: the cases ``user`` may read."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(requested_by=user)
    if user.role == Role.OPS:
        q |= Q(coordinated_by=user)
    practitioner = getattr(user, "practitioner", None)
    if practitioner is not None:
        q |= Q(pk__in=Case.objects.filter(case_reader_expert_q(practitioner)).values("pk"))
    person = getattr(user, "person", None) if user.role == Role.PATIENT else None
    if person is not None:
        q |= Q(person=person) | Q(person__membership__household__proxy=person)
    return q


def case_reader_expert_q(practitioner: Any) -> Q:
    return (
        Q(teleconsults__expert=practitioner)
        | Q(opinions__expert=practitioner)
        | Q(mdt_cases__meeting__chair=practitioner)
        | Q(mdt_cases__meeting__participants__practitioner=practitioner)
    )


def _scoped(user: User, model: type[M]) -> models.QuerySet[M]:
    if model is Case:
        return Case.objects.filter(case_scope_q(user)).distinct()  # type: ignore[return-value]
    ids = Case.objects.filter(case_scope_q(user)).values("pk")
    return model._default_manager.filter(case_id__in=ids)


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _access(user: User, model: type[M], object_id: object, reason: str, related: tuple[str, ...]) -> M:
    oid = _as_uuid(object_id)
    row = _scoped(user, model).select_related(*related).filter(pk=oid).first() if oid else None
    label = model._meta.label_lower
    if row is None:
        audit_denied(actor=user, object_type=label, object_id=str(object_id)[:64], reason="not on the case")
        raise NotFound(_("Not found."))
    case = row if isinstance(row, Case) else row.case  # type: ignore[attr-defined]
    audit_patient_read(actor=user, person_ids=[case.person_id], object_type=label, object_id=str(row.pk), reason=reason)
    return row


def access_case_by_id(user: User, case_id: object, *, reason: str = "") -> Case:
    """The case if ``user`` is on it (read audited), else NotFound (refusal audited)."""
    return _access(user, Case, case_id, reason, ("person", "requesting_org", "requested_by"))


def access_teleconsult_by_id(user: User, teleconsult_id: object, *, reason: str = "") -> Teleconsult:
    return _access(user, Teleconsult, teleconsult_id, reason, ("case__person", "case__requesting_org", "expert"))


def access_opinion_by_id(user: User, opinion_id: object, *, reason: str = "") -> SecondOpinion:
    return _access(
        user, SecondOpinion, opinion_id, reason, ("case__person", "case__requesting_org", "expert", "signed_by")
    )


def access_mdt_by_id(user: User, mdt_id: object, *, reason: str = "") -> MdtCase:
    return _access(user, MdtCase, mdt_id, reason, ("case__person", "site"))


def access_attachment_by_id(user: User, attachment_id: object, *, reason: str = "download") -> CaseAttachment:
    """An attachment only for a user on its case: a guessed or copied URL answers 404 to anyone else."""
    return _access(user, CaseAttachment, attachment_id, reason, ("case",))
