"""Writes of the care app: contracts, prescriptions, enrolments, follow-ups, outreach calls, bulk recompute.

Each service is one transaction, audited with ``audit_write``; contract transitions are ``ContractEvent`` rows.
Rules and their sources: regulation/README.md §4 (contracts, panel cap, long prescriptions) and
clinical/README.md (protocols, risk equations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tiercare.care.models import (
    REMOVING_OUTCOMES,
    CareContract,
    ContractEvent,
    ContractMember,
    ContractStatus,
    ControlClass,
    DrugClass,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    GpTeam,
    GpTeamMember,
    MedicationRecord,
    OutreachCall,
    OutreachOutcome,
    OwedReason,
    Package,
    ReferralSuggestion,
    SuggestionStatus,
    TeamRole,
)
from tiercare.care.plausibility import check_measurements
from tiercare.care.protocols import FollowupInputError, classify, load_protocol
from tiercare.care.risk import RiskInputError, RiskResult, compute_risk
from tiercare.core.audit import audit_write
from tiercare.core.context import zh_active
from tiercare.core.errors import Conflict, Forbidden, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit, register
from tiercare.core.validation import check_measured_at
from tiercare.network.models import Department, Organization, Practitioner
from tiercare.people.models import Household, Person

# 国卫基层发〔2018〕35号: a family doctor should have in principle ≤2,000 contracted residents.
PANEL_CAP_DEFAULT = 2000
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
# Outreach outcomes → days until the next reminder (issue 6 §5).
REMIND_AGREED_TO_VISIT_DAYS = 30
REMIND_CALL_LATER_DAYS = 7
TEAM_WRITER_ROLES = (Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)


def panel_cap() -> int:
    """The configured panel cap per family doctor (setting CARE_PANEL_CAP, default 2,000)."""
    return int(getattr(settings, "CARE_PANEL_CAP", PANEL_CAP_DEFAULT))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _local_date(dt: datetime) -> date:
    return timezone.localtime(dt).date()


def _member_of(user: User, team: GpTeam) -> bool:
    if user.role == Role.ADMIN:
        return True
    return GpTeamMember.objects.filter(team=team, practitioner__user=user, active=True).exists()


def _require_team_member(user: User, team: GpTeam) -> None:
    if user.role not in TEAM_WRITER_ROLES or not _member_of(user, team):
        raise Forbidden(_("Only a member of this team may do this."), code="not_team_member")


def _require_resident_team(user: User, person_id: Any, refusal: str) -> None:
    """Forbidden(``refusal``) unless ``user`` writes for the team the resident is contracted with today."""
    membership = ContractMember.objects.filter(person_id=person_id, active=True).select_related("team").first()
    if membership is None or user.role not in TEAM_WRITER_ROLES or not _member_of(user, membership.team):
        raise Forbidden(refusal, code="not_team_member")


def lapse_grace_days() -> int:
    """Days after a contract expires during which its last team may still file an urgent follow-up (setting
    CARE_LAPSE_GRACE_DAYS, default 30)."""
    return int(getattr(settings, "CARE_LAPSE_GRACE_DAYS", 30))


def lapsed_membership(person_id: Any, today: date | None = None) -> ContractMember | None:
    """The resident's last membership when it ended because its contract expired and no team has them now."""
    if ContractMember.objects.filter(person_id=person_id, active=True).exists():
        return None
    last = (
        ContractMember.objects.filter(person_id=person_id, active=False)
        .select_related("team", "contract")
        .order_by("-ended_on", "-created_at")
        .first()
    )
    return last if last is not None and last.contract.status == ContractStatus.EXPIRED else None


def _resident_team_or_grace(user: User, person_id: Any, refusal: str) -> bool:
    """As ``_require_resident_team``, but the last team of a resident whose contract expired up to
    ``lapse_grace_days()`` ago is let in too (returns True: the caller allows only an urgent follow-up)."""
    membership = ContractMember.objects.filter(person_id=person_id, active=True).select_related("team").first()
    if membership is not None:
        _require_resident_team(user, person_id, refusal)
        return False
    last = lapsed_membership(person_id)
    today = timezone.localdate()
    if (
        last is None
        or user.role not in TEAM_WRITER_ROLES
        or not _member_of(user, last.team)
        or last.ended_on is None
        or today > last.ended_on + timedelta(days=lapse_grace_days())
    ):
        raise Forbidden(refusal, code="not_team_member")
    return True


def is_center_lead(user: User, center_id: Any) -> bool:
    """Whether ``user`` is the lead GP or health manager of ``center_id`` (administrators: every center)."""
    if user.role == Role.ADMIN:
        return True
    return GpTeamMember.objects.filter(
        practitioner__user=user, active=True, center_lead=True, team__active=True, team__center_id=center_id
    ).exists()


# The roles that may lead a center (issue 11: "its lead GP or health manager").
CENTER_LEAD_ROLES = (TeamRole.GP, TeamRole.HEALTH_MANAGER)


def center_lead_candidates(center_id: Any) -> QuerySet[GpTeamMember]:
    """The active family doctors and health managers of the center's active teams: who may be named its lead."""
    return (
        GpTeamMember.objects.filter(
            team__center_id=center_id, team__active=True, active=True, role__in=CENTER_LEAD_ROLES
        )
        .select_related("practitioner", "team")
        .order_by("team__name", "practitioner__name", "pk")
    )


def center_lead_set(*, by: User, center: Organization, member: GpTeamMember) -> GpTeamMember:
    """Name ``member`` the center's lead (``GpTeamMember.center_lead``), who owns its lapsed-contract and escalated
    worklists; the previous lead stops being it. Operations, administrators or the current lead may do it (the
    caller resolved the center through ``access.access_center_for_lead``). One lead per center: the center's team
    members are locked while it changes. Audited, on each row that changes.

    Raises Forbidden (anyone else), ValidationFailed naming ``member`` (not a GP or health manager of an active team
    of this center)."""
    if not (by.role in (Role.OPS, Role.ADMIN) or is_center_lead(by, center.pk)):
        raise Forbidden(_("Only operations or the center's lead name its lead."), code="not_center_lead")
    with transaction.atomic():
        rows = list(
            GpTeamMember.objects.select_for_update(of=("self",))
            .filter(team__center_id=center.pk)
            .order_by("pk")
        )  # fmt: skip
        chosen = next((m for m in rows if m.pk == member.pk), None)
        if chosen is None or not center_lead_candidates(center.pk).filter(pk=member.pk).exists():
            raise ValidationFailed(
                _("member: choose a family doctor or health manager of a team at this center."),
                details={"field": "member"},
            )
        for m in rows:
            lead = m.pk == chosen.pk
            if m.center_lead != lead:
                m.center_lead = lead
                m.save(update_fields=["center_lead", "updated_at"])
                audit_write(actor=by, action=AuditAction.UPDATE, obj=m, changes={"center_lead": [not lead, lead]})
    return chosen


# --- teams ------------------------------------------------------------------------------------------------


def team_create(
    *, by: User, center: Organization, name: str, members: Iterable[tuple[Practitioner, str, float]] = ()
) -> GpTeam:
    """Create a family-doctor team at a GP center with its members (practitioner, role, hours a week).

    Operations, administrators and the center's lead build teams (a new center, with no lead yet, gets its first
    team from operations). Raises ValidationFailed if the center is not a GP center or a role is unknown; Conflict
    if the name is taken at the center.
    """
    if by.role not in (Role.OPS, Role.ADMIN) and not (by.role in TEAM_WRITER_ROLES and is_center_lead(by, center.pk)):
        raise Forbidden(_("Only operations or the center's lead build family-doctor teams."))
    if center.tier != "gp_center":
        raise ValidationFailed(_("center: a family-doctor team belongs to a GP center."), details={"field": "center"})
    with transaction.atomic():
        if GpTeam.objects.filter(center=center, name=name).exists():
            raise Conflict(
                _("name: a team of this name exists at this center."), code="team_name_taken", details={"field": "name"}
            )
        team = GpTeam.objects.create(center=center, name=name)
        audit_write(actor=by, action=AuditAction.CREATE, obj=team)
        for practitioner, role, hours in members:
            if role not in TeamRole.values:
                raise ValidationFailed(_("role: unknown team role %(r)s") % {"r": role}, details={"field": "role"})
            m = GpTeamMember.objects.create(team=team, practitioner=practitioner, role=role, hours_per_week=hours)
            audit_write(actor=by, action=AuditAction.CREATE, obj=m)
    return team


@dataclass
class PanelInfo:
    """A family doctor's panel: contracted residents across their teams, the cap, and their time per patient."""

    practitioner_id: Any
    name: str
    panel_size: int
    cap: int
    hours_per_week: float
    minutes_per_patient_per_year: float | None

    @property
    def over_cap(self) -> bool:
        return self.panel_size > self.cap


