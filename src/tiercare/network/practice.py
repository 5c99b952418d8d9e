"""Is this expert allowed to practise at this site on this date, and on what legal basis?

One function answers it for one expert (`practice_basis`), one queryset filter for many (`allowed_at_q`); the two are
kept equal by a property test. `practice_bases` gives the decisions for many experts at one site (a directory page):
the same rules as `practice_basis` (`_decide`), with their facts fetched for all the experts at once. Every later
feature (sessions, consultations, MDT meetings, referrals to a named expert) asks here and records the basis it was
given.

The rules follow the regulation notes (shared/regulation/README.md §1):

- 医师法 (2021) Art. 15: a doctor practising at several institutions names one main institution.
- 医师执业注册管理办法 (2017): registration is regional. A further site in the same province is filed (备案); a
  site in another province needs an added registration (增加注册).
- 医师法 Art. 18: invited consultation (会诊), paired assistance (对口支援) and practice inside the same medical
  alliance (医联体) need no change of registration; the 2017 办法 adds institutions with a signed support
  (帮扶/托管) agreement with the doctor's main institution.
- 医师法 Art. 52 and 国卫医发〔2014〕86号: malpractice cover (医疗责任保险) must be valid on the day.
- 医疗机构管理条例 Arts. 15, 24: clinical acts happen only at a licensed institution; the doctor group is not one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tiercare.network.models import (
    AllianceMembership,
    InsurancePolicy,
    Invitation,
    Organization,
    OrgKind,
    OrgStatus,
    Practitioner,
    RegistrationKind,
    SiteRegistration,
    SupportAgreement,
)


class Basis:
    """Codes of the legal bases, in the order they are preferred when several hold."""

    MAIN_INSTITUTION = "main_institution"
    ADDED_REGISTRATION = "added_registration"
    FILING = "filing"
    ALLIANCE = "alliance"
    SUPPORT_AGREEMENT = "support_agreement"
    INVITATION = "invitation"


BASIS_LABELS = {
    Basis.MAIN_INSTITUTION: _("Main institution of practice"),
    Basis.ADDED_REGISTRATION: _("Added practice registration"),
    Basis.FILING: _("Filing (备案) in the same province"),
    Basis.ALLIANCE: _("Medical alliance"),
    Basis.SUPPORT_AGREEMENT: _("Support agreement"),
    Basis.INVITATION: _("Invitation"),
}


def basis_label(code: str) -> str:
    """A legal basis in the page's language (the code itself if unknown)."""
    return str(BASIS_LABELS.get(code, code))


class Refusal:
    INACTIVE = "practitioner_inactive"
    NO_MAIN_INSTITUTION = "no_main_institution"
    SITE_NOT_LICENSED = "site_not_licensed"
    NO_COVER = "no_malpractice_cover"
    FILING_OTHER_PROVINCE = "filing_in_other_province"
    NO_BASIS = "no_legal_basis"


REFUSAL_MESSAGES = {
    Refusal.INACTIVE: _("The practitioner is not active."),
    Refusal.NO_MAIN_INSTITUTION: _("The practitioner has not named a main institution."),
    Refusal.SITE_NOT_LICENSED: _("The site is not a licensed medical institution; clinical work cannot happen there."),
    Refusal.NO_COVER: _("No malpractice cover is valid on that date."),
    Refusal.FILING_OTHER_PROVINCE: _(
        "The site is in another province: a filing is not enough, an added registration is needed."
    ),
    Refusal.NO_BASIS: _(
        "No filing, registration, alliance, support agreement or invitation covers this site on that date."
    ),
}


