#!/usr/bin/env python3
"""Everyday operations of /work/shared/bench/PEERS.md over tiercare's HTTP API (issue 6). Run by hand.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/care_peer PYTHONPATH=src .venv/bin/python bench/peer_ops.py

Same data size as the peers: 10,000 persons in 2,500 households of four, 25 family doctors (one team each) with
400 contracted patients, 40,000 follow-ups (four per person, classified by the real protocol engine). The data set
is bulk-loaded with the ORM (timed: "bulk load"), then one gunicorn worker (DEBUG off) serves the API and one client
sends requests one after another over a kept-alive connection: medians and p95 of 200 samples (30 for the large
lists). Every answer is audited as in production (one audit row per person shown).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("SECRET_KEY", "peer-bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("TIERCARE_VAR_DIR", "/tmp/care-peer-var")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercare.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

PASSWORD = "peer-bench-password-1"
PEERS = {  # PEERS.md: (GNU Health in-process, GNU Health JSON-RPC, CARE HTTP), median / p95 ms
    "read one patient with their 4 follow-ups": ((22.1, 25.0), (28.0, 34.1), (62.1, 80.9)),
    "list the 4 members of one household": ((10.3, 12.7), (13.0, 17.4), (110, 148)),
    "list one GP's 400 patients": ((260, 360), (277, 405), (3283, 3647)),
    "create one patient in a household (API)": (None, (27.3, 38.8), (51.6, 71.5)),
}
PEER_BULK_S = (153.0, None, 546.0)


def load() -> dict[str, object]:
    """Bulk-load the peers' data set with the ORM; return ids the operations use."""
    from tiercare.care.models import CareContract, ContractMember, Enrollment, FollowUp, GpTeam, GpTeamMember
    from tiercare.care.protocols import classify, load_protocol, protocol_version
    from tiercare.care.services import is_controlled
    from tiercare.core.models import Role, User
    from tiercare.network.models import Organization, Practitioner, PractitionerRole
    from tiercare.people.models import Household, HouseholdMember, Person

    rng = random.Random(6)
    tz = ZoneInfo("Asia/Shanghai")
    center = Organization.objects.create(
        name="同行基准全科中心", kind="gp_center", tier="gp_center", gp_mode="flagship"
    )
    protocol = load_protocol("hypertension")
    v = protocol_version("hypertension")
    users, teams, practitioners, roles, members = [], [], [], [], []
    for i in range(25):
        u = User(username=f"gp{i:02d}", role=Role.GP)
        u.set_password(PASSWORD) if i == 0 else u.set_unusable_password()
        users.append(u)
    User.objects.bulk_create(users)
    for i, u in enumerate(users):
        p = Practitioner(user=u, name=f"医生{i}", title="attending", home_organization=center)
        practitioners.append(p)
        roles.append(PractitionerRole(practitioner=p, organization=center, role="gp", valid_from=date(2020, 1, 1)))
        t = GpTeam(center=center, name=f"团队{i:02d}")
        teams.append(t)
        members.append(GpTeamMember(team=t, practitioner=p, role="gp"))
    Practitioner.objects.bulk_create(practitioners)
    PractitionerRole.objects.bulk_create(roles)
    GpTeam.objects.bulk_create(teams)
    GpTeamMember.objects.bulk_create(members)

    households, persons, hm, contracts, cm, enrollments, followups = [], [], [], [], [], [], []
    for h in range(2500):
        hh = Household(name=f"家庭{h}", registered_at=center, address=f"幸福里{h}号")
        households.append(hh)
        team = teams[h // 100]
        c = CareContract(household=hh, team=team, start=date(2026, 1, 1), end=date(2026, 12, 31))
        contracts.append(c)
        for k in range(4):
            p = Person(name=f"居民{h}-{k}", sex="12"[k % 2], birth_date=date(1945 + rng.randrange(30), 1 + k, 1 + k))
            persons.append(p)
            hm.append(HouseholdMember(household=hh, person=p, relation="head" if k == 0 else "other"))
            cm.append(ContractMember(contract=c, person=p, team=team))
            e = Enrollment(
                person=p,
                protocol_code="hypertension",
                protocol_version=v.version,
                protocol_sha256=v.sha256,
                enrolled_on=date(2025, 1, 1),
            )
            enrollments.append(e)
            previous: list[dict] = []
            for n in range(4):
                visit = {
                    "sbp_mmhg": rng.randint(118, 165),
                    "dbp_mmhg": rng.randint(70, 95),
                    "adverse_reaction": False,
                    "new_or_worse_complication": False,
                }
                day = date(2025, 6, 1) + timedelta(days=91 * n)
                # the engine takes the age on the day (the >=65 target) and the date, as followup_record passes them
                age = day.year - p.birth_date.year - ((day.month, day.day) < (p.birth_date.month, p.birth_date.day))
                cl = classify(protocol, {**visit, "age_years": age, "date": day.isoformat()}, previous[:1])
                followups.append(
                    FollowUp(
                        enrollment=e,
                        person=p,
                        measured_at=datetime(day.year, day.month, day.day, 9, tzinfo=tz),
                        measurements=visit,
                        control_class=cl.control_class,
                        urgent=cl.urgent,
                        fired_rules=[
                            {
                                "id": r.id,
                                "explanation_en": r.explanation.en,
                                "explanation_zh": r.explanation.zh,
                                "source_en": r.source_text.en,
                                "source_zh": r.source_text.zh,
                            }
                            for r in cl.fired_rules
                        ],
                        actions=list(cl.actions.codes()),
                        next_due_on=day + timedelta(days=cl.next_due_in_days),
                        controlled=is_controlled(protocol, visit),
                        protocol_version=v.version,
                        protocol_sha256=v.sha256,
                    )
                )
                previous = [{**visit, "age_years": age, "date": day.isoformat()}]
    Household.objects.bulk_create(households, batch_size=1000)
    Person.objects.bulk_create(persons, batch_size=1000)
    HouseholdMember.objects.bulk_create(hm, batch_size=1000)
    CareContract.objects.bulk_create(contracts, batch_size=1000)
    ContractMember.objects.bulk_create(cm, batch_size=1000)
    Enrollment.objects.bulk_create(enrollments, batch_size=1000)
    FollowUp.objects.bulk_create(followups, batch_size=1000)
    return {
        "team": teams[0].pk,
        "households": [h.pk for h in households[:100]],
        "persons": [p.pk for p in persons[:400]],
    }


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = ""

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object, int]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.conn.request(
            method, "/api/v1/" + path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        r = self.conn.getresponse()
        raw = r.read()
        return r.status, json.loads(raw) if raw else None, len(raw)


def sample(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(0.95 * (len(out) - 1))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loaded_ids() -> dict[str, object]:
    """The ids the operations use, from a data set an earlier run loaded (``--skip-load``)."""
    from tiercare.care.models import GpTeam
    from tiercare.people.models import Household, Person

    team = GpTeam.objects.get(name="团队00")
    households = list(Household.objects.filter(care_contracts__team=team).order_by("created_at")[:100])
    persons = Person.objects.filter(membership__household__in=households).order_by("created_at")
    return {"team": team.pk, "households": [h.pk for h in households], "persons": [p.pk for p in persons[:400]]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-load", action="store_true", help="reuse the data set an earlier run loaded")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    call_command("migrate", verbosity=0)
    if args.skip_load:
        ids, bulk_s = loaded_ids(), float("nan")
    else:
        t = time.perf_counter()
        ids = load()
        bulk_s = time.perf_counter() - t
        call_command("care_recompute", "--quiet")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    port = free_port()
    env = {
        **os.environ,
        "TIERCARE_DEBUG": "false",
        "TIERCARE_SSL_REDIRECT": "false",  # loopback: no TLS proxy in front (production redirects plain HTTP)
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(ROOT / "src"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tiercare.wsgi",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        client = Client(port)
        for _ in range(100):
            try:
                status, body, _ = client.call("POST", "auth/token", {"username": "gp00", "password": PASSWORD})
                break
            except OSError:
                time.sleep(0.2)
                client = Client(port)
        assert status == 200, body
        client.token = body["token"]  # type: ignore[index]
        persons, households, team = ids["persons"], ids["households"], ids["team"]
        fields: dict[str, str] = {}
        results: dict[str, tuple[float, float]] = {}

        def get(path: str, expect_items: int | None = None):  # type: ignore[no-untyped-def]
            status, body, _ = client.call("GET", path)
            assert status == 200, (path, body)
            if expect_items is not None:
                assert len(body["items"]) == expect_items, (path, len(body["items"]))  # type: ignore[index]
            return body

        for _ in range(10):  # warm up
            get(f"care/persons/{persons[0]}/plan")
        body = get(f"care/persons/{persons[0]}/plan")
        assert len(body["recent_followups"]) == 4
        fields["read one patient with their 4 follow-ups"] = (
            "`GET care/persons/{id}/plan`: person, enrolments, the 4 follow-ups with fired rules and quoted source, "
            "medicines, next visit"
        )
        results["read one patient with their 4 follow-ups"] = sample(
            lambda i: get(f"care/persons/{persons[i % len(persons)]}/plan"), 200
        )
        fields["list the 4 members of one household"] = (
            "`GET care/persons?household={id}`: id, name, sex, birth date, household"
        )
        results["list the 4 members of one household"] = sample(
            lambda i: get(f"care/persons?household={households[i % len(households)]}", 4), 200
        )
        fields["list one GP's 400 patients"] = "`GET care/persons?team={id}&limit=500`: same fields"
        results["list one GP's 400 patients"] = sample(lambda i: get(f"care/persons?team={team}&limit=500", 400), 30)
        results["list one GP's patients, one page of 50"] = sample(
            lambda i: get(f"care/persons?team={team}&limit=50&offset={(i % 8) * 50}", 50), 200
        )

        def create(i: int) -> None:
            data = {
                "household": str(households[i % len(households)]),
                "name": f"新居民{i}",
                "sex": "2",
                "birth_date": "1980-01-01",
            }
            status, body, _ = client.call("POST", "persons", data)
            assert status == 201, body

        fields["create one patient in a household (API)"] = "`POST persons` (one call): the created person"
        results["create one patient in a household (API)"] = sample(create, 200)
    finally:
        server.terminate()
        server.wait(10)

    cpu = subprocess.run(
        ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True
    ).stdout.strip()
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    print("\n## Peer operations\n")
    print(
        f"Machine: {cpu}, {os.cpu_count()} cores; PostgreSQL {pg}; Python {platform.python_version()}; Django "
        f"{django.get_version()}; one gunicorn worker, DEBUG off, one client, kept-alive connection, bearer token. "
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/peer_ops.py`. Data: 10,000 persons "
        "in 2,500 households, 25 family doctors × 400 patients, 40,000 follow-ups. Every read is audited (one "
        "audit row per person shown), as in production.\n"
    )
    print(
        "| operation | tiercare median / p95 | ÷ GNU Health (in-process) | ÷ GNU Health (JSON-RPC) | ÷ CARE | fields |"
    )
    print("|---|---|---|---|---|---|")
    for name, (med, p95) in results.items():
        peers = PEERS.get(name, (None, None, None))
        ratios = [f"{med / p[0]:.2f} / {p95 / p[1]:.2f}" if p else "–" for p in peers]
        print(f"| {name} | {med:.1f} / {p95:.1f} ms | {' | '.join(ratios)} | {fields.get(name, '')} |")
    ratios = [f"{bulk_s / p:.2f}" if p else "–" for p in PEER_BULK_S]
    print(
        f"| bulk load of the whole data set (ORM bulk_create, protocol engine classifying every follow-up) | "
        f"{bulk_s:.1f} s | {' | '.join(ratios)} | households, persons, members, teams, contracts, enrolments, "
        "follow-ups |"
    )
    print("\nRatios are tiercare ÷ peer (median / p95); below 1 is faster.")


if __name__ == "__main__":
    main()