def team_panels(team: GpTeam) -> list[PanelInfo]:
    """Panel size, cap and yearly minutes per patient of each member of ``team`` (one query per member)."""
    out: list[PanelInfo] = []
    for m in team.members.filter(active=True).select_related("practitioner"):
        team_ids = GpTeamMember.objects.filter(practitioner_id=m.practitioner_id, active=True).values("team_id")
        size = ContractMember.objects.filter(active=True, team_id__in=team_ids).count()
        hours = float(m.hours_per_week)
        minutes = round(hours * 52 * 60 / size, 1) if size else None
        out.append(PanelInfo(m.practitioner_id, m.practitioner.name, size, panel_cap(), hours, minutes))
    return out


# --- contracts --------------------------------------------------------------------------------------------


@dataclass
class ContractResult:
    contract: CareContract
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _check_term(start: date, end: date) -> None:
    if end < add_years(start, 1) - timedelta(days=1):
        raise ValidationFailed(
            _("end: a family-doctor contract runs for at least one year (from %(s)s, to %(e)s or later).")
            % {"s": start, "e": add_years(start, 1) - timedelta(days=1)},
            code="term_too_short",
            details={"field": "end"},
        )


def _enrol_members(*, by: User, contract: CareContract, persons: Iterable[Person], on: date) -> None:
    for person in persons:
        taken = ContractMember.objects.filter(person=person, active=True).select_related("team").first()
        if taken is not None:
            raise Conflict(
                _("persons: %(p)s already has a contracted team (%(t)s); terminate that contract first.")
                % {"p": person.name, "t": taken.team.name},
                code="already_contracted",
                details={"field": "persons", "person": str(person.pk)},
            )
        try:
            with transaction.atomic():
                m = ContractMember.objects.create(contract=contract, person=person, team=contract.team)
        except IntegrityError:  # a concurrent contract took this resident
            raise Conflict(
                _("persons: %(p)s was contracted with another team at the same moment.") % {"p": person.name},
                code="already_contracted",
                details={"field": "persons", "person": str(person.pk)},
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=m)
        ContractEvent.objects.create(contract=contract, kind="member_added", by=by, on=on, reason=str(person.pk))


def _panel_warnings(team: GpTeam) -> list[dict[str, Any]]:
    return [
        {
            "code": "panel_over_cap",
            "message": _("%(n)s's panel is %(s)d residents, past the cap of %(c)d.")
            % {"n": p.name, "s": p.panel_size, "c": p.cap},
            "practitioner": str(p.practitioner_id),
            "panel_size": p.panel_size,
            "cap": p.cap,
        }
        for p in team_panels(team)
        if p.over_cap and GpTeamMember.objects.filter(team=team, practitioner_id=p.practitioner_id, role="gp").exists()
    ]


def contract_sign(
    *,
    by: User,
    household: Household,
    team: GpTeam,
    start: date,
    end: date,
    package: str = Package.BASIC,
    persons: Iterable[Person] | None = None,
) -> ContractResult:
    """Sign a household with a team (regulation §4): term ≥ 1 year, one active contract per household, one
    contracted team per resident (DB conditional uniques back both). Members default to the whole household.

    Returns the contract and warnings (a family doctor's panel past the cap warns, it does not refuse).
    Raises Forbidden (not a team member), ValidationFailed (term, package, household not at the team's center,
    a person not in the household), Conflict (already contracted).
    """
    _require_team_member(by, team)
    if package not in Package.values:
        raise ValidationFailed(_("package: choose basic or personalised."), details={"field": "package"})
    if household.registered_at_id != team.center_id:
        raise ValidationFailed(
            _("household: the household is registered at another center."), details={"field": "household"}
        )
    _check_term(start, end)
    member_ids = set(household.members.values_list("person_id", flat=True))
    chosen = list(persons) if persons is not None else list(Person.objects.filter(pk__in=member_ids))
    if not chosen:
        raise ValidationFailed(_("persons: the household has no members to enrol."), details={"field": "persons"})
    for p in chosen:
        if p.pk not in member_ids:
            raise ValidationFailed(
                _("persons: a chosen person is not a member of this household."),
                details={"field": "persons"},
            )
    with transaction.atomic():
        if CareContract.objects.select_for_update().filter(household=household, status="active").exists():
            raise Conflict(
                _("household: this household already has an active contract; renew or terminate it."),
                code="household_contracted",
                details={"field": "household"},
            )
        try:
            with transaction.atomic():
                contract = CareContract.objects.create(
                    household=household, team=team, package=package, start=start, end=end, signed_by=by
                )
        except IntegrityError:
            raise Conflict(
                _("household: a contract was signed for this household at the same moment."),
                code="household_contracted",
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=contract)
        ContractEvent.objects.create(contract=contract, kind="signed", to_status="active", by=by, on=start)
        _enrol_members(by=by, contract=contract, persons=chosen, on=start)
        warnings = _panel_warnings(team)
    return ContractResult(contract, warnings)


def _end_members(contract: CareContract, on: date) -> None:
    contract.enrolled.filter(active=True).update(active=False, ended_on=on)


def contract_terminate(*, by: User, contract: CareContract, on: date, reason: str) -> CareContract:
    """Terminate an active contract (the household may then sign with another team). A reason is required."""
    _require_team_member(by, contract.team)
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the contract ends."), details={"field": "reason"})
    with transaction.atomic():
        contract = CareContract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.ACTIVE:
            raise Conflict(
                _("Only an active contract can be terminated; this one is %(s)s.")
                % {"s": ContractStatus(contract.status).label},
                code="illegal_transition",
                details={"state": contract.status},
            )
        contract.status = ContractStatus.TERMINATED
        contract.save(update_fields=["status", "updated_at"])
        _end_members(contract, on)
        ContractEvent.objects.create(
            contract=contract, kind="terminated", from_status="active", to_status="terminated", by=by, on=on,
            reason=reason[:300],
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.UPDATE, obj=contract, changes={"status": ["active", "terminated"]})
    return contract


def contract_renew(
    *, by: User, contract: CareContract, end: date | None = None, package: str | None = None
) -> ContractResult:
    """Renew a contract for a further term (≥ 1 year, default one year) with the same team; members carry over.

    An active contract renews from the day after it ends. An expired (lapsed) one renews from today, for the
    members it had at expiry who have not since been contracted elsewhere: they leave the center's "contract
    lapsed" worklist (issue 11). Audited, and recorded as a ``renewed`` event on the old contract.
    Raises Forbidden (not a member of the team), ValidationFailed (term, package), Conflict (the contract is
    terminated or already renewed; the household has another active contract meanwhile).
    """
    expired = contract.status == ContractStatus.EXPIRED
    if not (expired and by.role in TEAM_WRITER_ROLES and is_center_lead(by, contract.team.center_id)):
        _require_team_member(by, contract.team)  # a lapsed contract may also be renewed by the center's lead
    start = max(contract.end + timedelta(days=1), timezone.localdate()) if expired else contract.end + timedelta(days=1)
    end = end or add_years(start, 1) - timedelta(days=1)
    _check_term(start, end)
    package = package or contract.package
    if package not in Package.values:
        raise ValidationFailed(_("package: choose basic or personalised."), details={"field": "package"})
    with transaction.atomic():
        old = CareContract.objects.select_for_update().get(pk=contract.pk)
        if old.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
            raise Conflict(
                _("Only an active or lapsed contract can be renewed; this one is %(s)s.")
                % {"s": ContractStatus(old.status).label},
                code="illegal_transition",
                details={"state": old.status},
            )
        if old.status == ContractStatus.EXPIRED:
            if CareContract.objects.filter(household=old.household, status=ContractStatus.ACTIVE).exists():
                raise Conflict(
                    _("household: the household has signed another contract since this one lapsed."),
                    code="household_contracted",
                    details={"field": "household"},
                )
            taken = ContractMember.objects.filter(active=True).values("person_id")
            persons = [
                m.person
                for m in old.enrolled.filter(active=False, ended_on=old.end)
                .exclude(person_id__in=taken)
                .select_related("person")
            ]
        else:
            persons = [m.person for m in old.enrolled.filter(active=True).select_related("person")]
        before = old.status
        old.status = ContractStatus.RENEWED
        old.save(update_fields=["status", "updated_at"])
        _end_members(old, old.end)
        ContractEvent.objects.create(
            contract=old, kind="renewed", from_status=before, to_status="renewed", by=by, on=start
        )
        new = CareContract.objects.create(
            household=old.household, team=old.team, package=package, start=start, end=end, renewal_of=old,
            signed_by=by,
        )  # fmt: skip
        ContractEvent.objects.create(contract=new, kind="signed", to_status="active", by=by, on=start)
        _enrol_members(by=by, contract=new, persons=persons, on=start)
        audit_write(actor=by, action=AuditAction.UPDATE, obj=old, changes={"status": [before, "renewed"]})
        audit_write(actor=by, action=AuditAction.CREATE, obj=new)
    return ContractResult(new, _panel_warnings(new.team))


