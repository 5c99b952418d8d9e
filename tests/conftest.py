"""The standing cast (STYLE.md): an expert, ops, a coordinator at hospital A, a GP at center A, an outsider at
hospital B, a GP at center B, a patient and their household, an auditor, an admin. Plus: skipped tests fail in CI,
the network is blocked, and an API client that signs in with a bearer token."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests import factories as f
from tiercare.core.models import Role, User
from tiercare.people.models import Proxy

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# --- a skipped test is a failure in CI ---------------------------------------------------------------------------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if CI and skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(f"CI=true: {skipped} skipped test(s) count as failures.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL (row locks, real concurrency): install postgresql; `make test` starts it"
                )
            )
        if "browser" in item.keywords and not os.path.exists("/usr/bin/chromium"):
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium: apt-get install chromium"))


# --- no network in tests (SA): only loopback and unix sockets ----------------------------------------------------
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if isinstance(address, tuple) and address and address[0] not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"tests may not reach the network ({address[0]})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Any:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


# --- the cast ------------------------------------------------------------------------------------------------
@dataclass
class Cast:
    group: Any
    tertiary: Any
    hospital_a: Any
    hospital_b: Any
    center_a: Any
    center_b: Any
    dept_a: Any
    partnership: Any
    expert_practitioner: Any
    ops: User
    expert: User
    coordinator: User
    outsider: User
    gp: User
    gp_b: User
    health_manager: User
    patient: User
    auditor: User
    admin: User
    household_a: Any
    household_b: Any
    patient_person: Any
    child_person: Any
    person_b: Any
    household_hospital_a: Any


@pytest.fixture
def cast(db: Any) -> Cast:
    f.ensure_divisions()
    group = f.OrganizationFactory(name="示例医生集团", doctor_group=True)
    tertiary = f.OrganizationFactory(name="示例大学附属医院", tertiary=True)
    hospital_a = f.OrganizationFactory(name="甲县人民医院", division_id="510129")
    hospital_b = f.OrganizationFactory(name="乙县人民医院", division_id="510121")
    center_a = f.OrganizationFactory(name="甲全科中心", gp_center=True)
    center_b = f.OrganizationFactory(name="乙全科中心", gp_center=True, gp_mode="owned", division_id="510105")
    dept_a = f.DepartmentFactory(organization=hospital_a, name="儿科", specialty="pediatrics")
    partnership = f.PartnershipFactory(doctor_group=group, department=dept_a)
    expert_user = f.UserFactory(username="expert", role=Role.EXPERT)
    expert_p = f.PractitionerFactory(
        user=expert_user, name="赵专家", home_organization=tertiary, doctor_group=group, can_operate=True
    )
    f.InsurancePolicyFactory(practitioner=expert_p)
    f.SiteRegistrationFactory(practitioner=expert_p, site=hospital_a)
    household_a = f.HouseholdFactory(name="张家", registered_at=center_a)
    household_b = f.HouseholdFactory(name="王家", registered_at=center_b)
    household_hospital_a = f.HouseholdFactory(name="刘家", registered_at=hospital_a)
    patient_user = f.UserFactory(username="patient", role=Role.PATIENT)
    patient_person = f.PersonFactory(name="张三", user=patient_user, household=household_a)
    child = f.PersonFactory(name="张小明", sex="2", birth_date=f.date(2015, 3, 3), household=household_a)
    household_a.proxy = patient_person
    household_a.save()
    # the patient holds a guardian's proxy for the child (people.proxies): what lets them see the child's record
    Proxy.objects.create(
        holder=patient_person,
        person=child,
        kind="guardian",
        evidence_kind="birth_certificate",
        evidence_reference="出生医学证明 O510000001",
        valid_from=f.date(2015, 3, 3),
        valid_until=f.date(2033, 3, 2),
    )
    person_b = f.PersonFactory(name="王五", household=household_b)
    f.PersonFactory(name="刘六", household=household_hospital_a)
    return Cast(
        group=group,
        tertiary=tertiary,
        hospital_a=hospital_a,
        hospital_b=hospital_b,
        center_a=center_a,
        center_b=center_b,
        dept_a=dept_a,
        partnership=partnership,
        expert_practitioner=expert_p,
        ops=f.UserFactory(username="ops", role=Role.OPS),
        expert=expert_user,
        coordinator=f.staff_user(Role.COORDINATOR, hospital_a, username="coordinator"),
        outsider=f.staff_user(Role.COORDINATOR, hospital_b, username="outsider"),
        gp=f.staff_user(Role.GP, center_a, username="gp"),
        gp_b=f.staff_user(Role.GP, center_b, username="gp_b"),
        health_manager=f.staff_user(Role.HEALTH_MANAGER, center_a, username="health_manager"),
        patient=patient_user,
        auditor=f.UserFactory(username="auditor", role=Role.AUDITOR),
        admin=f.UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True),
        household_a=household_a,
        household_b=household_b,
        patient_person=patient_person,
        child_person=child,
        person_b=person_b,
        household_hospital_a=household_hospital_a,
    )


class Api:
    """A JSON client for /api/v1 signed in as one user (session), returning (status, body)."""

    def __init__(self, user: User | None):
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def _call(self, method: str, path: str, data: Any = None, **headers: Any) -> tuple[int, Any]:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        fn = getattr(self.client, method)
        if method in ("post", "patch", "put"):
            body = data if isinstance(data, str | bytes) else json.dumps(data, default=str)
            response = fn(url, body, content_type="application/json", **headers)
        else:
            response = fn(url, data or {}, **headers)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.content

    def get(self, path: str, params: dict | None = None, **h: Any) -> tuple[int, Any]:
        return self._call("get", path, params, **h)

    def post(self, path: str, data: Any = None, **h: Any) -> tuple[int, Any]:
        return self._call("post", path, data, **h)

    def patch(self, path: str, data: Any = None, **h: Any) -> tuple[int, Any]:
        return self._call("patch", path, data, **h)


@pytest.fixture
def api() -> Any:
    return Api


# --- flushing a test database past the append-only triggers -------------------------------------------------------
@pytest.fixture(autouse=True, scope="session")
def _flush_past_append_only_triggers() -> Any:
    """Transactional tests end with a flush; on SQLite that is ``DELETE FROM`` each table, which the append-only
    triggers (audit log, signed records) rightly refuse. Only the test flush lifts them, inside its own transaction,
    and puts them back; PostgreSQL flushes with TRUNCATE, which fires no row trigger. (docs/adr/0004)"""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    DatabaseOperations = type(connection.ops)  # noqa: N806
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
        drops = [f'DROP TRIGGER "{name}"' for name, _ in triggers]
        original(self, [*drops, *sql_list, *(sql for _, sql in triggers)])

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]
