"""The one rule every later feature relies on: may this expert practise at this site on this date, and why."""

import random
from datetime import date, timedelta

import pytest
from tests import factories as f

from tiercare.network.models import (
    AgreementKind,
    Alliance,
    AllianceMembership,
    Invitation,
    OrgStatus,
    Practitioner,
    RegistrationKind,
    SupportAgreement,
)
from tiercare.network.practice import Basis, Refusal, allowed_at_q, practice_bases, practice_basis

pytestmark = pytest.mark.django_db
D = date(2026, 6, 15)


@pytest.fixture
def home():
    return f.OrganizationFactory(tertiary=True, name="省医院")


@pytest.fixture
def site():
    return f.OrganizationFactory(name="县医院")


@pytest.fixture
def expert(home):
    p = f.PractitionerFactory(home_organization=home, expert=True)
    f.InsurancePolicyFactory(practitioner=p, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    return p


def test_main_institution_is_a_basis(expert, home):
    decision = practice_basis(expert, home, D)
    assert decision.allowed and decision.basis == Basis.MAIN_INSTITUTION


def test_no_basis_without_filing(expert, site):
    decision = practice_basis(expert, site, D)
    assert not decision.allowed
    assert decision.refusals == [Refusal.NO_BASIS]
    assert "filing" in decision.reason


def test_filing_in_same_province_valid_on_the_day(expert, site):
    f.SiteRegistrationFactory(
        practitioner=expert, site=site, valid_from=D, valid_to=D + timedelta(days=10), reference="BA-1"
    )
    assert practice_basis(expert, site, D).basis == Basis.FILING
    assert practice_basis(expert, site, D).reference == "BA-1"
    assert practice_basis(expert, site, D + timedelta(days=10)).allowed  # the last day is inclusive
    assert not practice_basis(expert, site, D - timedelta(days=1)).allowed
    assert not practice_basis(expert, site, D + timedelta(days=11)).allowed


def test_revoked_filing_is_no_basis(expert, site):
    f.SiteRegistrationFactory(practitioner=expert, site=site, valid_from=D, revoked=True)
    assert not practice_basis(expert, site, D).allowed


def test_filing_in_another_province_is_refused_with_its_reason(expert):
    other = f.OrganizationFactory(other_province=True)
    f.SiteRegistrationFactory(practitioner=expert, site=other, valid_from=D)
    decision = practice_basis(expert, other, D)
    assert not decision.allowed
    assert decision.refusals == [Refusal.FILING_OTHER_PROVINCE]


def test_added_registration_in_another_province(expert):
    other = f.OrganizationFactory(other_province=True)
    f.SiteRegistrationFactory(practitioner=expert, site=other, valid_from=D, kind=RegistrationKind.ADDED)
    assert practice_basis(expert, other, D).basis == Basis.ADDED_REGISTRATION


def test_same_alliance_needs_no_filing(expert, home, site):
    alliance = Alliance.objects.create(name="医联体", kind="city_group")
    AllianceMembership.objects.create(alliance=alliance, organization=home, valid_from=date(2020, 1, 1))
    AllianceMembership.objects.create(alliance=alliance, organization=site, valid_from=date(2020, 1, 1), valid_to=D)
    assert practice_basis(expert, site, D).basis == Basis.ALLIANCE
    assert not practice_basis(expert, site, D + timedelta(days=1)).allowed  # the site left the alliance


def test_support_agreement_of_the_main_institution(expert, home, site):
    SupportAgreement.objects.create(
        kind=AgreementKind.PAIRED_ASSISTANCE,
        supporting=home,
        supported=site,
        valid_from=date(2026, 1, 1),
        reference="DK-7",
    )
    decision = practice_basis(expert, site, D)
    assert decision.basis == Basis.SUPPORT_AGREEMENT and decision.reference == "DK-7"


def test_agreement_in_the_other_direction_is_no_basis(expert, home, site):
    SupportAgreement.objects.create(
        kind=AgreementKind.ASSISTANCE, supporting=site, supported=home, valid_from=date(2026, 1, 1)
    )
    assert not practice_basis(expert, site, D).allowed


def test_invitation_for_the_dates(expert, site):
    Invitation.objects.create(practitioner=expert, site=site, valid_from=D, valid_to=D, reference="HZ-1")
    assert practice_basis(expert, site, D).basis == Basis.INVITATION
    assert not practice_basis(expert, site, D + timedelta(days=1)).allowed


def test_no_cover_on_the_day_refuses_even_with_a_filing(expert, site):
    f.SiteRegistrationFactory(practitioner=expert, site=site, valid_from=D)
    decision = practice_basis(expert, site, date(2027, 1, 1))
    assert not decision.allowed and decision.refusals == [Refusal.NO_COVER]


def test_doctor_group_is_not_a_licensed_site(expert):
    decision = practice_basis(expert, expert.doctor_group, D)
    assert Refusal.SITE_NOT_LICENSED in decision.refusals


def test_closed_site_and_inactive_or_homeless_practitioners(expert, site):
    f.SiteRegistrationFactory(practitioner=expert, site=site, valid_from=D)
    site.status = OrgStatus.CLOSED
    site.save()
    assert Refusal.SITE_NOT_LICENSED in practice_basis(expert, site, D).refusals
    homeless = f.PractitionerFactory(home_organization=None)
    assert Refusal.NO_MAIN_INSTITUTION in practice_basis(homeless, site, D).refusals
    expert.is_active = False
    assert Refusal.INACTIVE in practice_basis(expert, site, D).refusals


def test_the_set_filter_agrees_with_the_function_on_random_networks():
    """allowed_at_q (one query for many experts) must say exactly what practice_basis says for each; and
    practice_bases (the decisions for a page of experts) gives the very decision practice_basis gives, basis,
    reference and refusals."""
    rng = random.Random(7)
    homes = [f.OrganizationFactory(tertiary=True), f.OrganizationFactory(tertiary=True, other_province=True)]
    sites = [f.OrganizationFactory() for _ in range(3)] + [
        f.OrganizationFactory(other_province=True),
        f.OrganizationFactory(doctor_group=True),
    ]
    alliance = Alliance.objects.create(name="A", kind="county_community")
    for org in rng.sample(homes + sites, 4):
        AllianceMembership.objects.create(
            alliance=alliance,
            organization=org,
            valid_from=D - timedelta(days=rng.randrange(0, 20)),
            valid_to=rng.choice([None, D + timedelta(days=rng.randrange(-5, 5))]),
        )
    SupportAgreement.objects.create(
        kind="trusteeship",
        supporting=homes[0],
        supported=sites[1],
        valid_from=D - timedelta(days=3),
        valid_to=D + timedelta(days=3),
    )
    days = [D + timedelta(days=k) for k in range(-6, 7, 4)]
    practitioners = []
    for _ in range(24):
        p = f.PractitionerFactory(home_organization=rng.choice([*homes, None]), is_active=rng.random() > 0.1)
        if rng.random() > 0.2:
            start = D - timedelta(days=rng.randrange(0, 8))
            f.InsurancePolicyFactory(
                practitioner=p, valid_from=start, valid_to=start + timedelta(days=rng.randrange(0, 12))
            )
        for s in rng.sample(sites, rng.randrange(0, 3)):
            start = D - timedelta(days=rng.randrange(-4, 8))
            f.SiteRegistrationFactory(
                practitioner=p,
                site=s,
                kind=rng.choice(RegistrationKind.values[1:]),
                valid_from=start,
                revoked=rng.random() < 0.15,
                valid_to=rng.choice([None, start + timedelta(days=rng.randrange(0, 9))]),
            )
        if rng.random() < 0.2:
            Invitation.objects.create(practitioner=p, site=rng.choice(sites), valid_from=D, valid_to=D)
        practitioners.append(p)
    checked = allowed = 0
    for site in sites + homes:
        for day in days:
            by_query = set(Practitioner.objects.filter(allowed_at_q(site, day)).values_list("pk", flat=True))
            at_once = practice_bases(practitioners, site, day)
            for p in practitioners:
                decision = practice_basis(p, site, day)
                assert at_once[p.pk] == decision, (p, site, day)
                expected = decision.allowed
                assert (p.pk in by_query) == expected, (p, site, day)
                checked += 1
                allowed += expected
    assert checked == len(practitioners) * len(days) * (len(sites) + len(homes))
    assert 0 < allowed < checked  # the random network exercises both answers