def contracts_expire(*, today: date) -> int:
    """Mark active contracts whose term has ended as expired and end their members' enrolment (tick)."""
    n = 0
    for contract in CareContract.objects.filter(status="active", end__lt=today):
        with transaction.atomic():
            CareContract.objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED)
            _end_members(contract, contract.end)
            ContractEvent.objects.create(
                contract=contract, kind="expired", from_status="active", to_status="expired", on=today
            )
            audit_write(actor=None, action=AuditAction.UPDATE, obj=contract, changes={"status": ["active", "expired"]})
        n += 1
    return n


# --- medication -------------------------------------------------------------------------------------------


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
    with transaction.atomic():
        rx = MedicationRecord.objects.create(
            person=person, drug_name=drug_name, drug_class=drug_class, dose=dose, supply_days=supply_days,
            prescribed_on=prescribed_on, prescribed_by=by, assessment=assessment,
            patient_confirmed_at=timezone.now() if patient_confirmed else None, tb_or_fungal=tb_or_fungal,
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=rx)
    return rx


# --- enrolment and follow-ups -------------------------------------------------------------------------------


def age_on(person: Person, on: date) -> int | None:
    b = person.birth_date
    if b is None:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def enrollment_create(
    *,
    by: User,
    person: Person,
    protocol_code: str,
    diagnosis_code: str,
    enrolled_on: date,
    schedule_from: date | None = None,
) -> Enrollment:
    """Enrol a contracted resident in a chronic-care program under a shipped protocol, recording its version.

    The resident must be contracted with a team of ``by``; the protocol's eligibility (age, ICD-10 diagnosis,
    or for a protocol with a risk criterion the ten-year risk of the person's latest follow-up that computed
    one) holds. The first follow-up falls due within the protocol's recheck interval. ``schedule_from`` is the
    day a phased interval counts from (e.g. the end of cancer treatment; on or before the enrolment), the
    enrolment itself when None. Raises ValidationFailed (unknown protocol, not eligible, a bad ``schedule_from``),
    Conflict (already enrolled), Forbidden (not the resident's team).
    """
    from tiercare.care.protocols import ProtocolError, is_eligible, protocol_version

    membership = ContractMember.objects.filter(person=person, active=True).select_related("team").first()
    if membership is None:
        raise ValidationFailed(_("person: the resident has no family-doctor contract."), details={"field": "person"})
    _require_team_member(by, membership.team)
    try:
        protocol = load_protocol(protocol_code)
        version = protocol_version(protocol_code)
    except ProtocolError as exc:
        raise ValidationFailed(f"protocol_code: {exc.message}", details={"field": "protocol_code"}) from None
    if schedule_from is not None and not (enrolled_on - timedelta(days=366 * 50) <= schedule_from <= enrolled_on):
        raise ValidationFailed(
            _("schedule_from: the day intervals count from (e.g. the end of treatment) must be on or before the "
              "enrolment, and within 50 years of it."),
            details={"field": "schedule_from"},
        )  # fmt: skip
    age = age_on(person, enrolled_on)
    risk_percent = None
    if protocol.eligibility_risk is not None:  # follow-ups compute China-PAR only (_try_risk)
        risk_percent = _usable_risk(person, enrolled_on)
    if age is None or not is_eligible(
        protocol,
        age_years=age,
        diagnosis_codes=[diagnosis_code],
        risk_percent=risk_percent,
        risk_equation="china_par" if risk_percent is not None else None,
    ):
        zh = zh_active()
        name, diagnosis = (protocol.name.zh, protocol.diagnosis.zh) if zh else (protocol.name.en, protocol.diagnosis.en)
        if protocol.eligibility_risk is not None:
            risk = protocol.eligibility_risk.label
            diagnosis = _("%(d)s, or %(r)s (from the latest follow-up that computed it)") % {
                "d": diagnosis,
                "r": risk.zh if zh else risk.en,
            }
        raise ValidationFailed(
            _("diagnosis_code: %(p)s needs age %(a)s or more and a diagnosis of %(d)s.")
            % {"p": name, "a": int(protocol.min_age_years), "d": diagnosis},
            code="not_eligible",
            details={"field": "diagnosis_code"},
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                e = Enrollment.objects.create(
                    person=person, protocol_code=protocol_code, protocol_version=version.version,
                    protocol_sha256=version.sha256, enrolled_on=enrolled_on, schedule_from=schedule_from,
                    next_due_on=enrolled_on + timedelta(days=protocol.recheck_days),
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(
                _("protocol_code: the person is already enrolled in this program."), code="already_enrolled"
            ) from None
        audit_write(actor=by, action=AuditAction.CREATE, obj=e)
    return e


def _usable_risk(person: Person, on: date) -> float | None:
    """The latest follow-up's China-PAR risk when it may still be used on ``on``: not older than 12 months and the
    person's age within the equation's range (``risk.risk_staleness``); None otherwise (issue 11)."""
    from tiercare.care.risk import risk_staleness

    latest = (
        FollowUp.objects.filter(person=person, voided_at__isnull=True, risk_percent__isnull=False)
        .order_by("-measured_at")
        .values_list("risk_percent", "measured_at")
        .first()
    )
    if latest is None:
        return None
    stale = risk_staleness(
        equation="china_par", computed_on=_local_date(latest[1]), age_now=age_on(person, on), today=on
    )
    return None if stale else latest[0]


def risk_inputs(person: Person, measurements: Mapping[str, Any], on: date, *, diabetes: bool) -> dict[str, Any]:
    """The risk-equation JSON for a person from a follow-up's measurements (see ``risk.compute_risk``).

    Sex and age come from the person; the rest from what the follow-up recorded. Missing inputs stay missing,
    so that the equation names them rather than guessing.
    """
    data: dict[str, Any] = {k: measurements[k] for k in (
        "total_chol_mmol_l", "hdl_mmol_l", "sbp_mmhg", "waist_cm", "north", "urban", "family_history_ascvd",
        "race", "bp_treated",
    ) if measurements.get(k) is not None}  # fmt: skip
    if person.sex in ("1", "2"):
        data["sex"] = "male" if person.sex == "1" else "female"
    age = age_on(person, on)
    if age is not None:
        data["age_years"] = age
    if measurements.get("smoker") is not None:
        data["current_smoker"] = measurements["smoker"]
    # An enrolled diabetic is diabetic whatever a follow-up's own flag says (omitted, null or false).
    data["diabetes"] = diabetes or measurements.get("diabetes") is True
    return data


def _try_risk(data: dict[str, Any]) -> RiskResult | None:
    try:
        return compute_risk({"equation": "china_par", **data})
    except RiskInputError:
        return None


# The control targets a follow-up is counted "controlled" by, and the dashboards with it: (measured item, the
# protocol threshold it must stay below). The numbers are the protocol's data (``thresholds`` of hypertension.json:
# 140/90 mmHg; diabetes_t2.json: fasting glucose 7.0 mmol/L — NBPHS 2017), never constants here.
CONTROL_TARGETS: dict[str, tuple[tuple[str, str], ...]] = {
    "hypertension": (("sbp_mmhg", "sbp_control_target_mmhg"), ("dbp_mmhg", "dbp_control_target_mmhg")),
    "diabetes_t2": (("fasting_glucose_mmol_l", "glucose_control_target_mmol_l"),),
}
# Hypoglycaemia: a glucose at or below this protocol threshold (diabetes_t2.json: 3.9 mmol/L, NBPHS 2017 "血糖
# ≤3.9 mmol/L" urgent referral, any glucose) is its own class and never "controlled".
HYPOGLYCAEMIA_THRESHOLD = "glucose_urgent_low_mmol_l"
GLUCOSE_ITEMS = ("fasting_glucose_mmol_l", "random_glucose_mmol_l", "glucose_mmol_l")


def is_hypoglycaemic(protocol: Any, m: Mapping[str, Any]) -> bool:
    """Whether any glucose reading is at or below the protocol's hypoglycaemia threshold (when it has one)."""
    t = protocol.thresholds.get(HYPOGLYCAEMIA_THRESHOLD)
    if t is None:
        return False
    return any(isinstance(m.get(k), int | float) and m[k] <= t.value for k in GLUCOSE_ITEMS)


# A target that changes with age: (the threshold naming the age it applies from, the target from that age). Both are
# the protocol's data and present only when the protocol, as the person's center decided it, has the variant on
# (hypertension.json HTN-TARGET-65-150: <150/90 mmHg from 65, NBPHS 2017 3rd ed.; on by default).
AGE_SPECIFIC_TARGETS: dict[str, tuple[str, str]] = {
    "sbp_control_target_mmhg": ("elderly_age_years", "sbp_control_target_65_plus_mmhg"),
}


def _target_value(protocol: Any, name: str, age: int | None) -> float:
    """The value of control target ``name`` for a person aged ``age`` (``AGE_SPECIFIC_TARGETS``)."""
    t = protocol.thresholds
    from_age, older = AGE_SPECIFIC_TARGETS.get(name, ("", ""))
    if age is not None and from_age in t and older in t and age >= t[from_age].value:
        return t[older].value
    return t[name].value


def control_targets(code: str) -> dict[str, float]:
    """The protocol's control targets the dashboard shows (threshold name -> value), read from its data; with the
    default variants, the age-specific ones too (e.g. ``sbp_control_target_65_plus_mmhg`` and ``elderly_age_years``)."""
    protocol = load_protocol(code)
    out = {name: protocol.thresholds[name].value for _item, name in CONTROL_TARGETS.get(code, ())}
    for name in list(out):
        for extra in AGE_SPECIFIC_TARGETS.get(name, ()):
            if extra in protocol.thresholds:
                out[extra] = protocol.thresholds[extra].value
    return out


def _controlled(protocol: Any, m: Mapping[str, Any], age: int | None = None) -> bool | None:
    """Controlled at this follow-up: every target item below the protocol's threshold for the person's ``age`` on
    the day (``_target_value``: <150/90 from 65 under the age-specific target, else <140/90); hypoglycaemia never is;
    None when an item is missing (or the protocol has no dashboard target)."""
    targets = CONTROL_TARGETS.get(protocol.code)
    if not targets:
        return None
    if is_hypoglycaemic(protocol, m):
        return False
    values = [(m.get(item), _target_value(protocol, name, age)) for item, name in targets]
    if any(v is None for v, _t in values):
        return None
    return all(v < t for v, t in values)


def followup_record(
    *,
    by: User,
    enrollment: Enrollment,
    person_id: Any,
    measured_at: datetime,
    measurements: Mapping[str, Any],
    confirm_units: bool = False,
) -> FollowUp:
    """File a follow-up, classify it under the protocol, set the next due date and actions.

    A value possible in two units (glucose above 33.3 mmol/L, a weight that may be in 斤, ...: see
    ``plausibility.unit_questions``) is refused with ``unit_confirmation_required`` naming the field and the likely
    unit until ``confirm_units`` is given; it is never refused outright (a real extreme is an emergency).

    - ``person_id`` must name the enrolment's person (a reading is never filed against the wrong person);
    - impossible values are refused (plausibility), naming the field; a missing required item too;
    - ``measured_at`` (clinical time) not in the future and not before the latest follow-up;
    - the protocol's version and sha256 are stored with the follow-up;
    - refer-up or urgent actions create a ReferralSuggestion (second consecutive unsatisfactory, complication,
      urgent thresholds), and the protocol's recheck sets the 2-week re-follow.
    Raises ValidationFailed (422, field named), Conflict (enrolment ended), Forbidden (not the team).
    """
    if str(person_id) != str(enrollment.person_id):
        raise ValidationFailed(
            _("person_id: this enrolment belongs to another person; check the patient before filing."),
            code="wrong_person",
            details={"field": "person_id"},
        )
    in_grace = _resident_team_or_grace(
        by, enrollment.person_id, _("Only the resident's contracted team files follow-ups.")
    )
    born = Person.objects.filter(pk=enrollment.person_id).values_list("birth_date", flat=True).first()
    try:
        check_measured_at(measured_at, born)
    except ValueError as exc:
        raise ValidationFailed(f"measured_at: {exc}", details={"field": "measured_at"}) from None
    problems = check_measurements(measurements)
    if problems:
        raise ValidationFailed(
            f"{problems[0].field}: {problems[0].message_en}",
            code="implausible",
            details={"field": problems[0].field, "problems": [
                {"field": p.field, "code": p.code, "message": p.message_en, "message_zh": p.message_zh}
                for p in problems
            ]},
        )  # fmt: skip
    _raise_unless_units_confirmed(measurements, confirm_units)
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().select_related("person").get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        latest = e.followups.filter(voided_at__isnull=True).order_by("-measured_at").first()
        if latest is not None and measured_at <= latest.measured_at:
            raise ValidationFailed(
                _("measured_at: a later follow-up (%(d)s) is already filed; enter follow-ups in order.")
                % {"d": timezone.localtime(latest.measured_at).strftime("%Y-%m-%d %H:%M")},
                details={"field": "measured_at"},
            )
        day = _local_date(measured_at)
        if latest is not None and _local_date(latest.measured_at) == day:
            # one follow-up a day per program: readings on the same day count once (NBPHS screening: three readings
            # on different days), so a second one is refused naming the field, never classified as another visit
            raise ValidationFailed(
                _("measured_at: a follow-up of this program is already filed on %(d)s; one a day — void it to file "
                  "it again.") % {"d": day.isoformat()},
                code="same_day",
                details={"field": "measured_at"},
            )  # fmt: skip
        protocol = protocol_for_enrollment(e)
        visit = {**measurements, "age_years": age_on(e.person, day), "date": day.isoformat()}
        if visit["age_years"] is None:
            visit.pop("age_years")
        try:
            c = classify(
                protocol,
                visit,
                _previous_visits(e),
                schedule_start=e.schedule_from or e.enrolled_on,
            )
        except FollowupInputError as exc:  # the engine words its refusals in both languages
            message = exc.message_zh if zh_active() else exc.message
            raise ValidationFailed(
                f"{exc.field}: {message}", code=exc.code, details={"field": exc.field, "message_en": exc.message}
            ) from None
        if in_grace and not c.urgent:
            raise Forbidden(
                _("The family-doctor contract has lapsed: in the grace period only an urgent follow-up may be "
                  "filed. Renew the contract to file this one."),
                code="contract_lapsed",
            )  # fmt: skip
        diabetic = Enrollment.objects.active().filter(person_id=e.person_id, protocol_code="diabetes_t2").exists()
        risk = _try_risk(risk_inputs(e.person, measurements, day, diabetes=diabetic))
        fu = FollowUp.objects.create(
            enrollment=e,
            person_id=e.person_id,
            measured_at=measured_at,
            recorded_by=by,
            measurements=dict(measurements),
            control_class=ControlClass.HYPOGLYCAEMIA if is_hypoglycaemic(protocol, measurements) else c.control_class,
            urgent=c.urgent,
            fired_rules=[
                {
                    "id": r.id,
                    "explanation_en": r.explanation.en,
                    "explanation_zh": r.explanation.zh,
                    "source_en": r.source_text.en,
                    "source_zh": r.source_text.zh,
                }
                for r in c.fired_rules
            ],
            actions=list(c.actions.codes()),
            next_due_on=day + timedelta(days=c.next_due_in_days),
            was_due_on=e.next_due_on,
            on_time=e.next_due_on is None or day <= e.next_due_on,
            controlled=_controlled(protocol, measurements, visit.get("age_years")),
            protocol_version=str(protocol.version.version),
            protocol_sha256=protocol.version.sha256,
            risk_percent=risk.risk_percent if risk else None,
            risk_band=risk.band.code if risk else "",
            risk_equation=risk.equation if risk else "",
            risk_inputs=risk_inputs(e.person, measurements, day, diabetes=diabetic) if risk else {},
        )
        audit_write(actor=by, action=AuditAction.CREATE, obj=fu, changes={"fired_rules": list(c.fired_rule_ids)})
        suggested = c.actions.refer_up or c.actions.urgent_referral
        if suggested:
            ReferralSuggestion.objects.create(
                person_id=e.person_id,
                followup=fu,
                urgent=c.actions.urgent_referral,
                rule_ids=list(c.fired_rule_ids),
                reason=c.explanation_en,
                due_on=suggestion_due_on(day, urgent=c.actions.urgent_referral),
                specialty=suggested_specialty(
                    e.protocol_code, list(c.fired_rule_ids), urgent=c.actions.urgent_referral
                ),
            )
        changes: dict[str, Any] = {
            "next_due_on": fu.next_due_on,
            "control_class": fu.control_class,
            "controlled": fu.controlled,
            "last_followup_on": day,
            "outreach_removed_reason": "",
            "remind_after": None,
        }
        if e.followup_owed_since is not None and day >= e.followup_owed_since:
            # the owed follow-up is done
            changes |= {"followup_owed_by": None, "followup_owed_since": None, "followup_owed_reason": ""}
        owing: list[tuple[date, str]] = []
        if suggested:
            # NBPHS 2017: after a call to refer, follow up within 2 weeks — owed from the day the suggestion is made,
            # not only once a referral is taken; kept against the nightly recompute until a later follow-up.
            owing.append((day + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS), OwedReason.REFERRAL))
        owing += _owed_by_rules(protocol, c.fired_rule_ids, day)
        if owing:
            prior = changes.get("followup_owed_by", e.followup_owed_by)
            reason = changes.get("followup_owed_reason", e.followup_owed_reason) if prior else ""
            for owed, why in owing:  # the earliest date owes it; at the same date the more specific reason names it
                if prior is None or owed <= prior:
                    prior, reason = owed, why
            changes |= {
                "followup_owed_by": prior,
                "followup_owed_since": day + timedelta(days=1),
                "followup_owed_reason": reason,
                "next_due_on": min(fu.next_due_on, prior),
            }
        if risk is not None:
            changes |= {
                "previous_risk_percent": e.risk_percent,
                "risk_percent": risk.risk_percent,
                "risk_rose": e.risk_percent is not None and risk.risk_percent > e.risk_percent,
            }
        for k, v in changes.items():
            setattr(e, k, v)
        e.save(update_fields=[*changes, "updated_at"])
    return fu


# A fired rule whose next follow-up is one of these named intervals of its protocol owes that follow-up (issue 11,
# hazard log H-16): the NBPHS 2017 hypertension screening path (cardiovascular_risk.json ``bp_remeasure``: re-measure
# within 2 weeks; three readings on different days) and an alarm sign's re-check (cancer_survivorship.json
# ``urgent_recheck``: 14 days). The interval's length is the protocol's data; the reason names the worklist.
OWED_FOLLOWUP_INTERVALS: dict[str, str] = {
    "bp_remeasure": OwedReason.SCREENING,
    "urgent_recheck": OwedReason.URGENT_RECHECK,
}


def _owed_by_rules(protocol: Any, fired_rule_ids: Iterable[str], day: date) -> list[tuple[date, str]]:
    """The follow-ups the fired rules owe (``OWED_FOLLOWUP_INTERVALS``): (by when, why) for each."""
    out = []
    for rule_id in fired_rule_ids:
        interval = protocol.rule(rule_id).next_due
        if interval in OWED_FOLLOWUP_INTERVALS and interval in protocol.named_intervals:
            out.append((day + timedelta(days=protocol.named_intervals[interval]), OWED_FOLLOWUP_INTERVALS[interval]))
    return out


def enrollment_end(*, by: User, enrollment: Enrollment, reason: str, on: date | None = None) -> Enrollment:
    """End an active enrolment with a reason (kept, audited): by the resident's contracted team, or — for a resident
    whose contract lapsed — by the lead of the center that held the contract. Takes the person off the center's
    "contract lapsed" worklist when it was their last active program.

    Raises ValidationFailed naming ``reason`` (blank), Forbidden (neither the team nor the center's lead),
    Conflict ``illegal_transition`` (already ended).
    """
    if not reason.strip():
        raise ValidationFailed(
            _("reason: say why the enrolment ends."), code="reason_required", details={"field": "reason"}
        )
    lapsed = lapsed_membership(enrollment.person_id)
    if lapsed is None or not is_center_lead(by, lapsed.team.center_id):
        _require_resident_team(by, enrollment.person_id, _("Only the resident's team or the center's lead may end it."))
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if e.status != EnrollmentStatus.ACTIVE:
            raise Conflict(_("The enrolment has ended."), code="illegal_transition", details={"state": e.status})
        e.status, e.ended_on, e.end_reason = EnrollmentStatus.ENDED, on or timezone.localdate(), reason.strip()[:200]
        e.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
        audit_write(actor=by, action=AuditAction.UPDATE, obj=e, changes={"status": ["active", "ended"]}, reason=reason)
    return e


def _previous_visits(e: Enrollment, n: int = 6) -> list[dict[str, Any]]:
    """The enrolment's latest ``n`` non-void follow-ups as the engine takes them, each with its local date and the
    person's age on that day (a target that depends on age, e.g. <150/90 at 65 or more, must judge the earlier
    visit under the same rule, so that "unsatisfactory twice in a row" still fires)."""
    out = []
    for fu in e.followups.filter(voided_at__isnull=True).order_by("-measured_at")[:n]:
        day = _local_date(fu.measured_at)
        visit = {**fu.measurements, "date": day.isoformat()}
        age = age_on(e.person, day)
        if age is not None:
            visit["age_years"] = age
        out.append(visit)
    return out


def _raise_unless_units_confirmed(measurements: Mapping[str, Any], confirmed: bool) -> None:
    """ValidationFailed ``unit_confirmation_required`` (422) naming each value that may be in another unit, unless
    the user confirmed the units (issue 11: refuse typing errors, never a real emergency)."""
    from tiercare.care.plausibility import unit_questions

    questions = [] if confirmed else unit_questions(measurements)
    if questions:
        q = questions[0]
        raise ValidationFailed(
            f"{q.field}: {q.message_zh if zh_active() else q.message_en}",
            code="unit_confirmation_required",
            details={"field": q.field, "confirm_units": True, "problems": [
                {"field": x.field, "code": "unit_confirmation_required", "likely_unit": x.likely_unit,
                 "converted": x.converted, "message": x.message_en, "message_zh": x.message_zh}
                for x in questions
            ]},
        )  # fmt: skip


def followup_void(*, by: User, followup: FollowUp, reason: str) -> FollowUp:
    """Void a follow-up filed in error (e.g. against the wrong person); kept, never deleted. The enrolment's
    due date, control and risk are recomputed from the remaining follow-ups."""
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the follow-up is void."), details={"field": "reason"})
    _require_resident_team(by, followup.person_id, _("Only the resident's contracted team voids follow-ups."))
    with transaction.atomic():
        fu = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if fu.voided_at is not None:
            raise Conflict(_("This follow-up is already void."), code="illegal_transition")
        fu.voided_at, fu.void_reason = timezone.now(), reason[:200]
        fu.save(update_fields=["voided_at", "void_reason", "updated_at"])
        ReferralSuggestion.objects.filter(followup=fu, status="open").update(status="dismissed")
        audit_write(actor=by, action=AuditAction.UPDATE, obj=fu, changes={"voided": [False, True]}, reason=reason)
        enrollments_recompute(queryset=Enrollment.objects.filter(pk=fu.enrollment_id))
    return fu


def outreach_call_record(
    *, by: User, enrollment: Enrollment, outcome: str, called_at: datetime, note: str = ""
) -> OutreachCall:
    """Record a call to an overdue patient. Agreed to visit → remind again if not seen in 30 days; call later
    → 7 days; moved, deceased, transferred → off the worklist with that reason (still counted).

    Unreachable → try again on another day (reminder the next day); the patient comes off the worklist only when
    ``settings.CARE_UNREACHABLE_ATTEMPTS`` (default 3) unreachable calls on different local days have been made
    since the last contact (the latest follow-up, or a call that reached them) — hazard H-17: one missed call must
    not end the outreach of an uncontrolled patient. The call returned carries ``unreachable_attempts`` (that count)
    and ``off_worklist``."""
    if outcome not in OutreachOutcome.values:
        raise ValidationFailed(_("outcome: unknown outcome."), details={"field": "outcome"})
    _require_resident_team(by, enrollment.person_id, _("Only the resident's contracted team records calls."))
    day = _local_date(called_at)
    remind = None
    if outcome == OutreachOutcome.AGREED_TO_VISIT:
        remind = day + timedelta(days=REMIND_AGREED_TO_VISIT_DAYS)
    elif outcome == OutreachOutcome.CALL_LATER:
        remind = day + timedelta(days=REMIND_CALL_LATER_DAYS)
    with transaction.atomic():
        e = Enrollment.objects.select_for_update().get(pk=enrollment.pk)  # attempts are counted one call at a time
        call = OutreachCall.objects.create(
            enrollment=e,
            called_at=called_at,
            by=by,
            outcome=outcome,
            note=note[:300],
            remind_after=remind,
        )
        attempts = unreachable_attempts(e) if outcome == OutreachOutcome.UNREACHABLE else 0
        removed = ""
        if outcome == OutreachOutcome.UNREACHABLE:
            if attempts >= settings.CARE_UNREACHABLE_ATTEMPTS:
                removed = outcome
            else:
                remind = day + timedelta(days=1)  # the next attempt counts only on another day
                call.remind_after = remind
                call.save(update_fields=["remind_after", "updated_at"])
        elif outcome in REMOVING_OUTCOMES:
            removed = outcome
        Enrollment.objects.filter(pk=e.pk).update(
            remind_after=None if removed else remind, outreach_removed_reason=removed
        )
        changes: dict[str, Any] = {"outcome": outcome}
        if outcome == OutreachOutcome.UNREACHABLE:
            changes |= {"unreachable_attempts": attempts, "off_worklist": bool(removed)}
        audit_write(actor=by, action=AuditAction.CREATE, obj=call, changes=changes)
    call.unreachable_attempts = attempts  # type: ignore[attr-defined]
    call.attempts_needed = settings.CARE_UNREACHABLE_ATTEMPTS  # type: ignore[attr-defined]
    call.off_worklist = bool(removed)  # type: ignore[attr-defined]
    return call


def unreachable_attempts(enrollment: Enrollment) -> int:
    """The failed attempts to reach the patient since the last contact: the local days with an "unreachable" call
    after the latest follow-up day and after the latest call that reached them (any other outcome)."""
    calls = OutreachCall.objects.filter(enrollment=enrollment)
    reached = (
        calls.exclude(outcome=OutreachOutcome.UNREACHABLE).order_by("-called_at").values_list("called_at", flat=True)
    ).first()
    failed = calls.filter(outcome=OutreachOutcome.UNREACHABLE)
    if reached is not None:
        failed = failed.filter(called_at__gt=reached)
    days = {_local_date(at) for at in failed.values_list("called_at", flat=True)}
    if enrollment.last_followup_on is not None:
        days = {d for d in days if d > enrollment.last_followup_on}
    return len(days)


# --- bulk recompute -----------------------------------------------------------------------------------------


def _latest(field_name: str, *, with_risk: bool = False, offset: int = 0) -> Subquery:
    qs = FollowUp.objects.filter(enrollment_id=OuterRef("pk"), voided_at__isnull=True)
    if with_risk:
        qs = qs.filter(risk_percent__isnull=False)
    return Subquery(qs.order_by("-measured_at").values(field_name)[offset : offset + 1])


def enrollments_recompute(
    *,
    queryset: QuerySet[Enrollment] | None = None,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> int:
    """Recompute next due date, control status and risk of every active enrolment from its follow-ups.

    Set-based, in batches of enrolment ids (keyset order), never a query per person. On PostgreSQL one
    ``UPDATE … FROM`` per batch over one window pass of the batch's follow-ups (the latest non-void one, and the two
    latest risk-bearing ones), writing only the rows that changed; with ``workers`` > 1 the batches are shared by
    that many threads, each on its own connection and transaction (the batches touch disjoint rows). Elsewhere
    one ``UPDATE`` with correlated subqueries and one for ``risk_rose``, on the calling connection. An enrolment
    without follow-ups keeps its due date. ``progress(n)`` is called after each batch. Returns the number of
    enrolments recomputed.
    """
    qs = queryset if queryset is not None else Enrollment.objects.active()
    ids = qs.order_by("pk").values_list("pk", flat=True)
    batches: list[list[Any]] = []
    last = None
    while True:
        page = ids.filter(pk__gt=last) if last is not None else ids
        batch = list(page[:batch_size])
        if not batch:
            break
        last = batch[-1]
        batches.append(batch)
    postgres = connection.vendor == "postgresql"

    def run(batch: list[Any]) -> int:
        with transaction.atomic():
            if postgres:
                _recompute_batch_postgres(batch)
            else:
                _recompute_batch_portable(batch)
        if progress:
            progress(len(batch))
        return len(batch)

    if workers <= 1 or not postgres or len(batches) < 2:
        return sum(run(b) for b in batches)

    def run_in_thread(batch: list[Any]) -> int:
        try:
            return run(batch)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(run_in_thread, batches))


def _recompute_batch_portable(batch: list[Any]) -> None:
    Enrollment.objects.filter(pk__in=batch).update(
        next_due_on=Coalesce(_latest("next_due_on"), F("next_due_on")),
        control_class=Coalesce(_latest("control_class"), F("control_class")),
        controlled=_latest("controlled"),
        last_followup_on=_latest_day(),
        risk_percent=_latest("risk_percent", with_risk=True),
        previous_risk_percent=_latest("risk_percent", with_risk=True, offset=1),
    )
    # a follow-up owed after a referral (Enrollment.followup_owed_by) and not yet filed keeps the due date early
    Enrollment.objects.filter(pk__in=batch, followup_owed_by__isnull=False).filter(
        Q(last_followup_on__isnull=True) | Q(last_followup_on__lt=F("followup_owed_since"))
    ).update(next_due_on=Least(Coalesce(F("next_due_on"), F("followup_owed_by")), F("followup_owed_by")))
    Enrollment.objects.filter(pk__in=batch).update(
        risk_rose=ExpressionWrapper(
            Q(risk_percent__isnull=False, previous_risk_percent__isnull=False)
            & Q(risk_percent__gt=F("previous_risk_percent")),
            output_field=BooleanField(),
        )
    )


_RECOMPUTE_SQL = """
WITH b AS (SELECT unnest(%(ids)s::uuid[]) AS id),
ranked AS (
    -- one pass in the (enrollment, measured_at DESC) index order: rn = 1 is the latest follow-up, rc counts the
    -- risk-bearing ones so far, so rc = 1 / 2 on a row with a risk are the latest two risks
    SELECT f.enrollment_id, f.next_due_on, f.control_class, f.controlled, f.measured_at, f.risk_percent,
           row_number() OVER w AS rn, count(f.risk_percent) OVER w AS rc
    FROM care_followup f
    WHERE f.enrollment_id BETWEEN %(lo)s AND %(hi)s AND f.voided_at IS NULL
    WINDOW w AS (PARTITION BY f.enrollment_id ORDER BY f.measured_at DESC ROWS UNBOUNDED PRECEDING)
),
agg AS (
    SELECT enrollment_id,
           max(next_due_on) FILTER (WHERE rn = 1) AS next_due_on,
           max(control_class) FILTER (WHERE rn = 1) AS control_class,
           bool_or(controlled) FILTER (WHERE rn = 1) AS controlled,
           max((measured_at AT TIME ZONE %(tz)s)::date) FILTER (WHERE rn = 1) AS day,
           max(risk_percent) FILTER (WHERE rc = 1 AND risk_percent IS NOT NULL) AS r1,
           max(risk_percent) FILTER (WHERE rc = 2 AND risk_percent IS NOT NULL) AS r2
    FROM ranked
    GROUP BY enrollment_id
),
computed AS (
    SELECT b.id,
           CASE WHEN e.followup_owed_by IS NOT NULL AND (a.day IS NULL OR a.day < e.followup_owed_since)
                THEN LEAST(COALESCE(a.next_due_on, e.next_due_on), e.followup_owed_by)
                ELSE COALESCE(a.next_due_on, e.next_due_on) END AS next_due_on,
           COALESCE(a.control_class, e.control_class) AS control_class,
           a.controlled, a.day AS last_followup_on, a.r1, a.r2,
           COALESCE(a.r1 > a.r2, false) AS risk_rose
    FROM b JOIN care_enrollment e ON e.id = b.id
    LEFT JOIN agg a ON a.enrollment_id = b.id
)
UPDATE care_enrollment e
SET next_due_on = c.next_due_on, control_class = c.control_class, controlled = c.controlled,
    last_followup_on = c.last_followup_on, risk_percent = c.r1, previous_risk_percent = c.r2,
    risk_rose = c.risk_rose
FROM computed c
WHERE e.id = c.id
  AND (e.next_due_on, e.control_class, e.controlled, e.last_followup_on, e.risk_percent, e.previous_risk_percent,
       e.risk_rose)
      IS DISTINCT FROM
      (c.next_due_on, c.control_class, c.controlled, c.last_followup_on, c.r1, c.r2, c.risk_rose)
"""


def _recompute_batch_postgres(batch: list[Any]) -> None:
    """One statement per batch: the follow-ups of the batch's id range are read by the (enrollment, measured_at)
    index, and only rows whose derived state changed are written."""
    with connection.cursor() as cur:
        cur.execute(_RECOMPUTE_SQL, {"ids": batch, "lo": batch[0], "hi": batch[-1], "tz": settings.TIME_ZONE})


def _latest_day() -> Subquery:
    qs = FollowUp.objects.filter(enrollment_id=OuterRef("pk"), voided_at__isnull=True).order_by("-measured_at")
    return Subquery(qs.annotate(day=TruncDate("measured_at")).values("day")[:1])


# --- referral suggestions and the referral loop ----------------------------------------------------------------

# NBPHS 2017 (3rd ed.), hypertension and type 2 diabetes patient health management (shared/clinical/README.md §3–4,
# secondary; quoted in protocols/hypertension.json rule HTN-UNSAT-2X): "建议其转诊到上级医院，2周内主动随访转诊情况"
# (refer up, follow up the referral actively within 2 weeks); an urgent referral is followed up within 2 weeks too.
REFERRAL_FOLLOWUP_WITHIN_DAYS = 14
# The referral loop's urgencies (referrals.models.Urgency, named here by value: care does not import referrals).
# An urgent suggestion (NBPHS 紧急转诊: e.g. systolic ≥180 or diastolic ≥110 mmHg) becomes an emergency referral.
REFERRAL_URGENCY_URGENT = "emergency"
REFERRAL_URGENCY_ROUTINE = "routine"
# The function that creates a referral, by dotted path (setting CARE_REFERRAL_CREATE). The referrals app calls care
# (``enrollments_after_back_referral``), so care reaches referrals only through this name, never by an import.
REFERRAL_CREATE_DEFAULT = "tiercare.referrals.services.referral_create"


def _referral_create() -> Callable[..., Any]:
    return import_string(getattr(settings, "CARE_REFERRAL_CREATE", "") or REFERRAL_CREATE_DEFAULT)


def _lock_open_suggestion(suggestion: ReferralSuggestion) -> ReferralSuggestion:
    """The suggestion under a row lock, or Conflict naming its current state when it is no longer open."""
    s = (
        ReferralSuggestion.objects.select_for_update(of=("self",))
        .select_related("person", "followup__enrollment")
        .get(pk=suggestion.pk)
    )
    if s.status != SuggestionStatus.OPEN:
        raise Conflict(
            _("This referral suggestion is already %(s)s; only an open suggestion can be acted on.")
            % {"s": SuggestionStatus(s.status).label},
            code="illegal_transition",
            details={"state": s.status},
        )
    return s


REFERRAL_ACTIONS = frozenset({"refer_up", "urgent_referral"})


def _referral_reason(s: ReferralSuggestion) -> str:
    """The reason for referral from the follow-up that called for it: the day, the rules whose action is a referral
    (not, say, the health-education rule that fires at every visit) and their explanations, in the protocol's
    Chinese text as the receiving hospital reads it."""
    fu = s.followup
    if fu is None:  # a direct referral that came back: say why, as the receiving hospital reads it (Chinese)
        return f"前次转诊未完成（{s.return_reason}），再次转诊。"
    referring = {r.id for r in load_protocol(fu.enrollment.protocol_code).rules if REFERRAL_ACTIONS & set(r.actions)}
    fired = [r for r in fu.fired_rules if r["id"] in referring] or fu.fired_rules
    text = "；".join(r["explanation_zh"] for r in fired if r.get("explanation_zh")) or s.reason
    return f"[{', '.join(r['id'] for r in fired)}] {_local_date(fu.measured_at).isoformat()}: {text}"


def _due_no_later_than(
    *, by: User | None, enrollments: QuerySet[Enrollment], latest: date, reason: str
) -> list[Enrollment]:
    """Bring each active enrolment's next follow-up forward to ``latest`` when it is later (or unset); a due date
    already earlier is kept. Each change is audited. Returns the enrolments changed. Caller holds the transaction."""
    changed: list[Enrollment] = []
    today = timezone.localdate()
    for e in enrollments.filter(status=EnrollmentStatus.ACTIVE).select_for_update().order_by("pk"):
        # Recorded even when the due date is already earlier, so that the recompute keeps to it (see
        # Enrollment.followup_owed_by) until a follow-up is filed.
        if e.followup_owed_by is None or latest < e.followup_owed_by:
            e.followup_owed_reason = OwedReason.REFERRAL
        e.followup_owed_by = min(latest, e.followup_owed_by or latest)
        e.followup_owed_since = e.followup_owed_since or today
        owed_fields = ["followup_owed_by", "followup_owed_since", "followup_owed_reason", "updated_at"]
        if e.next_due_on is not None and e.next_due_on <= latest:
            e.save(update_fields=owed_fields)
            continue
        before = e.next_due_on
        e.next_due_on = latest
        e.save(update_fields=["next_due_on", *owed_fields])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=e, changes={"next_due_on": [before, latest]}, reason=reason
        )
        changed.append(e)
    return changed


