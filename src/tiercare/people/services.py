"""Writes of persons and households (consent: ``people.consents``). Each is one validated, audited transaction.

Persons are registered by the care team of the household they join (GPs, health managers, coordinators of the
registering organization) or by an administrator. The national ID number is validated (GB 11643-1999 check character,
date, agreement with sex and birth date) and stored only as a keyed hash, its last four characters and a masked form.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.context import zh_active
from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Division, Role, User
from tiercare.core.phone import PhoneError, normalize_cn_mobile
from tiercare.core.validation import check_birth_date
from tiercare.network.models import Organization, OrgKind
from tiercare.network.selectors import user_organization_ids
from tiercare.people.identity import IdNumberError, hash_id, id_last4, mask_id, validate_id_number
from tiercare.people.models import Household, HouseholdMember, Person, Relation
from tiercare.people.signals import person_left

PERSON_WRITERS = (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR, Role.ADMIN)


def _check_can_register_at(by: User, organization: Organization) -> None:
    require_role(by, *PERSON_WRITERS)
    if by.role != Role.ADMIN and organization.pk not in user_organization_ids(by):
        raise Forbidden(_("You may register people only at your own organization."))


def _identity_fields(*, id_kind: str, id_number: str, birth_date: date | None, sex: str) -> dict[str, Any]:
    """Validate a document number and return the fields to store (never the number itself)."""
    try:
        check = validate_id_number(
            id_number,
            id_kind,
            birth_date=birth_date,
            sex=sex if sex in ("1", "2") else None,
            region_known=lambda code: Division.objects.filter(code=code).exists(),
        )
    except IdNumberError as exc:
        raise ValidationFailed(
            f"id_number: {exc.message_zh if zh_active() else exc.message_en}",
            code=f"id_{exc.code}",
            details={"field": "id_number", "reason": exc.code},
        ) from exc
    fields: dict[str, Any] = {
        "id_kind": check.kind.value,
        "id_hash": hash_id(check.number, settings.ID_HASH_KEY),
        "id_last4": id_last4(check.number),
        "id_masked": mask_id(check.number),
    }
    if check.birth_date and birth_date is None:
        fields["birth_date"] = check.birth_date
    if check.sex and sex in ("", "0"):
        fields["sex"] = check.sex
    return fields


def _phone(value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_cn_mobile(value)
    except PhoneError as exc:
        raise ValidationFailed(
            f"phone: {exc.message_zh if zh_active() else exc.message_en}",
            code="phone_invalid",
            details={"field": "phone", "reason": exc.code},
        ) from exc


def _check_life_dates(*, birth_date: date | None, deceased_on: date | None) -> None:
    """Birth and death lie between 1900 and today, and nobody dies before they are born (ValidationFailed)."""
    for field, value in (("birth_date", birth_date), ("deceased_on", deceased_on)):
        if value is None:
            continue
        try:
            check_birth_date(value)
        except ValueError as exc:
            raise ValidationFailed(f"{field}: {exc}", details={"field": field}) from None
    if birth_date and deceased_on and deceased_on < birth_date:
        raise ValidationFailed(
            _("deceased_on: the date of death lies before the date of birth."), details={"field": "deceased_on"}
        )


def _raise_if_possible_duplicate(person: Person, *, confirmed: bool) -> None:
    """Refuse a second record of one resident (hazard log H-14: duplicate records split a history): the same
    resident ID (its keyed hash) always; the same name, birth date, sex and mobile phone unless the user confirms
    it is another person (twins with one phone have different names). Neither answer says which record matched nor
    where it is registered, so a user who may not see that record learns nothing of it."""
    if person.id_hash and Person.objects.filter(id_kind=person.id_kind, id_hash=person.id_hash).exists():
        raise Conflict(
            _("id_number: a person with this ID number is already registered."),
            code="duplicate_id",
            details={"field": "id_number"},
        )
    if confirmed or not (person.name and person.birth_date and person.phone and person.sex in ("1", "2")):
        return
    same = Person.objects.filter(
        name=person.name.strip(), birth_date=person.birth_date, sex=person.sex, phone=person.phone, archived=False
    )
    if same.exists():
        raise Conflict(
            _("A person with the same name, birth date, sex and mobile phone is already registered. Look for their "
              "record (ask the registering institution) instead of registering them again; register anyway only "
              "if this is another person."),
            code="possible_duplicate",
            details={"fields": ["name", "birth_date", "sex", "phone"], "confirm_not_duplicate": True},
        )  # fmt: skip


def person_register(
    *,
    by: User,
    household: Household,
    relation: str = Relation.OTHER,
    data: dict[str, Any],
    id_kind: str = "",
    id_number: str = "",
    confirm_not_duplicate: bool = False,
) -> Person:
    """Register a person as a member of ``household``.

    Raises Forbidden outside the writer's organization, ValidationFailed for a bad ID, phone or field, Conflict
    ``duplicate_id`` when the ID number is already registered, and ``possible_duplicate`` when a person with the same
    name, birth date, sex and mobile phone is, unless ``confirm_not_duplicate`` (then the confirmation is audited).
    Neither reveals the existing record.
    """
    _check_can_register_at(by, household.registered_at)
    data = dict(data)
    _check_life_dates(birth_date=data.get("birth_date"), deceased_on=data.get("deceased_on"))
    data["phone"] = _phone(data.get("phone", ""))
    if id_number:
        data.update(
            _identity_fields(
                id_kind=id_kind or "resident_id",
                id_number=id_number,
                birth_date=data.get("birth_date"),
                sex=data.get("sex", "0"),
            )
        )
    if relation not in Relation.values:
        raise ValidationFailed(_("relation: unknown relation %(r)s") % {"r": relation}, details={"field": "relation"})
    person = Person(**data)
    _raise_if_possible_duplicate(person, confirmed=confirm_not_duplicate)
    try:
        with transaction.atomic():
            row_save(actor=by, obj=person, changes={k: v for k, v in data.items() if k != "id_hash"})
            if confirm_not_duplicate:
                audit_write(
                    actor=by,
                    action=AuditAction.UPDATE,
                    obj=person,
                    changes={"confirmed_not_duplicate": True},
                    reason="registered although a person with the same name, birth date, sex and phone exists",
                )
            member = HouseholdMember(household=household, person=person, relation=relation)
            member.save()
            audit_write(
                actor=by,
                action=AuditAction.CREATE,
                obj=member,
                changes={"household": household.pk, "relation": relation},
            )
    except (IntegrityError, ValidationFailed) as exc:
        # The same ID number registered at the same moment elsewhere: refused by the database (IntegrityError), or
        # seen committed by row_save's uniqueness check between our check above and the insert (ValidationFailed).
        duplicate = person.id_hash and Person.objects.filter(id_kind=person.id_kind, id_hash=person.id_hash).exists()
        if isinstance(exc, ValidationFailed) and not duplicate:
            raise
        raise Conflict(
            _("id_number: a person with this ID number is already registered."),
            code="duplicate_id",
            details={"field": "id_number"},
        ) from exc
    return person


def person_update(*, by: User, person: Person, data: dict[str, Any], id_kind: str = "", id_number: str = "") -> Person:
    """Change a person's demographic fields (the caller has fetched ``person`` through access_person_by_id)."""
    household = person.membership.household if hasattr(person, "membership") else None
    if household is None:
        require_role(by, Role.ADMIN)
    else:
        _check_can_register_at(by, household.registered_at)
    data = dict(data)
    _check_life_dates(
        birth_date=data.get("birth_date", person.birth_date), deceased_on=data.get("deceased_on", person.deceased_on)
    )
    if "phone" in data:
        data["phone"] = _phone(data["phone"] or "")
    if id_number:
        data.update(
            _identity_fields(
                id_kind=id_kind or person.id_kind or "resident_id",
                id_number=id_number,
                birth_date=data.get("birth_date", person.birth_date),
                sex=data.get("sex", person.sex),
            )
        )
    changes = changed_fields(person, data)
    changes.pop("id_hash", None)
    return row_save(actor=by, obj=person, changes=changes)


