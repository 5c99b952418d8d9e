#!/usr/bin/env python3
"""Population-scale benchmark of the care app on PostgreSQL (issue 6). Run by hand, not in tests.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/care_bench TIERCARE_DEBUG=false SECRET_KEY=... \\
        PYTHONPATH=src .venv/bin/python bench/population.py --persons 1000000

1. Migrates a fresh database and generates, with bulk SQL (INSERT … SELECT generate_series), N enrolled persons
   in households of four at one GP center, 500 teams of 2,000 residents (N/2,000 teams), one contract per
   household, one hypertension enrolment per person, and two years of follow-ups (quarterly, about 8 per person;
   one person in six stopped 4–12 months ago, one in fifty more than a year ago) with the derived worklist state
   scrambled, so that the recompute has real work.
2. Times, in the same run: a plain sequential scan of the same rows (follow-ups and enrolments), the bulk
   recompute (``services.enrollments_recompute``, the code the command and the tick run), and one team's
   overdue worklist (the first page of 50 with its count, as the API serves it; median and p95 of 30).
3. Prints the figures as Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercare.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TODAY = date(2026, 6, 1)


def uuid_sql(prefix: str, expr: str) -> str:
    """A deterministic UUID from an integer expression: prefix (8 hex) + the integer in the last 12 hex."""
    return f"('{prefix}-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def run(sql: str, params: list | None = None) -> float:
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params) if params else cur.execute(sql)
    return time.perf_counter() - t


def scalar(sql: str, params: list | None = None):  # type: ignore[no-untyped-def]
    with connection.cursor() as cur:
        cur.execute(sql, params) if params else cur.execute(sql)
        return cur.fetchone()[0]


def generate(persons: int) -> dict[str, float]:
    from tiercare.care.protocols import protocol_version
    from tiercare.network.models import Organization

    households = persons // 4
    teams = max(1, persons // 2000)
    center = Organization.objects.create(name="基准全科中心", kind="gp_center", tier="gp_center", gp_mode="flagship")
    v = protocol_version("hypertension")
    times: dict[str, float] = {}
    c = f"'{center.pk}'::uuid"
    steps = [
        (
            "teams",
            f"""
            INSERT INTO care_gpteam (id, created_at, updated_at, center_id, name, active)
            SELECT {uuid_sql("7e000000", "g")}, now(), now(), {c}, '团队' || g, true
            FROM generate_series(1, {teams}) g""",
        ),
        (
            "households",
            f"""
            INSERT INTO people_household (id, created_at, updated_at, name, registered_at_id, address, county_code,
                                          proxy_id)
            SELECT {uuid_sql("40000000", "h")}, now(), now(), '家庭' || h, {c}, '幸福里' || h, NULL, NULL
            FROM generate_series(1, {households}) h""",
        ),
        (
            "persons",
            f"""
            INSERT INTO people_person (id, created_at, updated_at, name, name_pinyin, name_initials, sex, birth_date,
                ethnic_group, id_kind, id_hash, id_last4, id_masked, phone, county_code, address, user_id,
                deceased_on, archived)
            SELECT {uuid_sql("50000000", "g")}, now(), now(), '居民' || g, 'jumin' || g, 'jm', (1 + g % 2)::text,
                   date '1940-01-01' + (g::bigint * 7919 % 16000)::int, '01', '', '', '', '',
                   '138' || lpad((g % 100000000)::text, 8, '0'),
                   NULL, '', NULL, NULL, false
            FROM generate_series(1, {persons}) g""",
        ),
        (
            "household members",
            f"""
            INSERT INTO people_householdmember (id, created_at, updated_at, household_id, person_id, relation)
            SELECT {uuid_sql("60000000", "g")}, now(), now(), {uuid_sql("40000000", "(g - 1) / 4 + 1")},
                   {uuid_sql("50000000", "g")}, 'other'
            FROM generate_series(1, {persons}) g""",
        ),
        (
            "contracts",
            f"""
            INSERT INTO care_carecontract (id, created_at, updated_at, household_id, team_id, package, start, "end",
                                           status, renewal_of_id, signed_by_id)
            SELECT {uuid_sql("c0000000", "h")}, now(), now(), {uuid_sql("40000000", "h")},
                   {uuid_sql("7e000000", f"(h - 1) % {teams} + 1")}, 'basic', date '2026-01-01', date '2026-12-31',
                   'active', NULL, NULL
            FROM generate_series(1, {households}) h""",
        ),
        (
            "contract members",
            f"""
            INSERT INTO care_contractmember (id, created_at, updated_at, contract_id, person_id, team_id, active,
                                             ended_on)
            SELECT {uuid_sql("c1000000", "g")}, now(), now(), {uuid_sql("c0000000", "(g - 1) / 4 + 1")},
                   {uuid_sql("50000000", "g")}, {uuid_sql("7e000000", f"((g - 1) / 4) % {teams} + 1")}, true, NULL
            FROM generate_series(1, {persons}) g""",
        ),
        (
            "enrolments",
            f"""
            INSERT INTO care_enrollment (id, created_at, updated_at, person_id, protocol_code, protocol_version,
                protocol_sha256, status, enrolled_on, ended_on, end_reason, next_due_on, control_class,
                last_followup_on, risk_percent, previous_risk_percent, risk_rose, controlled,
                outreach_removed_reason, remind_after)
            SELECT {uuid_sql("e0000000", "g")}, now(), now(), {uuid_sql("50000000", "g")}, 'hypertension',
                   '{v.version}', '{v.sha256}', 'active', date '2024-05-01', NULL, '', date '2000-01-01', '', NULL,
                   NULL, NULL, false, NULL, '', NULL
            FROM generate_series(1, {persons}) g""",
        ),
        # quarterly for two years; g % 6 = 0 stopped after 6 visits (overdue), g % 50 = 1 after 3 (lost)
        (
            "follow-ups",
            f"""
            INSERT INTO care_followup (id, created_at, updated_at, enrollment_id, person_id, measured_at,
                recorded_by_id, measurements, control_class, urgent, fired_rules, actions, next_due_on, was_due_on,
                on_time, controlled, protocol_version, protocol_sha256, risk_percent, risk_band, voided_at,
                void_reason, risk_equation, risk_inputs)
            SELECT {uuid_sql("f0000000", "g * 8 + k")}, now(), now(), {uuid_sql("e0000000", "g")},
                   {uuid_sql("50000000", "g")},
                   timestamptz '2024-07-20 01:00+00' + make_interval(days => k * 91 + (g + k) % 10),
                   NULL,
                   jsonb_build_object('sbp_mmhg', s.sbp, 'dbp_mmhg', 80, 'adverse_reaction', false,
                                      'new_or_worse_complication', false),
                   CASE WHEN s.sbp < 140 THEN 'satisfactory' ELSE 'unsatisfactory' END, false,
                   '[{{"id": "HTN-SATISFACTORY"}}]'::jsonb, '[]'::jsonb,
                   (date '2024-07-20' + k * 91 + (g + k) % 10 + CASE WHEN s.sbp < 140 THEN 90 ELSE 14 END),
                   NULL, true, s.sbp < 140, '{v.version}', '{v.sha256}',
                   CASE WHEN g % 3 = 0 THEN 3 + (g + k) % 17 ELSE NULL END, '', NULL, '',
                   CASE WHEN g % 3 = 0 THEN 'china_par' ELSE '' END, '{{}}'::jsonb
            FROM generate_series(1, {persons}) g
            CROSS JOIN generate_series(0, 7) k
            CROSS JOIN LATERAL (SELECT 118 + ((g * 31 + k * 17) % 45) AS sbp) s
            WHERE k < CASE WHEN g % 50 = 1 THEN 3 WHEN g % 6 = 0 THEN 6 ELSE 8 END""",
        ),
    ]
    for name, sql in steps:
        times[name] = run(sql)
        print(f"  {name}: {times[name]:.1f} s", flush=True)
    t = run("ANALYZE")
    times["analyze"] = t
    return times


def timed(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="recompute connections (CARE_RECOMPUTE_WORKERS)")
    parser.add_argument("--batch-size", type=int, default=25_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    from tiercare.care import selectors, services
    from tiercare.care.models import Enrollment, GpTeam
    from tiercare.core.api import PageParams, page_keys_then_rows

    if not args.skip_generate:
        print("migrating…", flush=True)
        call_command("migrate", verbosity=0)
        print(f"generating {args.persons:,} persons…", flush=True)
        t = time.perf_counter()
        gen = generate(args.persons)
        gen_total = time.perf_counter() - t
    else:
        gen, gen_total = {}, 0.0
    n_fu = scalar("SELECT count(*) FROM care_followup")
    n_en = scalar("SELECT count(*) FROM care_enrollment")
    size = scalar("SELECT pg_size_pretty(pg_total_relation_size('care_followup'))")

    # scramble the derived state so the recompute writes every row
    run("UPDATE care_enrollment SET next_due_on = date '2000-01-01', control_class = '', controlled = NULL")
    run("VACUUM ANALYZE care_enrollment")
    # warm the cache equally for both
    run("SELECT count(*) FROM care_followup")
    seq = []
    for _ in range(3):
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off")
            cur.execute(
                "SELECT count(*), max(measured_at), sum(risk_percent), count(DISTINCT control_class) FROM care_followup"
            )
            cur.execute("SELECT count(*), max(next_due_on) FROM care_enrollment")
            cur.execute("RESET enable_indexscan; RESET enable_bitmapscan; RESET enable_indexonlyscan")
        seq.append(time.perf_counter() - t)
    seq_s = min(seq)

    print("recomputing…", flush=True)
    t = time.perf_counter()
    n = services.enrollments_recompute(
        batch_size=args.batch_size, workers=args.workers, progress=lambda k: print(".", end="", flush=True)
    )
    recompute_s = time.perf_counter() - t
    print()
    assert n == n_en
    assert not Enrollment.objects.filter(next_due_on=date(2000, 1, 1)).exists()

    team = GpTeam.objects.order_by("name").first()
    overdue = selectors.worklist(team=team, kind="overdue", today=TODAY)

    def worklist_page() -> None:  # as the API's care_worklist serves it
        page_keys_then_rows(selectors.worklist(team=team, kind="overdue", today=TODAY), PageParams(limit=50, offset=0))

    wl_med, wl_p95 = timed(worklist_page, 30)
    team_rows = overdue.count()
    team_fu = scalar(
        "SELECT count(*) FROM care_followup f JOIN care_contractmember m ON m.person_id = f.person_id "
        "WHERE m.team_id = %s AND m.active",
        [team.pk],
    )

    def team_seq() -> None:
        with connection.cursor() as cur:
            cur.execute("SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off")
            cur.execute(
                "SELECT count(*) FROM care_enrollment e JOIN care_contractmember m ON m.person_id = e.person_id "
                "WHERE m.team_id = %s AND m.active AND e.next_due_on < %s",
                [team.pk, TODAY],
            )
            cur.execute("RESET enable_indexscan; RESET enable_bitmapscan; RESET enable_indexonlyscan")

    seq_team_med, seq_team_p95 = timed(team_seq, 5)
    cpu = subprocess.run(
        ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True
    ).stdout.strip()
    mem = subprocess.run(
        ["sh", "-c", "free -g | awk '/Mem/ {print $2}'"], capture_output=True, text=True
    ).stdout.strip()
    pg = scalar("SHOW server_version")
    print("\n## Population\n")
    print(
        f"Machine: {cpu}, {os.cpu_count()} cores, {mem} GiB RAM; PostgreSQL {pg}; Python {platform.python_version()};"
        f" Django {django.get_version()}. Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        "`bench/population.py` (fsync off, shared_buffers 1 GB, one client).\n"
    )
    print(
        f"Data: {n_en:,} active hypertension enrolments (persons) in households of four, "
        f"{scalar('SELECT count(*) FROM care_gpteam'):,} teams of ~2,000 residents, {n_fu:,} follow-ups over two "
        f"years (care_followup {size} with indexes).\n"
    )
    if gen:
        print(
            f"Generation (bulk SQL, INSERT … SELECT generate_series, indexes in place): {gen_total:.0f} s — "
            + ", ".join(f"{k} {v:.0f} s" for k, v in gen.items())
            + ".\n"
        )
    print("| operation | rows | time | plain sequential scan of the same rows | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| bulk recompute (next due, control, risk; `enrollments_recompute`, batches of {args.batch_size:,} on "
        f"{args.workers} connection(s)) | {n_en:,} enrolments,"
        f" {n_fu:,} follow-ups | {recompute_s:.1f} s | {seq_s:.1f} s | {recompute_s / seq_s:.1f}× |"
    )
    print(
        "| one team's overdue worklist, first page of 50 with its count in one query (median / p95 of 30) | "
        f"{team_rows:,} overdue of "
        f"~2,000 residents, {team_fu:,} follow-ups | {wl_med:.1f} / {wl_p95:.1f} ms | {seq_team_med:.0f} / "
        f"{seq_team_p95:.0f} ms | {wl_med / seq_team_med:.3f}× |"
    )


if __name__ == "__main__":
    main()