def suggestion_refer(
    *,
    by: User,
    suggestion: ReferralSuggestion,
    receiving_department: Department,
    diagnosis_text: str,
    diagnosis_code: str = "",
    urgency: str | None = None,
    green_channel: bool = False,
    summary: str = "",
) -> ReferralSuggestion:
    """Take an open referral suggestion: make the referral up, mark the suggestion taken and link it, and bring the
    enrolment's next follow-up to no later than the referral day + 14 days — NBPHS 2017 (3rd ed.), hypertension and
    type 2 diabetes: refer up, follow up the referral actively within 2 weeks (shared/clinical/README.md §3–4).

    The referral is made by the referrals app's ``referral_create`` (setting CARE_REFERRAL_CREATE), with the rules
    of its docstring (the user's organization, a tertiary receiving department, the patient's referral consent);
    urgency is ``emergency`` for an urgent suggestion and ``routine`` otherwise, unless given. One transaction: when
    the referral is refused nothing changes and the suggestion stays open.
    Raises Forbidden (not the resident's contracted team), Conflict ``illegal_transition`` with the current state
    (the suggestion is no longer open), and the referral service's own errors unchanged (e.g. ValidationFailed
    ``consent_missing``).
    """
    _require_resident_team(
        by, suggestion.person_id, _("Only the resident's contracted team acts on referral suggestions.")
    )
    with transaction.atomic():
        s = _lock_open_suggestion(suggestion)
        chosen = urgency or (REFERRAL_URGENCY_URGENT if s.urgent else REFERRAL_URGENCY_ROUTINE)
        result = _referral_create()(
            by=by,
            person=s.person,
            receiving_department=receiving_department,
            reason=_referral_reason(s),
            diagnosis_text=diagnosis_text,
            diagnosis_code=diagnosis_code,
            summary=summary,
            urgency=chosen,
            green_channel=green_channel,
        )
        referral = result.referral
        acted_at = timezone.now()
        s.status, s.referral, s.acted_by, s.acted_at = SuggestionStatus.TAKEN, referral, by, acted_at
        s.save(update_fields=["status", "referral", "acted_by", "acted_at", "updated_at"])
        audit_write(
            actor=by,
            action=AuditAction.UPDATE,
            obj=s,
            changes={"status": ["open", "taken"], "referral": str(referral.pk), "urgency": chosen},
        )
        day = _local_date(referral.sent_at or acted_at)
        _due_no_later_than(
            by=by,
            enrollments=(
                Enrollment.objects.filter(pk=s.followup.enrollment_id)
                if s.followup is not None
                else Enrollment.objects.filter(person_id=s.person_id)
            ),
            latest=day + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS),
            reason=f"referral {referral.pk}: follow up within {REFERRAL_FOLLOWUP_WITHIN_DAYS} days (NBPHS 2017)",
        )
    return s