def household_create(*, by: User, data: dict[str, Any]) -> Household:
    """Register a household at a GP center or hospital where ``by`` works."""
    organization = data.get("registered_at")
    if not isinstance(organization, Organization):
        raise ValidationFailed(_("registered_at: choose the GP center or hospital."))
    if organization.kind == OrgKind.DOCTOR_GROUP:
        raise ValidationFailed(_("registered_at: households register at a GP center or hospital."))
    _check_can_register_at(by, organization)
    return row_save(actor=by, obj=Household(**data), changes=data)


def household_update(*, by: User, household: Household, data: dict[str, Any]) -> Household:
    _check_can_register_at(by, household.registered_at)
    if "registered_at" in data:
        _check_can_register_at(by, data["registered_at"])
    proxy = data.get("proxy")
    if proxy is not None and not HouseholdMember.objects.filter(household=household, person=proxy).exists():
        raise ValidationFailed(_("proxy: the proxy must be a member of the household."))
    return row_save(actor=by, obj=household, changes=changed_fields(household, data))


def person_move(*, by: User, person: Person, to: Household, relation: str = Relation.OTHER) -> HouseholdMember:
    """Move a member to another household (the caller resolved both through the access functions). Both
    households are registered where ``by`` works; the person leaves the proxy role of the old household. Their
    family-doctor contract membership ends (``person_left``): the new household's own contract covers them once it
    is signed or renewed with them."""
    membership = getattr(person, "membership", None)
    if membership is None:
        raise ValidationFailed(_("person: the person is not a member of a household."), details={"field": "person"})
    if relation not in Relation.values:
        raise ValidationFailed(_("relation: choose the relation."), details={"field": "relation"})
    old = membership.household
    if old.pk == to.pk:
        raise ValidationFailed(
            _("household: the person is already a member of this household."), details={"field": "household"}
        )
    _check_can_register_at(by, old.registered_at)
    _check_can_register_at(by, to.registered_at)
    with transaction.atomic():
        member = HouseholdMember.objects.select_for_update().get(pk=membership.pk)
        member.household = to
        member.relation = relation
        member.save(update_fields=["household", "relation", "updated_at"])
        if old.proxy_id == person.pk:
            Household.objects.filter(pk=old.pk).update(proxy=None)
        audit_write(
            actor=by,
            action=AuditAction.UPDATE,
            obj=member,
            changes={"household": [str(old.pk), str(to.pk)], "relation": relation},
        )
        person_left.send(sender=Person, person=person, by=by, on=timezone.localdate(), reason="moved household")
    return member


