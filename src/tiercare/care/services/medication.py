"""Prescriptions within the long-prescription rules (长期处方管理规范（试行）2021; 处方管理办法 2007).

Owns the limits (ordinary ≤7 days; long ≤4 weeks, up to 12 with an assessment and the patient's confirmation, never
for the excluded drug classes) and ``medication_prescribe``, which refuses naming the field.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.care.models import DrugClass, Enrollment, MedicationRecord
from tiercare.core.audit import audit_write
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.people.models import Person

# 长期处方管理规范（试行）2021: normally ≤4 weeks, at most 12 weeks, beyond 4 weeks with assessment + confirmation.
LONG_RX_NORMAL_MAX_DAYS = 28
LONG_RX_MAX_DAYS = 84
# 处方管理办法 2007: an ordinary prescription is ≤7 days; more is a long prescription.
ORDINARY_RX_MAX_DAYS = 7


LONG_RX_EXCLUDED = (
    DrugClass.TOXIC,
    DrugClass.RADIOACTIVE,
    DrugClass.PRECURSOR,
    DrugClass.NARCOTIC,
    DrugClass.PSYCHOTROPIC_I,
    DrugClass.PSYCHOTROPIC_II,
    DrugClass.ANTIMICROBIAL,
    DrugClass.SPECIAL_STORAGE,
)


def medication_prescribe(
    *,
    by: User,
    person: Person,
    drug_name: str,
    supply_days: int,
    prescribed_on: date,
    drug_class: str = DrugClass.ORDINARY,
    dose: str = "",
    assessment: str = "",
    patient_confirmed: bool = False,
    tb_or_fungal: bool = False,
) -> MedicationRecord:
    """Record a prescription within the long-prescription rules (长期处方管理规范（试行）, 2021):

    - more than 7 days is a long prescription, for a patient in an active chronic-care program only;
    - a long prescription never for toxic, radioactive or precursor drugs, narcotics, class I/II psychotropics,
      antimicrobials (unless for chronic TB or a fungal infection) or drugs needing special storage;
    - normally at most 4 weeks; up to 12 weeks only with a recorded assessment and the patient's confirmation;
    - never more than 12 weeks.
    Raises ValidationFailed naming the field.
    """
    if by.role not in (Role.GP, Role.ADMIN):
        raise Forbidden(_("Only a doctor prescribes."))
    check_prescription_line(
        person=person,
        drug_class=drug_class,
        supply_days=supply_days,
        assessment=assessment,
        patient_confirmed=patient_confirmed,
        tb_or_fungal=tb_or_fungal,
    )
    with transaction.atomic():
        rx = MedicationRecord.objects.create(
            person=person, drug_name=drug_name, drug_class=drug_class, dose=dose, supply_days=supply_days,
            prescribed_on=prescribed_on, prescribed_by=by, assessment=assessment,
            patient_confirmed_at=timezone.now() if patient_confirmed else None, tb_or_fungal=tb_or_fungal,
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=rx)
    return rx


def check_prescription_line(
    *,
    person: Person,
    drug_class: str,
    supply_days: int,
    assessment: str = "",
    patient_confirmed: bool = False,
    tb_or_fungal: bool = False,
) -> None:
    """The long-prescription rules for one drug (长期处方管理规范（试行）, 2021; 处方管理办法 2007), shared by every
    prescription of the network (``medication_prescribe``, online e-prescriptions): see ``medication_prescribe``.
    Raises ValidationFailed naming the field."""
    if drug_class not in DrugClass.values:
        raise ValidationFailed(_("drug_class: unknown drug class."), details={"field": "drug_class"})
    if supply_days < 1:
        raise ValidationFailed(_("supply_days: at least one day."), details={"field": "supply_days"})
    if supply_days > LONG_RX_MAX_DAYS:
        raise ValidationFailed(
            _("supply_days: a long prescription covers at most 12 weeks (84 days)."),
            code="supply_over_12_weeks",
            details={"field": "supply_days"},
        )
    if supply_days > ORDINARY_RX_MAX_DAYS:
        if not Enrollment.objects.active().filter(person=person).exists():
            raise ValidationFailed(
                _(
                    "supply_days: more than 7 days is a long prescription, only for a patient in a chronic-care "
                    "program."
                ),
                code="long_rx_not_chronic",
                details={"field": "supply_days"},
            )
        excluded = drug_class in LONG_RX_EXCLUDED and not (drug_class == DrugClass.ANTIMICROBIAL and tb_or_fungal)
        if excluded:
            raise ValidationFailed(
                _("drug_class: %(c)s cannot be given as a long prescription.") % {"c": DrugClass(drug_class).label},
                code="long_rx_excluded_class",
                details={"field": "drug_class"},
            )
    if supply_days > LONG_RX_NORMAL_MAX_DAYS:
        if not assessment.strip():
            raise ValidationFailed(
                _("assessment: beyond 4 weeks the doctor must record the assessment and its reason."),
                code="long_rx_needs_assessment",
                details={"field": "assessment"},
            )
        if not patient_confirmed:
            raise ValidationFailed(
                _("patient_confirmed: beyond 4 weeks the patient must confirm the long prescription."),
                code="long_rx_needs_confirmation",
                details={"field": "patient_confirmed"},
            )