def suggestion_dismiss(*, by: User, suggestion: ReferralSuggestion, reason: str) -> ReferralSuggestion:
    """Dismiss an open referral suggestion (the team decides not to refer); the reason is required and kept.

    Raises ValidationFailed naming ``reason`` when it is blank, Forbidden (not the resident's contracted team),
    Conflict ``illegal_transition`` with the current state when the suggestion is no longer open.
    """
    _require_resident_team(
        by, suggestion.person_id, _("Only the resident's contracted team acts on referral suggestions.")
    )
    if not reason.strip():
        raise ValidationFailed(
            _("reason: say why no referral is made."), code="reason_required", details={"field": "reason"}
        )
    with transaction.atomic():
        s = _lock_open_suggestion(suggestion)
        s.status, s.dismiss_reason, s.acted_by, s.acted_at = (
            SuggestionStatus.DISMISSED,
            reason.strip()[:300],
            by,
            timezone.now(),
        )
        s.save(update_fields=["status", "dismiss_reason", "acted_by", "acted_at", "updated_at"])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=s, changes={"status": ["open", "dismissed"]}, reason=reason
        )
    return s


def enrollments_after_back_referral(
    *, person: Person, on: date, by: User | None = None, reference: str = ""
) -> list[Enrollment]:
    """After a back-referral (下转) on ``on``, bring the next follow-up of each of ``person``'s active enrolments to
    no later than ``on`` + 14 days (an earlier due date is kept); each change is audited. Called by the referrals
    app (``referrals.services.on_back_referral``) in the back-referral's transaction. Returns the changed ones.

    Source: NBPHS 2017 (3rd ed.), hypertension and type 2 diabetes: after a referral up, follow up actively within
    2 weeks (shared/clinical/README.md §3–4, secondary). The standard counts the 2 weeks from the referral; counting
    them again from the day the patient comes back is this project's reading (the patient returns with a new care
    plan), not the standard's text.
    """
    return _due_no_later_than(
        by=by,
        enrollments=Enrollment.objects.filter(person=person),
        latest=on + timedelta(days=REFERRAL_FOLLOWUP_WITHIN_DAYS),
        reason=(reference or "back-referral") + f": follow up within {REFERRAL_FOLLOWUP_WITHIN_DAYS} days",
    )


