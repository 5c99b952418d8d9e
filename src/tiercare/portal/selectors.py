"""The family's own pages (issue 16): what a patient login sees of themselves and of the members they hold a proxy
for (``people.proxies.portal_person_ids``, through ``people.selectors.person_list``). Every read here goes through
the other apps' scopes for the asking user, so a member reached by no proxy is never in the answer; the caller
audits the persons it shows (``audit_family_read``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiercare.care.forms import program_name
from tiercare.care.models import Enrollment
from tiercare.consults.access import case_scope_q
from tiercare.consults.models import Case, MdtMeeting, SecondOpinion
from tiercare.core.audit import audit_patient_read
from tiercare.core.models import User
from tiercare.network.models import Organization
from tiercare.outreach.models import ACTIVE_SESSION_STATUSES, Booking, BookingStatus
from tiercare.people.models import Person, Proxy
from tiercare.people.proxies import patient_q
from tiercare.people.selectors import person_list
from tiercare.portal.models import GpVisit
from tiercare.referrals.models import OPEN_STATUSES, Referral
from tiercare.referrals.selectors import patient_q as referral_patient_q

# What to bring to a visit, per program (as data: the GP center edits the words, not the code). Each visit asks for
# the ID card and the medical-insurance card (医保卡); a program adds its own.
ALWAYS_BRING = (gettext_lazy("ID card"), gettext_lazy("Medical-insurance card"))
BRING_BY_PROGRAM: dict[str, tuple[Any, ...]] = {
    "hypertension": (gettext_lazy("Home blood-pressure log"), gettext_lazy("The medicines you take, in their boxes")),
    "diabetes_t2": (
        gettext_lazy("Home glucose log"),
        gettext_lazy("The medicines you take, in their boxes"),
        gettext_lazy("Come fasting if a blood test is due"),
    ),
    "cardiovascular_risk": (gettext_lazy("Home blood-pressure log"), gettext_lazy("Latest blood-lipid results")),
    "cancer_survivorship": (gettext_lazy("Latest scans and pathology reports"), gettext_lazy("Discharge summary")),
}
BRING_TO_REFERRAL = (gettext_lazy("Referral letter"), gettext_lazy("Earlier test results and films"))
BRING_TO_SESSION = (gettext_lazy("Earlier test results and films"),)


@dataclass
class Visit:
    """A coming visit of a member: when, where, what kind, what to bring."""

    on: date
    what: str
    place: str
    bring: list[str]
    at: datetime | None = None
    map_url: str = ""


@dataclass
class Member:
    person: Person
    is_self: bool
    proxy: Proxy | None
    programs: list[Enrollment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)

    @property
    def next_visit(self) -> Visit | None:
        return self.visits[0] if self.visits else None


def map_url(org: Organization) -> str:
    """A link that opens the place in a map app (Amap's URI API, which needs no key): by coordinates when the
    directory has them, else a search for the name and address."""
    if org.latitude is not None and org.longitude is not None:
        return f"https://uri.amap.com/marker?position={org.longitude},{org.latitude}&name={quote(org.name)}"
    return f"https://uri.amap.com/search?keyword={quote(' '.join(x for x in (org.name, org.address) if x))}"


def _bring(*groups: Any) -> list[str]:
    items = [str(x) for g in (ALWAYS_BRING, *groups) for x in g]
    return list(dict.fromkeys(items))


def family_members(*, for_user: User) -> list[Member]:
    """The persons ``for_user`` may see on the family page (themselves first, then those they hold a proxy for),
    each with their programs and coming visits, soonest first."""
    me = getattr(for_user, "person", None)
    persons = list(person_list(for_user=for_user).select_related("membership__household__registered_at"))
    if not persons:
        return []
    ids = [p.pk for p in persons]
    proxies = {
        p.person_id: p for p in Proxy.objects.in_force().filter(holder=me, person_id__in=ids).order_by("valid_from")
    }
    enrollments: dict[Any, list[Enrollment]] = {}
    for e in Enrollment.objects.active().filter(person_id__in=ids).order_by("protocol_code"):
        e.program_name = program_name(e.protocol_code)  # type: ignore[attr-defined]
        enrollments.setdefault(e.person_id, []).append(e)
    centers = {p.pk: _center(p) for p in persons}
    visits = coming_visits(for_user=for_user, person_ids=ids, enrollments=enrollments, centers=centers)
    members = [
        Member(
            person=p,
            is_self=me is not None and p.pk == me.pk,
            proxy=proxies.get(p.pk),
            programs=enrollments.get(p.pk, []),
            visits=visits.get(p.pk, []),
        )
        for p in persons
    ]
    members.sort(key=lambda m: (not m.is_self, m.person.birth_date or date.min))
    return members


def _center(person: Person) -> Organization | None:
    membership = getattr(person, "membership", None)
    return membership.household.registered_at if membership is not None else None


def coming_visits(
    *,
    for_user: User,
    person_ids: list[Any],
    enrollments: dict[Any, list[Enrollment]],
    centers: dict[Any, Organization | None],
) -> dict[Any, list[Visit]]:
    """Each person's coming visits: program follow-ups due, referral appointments, booked clinic places."""
    today = timezone.localdate()
    out: dict[Any, list[Visit]] = {pid: [] for pid in person_ids}
    for pid, rows in enrollments.items():
        for e in rows:
            if e.next_due_on:
                center = centers.get(pid)
                out[pid].append(
                    Visit(
                        on=e.next_due_on,
                        what=_("Follow-up: %(program)s") % {"program": e.program_name},  # type: ignore[attr-defined]
                        place=center.name if center else "",
                        bring=_bring(BRING_BY_PROGRAM.get(e.protocol_code, ())),
                        map_url=map_url(center) if center else "",
                    )
                )
    for r in referral_list(for_user=for_user).filter(person_id__in=person_ids, scheduled_for__isnull=False):
        local = timezone.localtime(r.scheduled_for)
        if local.date() >= today and r.status in OPEN_STATUSES:
            out[r.person_id].append(
                Visit(
                    on=local.date(),
                    at=local,
                    what=_("Referral appointment: %(department)s") % {"department": r.receiving_department.name},
                    place=r.receiving_organization.name,
                    bring=_bring(BRING_TO_REFERRAL),
                    map_url=map_url(r.receiving_organization),
                )
            )
    for b in booking_list(for_user=for_user, person_ids=person_ids).filter(session__date__gte=today):
        s = b.session
        out[b.person_id].append(
            Visit(
                on=s.date,
                what=_("Specialist clinic: %(department)s, %(expert)s")
                % {"department": s.department.name, "expert": s.expert.name},
                place=s.site.name,
                bring=_bring(BRING_TO_SESSION),
                map_url=map_url(s.site),
            )
        )
    for v in GpVisit.objects.filter(
        person_id__in=person_ids, status="active", starts_at__gte=timezone.now()
    ).select_related("team__center"):
        local = timezone.localtime(v.starts_at)
        out[v.person_id].append(
            Visit(
                on=local.date(),
                at=local,
                what=_("GP visit: %(team)s") % {"team": v.team.name},
                place=v.team.center.name,
                bring=_bring(),
                map_url=map_url(v.team.center),
            )
        )
    for visits in out.values():
        visits.sort(key=lambda v: v.on)
    return out


def referral_list(*, for_user: User) -> Any:
    """The referrals of the persons ``for_user`` may see as a patient or proxy (referrals' own patient scope)."""
    return (
        Referral.objects.filter(referral_patient_q(for_user))
        .exclude(status="draft")
        .select_related("receiving_organization", "receiving_department", "referring_organization", "person")
        .order_by("-created_at")
    )


def booking_list(*, for_user: User, person_ids: list[Any] | None = None) -> Any:
    """Outreach bookings of the persons ``for_user`` may see (active places, sessions still on)."""
    qs = Booking.objects.filter(patient_q(for_user, "person"), status=BookingStatus.ACTIVE).filter(
        session__status__in=ACTIVE_SESSION_STATUSES
    )
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return qs.select_related("session__site", "session__department", "session__expert", "person").order_by(
        "session__date", "session__half_day"
    )


def shared_conclusions(*, for_user: User, person: Person) -> dict[str, list[Any]]:
    """Signed second opinions and signed MDT conclusions about ``person``: what the experts concluded is shared
    with the patient and their proxy (drafts are not)."""
    cases = Case.objects.filter(case_scope_q(for_user), person=person).values("pk")
    opinions = list(
        SecondOpinion.objects.filter(case__in=cases, signed_at__isnull=False)
        .select_related("expert", "case")
        .order_by("-signed_at")
    )
    meetings = list(
        MdtMeeting.objects.filter(mdt_case__case__in=cases, signed_at__isnull=False)
        .select_related("chair", "mdt_case")
        .order_by("-signed_at")
    )
    return {"opinions": opinions, "meetings": meetings}


def documents(*, for_user: User, person: Person) -> list[Referral]:
    """The referrals of ``person`` that carry a document for the family: a discharge summary or a back-referral
    care plan (downloaded as a PDF)."""
    return list(
        referral_list(for_user=for_user).filter(person=person).filter(~Q(discharge_summary="") | ~Q(care_plan=""))
    )


def audit_family_read(*, actor: User, person_ids: list[Any], object_id: str = "", reason: str) -> None:
    audit_patient_read(
        actor=actor, person_ids=person_ids, object_type="people.person", object_id=object_id, reason=reason
    )


def family_divisions(*, members: list[Member]) -> list[str]:
    """The counties the family lives in: their households' and their GP centers' (for the clinics near them)."""
    codes: list[str] = []
    for m in members:
        membership = getattr(m.person, "membership", None)
        if membership is None:
            continue
        for code in (membership.household.division_id, membership.household.registered_at.division_id):
            if code and code not in codes:
                codes.append(code)
    return codes
