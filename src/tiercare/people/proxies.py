"""Proxies (issue 16): the recorded relationships by which a family member sees and acts for another on the
family's own pages — a guardian for a child, an adult child for an elderly parent, a person authorised in writing.

Each names its evidence (kind and reference) and its validity. A guardian's proxy of a child ends the day before the
child's 18th birthday, whatever end date was asked for; it goes on past that day only when renewed (with evidence:
the now-adult's signed authorisation, or a court's appointment of a guardian). A proxy is revoked, never deleted.

``portal_person_ids`` is THE answer to "whose records may this patient login see": their own person and the persons
they hold an in-force proxy for. Every patient-facing scope (people, care, referrals, consults, portal) uses it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_denied
from tiercare.core.crud import row_save
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import Role, User
from tiercare.people.models import Person, Proxy, ProxyEvidence, ProxyKind

PROXY_WRITERS = (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR, Role.ADMIN)
ADULT_AGE = 18  # 民法典 Art. 17: a person of 18 is an adult
# Evidence that may carry a guardian's proxy past the child's 18th birthday (the adult's own written authorisation,
# or a guardian appointed for an adult who cannot act, 民法典 Art. 28).
RENEWAL_EVIDENCE = (ProxyEvidence.POWER_OF_ATTORNEY, ProxyEvidence.COURT_ORDER)


def _field_error(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, details={"field": field})


def eighteenth_birthday(birth: date) -> date:
    """The day a person born on ``birth`` turns 18 (29 February → 1 March in a common year)."""
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:
        return date(birth.year + ADULT_AGE, 3, 1)


def is_minor(person: Person, on: date) -> bool:
    return person.birth_date is not None and eighteenth_birthday(person.birth_date) > on


# --- reads -----------------------------------------------------------------------------------------------------------
def held_person_ids(holder: Person, on: date | None = None) -> list[Any]:
    """The persons ``holder`` holds an in-force proxy for on ``on`` (today)."""
    return list(Proxy.objects.in_force(on).filter(holder=holder).values_list("person_id", flat=True))


def portal_person_ids(user: User, on: date | None = None) -> list[Any]:
    """The persons whose records a patient login may see and act for: their own and those they hold an in-force
    proxy for. Anyone else (staff, a patient login without a person) gets none through this function."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PATIENT):
        return []
    person = getattr(user, "person", None)
    if person is None:
        return []
    return [person.pk, *held_person_ids(person, on)]


def patient_q(user: User, field: str = "pk") -> Q:
    """A filter on any model whose ``field`` is a Person (``"pk"`` on Person itself, ``"person"`` on a referral):
    the rows a patient login may see (``portal_person_ids``)."""
    return Q(**{f"{field}__in": portal_person_ids(user)})


def proxy_list(*, person: Person) -> list[Proxy]:
    return list(Proxy.objects.filter(Q(person=person) | Q(holder=person)).select_related("holder", "person"))


# --- writes ----------------------------------------------------------------------------------------------------------
def _in_scope(by: User, *persons: Person) -> None:
    from tiercare.people.selectors import person_scope_q

    ids = [p.pk for p in persons]
    if Person.objects.filter(person_scope_q(by), pk__in=ids).count() != len(set(ids)):
        audit_denied(actor=by, object_type="people.proxy", object_id=str(ids[-1]), reason="proxy")
        raise NotFound(_("No such person."))


