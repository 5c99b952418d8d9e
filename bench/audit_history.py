"""Bench: a person's whole access history on 10 million audit rows (PostgreSQL, monthly partitions).

Creates (or reuses) the database ``bench_audit`` on 127.0.0.1:54329, applies the real core migrations (so the table is
exactly the product's: partitioned by month, indexes at, (actor_id, at) and GIN(person_ids), append-only triggers),
fills it with generate_series (indexes dropped during the load and built after), then times the history query the
API and the auditor's page run (``AuditEvent.objects.about_person``: ``person_ids @> ARRAY[id]`` ordered by time,
one page of 50, plus the count for paging) for --persons random persons, and prints p50/p95/p99/max.

Shape: --rows events over 12 months; --persons-total distinct patients; 97 % single-person events (a read of one
record, a write, a refusal), 3 % list reads naming 10-400 patients each (a GP's list, a worklist).

    PYTHONPATH=src python bench/audit_history.py [--rows 10000000] [--reuse] [--jit] [--app]

The connection is made as the app makes its own: JIT off (settings: DB_JIT); --jit measures with it on.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:54329")
DB = "bench_audit"
ROOT = Path(__file__).resolve().parent.parent
INDEXES = {
    "core_auditevent_at_3d5eb007": "CREATE INDEX core_auditevent_at_3d5eb007 ON core_auditevent (at)",
    "core_audite_actor_i_6b0cd5_idx": "CREATE INDEX core_audite_actor_i_6b0cd5_idx ON core_auditevent (actor_id, at)",
    "core_auditevent_person_ids_gin": (
        "CREATE INDEX core_auditevent_person_ids_gin ON core_auditevent USING gin (person_ids)"
    ),
}
PID = "('00000000-0000-4000-8000-' || lpad(to_hex({n}), 12, '0'))::uuid"
HISTORY = (
    "SELECT id, at, actor_id, actor_username, action, object_type, reason FROM core_auditevent "
    "WHERE person_ids @> ARRAY[%s]::uuid[] ORDER BY at + interval '0 seconds' DESC, id DESC LIMIT 50"
)
COUNT = "SELECT count(*) FROM core_auditevent WHERE person_ids @> ARRAY[%s]::uuid[]"


def pid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def setup(rows: int, persons: int) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB}")
        c.execute(f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DB}", "PYTHONPATH": str(ROOT / "src"), "TIERCARE_DEBUG": "true"}
    subprocess.run([sys.executable, "manage.py", "migrate", "core", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True) as c:
        # Partitions for the 12 months of data (the migration made this month and three ahead).
        c.execute("""
          DO $$ DECLARE m date := (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '12 months')::date;
          BEGIN WHILE m < date_trunc('month', now() AT TIME ZONE 'UTC') LOOP
            IF to_regclass('core_auditevent_' || to_char(m, 'YYYYMM')) IS NULL THEN
              EXECUTE format('CREATE TABLE %I PARTITION OF core_auditevent FOR VALUES FROM (%L) TO (%L)',
                'core_auditevent_' || to_char(m, 'YYYYMM'), (m::timestamp AT TIME ZONE 'UTC'),
                ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            END IF; m := (m + interval '1 month')::date; END LOOP; END $$""")
        for name in INDEXES:
            c.execute(f"DROP INDEX IF EXISTS {name}")
        t0 = time.perf_counter()
        batch = 1_000_000
        for start in range(0, rows, batch):
            stop = min(rows, start + batch)
            c.execute(f"""
              INSERT INTO core_auditevent (at, actor_id, actor_username, actor_role, action, object_type, object_id,
                                           person_id, person_ids, reason, path, method, ip, details)
              SELECT now() - (g::float8 * 31536000 / {rows}) * interval '1 second', 1 + g % 2000,
                     'user' || (g % 2000), 'gp',
                     CASE WHEN g % 100 < 3 THEN 'list' ELSE 'read' END, 'people.person', '',
                     CASE WHEN g % 100 < 3 THEN NULL ELSE {PID.format(n="p")} END,
                     CASE WHEN g % 100 < 3
                          THEN ARRAY(SELECT {PID.format(n="(p + k * 7) % " + str(persons))}
                                     FROM generate_series(1, 10 + (g * 7919) % 391) k)
                          ELSE ARRAY[{PID.format(n="p")}] END,
                     '', '/api/v1/persons', 'GET', '10.0.0.1', '{{}}'
              FROM generate_series({start}::bigint, {stop - 1}::bigint) g,
                   LATERAL (SELECT (g * 2654435761) % {persons} AS p) x""")
            print(f"  loaded {stop:,} rows ({time.perf_counter() - t0:.0f} s)", flush=True)
        t1 = time.perf_counter()
        for sql in INDEXES.values():
            c.execute(sql)
        print(f"  indexes built in {time.perf_counter() - t1:.0f} s", flush=True)
        c.execute("VACUUM ANALYZE core_auditevent")


def measure(n_persons: int, persons_total: int, jit: bool) -> None:
    rng = random.Random(7)
    sample = [pid(rng.randrange(persons_total)) for _ in range(n_persons)]
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True, options="" if jit else "-c jit=off") as c:
        total = c.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]
        size = c.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'core_auditevent'::regclass"
        ).fetchone()[0]
        parts = c.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'core_auditevent'::regclass").fetchone()[
            0
        ]
        for p in sample[:3]:  # warm the plan and the cache a little, as a running server would be
            c.execute(HISTORY, [p]).fetchall()
        page_ms, count_ms, hits = [], [], []
        for p in sample:
            t = time.perf_counter()
            c.execute(HISTORY, [p]).fetchall()
            page_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            hits.append(c.execute(COUNT, [p]).fetchone()[0])
            count_ms.append((time.perf_counter() - t) * 1000)
        plan = "\n".join(r[0] for r in c.execute("EXPLAIN (ANALYZE, BUFFERS) " + HISTORY, [sample[0]]).fetchall())

        # The write side: one audited read of a 400-patient list is one row.
        ids = [pid(rng.randrange(persons_total)) for _ in range(400)]
        write_ms = []
        for _ in range(50):
            t = time.perf_counter()
            c.execute(
                "INSERT INTO core_auditevent (at, actor_username, actor_role, action, object_type, object_id, "
                "person_ids, reason, path, method, details) VALUES (now(), 'gp', 'gp', 'list', "
                "'people.person', '', %s::uuid[], '', '/api/v1/persons', 'GET', '{}')",
                [ids],
            )
            write_ms.append((time.perf_counter() - t) * 1000)

    def q(xs: list[float], p: float) -> float:
        return statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1] if len(xs) > 1 else xs[0]

    print(
        f"rows {total:,} in {parts} partitions, {size} with indexes; {n_persons} persons, "
        f"{statistics.mean(hits):.0f} events each on average (min {min(hits)}, max {max(hits)})"
    )
    for name, xs in (
        ("history page (50 newest)", page_ms),
        ("count for paging", count_ms),
        ("page + count", [a + b for a, b in zip(page_ms, count_ms, strict=True)]),
        ("write: one 400-patient list read", write_ms),
    ):
        print(
            f"{name:34s} p50 {q(xs, 50):6.1f} ms  p95 {q(xs, 95):6.1f} ms  p99 {q(xs, 99):6.1f} ms  "
            f"max {max(xs):6.1f} ms"
        )
    print("plan of the first:\n" + plan)


def measure_app(n_persons: int, persons_total: int) -> None:
    """The same history through the product: ``GET /api/v1/audit/persons/{id}/history`` and the auditor's page
    ``/audit/persons/{id}/``, in process (Django's test client: URL routing, middleware, auth, the handler, JSON or the
    template; no socket). Migrates the other apps into bench_audit once and adds the sampled persons and an auditor."""
    os.environ.update(
        DATABASE_URL=f"{SERVER}/{DB}",
        SECRET_KEY="bench-audit-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        TIERCARE_DEBUG="false",
        TIERCARE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="tiercare.settings",
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from tiercare.core.models import Role, User
    from tiercare.people.models import Person

    call_command("migrate", verbosity=0)
    # Static files by name, not through collectstatic's manifest (production serves them from a web server anyway).
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    rng = random.Random(11)
    sample = [pid(rng.randrange(persons_total)) for _ in range(n_persons)]
    for p in sample:
        Person.objects.get_or_create(pk=p, defaults={"name": "测试患者"})
    auditor, _ = User.objects.get_or_create(username="bench_auditor", defaults={"role": Role.AUDITOR})
    client = Client()
    client.force_login(auditor)
    for path in (f"/api/v1/audit/persons/{sample[0]}/history", f"/audit/persons/{sample[0]}/"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.content[:300])
    # The person's rows are read from disk (or the OS cache) by whichever request comes first; the second finds them in
    # shared buffers. Alternate the order, so each of the two is timed first for half the persons and second for half.
    timings: dict[tuple[str, str], list[float]] = {}
    paths = {
        "API call (page of 50 + count)": "/api/v1/audit/persons/{}/history",
        "auditor's page": "/audit/persons/{}/",
    }
    for i, p in enumerate(sample):
        order = list(paths) if i % 2 == 0 else list(reversed(paths))
        for position, name in zip(("first", "second"), order, strict=True):
            t = time.perf_counter()
            r = client.get(paths[name].format(p))
            timings.setdefault((name, position), []).append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
            if name.startswith("API"):
                assert r.json()["count"] > 0
    for name in paths:
        both = timings[(name, "first")] + timings[(name, "second")]
        for label, xs in (("first for the person", timings[(name, "first")]),
                          ("second for the person", timings[(name, "second")]), ("all", both)):  # fmt: skip
            qs = statistics.quantiles(xs, n=100, method="inclusive")
            print(f"{name:30s} {label:22s} n={len(xs):3d} p50 {qs[49]:6.1f} ms  p95 {qs[94]:6.1f} ms  "
                  f"p99 {qs[98]:6.1f} ms  max {max(xs):6.1f} ms")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--persons-total", type=int, default=200_000)
    ap.add_argument("--persons", type=int, default=50)
    ap.add_argument(
        "--jit", action="store_true", help="leave PostgreSQL's JIT on (the app's connections switch it off: DB_JIT)"
    )
    ap.add_argument("--app", action="store_true", help="also time the API call and the page through Django")
    ap.add_argument("--reuse", action="store_true", help="measure the existing bench_audit without reloading")
    args = ap.parse_args()
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    if not args.reuse:
        setup(args.rows, args.persons_total)
    measure(args.persons, args.persons_total, args.jit)
    if args.app:
        measure_app(args.persons, args.persons_total)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
