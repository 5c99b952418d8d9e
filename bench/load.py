#!/usr/bin/env python3
"""Load test of a GP's day on PostgreSQL behind gunicorn (issue 10, item 15). Run by hand, not in tests.

    PYTHONPATH=src .venv/bin/python bench/load.py --persons 200000 --users 50 --seconds 60

1. Sets up its own database (``--db``, default ``bench_load`` on 127.0.0.1:54329): ``bench/population.py``
   generates N enrolled persons in teams of 2,000 (skip with ``--skip-generate`` to reuse one), then this script
   adds one GP login per virtual user (each in a different team) and one operations login.
2. Starts the app as the README runs it in production — ``gunicorn tiercare.wsgi -b 127.0.0.1:PORT -w 4``
   (``--gunicorn-workers``), loopback only — and one ``manage.py db_worker`` for the queued plans.
3. Runs ``--users`` concurrent users (threads, stdlib http.client with keep-alive), each doing a GP's day in a
   loop with a think time between steps: the team's patient list (first page), one patient's plan, the overdue
   worklist, a hypertension follow-up filed; every fourth round the user (as operations) starts a roster plan
   (queued for the worker: 202). ``GET /healthz`` — a bare Django view through the same middleware — is
   requested in the same run by the same users as the baseline. Stops after ``--seconds`` or ``--max-requests``.
4. Prints p50/p99 per operation beside the bare endpoint's, as Markdown for bench/RESULTS.md, then stops
   gunicorn and the worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "load-test-password-4821"
SECRET = "bench-load-secret-key-0123456789abcdefghij-not-for-production"


def env_for(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        SECRET_KEY=SECRET,
        TIERCARE_DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="tiercare.settings",
        TIERCARE_LOG_LEVEL="WARNING",
        # Loopback has no TLS proxy in front: without this every request would be a redirect to https.
        TIERCARE_SSL_REDIRECT="false",
    )
    env.pop("TIERCARE_TESTING", None)
    return env


def setup_users(n_users: int) -> dict:
    """One GP per virtual user (each in its own team, with the team's persons and enrolments), one ops login."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from tiercare.care.models import ContractMember, Enrollment, GpTeam, GpTeamMember
    from tiercare.core.models import Role, User
    from tiercare.network.models import Practitioner, PractitionerRole

    teams = list(GpTeam.objects.order_by("name")[:n_users])
    if not teams:
        raise SystemExit("no GP teams: generate a population first")
    password = make_password(PASSWORD)
    out = []
    for i in range(n_users):
        team = teams[i % len(teams)]
        user, _ = User.objects.get_or_create(username=f"load_gp{i:02d}", defaults={"role": Role.GP})
        user.password, user.role, user.is_active = password, Role.GP, True
        user.save()
        prac = Practitioner.objects.filter(user=user).first()
        if prac is None:
            prac = Practitioner.objects.create(
                user=user, name=f"负载医生{i}", title="attending", home_organization=team.center
            )
            PractitionerRole.objects.create(
                practitioner=prac, organization=team.center, role="gp", valid_from=datetime(2020, 1, 1).date()
            )
            GpTeamMember.objects.create(team=team, practitioner=prac, role="gp")
        persons = list(ContractMember.objects.filter(team=team, active=True).values_list("person_id", flat=True)[:200])
        enrollments = list(
            Enrollment.objects.filter(person_id__in=persons, protocol_code="hypertension")
            # one follow-up per person per day: leave out those an earlier run today already filed for
            .exclude(followups__measured_at__gte=timezone.now() - timedelta(days=1))
            .values_list("id", "person_id")
        )
        out.append(
            {
                "username": user.username,
                "team": str(team.pk),
                "persons": [str(p) for p in persons],
                "enrollments": [(str(e), str(p)) for e, p in enrollments],
            }
        )
    ops, _ = User.objects.get_or_create(username="load_ops", defaults={"role": Role.OPS})
    ops.password, ops.role, ops.is_active = password, Role.OPS, True
    ops.save()
    return {"gps": out, "ops": "load_ops"}


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        headers = {"Host": "127.0.0.1", "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        t = time.perf_counter()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                return resp.status, payload, time.perf_counter() - t
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    return 599, b"", time.perf_counter() - t
        return 599, b"", time.perf_counter() - t

    def login(self, username: str) -> None:
        status, payload, _ = self.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"login {username}: {status} {payload[:200]!r}")
        self.token = json.loads(payload)["token"]


def wait_up(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="bench_load")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:54329")
    ap.add_argument("--persons", type=int, default=200_000)
    ap.add_argument("--skip-generate", action="store_true")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=50_000)
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between a user's steps, seconds")
    ap.add_argument("--gunicorn-workers", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    db_url = f"{args.pg}/{args.db}"
    env = env_for(db_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))

    if not args.skip_generate:
        dbname = args.db
        subprocess.run(
            ["psql", args.pg + "/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {dbname}", "-c",
             f"CREATE DATABASE {dbname}"],
            check=True,
        )  # fmt: skip
        subprocess.run([PY, str(ROOT / "bench/population.py"), "--persons", str(args.persons)], env=env, check=True)
    else:
        subprocess.run([PY, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    plan = setup_users(args.users)

    gunicorn = str(Path(PY).parent / "gunicorn")
    cmd = [gunicorn, "tiercare.wsgi", "-b", f"127.0.0.1:{args.port}", "-w", str(args.gunicorn_workers)]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    worker = subprocess.Popen(
        [PY, str(ROOT / "manage.py"), "db_worker", "--no-reload", "--interval", "0.5", "-v0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lat: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    statuses: dict[tuple[str, int], int] = defaultdict(int)
    first_body: dict[tuple[str, int], bytes] = {}
    lock = threading.Lock()
    count = [0]
    stop = threading.Event()
    tz = ZoneInfo("Asia/Shanghai")
    try:
        wait_up(args.port)
        clients = []
        ops_login = Client(args.port)
        ops_login.login(plan["ops"])
        for gp in plan["gps"]:
            c = Client(args.port)
            c.login(gp["username"])
            o = Client(args.port)
            o.token = ops_login.token  # one operations login, a connection per user
            clients.append((gp, c, o))

        def record(op: str, status: int, seconds: float, ok: tuple[int, ...], payload: bytes = b"") -> None:
            with lock:
                lat[op].append(seconds)
                if status not in ok:
                    errors[op] += 1
                    statuses[(op, status)] += 1
                    first_body.setdefault((op, status), payload[:300])
                count[0] += 1
                if count[0] >= args.max_requests:
                    stop.set()

        def user(gp: dict, c: Client, o: Client, seed: int) -> None:
            rng = random.Random(seed)
            n = 0
            while not stop.is_set():
                n += 1
                steps = [
                    ("healthz (bare)", lambda: c.call("GET", "/healthz"), (200,)),
                    ("patient list", lambda: c.call("GET", "/api/v1/care/persons?limit=50"), (200,)),
                    (
                        "patient plan",
                        lambda: c.call("GET", f"/api/v1/care/persons/{rng.choice(gp['persons'])}/plan"),
                        (200,),
                    ),
                    (
                        "worklist",
                        lambda: c.call("GET", f"/api/v1/care/teams/{gp['team']}/worklists/overdue?limit=50"),
                        (200,),
                    ),
                ]
                if gp["enrollments"]:  # each person once (a second follow-up the same day is refused)
                    eid, pid = gp["enrollments"].pop(rng.randrange(len(gp["enrollments"])))
                    body = {
                        "person_id": pid,
                        "measured_at": (datetime.now(tz) - timedelta(minutes=rng.randint(1, 600))).isoformat(),
                        "measurements": {
                            "sbp_mmhg": rng.randint(118, 165),
                            "dbp_mmhg": rng.randint(70, 95),
                            "adverse_reaction": False,
                            "new_or_worse_complication": False,
                        },
                    }
                    path = f"/api/v1/care/enrollments/{eid}/followups"
                    steps.append(("follow-up filed", lambda p=path, b=body: c.call("POST", p, b), (201,)))
                if (n + seed) % 4 == 0:
                    monday = datetime.now(tz).date() + timedelta(days=7 - datetime.now(tz).weekday())
                    steps.append(
                        ("plan started", lambda m=monday: o.call("POST", "/api/v1/outreach/plans",
                                                          {"start": str(m), "weeks": 1, "seconds": 0.5}), (202,))
                    )  # fmt: skip
                for op, fn, ok in steps:
                    if stop.is_set():
                        return
                    status, payload, secs = fn()
                    record(op, status, secs, ok, payload)
                    stop.wait(rng.uniform(0, 2 * args.think))

        threads = [
            threading.Thread(target=user, args=(gp, c, o, i), daemon=True) for i, (gp, c, o) in enumerate(clients)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        stop.wait(args.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=35)
        elapsed = time.perf_counter() - started
    finally:
        for proc in (server, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (server, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    load = os.getloadavg()
    base = pct(lat["healthz (bare)"], 0.99)
    total = sum(len(v) for v in lat.values())
    sys.stdout.flush()
    print()
    print(
        f"{args.users} users, {elapsed:.0f} s, {total} requests ({total / elapsed:.0f}/s), think time mean "
        f"{args.think} s, gunicorn -w {args.gunicorn_workers}, {args.persons:,} persons, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print()
    print("| operation | n | errors | p50 ms | p99 ms | p99 ÷ bare p99 | goal p99 ≤150 ms and ≤5× |")
    print("|---|---|---|---|---|---|---|")
    for op in ["healthz (bare)", "patient list", "patient plan", "worklist", "follow-up filed", "plan started"]:
        v = lat.get(op, [])
        p50, p99 = pct(v, 0.5) * 1000, pct(v, 0.99) * 1000
        ratio = p99 / (base * 1000) if base == base and base else float("nan")
        met = "—" if op.startswith("healthz") else ("yes" if p99 <= 150 and ratio <= 5 else "no")
        print(f"| {op} | {len(v)} | {errors.get(op, 0)} | {p50:.1f} | {p99:.1f} | {ratio:.1f}× | {met} |")
    if any(errors.values()):
        print("\nerrors (operation, HTTP status): count:", dict(statuses))
        for key, body in first_body.items():
            print(f"  first {key}: {body.decode(errors='replace')}")
    print(f"\nmean of all requests: {statistics.mean([x for v in lat.values() for x in v]) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