def proxy_record(
    *,
    by: User,
    holder: Person,
    person: Person,
    kind: str,
    evidence_kind: str,
    evidence_reference: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> Proxy:
    """Record that ``holder`` acts for ``person``. A guardian's proxy needs a child (birth date known, under 18 on
    ``valid_from``) and ends at the latest the day before the 18th birthday; the holder must be an adult. Recorded
    by the person's care team (GPs, health managers, coordinators of the household's institution) or an
    administrator; audited."""
    require_role(by, *PROXY_WRITERS)
    _in_scope(by, holder, person)
    start = valid_from or timezone.localdate()
    if holder.pk == person.pk:
        raise _field_error("holder", _("A person cannot be their own proxy."))
    if kind not in ProxyKind.values:
        raise _field_error("kind", _("Choose the relationship."))
    if evidence_kind not in ProxyEvidence.values:
        raise _field_error("evidence_kind", _("Choose the evidence shown."))
    reference = (evidence_reference or "").strip()
    if not reference:
        raise _field_error("evidence_reference", _("Write the evidence's number or description."))
    if holder.birth_date is None or is_minor(holder, start):
        raise _field_error("holder", _("The proxy must be an adult (birth date on file, 18 or older)."))
    if valid_until is not None and valid_until < start:
        raise _field_error("valid_until", _("The proxy cannot end before it starts."))
    if kind == ProxyKind.GUARDIAN:
        if not is_minor(person, start):
            raise _field_error(
                "kind", _("A guardian's proxy is for a child under 18; for an adult, record a written authorisation.")
            )
        last_day = eighteenth_birthday(person.birth_date) - timedelta(days=1)  # type: ignore[arg-type]
        valid_until = min(valid_until or last_day, last_day)
    if Proxy.objects.filter(holder=holder, person=person, revoked_at__isnull=True).exists():
        raise Conflict(_("This proxy is already recorded; renew or revoke it."), code="proxy_exists")
    row = Proxy(
        holder=holder,
        person=person,
        kind=kind,
        evidence_kind=evidence_kind,
        evidence_reference=reference[:120],
        valid_from=start,
        valid_until=valid_until,
        recorded_by=by,
    )
    try:
        with transaction.atomic():
            row_save(actor=by, obj=row, changes={"holder": holder.pk, "kind": kind, "valid_until": valid_until})
    except IntegrityError as exc:
        raise Conflict(_("This proxy is already recorded."), code="proxy_exists") from exc
    return row


def proxy_renew(
    *, by: User, proxy: Proxy, valid_until: date | None, evidence_kind: str, evidence_reference: str
) -> Proxy:
    """Carry a proxy on to ``valid_until`` (None: open-ended) with new evidence. A guardian's proxy renewed past the
    child's 18th birthday needs the adult's signed authorisation or a court's appointment."""
    require_role(by, *PROXY_WRITERS)
    _in_scope(by, proxy.holder, proxy.person)
    today = timezone.localdate()
    reference = (evidence_reference or "").strip()
    if evidence_kind not in ProxyEvidence.values:
        raise _field_error("evidence_kind", _("Choose the evidence shown."))
    if not reference:
        raise _field_error("evidence_reference", _("Write the evidence's number or description."))
    if valid_until is not None and valid_until < today:
        raise _field_error("valid_until", _("A renewal must run to today or later."))
    if proxy.kind == ProxyKind.GUARDIAN and proxy.person.birth_date is not None:
        adult_on = eighteenth_birthday(proxy.person.birth_date)
        past_18 = valid_until is None or valid_until >= adult_on
        if past_18 and evidence_kind not in RENEWAL_EVIDENCE:
            raise _field_error(
                "evidence_kind",
                _("Past the 18th birthday a proxy needs the adult's signed authorisation or a court's appointment."),
            )
    with transaction.atomic():
        locked = Proxy.objects.select_for_update().get(pk=proxy.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("This proxy was revoked; record a new one."), code="proxy_revoked")
        locked.valid_until = valid_until
        locked.evidence_kind = evidence_kind
        locked.evidence_reference = reference[:120]
        locked.renewed_at = timezone.now()
        row_save(
            actor=by,
            obj=locked,
            changes={"valid_until": valid_until, "evidence_kind": evidence_kind},
            reason="renewed",
        )
    return locked


def proxy_revoke(*, by: User, proxy: Proxy, reason: str) -> Proxy:
    require_role(by, *PROXY_WRITERS)
    _in_scope(by, proxy.holder, proxy.person)
    text = (reason or "").strip()
    if not text:
        raise _field_error("reason", _("Say why the proxy is revoked."))
    with transaction.atomic():
        locked = Proxy.objects.select_for_update().get(pk=proxy.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("This proxy was already revoked."), code="proxy_revoked")
        locked.revoked_at = timezone.now()
        locked.revoke_reason = text[:300]
        row_save(actor=by, obj=locked, changes={"revoked_at": locked.revoked_at}, reason=locked.revoke_reason)
    return locked