# --- deadlines of referral suggestions, and referrals that come back ---------------------------------------------

# A suggestion's deadline (issue 11, clinical-safety review): NBPHS 2017 says an urgent referral is made "after first
# handling" (初步处理后紧急转诊) — the same day; tiercare gives the team until the end of the next working day
# before escalating to the center's lead. A routine refer-up is acted on within the 2 weeks the standard gives to
# follow up the referral. Working days are China's: weekends and public holidays are not, make-up working days on a
# weekend (调休) are (``care/workdays.py``, data with its source; hazard log H-10).
SUGGESTION_ROUTINE_DAYS = 14
# The department a suggestion proposes, by the program whose rule fired (data, corrected here without a code
# change); an urgent suggestion proposes the emergency department. Values are network Department.specialty codes.
SUGGESTED_SPECIALTY: dict[str, str] = {
    "hypertension": "cardiology",
    "diabetes_t2": "endocrinology",
    "cardiovascular_risk": "cardiology",
    "cancer_survivorship": "gastroenterology",
}
SUGGESTED_SPECIALTY_URGENT = "emergency"


def next_working_day(d: date) -> date:
    """The first working day after ``d`` (China's calendar: ``workdays.next_working_day``)."""
    from tiercare.care.workdays import next_working_day as next_cn_working_day

    return next_cn_working_day(d)