@dataclass(frozen=True)
class PracticeDecision:
    allowed: bool
    basis: str = ""
    reference: str = ""
    refusals: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The first refusal as a sentence for a coordinator, or '' when allowed."""
        return str(REFUSAL_MESSAGES[self.refusals[0]]) if self.refusals else ""

    def as_dict(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "basis": self.basis,
            "reference": self.reference,
            "refusals": self.refusals,
            "reason": self.reason,
        }


def province_key(org: Organization | None) -> str:
    """The province an organization is in: its GB/T 2260 province code when known, else the province name."""
    if org is None:
        return ""
    if org.division_id:
        return str(org.division_id)[:2]
    return org.province


def _valid_on(prefix: str, on: date, *, open_ended: bool = True) -> Q:
    q = Q(**{f"{prefix}valid_from__lte": on})
    if open_ended:
        return q & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on}))
    return q & Q(**{f"{prefix}valid_to__gte": on})


def site_is_licensed(site: Organization) -> bool:
    return site.kind != OrgKind.DOCTOR_GROUP and site.status != OrgStatus.CLOSED


def practice_basis(practitioner: Practitioner, site: Organization, on: date) -> PracticeDecision:
    """Decide whether ``practitioner`` may practise at ``site`` on ``on``, and on which legal basis.

    Returns a PracticeDecision: ``allowed`` with the preferred basis and its reference, or the refusals in order of
    importance (cover and licensing first, then the missing basis).
    """
    return _decide(practitioner, site, on, _AskedOneByOne(site, on))


def practice_bases(practitioners: Iterable[Practitioner], site: Organization, on: date) -> dict[Any, PracticeDecision]:
    """``practice_basis`` for many practitioners at one site on one day (a directory page), by practitioner id: the
    same rules, with their facts fetched for all of them at once (a few queries, whatever their number)."""
    practitioners = list(practitioners)
    facts = _FetchedForAll(practitioners, site, on)
    return {p.pk: _decide(p, site, on, facts) for p in practitioners}


def _decide(practitioner: Practitioner, site: Organization, on: date, facts: _AskedOneByOne) -> PracticeDecision:
    refusals: list[str] = []
    if not practitioner.is_active:
        refusals.append(Refusal.INACTIVE)
    home = practitioner.home_organization
    if home is None:
        refusals.append(Refusal.NO_MAIN_INSTITUTION)
    if not site_is_licensed(site):
        refusals.append(Refusal.SITE_NOT_LICENSED)
    if not facts.insured(practitioner):
        refusals.append(Refusal.NO_COVER)

    basis, reference = _find_basis(practitioner, home, site, facts)
    if not basis:
        if home is not None and facts.has_filing(practitioner) and province_key(home) != province_key(site):
            refusals.append(Refusal.FILING_OTHER_PROVINCE)
        else:
            refusals.append(Refusal.NO_BASIS)
    if refusals:
        return PracticeDecision(allowed=False, refusals=refusals)
    return PracticeDecision(allowed=True, basis=basis, reference=reference)


def _find_basis(
    practitioner: Practitioner, home: Organization | None, site: Organization, facts: _AskedOneByOne
) -> tuple[str, str]:
    if home is None:
        return "", ""
    if home.pk == site.pk:
        return Basis.MAIN_INSTITUTION, ""
    registrations = facts.registrations(practitioner)
    if RegistrationKind.MAIN in registrations:
        return Basis.MAIN_INSTITUTION, registrations[RegistrationKind.MAIN].reference
    if RegistrationKind.ADDED in registrations:
        return Basis.ADDED_REGISTRATION, registrations[RegistrationKind.ADDED].reference
    if RegistrationKind.FILING in registrations and province_key(home) == province_key(site):
        return Basis.FILING, registrations[RegistrationKind.FILING].reference
    alliance = facts.shared_alliance(home)
    if alliance is not None:
        return Basis.ALLIANCE, alliance
    agreement = facts.agreement(home)
    if agreement is not None:
        return Basis.SUPPORT_AGREEMENT, agreement.reference or agreement.kind
    invitation = facts.invitation(practitioner)
    if invitation is not None:
        return Basis.INVITATION, invitation.reference
    return "", ""


class _AskedOneByOne:
    """The facts the rules read about practitioners at one site on one day, each asked of the database when a rule
    needs it (one practitioner: no query for a rule that is not reached)."""

    def __init__(self, site: Organization, on: date) -> None:
        self.site, self.on = site, on

    def _insurance(self) -> QuerySet[InsurancePolicy]:
        return InsurancePolicy.objects.filter(_valid_on("", self.on, open_ended=False))

    def _registrations(self) -> QuerySet[SiteRegistration]:
        return SiteRegistration.objects.filter(_valid_on("", self.on), site=self.site, revoked=False)

    def _shared_alliances(self) -> QuerySet[AllianceMembership]:
        site_alliances = AllianceMembership.objects.filter(_valid_on("", self.on), organization=self.site)
        return AllianceMembership.objects.filter(
            _valid_on("", self.on), alliance_id__in=site_alliances.values("alliance_id")
        ).select_related("alliance")

    def _agreements(self) -> QuerySet[SupportAgreement]:
        return SupportAgreement.objects.filter(_valid_on("", self.on), supported=self.site)

    def _invitations(self) -> QuerySet[Invitation]:
        return Invitation.objects.filter(_valid_on("", self.on, open_ended=False), site=self.site)

    def insured(self, p: Practitioner) -> bool:
        return self._insurance().filter(practitioner=p).exists()

    def registrations(self, p: Practitioner) -> dict[str, SiteRegistration]:
        """The practitioner's registrations there by kind (the latest-starting of a kind)."""
        return {reg.kind: reg for reg in self._registrations().filter(practitioner=p).order_by("valid_from")}

    def has_filing(self, p: Practitioner) -> bool:
        return self._registrations().filter(practitioner=p, kind=RegistrationKind.FILING).exists()

    def shared_alliance(self, home: Organization) -> str | None:
        """The name of an alliance the home institution shares with the site, or None."""
        shared = self._shared_alliances().filter(organization=home).first()
        return shared.alliance.name if shared is not None else None

    def agreement(self, home: Organization) -> SupportAgreement | None:
        return self._agreements().filter(supporting=home).first()

    def invitation(self, p: Practitioner) -> Invitation | None:
        return self._invitations().filter(practitioner=p).first()


