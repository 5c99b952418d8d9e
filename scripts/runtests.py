#!/usr/bin/env python3
"""Run the whole test suite: on SQLite, then on a throw-away PostgreSQL cluster, browser tests included.

Outside CI a missing PostgreSQL or Chromium is reported plainly (which tests did not run, and how to get them).
With CI=true every part must run and a skipped test fails the run (see tests/conftest.py).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def say(msg: str) -> None:
    print(f"\n=== {msg}", flush=True)


def find_pg_bin() -> Path | None:
    for name in ("pg_ctl",):
        found = shutil.which(name)
        if found and shutil.which("initdb"):
            return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pytest(env: dict[str, str], extra: list[str]) -> int:
    cmd = [PY, "-m", "pytest", *extra, *sys.argv[1:]]
    print("$", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


class PgCluster:
    """A PostgreSQL cluster in a temporary directory, on a free loopback port, stopped on exit."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="tiercare-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:  # PostgreSQL refuses to run as root: use the postgres account Debian's package creates
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.tmp, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=120"
            # A connection left idle inside a transaction (a test's thread that never closed it) holds its locks
            # until it goes: end it after two minutes, so that a leak fails its own test, not every later one.
            " -c idle_in_transaction_session_timeout=120s"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.tmp / "log"),
            "-w",
            "start",
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main() -> int:
    env = {**os.environ, "TIERCARE_TESTING": "true", "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    # Playwright must use Debian's Chromium, never download a browser of its own.
    env["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    results: list[tuple[str, int]] = []
    missing: list[str] = []

    say("migrations are up to date")
    rc = subprocess.call([PY, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT, env=env)
    results.append(("makemigrations --check", rc))

    pg_bin = find_pg_bin()
    if not pg_bin:
        missing.append("PostgreSQL: tests marked 'postgres' were skipped. Get it with `apt-get install postgresql`.")
    if not Path(CHROMIUM).exists():
        missing.append(
            f"Chromium: browser tests were skipped. Get it with `apt-get install chromium "
            f"fonts-wqy-microhei` (they drive {CHROMIUM})."
        )

    say("tests on SQLite")
    sqlite_args = ["-m", "not postgres"] if pg_bin else []
    results.append(("SQLite", pytest(env, sqlite_args)))

    if pg_bin:
        say(f"tests on PostgreSQL ({pg_bin})")
        cluster = PgCluster(pg_bin)
        try:
            url = cluster.start()
            results.append(("PostgreSQL", pytest({**env, "DATABASE_URL": url}, [])))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"could not start PostgreSQL: {exc}", flush=True)
            results.append(("PostgreSQL (start)", 1))
        finally:
            cluster.stop()

    say("summary")
    for name, code in results:
        print(f"  {name:<26} {'ok' if code == 0 else f'FAILED (exit {code})'}")
    for line in missing:
        print(f"  not run: {line}")
    if CI and missing:
        print("  CI=true: every part must run.")
        return 1
    return 0 if all(code == 0 for _, code in results) else 1


if __name__ == "__main__":
    sys.exit(main())