def suggestion_due_on(made_on: date, *, urgent: bool) -> date:
    """The last day to act on a suggestion made on ``made_on``: urgent, the next working day; routine, 14 days."""
    return next_working_day(made_on) if urgent else made_on + timedelta(days=SUGGESTION_ROUTINE_DAYS)


def suggested_specialty(protocol_code: str, rule_ids: list[str], *, urgent: bool) -> str:
    """The receiving department's specialty for a suggestion (``SUGGESTED_SPECIALTY``)."""
    if urgent:
        return SUGGESTED_SPECIALTY_URGENT
    return SUGGESTED_SPECIALTY.get(protocol_code, "")


def _center_lead_recipients(center_id: Any) -> list[str]:
    return [
        str(u)
        for u in GpTeamMember.objects.filter(
            center_lead=True, active=True, team__active=True, team__center_id=center_id
        ).values_list("practitioner__user__username", flat=True)
        if u
    ]


register(
    "care_suggestion_escalated",
    "转诊建议逾期未处理：{patient}（应于 {due} 前处理），已上报中心负责人。",
    "Referral suggestion not acted on: {patient} (due by {due}); escalated to the center's lead.",
)


def suggestions_escalate(*, today: date) -> int:
    """Escalate every open suggestion past its deadline (``due_on`` before ``today``) to its center's lead: marked
    ``escalated_at`` (it shows on the center's "escalated" worklist until acted on), audited, and the lead is told
    (core/notify). Idempotent: an escalated suggestion is not escalated again. Returns how many."""
    n = 0
    overdue = ReferralSuggestion.objects.filter(
        status=SuggestionStatus.OPEN, escalated_at__isnull=True, due_on__lt=today
    )
    for s in overdue.select_related("person"):
        with transaction.atomic():
            changed = ReferralSuggestion.objects.filter(pk=s.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            )
            if not changed:
                continue
            audit_write(actor=None, action=AuditAction.UPDATE, obj=s, changes={"escalated": [False, True]},
                        reason=f"not acted on by {s.due_on}")  # fmt: skip
            last = (
                ContractMember.objects.filter(person_id=s.person_id).select_related("team")
                .order_by("-active", "-created_at").first()
            )  # fmt: skip
            for recipient in _center_lead_recipients(last.team.center_id) if last else []:
                notify_on_commit(
                    recipient, "care_suggestion_escalated", {"patient": s.person.name, "due": s.due_on.isoformat()}
                )
        n += 1
    return n


