"""The demo's people: one login per role (with the practitioner records of the coordinator, the GP and the
health manager) and the households registered at the GP centers and the coordinator's partner hospital, the
patient login heading the flagship center's first household."""

from __future__ import annotations

from datetime import date, timedelta

from tiercare.core.models import Role, User
from tiercare.core.pinyin import name_initials, name_pinyin
from tiercare.demo.context import DemoContext
from tiercare.demo.data import DEMO_PASSWORD
from tiercare.network.models import Organization, Practitioner, PractitionerRole, Specialty, StaffRole, Title
from tiercare.people.identity import hash_id, id_last4, mask_id
from tiercare.people.models import Household, HouseholdMember, Person, Relation


def _user(role: str, display: str) -> User:
    user = User(
        username=role,
        role=role,
        display_name=display,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _staff(
    ctx: DemoContext, user: User, name: str, title: str, org: Organization, role: str, specialty: str = ""
) -> Practitioner:
    p = Practitioner(
        id=ctx.uuid(),
        user=user,
        name=name,
        title=title,
        specialty=specialty,
        home_organization=org,
        independent_practice_since=date(2015, 9, 1),
    )
    p.save()
    PractitionerRole.objects.create(
        id=ctx.uuid(), practitioner=p, organization=org, role=role, valid_from=date(2020, 1, 1)
    )
    return p


def users(
    ctx: DemoContext,
    experts: list[Practitioner],
    partners: list[Organization],
    gp_centers: list[Organization],
    tertiary: list[Organization],
) -> dict[str, User]:
    users: dict[str, User] = {}
    for role, display in [
        (Role.OPS, "周敏"),
        (Role.AUDITOR, "孙立"),
        (Role.ADMIN, "系统管理员"),
        (Role.FINANCE, "钱晓红"),
        (Role.PHARMACIST, "吴静怡"),
    ]:
        users[role] = _user(role, display)
    expert_user = _user(Role.EXPERT, experts[0].name)
    Practitioner.objects.filter(pk=experts[0].pk).update(user=expert_user)
    users[Role.EXPERT] = expert_user
    users[Role.COORDINATOR] = _user(Role.COORDINATOR, "李娜")
    _staff(ctx, users[Role.COORDINATOR], "李娜", Title.STAFF, partners[0], StaffRole.COORDINATOR)
    users[Role.GP] = _user(Role.GP, "王芳")
    _staff(ctx, users[Role.GP], "王芳", Title.ATTENDING, gp_centers[0], StaffRole.GP, Specialty.GENERAL_PRACTICE)
    users[Role.HEALTH_MANAGER] = _user(Role.HEALTH_MANAGER, "陈静")
    _staff(ctx, users[Role.HEALTH_MANAGER], "陈静", Title.HEALTH_MANAGER, gp_centers[0], StaffRole.HEALTH_MANAGER)
    users[Role.PATIENT] = _user(Role.PATIENT, "张伟")
    # The hospital director of the coordinator's hospital (issue 14), drawn from a generator of its own so that the
    # rest of the demo stays as it was for a seed.
    users[Role.DIRECTOR] = _user(Role.DIRECTOR, "赵建国")
    own = DemoContext(seed=ctx.seed * 1000 + 14, today=ctx.today, households=1)
    _staff(own, users[Role.DIRECTOR], "赵建国", Title.CHIEF, partners[0], StaffRole.PHYSICIAN)
    return users


def households(
    ctx: DemoContext,
    gp_centers: list[Organization],
    partners: list[Organization],
    counties: list[str],
    users: dict[str, User],
) -> int:
    # Most households at the flagship center; some pre-registered at a center in preparation; some at the
    # coordinator's partner hospital.
    plan = (
        [gp_centers[0]] * ctx.n_households
        + [gp_centers[1]] * max(1, ctx.n_households // 10)
        + [partners[0]] * max(1, ctx.n_households // 10)
    )
    households: list[Household] = []
    persons: list[Person] = []
    members: list[HouseholdMember] = []
    proxies: list[tuple[Household, Person]] = []
    for n, org in enumerate(plan):
        code = org.division_id or "510104"
        head_sex = ctx.rng.choice("12")
        head_name = ctx.person_name(head_sex)
        hh = Household(
            id=ctx.uuid(),
            name=f"{head_name[0]}家（{head_name}）",
            registered_at=org,
            division_id=code,
            address=f"{org.county}幸福里{n // 20 + 1}栋{n % 20 + 1}号",
        )
        households.append(hh)
        size = ctx.rng.choice([1, 2, 2, 3, 3, 4, 4, 5])
        head_birth = ctx.today - timedelta(days=ctx.rng.randrange(28 * 365, 80 * 365))
        specs: list[tuple[str, str, date, str | None]] = [(Relation.HEAD, head_sex, head_birth, head_name)]
        if size >= 2:
            specs.append(
                (
                    Relation.SPOUSE,
                    "2" if head_sex == "1" else "1",
                    head_birth + timedelta(days=ctx.rng.randrange(-1500, 1500)),
                    None,
                )
            )
        for _ in range(size - len(specs)):
            child_birth = head_birth + timedelta(days=ctx.rng.randrange(22 * 365, 35 * 365))
            specs.append(
                (
                    Relation.CHILD,
                    ctx.rng.choice("12"),
                    min(child_birth, ctx.today - timedelta(days=30)),
                    None,
                )
            )
        for relation, sex, birth, name in specs:
            name = name or (
                head_name[0] + ctx.person_name(sex)[1:] if relation == Relation.CHILD else ctx.person_name(sex)
            )
            number = ctx.resident_id(code, birth, sex)
            p = Person(
                id=ctx.uuid(),
                name=name,
                name_pinyin=name_pinyin(name),
                name_initials=name_initials(name),
                sex=sex,
                birth_date=birth,
                ethnic_group="01",
                id_kind="resident_id",
                id_hash=hash_id(number, ctx.id_key),
                id_last4=id_last4(number),
                id_masked=mask_id(number),
                phone=ctx.mobile() if relation != Relation.CHILD or birth.year < ctx.today.year - 18 else "",
                division_id=code,
                address=hh.address,
            )
            persons.append(p)
            members.append(HouseholdMember(id=ctx.uuid(), household=hh, person=p, relation=relation))
            if relation == Relation.HEAD:
                proxies.append((hh, p))
    # The patient login is the head (and proxy) of the flagship center's first household.
    first_hh, first_head = proxies[0]
    first_head.user = users[Role.PATIENT]
    first_head.name = "张伟"
    first_hh.name = "张家（张伟）"
    first_head.name_pinyin, first_head.name_initials = name_pinyin("张伟"), name_initials("张伟")
    Household.objects.bulk_create(households)
    Person.objects.bulk_create(persons, batch_size=500)
    HouseholdMember.objects.bulk_create(members, batch_size=500)
    for hh, head in proxies:
        hh.proxy = head
    Household.objects.bulk_update([hh for hh, _ in proxies], ["proxy"], batch_size=500)
    return len(households)
