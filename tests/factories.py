"""Factories with clinical and regulatory variants (STYLE.md: PractitionerFactory(expert=True), …)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from tiercare.core.models import Role, User
from tiercare.network.models import (
    Department,
    InsurancePolicy,
    Organization,
    OrgKind,
    Partnership,
    Practitioner,
    PractitionerRole,
    RegistrationKind,
    SiteRegistration,
    Specialty,
    StaffRole,
    Tier,
    Title,
)
from tiercare.people.models import Household, HouseholdMember, Person, Relation

PASSWORD = "correct-horse-battery-9"


def today() -> date:
    return timezone.localdate()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OPS

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"示例县第{n}人民医院")
    kind = OrgKind.HOSPITAL
    tier = Tier.PRIMARY
    province = "四川省"
    division_id = "510129"

    class Params:
        tertiary = factory.Trait(tier=Tier.TERTIARY, division_id="510107")
        doctor_group = factory.Trait(kind=OrgKind.DOCTOR_GROUP, tier="", division_id="510107")
        gp_center = factory.Trait(kind=OrgKind.GP_CENTER, tier=Tier.GP_CENTER, gp_mode="flagship", division_id="510104")
        other_province = factory.Trait(province="重庆市", division_id="500101")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"科室{n}")
    specialty = Specialty.PEDIATRICS


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"张医生{n}")
    title = Title.CHIEF
    specialty = Specialty.PEDIATRICS
    home_organization = factory.SubFactory(OrganizationFactory, tertiary=True)
    independent_practice_since = date(2010, 1, 1)

    class Params:
        expert = factory.Trait(
            doctor_group=factory.SubFactory(OrganizationFactory, doctor_group=True),
            can_operate=True,
        )
        covered = factory.Trait(
            cover=factory.RelatedFactory("tests.factories.InsurancePolicyFactory", factory_related_name="practitioner")
        )


class InsurancePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsurancePolicy

    practitioner = factory.SubFactory(PractitionerFactory)
    insurer = "人保财险"
    number = factory.Sequence(lambda n: f"YL-{n:06d}")
    valid_from = factory.LazyFunction(lambda: today() - timedelta(days=100))
    valid_to = factory.LazyFunction(lambda: today() + timedelta(days=265))
    cover_amount = Decimal("1000000.00")

    class Params:
        expiring = factory.Trait(valid_to=factory.LazyFunction(lambda: today() + timedelta(days=10)))
        lapsed = factory.Trait(
            valid_from=factory.LazyFunction(lambda: today() - timedelta(days=400)),
            valid_to=factory.LazyFunction(lambda: today() - timedelta(days=1)),
        )


class SiteRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteRegistration

    practitioner = factory.SubFactory(PractitionerFactory)
    site = factory.SubFactory(OrganizationFactory)
    kind = RegistrationKind.FILING
    valid_from = factory.LazyFunction(lambda: today() - timedelta(days=30))
    valid_to = None


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    doctor_group = factory.SubFactory(OrganizationFactory, doctor_group=True)
    department = factory.SubFactory(DepartmentFactory)
    start = factory.LazyFunction(lambda: today() - timedelta(days=60))
    services = ["clinic", "surgery"]


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.Sequence(lambda n: f"李家{n}")
    registered_at = factory.SubFactory(OrganizationFactory, gp_center=True)


class PersonFactory(factory.django.DjangoModelFactory):
    """A person; with ``household=`` they become a member of it."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"李居民{n}")
    sex = "1"
    birth_date = date(1960, 5, 1)

    @factory.post_generation
    def household(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted is not None:
            HouseholdMember.objects.create(
                household=extracted, person=obj, relation=kwargs.get("relation", Relation.OTHER)
            )


def staff_user(role: str, organization: Organization, *, username: str, staff_role: str | None = None) -> User:
    """A signed-in staff member working at ``organization`` (practitioner + role there)."""
    user = UserFactory(username=username, role=role)
    practitioner = PractitionerFactory(
        user=user, name=f"{username}医生", home_organization=organization, title=Title.ATTENDING
    )
    PractitionerRole.objects.create(
        practitioner=practitioner,
        organization=organization,
        role=staff_role
        or {
            Role.GP: StaffRole.GP,
            Role.COORDINATOR: StaffRole.COORDINATOR,
            Role.HEALTH_MANAGER: StaffRole.HEALTH_MANAGER,
        }.get(role, StaffRole.PHYSICIAN),
        valid_from=today() - timedelta(days=365),
    )
    return user


def ensure_divisions() -> None:
    """Reload the GB/T 2260 table if a transactional test's flush emptied it (it comes from a data migration)."""
    import importlib

    from django.apps import apps

    from tiercare.core.models import Division

    if not Division.objects.exists():
        importlib.import_module("tiercare.core.migrations.0003_load_gbt2260_divisions").load(apps, None)
