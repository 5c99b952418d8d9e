"""The family's side of the demo (demo/builder.py): the mother login ``mother`` (password as the others), in a
household registered at the coordinator's partner hospital, holding a guardian's proxy for her five-year-old son
(not for her husband); public specialist clinics at that hospital over the next two weeks with places, the son
booked into the first (his next visit); a health text sent to the mother. Deterministic for a seed."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tiercare.care.models import GpTeam
from tiercare.core.models import Role, User
from tiercare.network.models import Organization, Partnership, Practitioner, PractitionerRole, StaffRole
from tiercare.network.practice import practice_basis
from tiercare.outreach.models import Booking, ExpertSession, SessionKind, SessionStatus
from tiercare.people.identity import check_char, hash_id, id_last4, mask_id
from tiercare.people.models import Household, HouseholdMember, Person, Proxy, Relation
from tiercare.portal.models import EducationSent, GpHours

MOTHER_USERNAME = "mother"
MOTHER_NAME = "陈丽"
MOTHER_PHONE = "13800138016"
MOTHER_BIRTH = date(1992, 3, 15)
CLINIC_DAYS = 14
DEMO_PASSWORD = "tiercare-demo"  # as demo.data.DEMO_PASSWORD (the demo app sits above this one)
CLINIC_PLACES = 12


def mother_id_number(county: str) -> str:
    """The demo mother's resident ID number (valid check character), for the real-name check at her first SMS
    sign-in; only its keyed hash is stored."""
    first17 = f"{county}{MOTHER_BIRTH:%Y%m%d}032"
    return first17 + check_char(first17)


def _person(
    name: str, sex: str, birth: date, county: str, address: str, *, number: str = "", phone: str = ""
) -> Person:
    p = Person(name=name, sex=sex, birth_date=birth, division_id=county, address=address, phone=phone)
    if number:
        p.id_kind = "resident_id"
        p.id_hash = hash_id(number, settings.ID_HASH_KEY)
        p.id_last4, p.id_masked = id_last4(number), mask_id(number)
    p.save()
    return p


def _hospital() -> Organization | None:
    role = (
        PractitionerRole.objects.filter(role=StaffRole.COORDINATOR, practitioner__user__username=Role.COORDINATOR)
        .select_related("organization")
        .first()
    )
    return role.organization if role else None


@transaction.atomic
def portal_demo(*, seed: int, today: date) -> dict[str, int]:
    _gp_hours()
    hospital = _hospital()
    if hospital is None or User.objects.filter(username=MOTHER_USERNAME).exists():
        return {"families": 0, "clinics": 0}
    county = hospital.division_id or "510104"
    household = Household.objects.create(
        name=f"陈家（{MOTHER_NAME}）",
        registered_at=hospital,
        division_id=county,
        address=f"{hospital.county}幸福里8栋2号",
    )
    mother_user = User(username=MOTHER_USERNAME, role=Role.PATIENT, display_name=MOTHER_NAME)
    mother_user.set_password(DEMO_PASSWORD)
    mother_user.save()
    mother = _person(
        MOTHER_NAME, "2", MOTHER_BIRTH, county, household.address, number=mother_id_number(county), phone=MOTHER_PHONE
    )
    Person.objects.filter(pk=mother.pk).update(user=mother_user)
    son_birth = (
        today.replace(year=today.year - 5) if not (today.month == 2 and today.day == 29) else date(today.year - 5, 3, 1)
    )
    son = _person("陈小宝", "1", son_birth, county, household.address)
    father = _person("陈强", "1", date(1990, 8, 2), county, household.address, phone="13800138017")
    for p, relation in ((mother, Relation.HEAD), (father, Relation.SPOUSE), (son, Relation.CHILD)):
        HouseholdMember.objects.create(household=household, person=p, relation=relation)
    Proxy.objects.create(
        holder=mother,
        person=son,
        kind="guardian",
        evidence_kind="birth_certificate",
        evidence_reference=f"出生医学证明 O{seed % 1000:03d}{son_birth:%Y%m%d}",
        valid_from=son_birth,
        valid_until=son_birth.replace(year=son_birth.year + 18) - timedelta(days=1),
    )
    _patient_login_proxies(today)
    clinics = _clinics(hospital, today)
    coordinator = User.objects.filter(username=Role.COORDINATOR).first()
    if clinics and coordinator is not None:
        Booking.objects.create(session=clinics[0], place_number=1, person=son, booked_by=coordinator, note="示例预约")
    gp = User.objects.filter(role=Role.GP).order_by("username").first()
    if gp is not None:
        EducationSent.objects.create(person=mother, topic_id="htn-salt", sent_by=gp, sent_at=timezone.now())
    return {"families": 1, "clinics": len(clinics)}


def _clinics(hospital: Organization, today: date) -> list[ExpertSession]:
    """Public specialist clinics (坐诊) at ``hospital``'s partner departments over the next CLINIC_DAYS, each
    placed only where the expert has a legal basis that day (``practice_basis``), one half-day per expert."""
    departments = [
        p.department for p in Partnership.objects.filter(department__organization=hospital).select_related("department")
    ]
    out: list[ExpertSession] = []
    for dept in departments:
        experts = list(
            Practitioner.objects.filter(doctor_group__isnull=False, specialty=dept.specialty).order_by(
                "license_number", "id"
            )[:20]
        )
        day = today + timedelta(days=2)
        while day <= today + timedelta(days=CLINIC_DAYS) and len([s for s in out if s.department == dept]) < 3:
            if day.weekday() < 5:
                for e in experts:
                    decision = practice_basis(e, hospital, day)
                    busy = ExpertSession.objects.filter(
                        expert=e, date=day, status__in=[SessionStatus.SCHEDULED, SessionStatus.MOVED]
                    ).exists()
                    if decision.allowed and not busy:
                        out.append(
                            ExpertSession.objects.create(
                                expert=e,
                                department=dept,
                                site=hospital,
                                date=day,
                                half_day="am",
                                kind=SessionKind.CLINIC,
                                places=CLINIC_PLACES,
                                basis=decision.basis,
                                basis_reference=decision.reference,
                            )
                        )
                        break
            day += timedelta(days=2)
    return out


def _patient_login_proxies(today: date) -> None:
    """The ``patient`` login (the head of the flagship center's first household) acts for the rest of the household
    on the family's pages: a guardian's proxy for a child under 18, an adult child's for a parent, a written
    authorisation for the others (the evidence the team saw)."""
    head = Person.objects.filter(user__username=Role.PATIENT).select_related("membership__household").first()
    if head is None or not hasattr(head, "membership"):
        return
    for m in head.membership.household.members.exclude(person=head).select_related("person"):
        p = m.person
        adult_on = p.birth_date.replace(year=p.birth_date.year + 18) if p.birth_date else None
        if adult_on and adult_on > today and p.birth_date:
            kind, evidence, until = "guardian", "birth_certificate", adult_on - timedelta(days=1)
        elif m.relation == Relation.PARENT:
            kind, evidence, until = "adult_child", "power_of_attorney", None
        else:
            kind, evidence, until = "authorised", "power_of_attorney", None
        Proxy.objects.create(
            holder=head,
            person=p,
            kind=kind,
            evidence_kind=evidence,
            evidence_reference=f"示例证明 {p.id_last4 or p.pk.hex[:4]}",
            valid_from=min(today, p.birth_date or today),
            valid_until=until,
        )


def _gp_hours() -> None:
    """The flagship GP center's teams see booked patients every weekday morning and on Tuesday and Thursday
    afternoons, in 20-minute slots of 2 places (the ``patient`` login books its household's visits there)."""
    teams = GpTeam.objects.filter(center__gp_mode="flagship", active=True)
    for team in teams:
        if GpHours.objects.filter(team=team).exists():
            continue
        for weekday in range(5):
            GpHours.objects.create(team=team, weekday=weekday, half_day="am", slot_minutes=20, places_per_slot=2)
        for weekday in (1, 3):
            GpHours.objects.create(team=team, weekday=weekday, half_day="pm", slot_minutes=20, places_per_slot=2)
