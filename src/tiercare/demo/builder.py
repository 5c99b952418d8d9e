"""A seed-sized demo network, deterministic for a seed: synthetic people, real GB/T 2260 places (四川省).

Shape (the doctor group and GP chain tiercare serves): one doctor group with 103 experts (35 pediatrics,
30 gynecology, 38 oncology) from 6 provincial tertiary hospitals; 124 grassroots hospitals with 256 departments;
5 partner hospitals with 7 partner departments (4 pediatric, one of them neonatology; 2 gynecology; 1 gynecologic
oncology); a GP-center chain with one flagship center in operation and two in preparation, a few hundred households;
one login per role (username = role, password printed by `make demo`).

The build goes in order, each part in its module drawing from the one generator of the seed (``context``):
``network`` (organizations, departments, partnerships, alliances), ``experts`` (experts, cover, registrations),
``people`` (logins and households); ``data`` holds the fixed material. The loader writes in bulk (a demo of
~1,500 rows should load in seconds) and records one audit event for the load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from tiercare.core.audit import audit_record
from tiercare.core.models import AuditAction, Role
from tiercare.demo import experts, network, people
from tiercare.demo.context import DemoContext
from tiercare.demo.data import DEMO_PASSWORD
from tiercare.network.models import Organization, OrgKind
from tiercare.people.models import Person

__all__ = ["DEMO_PASSWORD", "DemoBuilder", "DemoSummary", "demo_is_loaded", "load_workflow_demos"]


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


class DemoBuilder(DemoContext):
    """Builds the demo network for a seed, a today and a number of households (see the module docstring)."""

    @transaction.atomic
    def build(self) -> DemoSummary:
        orgs = network.organizations(self)
        depts = network.departments(self, orgs)
        partnerships = network.partnerships(self, orgs, depts)
        expert_list = experts.experts(self, orgs.group, orgs.tertiary, depts.tertiary)
        experts.registrations(self, expert_list, orgs.partners, orgs.grassroots)
        network.alliances(self, orgs.tertiary, orgs.grassroots)
        users = people.users(self, expert_list, orgs.partners, orgs.gp_centers, orgs.tertiary)
        households = people.households(self, orgs.gp_centers, orgs.partners, orgs.counties, users)

        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="demo.network",
            reason="load_demo",
            details={"seed": "deterministic", "today": self.today.isoformat()},
        )
        return DemoSummary(
            counts={
                "organizations": len(orgs.all),
                "departments": depts.count,
                "experts": len(expert_list),
                "partnerships": partnerships,
                "households": households,
                "persons": Person.objects.count(),
            },
            logins=[(role, DEMO_PASSWORD) for role in Role.values],
        )


def demo_is_loaded() -> bool:
    return Organization.objects.filter(kind=OrgKind.DOCTOR_GROUP).exists()


def load_workflow_demos(*, seed: int, today: date) -> dict[str, Any]:
    """The workflow apps' demo data on top of the network: outreach requests and a confirmed roster, care contracts
    and follow-ups, tele-consultations and opinions, referrals in every state. Each app owns its demo function."""
    from tiercare.care.demo import care_demo
    from tiercare.consults.demo import consults_demo
    from tiercare.finance.demo import finance_demo
    from tiercare.outreach.demo import outreach_demo
    from tiercare.portal.demo import portal_demo
    from tiercare.profiles.demo import profiles_demo
    from tiercare.programs.demo import programs_demo
    from tiercare.referrals.demo import referrals_demo
    from tiercare.triage.demo import triage_demo

    return {
        "outreach": outreach_demo(seed=seed, today=today),
        "care": care_demo(seed, today),
        "consults": consults_demo(seed, today),
        "referrals": referrals_demo(seed=seed, today=today),
        "programs": programs_demo(seed=seed, today=today),
        "triage": triage_demo(seed=seed, today=today),
        # before profiles: the patient login's proxies for his household (his family's reviews rest on them)
        "portal": portal_demo(seed=seed, today=today),
        "profiles": profiles_demo(seed=seed, today=today),
        # last: it charges the work the other demos made (and three months of held sessions of its own)
        "finance": finance_demo(seed=seed, today=today),
    }
