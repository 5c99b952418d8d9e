#!/usr/bin/env python3
"""EXPLAIN ANALYZE of a GP's first patient-list page (care ``person_list``, 50 rows by name) on a large population
(issue 10, item 14). Run by hand on the database bench/load.py (or bench/population.py) generated:

    DATABASE_URL=postgres://postgres@127.0.0.1:54329/bench_load SECRET_KEY=... PYTHONPATH=src \\
        .venv/bin/python bench/person_list_explain.py

Prints the plan of the page query and of its count, and the median of 30 runs of each.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercare.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from tiercare.care import selectors  # noqa: E402
from tiercare.core.models import User  # noqa: E402


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    user = User.objects.filter(username__startswith="load_gp").order_by("username").first()
    if user is None:
        from load import setup_users  # the GP logins bench/load.py makes

        setup_users(1)
        user = User.objects.get(username="load_gp00")
    qs = selectors.person_rows(selectors.person_list(for_user=user))[:50]
    persons = connection.cursor()
    persons.execute("SELECT count(*) FROM people_person")
    print(f"persons in the network: {persons.fetchone()[0]:,}")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        print("\n".join(r[0] for r in cur.fetchall()))
    times = []
    for _ in range(30):
        t = time.perf_counter()
        rows = list(qs.all())
        times.append(time.perf_counter() - t)
    print(f"\nfirst page ({len(rows)} rows): median {statistics.median(times) * 1000:.2f} ms over 30")
    # The same page ordered by the bare column (the plan before item 14), timed beside it under the same load.
    old = selectors.person_rows(selectors.person_list(for_user=user).order_by("name_pinyin", "id"))[:50]
    for label, q in (("ordered by the column (before)", old), ("as served (after)", qs)):
        times = []
        for _ in range(30):
            t = time.perf_counter()
            list(q.all())
            times.append(time.perf_counter() - t)
        print(f"{label}: median {statistics.median(times) * 1000:.2f} ms over 30")
    count_qs = selectors.person_list(for_user=user)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        n = count_qs.count()
        times.append(time.perf_counter() - t)
    print(f"count ({n}): median {statistics.median(times) * 1000:.2f} ms over 30")


if __name__ == "__main__":
    main()