def _firsts(qs: QuerySet[Any], key: str) -> dict[Any, Any]:
    """The row ``qs.filter(<key>=k).first()`` would give, for every ``k`` at once."""
    rows: dict[Any, Any] = {}
    for row in qs if qs.ordered else qs.order_by("pk"):
        rows.setdefault(getattr(row, key), row)
    return rows


class _FetchedForAll(_AskedOneByOne):
    """The same facts for many practitioners, fetched for all of them up front: one query per kind of fact."""

    def __init__(self, practitioners: list[Practitioner], site: Organization, on: date) -> None:
        super().__init__(site, on)
        ids = [p.pk for p in practitioners]
        homes = {p.home_organization_id for p in practitioners if p.home_organization_id not in (None, site.pk)}
        away = [p.pk for p in practitioners if p.home_organization_id not in (None, site.pk)]
        self._insured = set(self._insurance().filter(practitioner_id__in=ids).values_list("practitioner_id", flat=True))
        self._by_kind: dict[Any, dict[str, SiteRegistration]] = {}
        if away:
            for reg in self._registrations().filter(practitioner_id__in=away).order_by("valid_from"):
                self._by_kind.setdefault(reg.practitioner_id, {})[reg.kind] = reg
        self._alliances = _firsts(self._shared_alliances().filter(organization_id__in=homes), "organization_id")
        self._agreements_by_home = _firsts(self._agreements().filter(supporting_id__in=homes), "supporting_id")
        self._invitations_by_p = _firsts(self._invitations().filter(practitioner_id__in=away), "practitioner_id")

    def insured(self, p: Practitioner) -> bool:
        return p.pk in self._insured

    def registrations(self, p: Practitioner) -> dict[str, SiteRegistration]:
        return self._by_kind.get(p.pk, {})

    def has_filing(self, p: Practitioner) -> bool:
        return RegistrationKind.FILING in self._by_kind.get(p.pk, {})

    def shared_alliance(self, home: Organization) -> str | None:
        shared = self._alliances.get(home.pk)
        return shared.alliance.name if shared is not None else None

    def agreement(self, home: Organization) -> SupportAgreement | None:
        return self._agreements_by_home.get(home.pk)

    def invitation(self, p: Practitioner) -> Invitation | None:
        return self._invitations_by_p.get(p.pk)


def allowed_at_q(site: Organization, on: date) -> Q:
    """A filter on Practitioner selecting exactly those ``practice_basis`` allows at ``site`` on ``on``.

    Set-based (a handful of EXISTS subqueries), so listing the experts allowed at a site is one query.
    """
    if not site_is_licensed(site):
        return Q(pk__in=[])
    registrations = SiteRegistration.objects.filter(
        _valid_on("", on), practitioner=OuterRef("pk"), site=site, revoked=False
    )
    site_province = province_key(site)
    same_province = (
        Q(home_organization__division__code__startswith=site_province)
        if site.division_id
        else Q(home_organization__division__isnull=True, home_organization__province=site_province)
    )
    site_alliances = AllianceMembership.objects.filter(_valid_on("", on), organization=site).values("alliance_id")
    basis = (
        Q(home_organization=site)
        | Exists(registrations.filter(kind__in=[RegistrationKind.MAIN, RegistrationKind.ADDED]))
        | (Exists(registrations.filter(kind=RegistrationKind.FILING)) & same_province)
        | Exists(
            AllianceMembership.objects.filter(
                _valid_on("", on), organization=OuterRef("home_organization"), alliance_id__in=site_alliances
            )
        )
        | Exists(
            SupportAgreement.objects.filter(_valid_on("", on), supporting=OuterRef("home_organization"), supported=site)
        )
        | Exists(Invitation.objects.filter(_valid_on("", on, open_ended=False), practitioner=OuterRef("pk"), site=site))
    )
    cover = Exists(InsurancePolicy.objects.filter(_valid_on("", on, open_ended=False), practitioner=OuterRef("pk")))
    return Q(is_active=True, home_organization__isnull=False) & cover & basis
