"""Who may read a case's clinical content, and fetching one object for one user (or 404, audited).

Readers of a case (regulation/README.md §6, DESIGN.md §3): the requester; the experts currently assigned to its
tele-consultations or second opinions; the chair and participants of its MDT meeting; the patient and whoever holds a
proxy for them; and the operations user coordinating it (``Case.coordinated_by``). Nobody else — not other GPs at the
center, not other ops, not administrators — reads it through the product. Every read is audited against the patient;
every refusal is audited as denied.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiercare.consults.models import (
    Case,
    CaseAttachment,
    EPrescription,
    MdtCase,
    MeetingHours,
    OnlineConsult,
    OnlineMessage,
    SecondOpinion,
    Teleconsult,
)
from tiercare.core.access import access_one, as_uuid
from tiercare.core.errors import NotFound
from tiercare.core.models import Role, User
from tiercare.people.proxies import patient_q

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
    if user.role == Role.PATIENT:
        q |= patient_q(user, "person")
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


def _access(user: User, model: type[M], object_id: object, reason: str, related: tuple[str, ...]) -> M:
    return access_one(
        user,
        _scoped(user, model).select_related(*related),
        object_id,
        object_type=model._meta.label_lower,
        refusal="not on the case",
        not_found=_("Not found."),
        persons=_case_person,
        reason=reason,
    )


def _case_person(row: models.Model) -> list[Any]:
    """The patient whose record a case, or an object of a case, is part of."""
    case = row if isinstance(row, Case) else row.case  # type: ignore[attr-defined]
    return [case.person_id]


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


# --- what a page form may offer (ModelChoiceField querysets): an id outside these is refused beside the field -----
def case_patients(user: User) -> models.QuerySet[Any]:
    """The patients ``user`` may open a case for: persons they may see (people.selectors.person_scope_q) registered
    in a household of their own institution (services.case_create's rule), not archived."""
    from tiercare.network.selectors import user_organization_ids
    from tiercare.people.models import Person
    from tiercare.people.selectors import person_scope_q

    if not user.is_authenticated or user.role not in (Role.GP, Role.COORDINATOR):
        return Person.objects.none()
    return (
        Person.objects.filter(
            person_scope_q(user),
            archived=False,
            membership__household__registered_at_id__in=user_organization_ids(user),
        )
        .select_related("membership__household")
        .order_by("name", "pk")
        .distinct()
    )


def consult_experts() -> models.QuerySet[Any]:
    """Experts a requester may name for a tele-consultation or opinion (routing still checks every rule)."""
    from tiercare.network.models import Practitioner

    return (
        Practitioner.objects.filter(is_active=True, user__role=Role.EXPERT, user__is_active=True)
        .select_related("home_organization")
        .order_by("name", "pk")
    )


def mdt_experts(mdt: MdtCase, specialty: str) -> models.QuerySet[Any]:
    """The experts the organiser may pick for ``specialty`` of ``mdt``: those routing qualifies for it at the site."""
    from django.utils import timezone

    from tiercare.consults import routing
    from tiercare.network.models import Practitioner

    today = timezone.localdate()
    qs, code = routing.candidates(
        specialty=specialty, site=mdt.site, today=today, deadline_day=today - timedelta(days=1)
    )
    if code:
        return Practitioner.objects.none()
    return Practitioner.objects.filter(pk__in=qs.values("pk")).order_by("name", "pk")


def mdt_coordinators() -> models.QuerySet[User]:
    """Operations users the requesting GP may hand an MDT to."""
    return User.objects.filter(role=Role.OPS, is_active=True).order_by("username")


def access_meeting_hours_by_id(user: User, hours_id: object) -> MeetingHours:
    """One of the expert's own meeting-hours windows, else NotFound."""
    oid = as_uuid(hours_id)
    practitioner = getattr(user, "practitioner", None)
    row = (
        MeetingHours.objects.filter(pk=oid, practitioner=practitioner).first()
        if oid and practitioner is not None
        else None
    )
    if row is None:
        raise NotFound(gettext("Not found."))
    return row


# --- online follow-up consultations (issue 16) ---------------------------------------------------------------------
def online_consult_scope_q(user: User) -> Q:
    """A filter on OnlineConsult: the patient and their household proxy, and the consultation's doctor. Nobody else
    reads the chat (a pharmacist reads the prescription only: ``prescription_scope_q``)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.PATIENT:
        person = getattr(user, "person", None)
        if person is None:
            return Q(pk__in=[])
        return Q(person=person) | Q(person__membership__household__proxy=person)
    practitioner = getattr(user, "practitioner", None)
    if practitioner is not None:
        return Q(doctor=practitioner)
    return Q(pk__in=[])


def prescription_scope_q(user: User) -> Q:
    """A filter on EPrescription: whoever reads its consultation, and the pharmacists of the prescribing institution."""
    from tiercare.network.selectors import user_organization_ids

    if user.is_authenticated and user.is_active and user.role == Role.PHARMACIST:
        return Q(institution_id__in=user_organization_ids(user))
    return Q(consult__in=OnlineConsult.objects.filter(online_consult_scope_q(user)).values("pk"))


def access_online_consult_by_id(user: User, consult_id: object, *, reason: str = "") -> OnlineConsult:
    """An online consultation ``user`` may read (read audited against the patient), else NotFound (audited)."""
    return access_one(
        user,
        OnlineConsult.objects.filter(online_consult_scope_q(user)).select_related(
            "person", "doctor__user", "institution", "diagnosis_enrollment", "requested_by"
        ),
        consult_id,
        object_type="consults.onlineconsult",
        refusal="not on the online consultation",
        not_found=gettext("Not found."),
        persons=lambda c: [c.person_id],
        reason=reason,
    )


def access_prescription_by_id(user: User, prescription_id: object, *, reason: str = "") -> EPrescription:
    """An e-prescription ``user`` may read (read audited against the patient), else NotFound (audited)."""
    return access_one(
        user,
        EPrescription.objects.filter(prescription_scope_q(user)).select_related(
            "consult__requested_by", "person", "doctor__user", "institution", "reviewed_by"
        ),
        prescription_id,
        object_type="consults.eprescription",
        refusal="not on the e-prescription",
        not_found=gettext("Not found."),
        persons=lambda rx: [rx.person_id],
        reason=reason,
    )


def access_online_message_by_id(user: User, message_id: object, *, reason: str = "photo") -> OnlineMessage:
    """A message (its photo) of a consultation ``user`` reads: a copied URL answers 404 to anyone else."""
    return access_one(
        user,
        OnlineMessage.objects.filter(
            consult__in=OnlineConsult.objects.filter(online_consult_scope_q(user)).values("pk")
        ).select_related("consult"),
        message_id,
        object_type="consults.onlinemessage",
        refusal="not on the online consultation",
        not_found=gettext("Not found."),
        persons=lambda m: [m.consult.person_id],
        reason=reason,
    )