def suggestions_after_referral_ended(
    *,
    referral_id: Any,
    outcome: str,
    reason: str,
    on: date,
    by: User | None = None,
    person_id: Any = None,
    urgent: bool = False,
    specialty: str = "",
) -> list[ReferralSuggestion]:
    """A referral was declined, cancelled or expired: it comes back to the team, with the outcome and reason shown,
    a fresh deadline, on the team's "Referral suggested" worklist and the person page, so the patient is not lost
    between the two hospitals. A referral made from a suggestion opens that suggestion again; one made directly on
    the referrals pages (``person_id`` given) becomes an open suggestion without a follow-up, when the person is a
    resident of a team (under contract, or lapsed and owned by the center). Called by the referrals app
    (``referrals.services.on_referral_ended``) in the transition's transaction. Returns the suggestions opened."""
    reopened = []
    qs = ReferralSuggestion.objects.select_for_update().filter(referral_id=referral_id, status=SuggestionStatus.TAKEN)
    if person_id is not None and not qs.exists():
        return _direct_referral_returned(
            referral_id=referral_id, outcome=outcome, reason=reason, on=on, by=by, person_id=person_id,
            urgent=urgent, specialty=specialty,
        )  # fmt: skip
    for s in qs:
        s.status = SuggestionStatus.OPEN
        s.returned_at = timezone.now()
        s.return_reason = f"{outcome}: {reason}".strip()[:300]
        s.due_on = suggestion_due_on(on, urgent=s.urgent)
        s.escalated_at = None
        s.save(update_fields=["status", "returned_at", "return_reason", "due_on", "escalated_at", "updated_at"])
        audit_write(
            actor=by, action=AuditAction.UPDATE, obj=s, changes={"status": ["taken", "open"]}, reason=s.return_reason
        )
        reopened.append(s)
    return reopened


def _direct_referral_returned(
    *,
    referral_id: Any,
    outcome: str,
    reason: str,
    on: date,
    by: User | None,
    person_id: Any,
    urgent: bool,
    specialty: str,
) -> list[ReferralSuggestion]:
    """A direct referral that ended comes back as an open suggestion (no follow-up), once per referral, for a
    person some team answers for (an active or lapsed contract membership); none otherwise (the referrals
    worklists still show it)."""
    if not ContractMember.objects.filter(person_id=person_id).exists():
        return []
    if ReferralSuggestion.objects.filter(referral_id=referral_id).exists():
        return []  # already came back (or was made from a suggestion that is no longer "taken")
    return_reason = f"{outcome}: {reason}".strip()[:300]
    s = ReferralSuggestion.objects.create(
        person_id=person_id, followup=None, urgent=urgent, rule_ids=[], status=SuggestionStatus.OPEN,
        reason="", referral_id=referral_id,
        due_on=suggestion_due_on(on, urgent=urgent), specialty=specialty[:40], returned_at=timezone.now(),
        return_reason=return_reason,
    )  # fmt: skip
    audit_write(actor=by, action=AuditAction.CREATE, obj=s, changes={"status": "open", "referral": str(referral_id)},
                reason=return_reason)  # fmt: skip
    return [s]


# --- a center's recorded clinical decisions on protocol variants (issue 11) ---------------------------------------


def center_variant_choices(center_id: Any, protocol_code: str) -> tuple[list[str], list[str]]:
    """The variants a center turned on and off by its latest recorded decision for each (none: the protocol's
    defaults apply)."""
    from tiercare.care.models import ProtocolVariantDecision

    latest: dict[str, bool] = {}
    for variant, enabled in ProtocolVariantDecision.objects.filter(
        center_id=center_id, protocol_code=protocol_code
    ).values_list("variant", "enabled"):  # newest first (Meta.ordering)
        latest.setdefault(variant, enabled)
    return [v for v, on in latest.items() if on], [v for v, on in latest.items() if not on]


def protocol_for_enrollment(e: Enrollment) -> Any:
    """The enrolment's protocol with the variants its contracted team's center decided on (defaults otherwise)."""
    membership = ContractMember.objects.filter(person_id=e.person_id, active=True).select_related("team").first()
    if membership is None:
        return load_protocol(e.protocol_code)
    on, off = center_variant_choices(membership.team.center_id, e.protocol_code)
    return load_protocol(e.protocol_code, variants=on, disabled=off)


def protocol_variant_decide(
    *, by: User, center: Organization, protocol_code: str, variant: str, enabled: bool, reason: str
) -> Any:
    """Record a center's clinical decision to turn a protocol variant on or off (e.g. HTN-TARGET-65-150, the
    NBPHS 2017 3rd edition's <150/90 mmHg for age 65 or more, on by default). Who, when and why are kept and audited;
    later follow-ups at the center are classified under it (their protocol identity names the variants).

    Only a family doctor of a team at the center, or an administrator. Raises Forbidden, ValidationFailed naming
    ``variant`` (no such variant) or ``reason`` (blank)."""
    from tiercare.care.models import ProtocolVariantDecision
    from tiercare.care.protocols import ProtocolError

    if not (
        by.role == Role.ADMIN
        or GpTeamMember.objects.filter(
            team__center=center, practitioner__user=by, active=True, role=TeamRole.GP
        ).exists()
    ):
        raise Forbidden(_("Only a family doctor of this center decides its protocol targets."), code="not_team_member")
    try:
        protocol = load_protocol(protocol_code)
    except ProtocolError as exc:
        raise ValidationFailed(f"protocol_code: {exc.message}", details={"field": "protocol_code"}) from None
    if variant not in protocol.variants:
        raise ValidationFailed(
            _("variant: %(p)s has no variant %(v)s.") % {"p": protocol_code, "v": variant},
            details={"field": "variant"},
        )
    if not reason.strip():
        raise ValidationFailed(_("reason: say why the center decides this."), details={"field": "reason"})
    with transaction.atomic():
        d = ProtocolVariantDecision.objects.create(
            center=center, protocol_code=protocol_code, variant=variant, enabled=enabled, reason=reason.strip()[:500],
            decided_by=by, decided_at=timezone.now(),
        )  # fmt: skip
        audit_write(actor=by, action=AuditAction.CREATE, obj=d, changes={variant: enabled}, reason=reason)
    return d