def person_leave(*, by: User, person: Person, kind: str, on: date) -> Person:
    """Record that a member died (``kind`` = "death") or moved away from the area ("moved_away") on ``on``: the
    record stays (retention), their family-doctor contract membership ends (``person_left``), and worklists stop
    calling them."""
    household = person.membership.household if hasattr(person, "membership") else None
    if household is None:
        require_role(by, Role.ADMIN)
    else:
        _check_can_register_at(by, household.registered_at)
    field = {"death": "deceased_on", "moved_away": "moved_away_on"}.get(kind)
    if field is None:
        raise ValidationFailed(_("kind: choose death or moving away."), details={"field": "kind"})
    if getattr(person, field) is not None:
        raise Conflict(_("This has already been recorded for this person."), code="already_recorded")
    if field == "deceased_on":
        _check_life_dates(birth_date=person.birth_date, deceased_on=on)
    elif on > timezone.localdate() or (person.birth_date and on < person.birth_date):
        raise ValidationFailed(_("on: the date must lie between the birth date and today."), details={"field": "on"})
    with transaction.atomic():
        row_save(actor=by, obj=_set(person, field, on), changes={field: on})
        person_left.send(sender=Person, person=person, by=by, on=on, reason=kind)
    return person


def _set(person: Person, field: str, value: Any) -> Person:
    setattr(person, field, value)
    return person
