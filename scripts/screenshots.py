#!/usr/bin/env python3
"""Take the README's screenshots with Debian's Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME ...]
    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000   # a running demo (`make demo`)

Without ``--base`` it builds its own demo in a temporary directory (its own SQLite database and media, never
``var/``): ``migrate``, ``load_demo``, then ``--prepare`` (this script again, in a subprocess) puts the demo where the
tour's pages have something to show — a new MDT case awaiting the slot finder, a confirmed roster with one expert on
leave and its re-plan, a session that has started and awaits its report — and prints the ids the pages need. It
then serves the demo with ``runserver`` on a free port, signs in as each role, takes each page at 1280 px wide and
stops the server. With ``--base`` only the pages that need no prepared state are taken.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 1280, 800
# (who, path — may name prepared ids as {key} —, file name, what to do on the page before the shot, what to take:
# "" the window, "full" the whole page, "#id" that element of the page, at most MAX_HEIGHT high)
PAGES: list[tuple[str, str, str, str, str]] = [
    ("ops", "/directory/experts/?specialty=pediatrics", "experts", "", ""),
    ("ops", "/directory/overview/", "overview", "", ""),
    ("gp", "/people/households/{household}/", "household", "", "full"),
    ("gp", "/people/consents/new/?person={consent_person}", "consent-new", "consent", "full"),
    ("gp", "/care/households/{household}/contract/", "contract-sign", "", ""),
    ("gp", "/consults/cases/{case}/", "consults-case", "", ""),
    ("gp", "/consults/teleconsults/{teleconsult}/", "consults-teleconsult", "", "full"),
    ("expert", "/consults/", "consults-inbox", "", ""),
    ("gp", "/consults/mdt/{mdt}/", "consults-mdt", "", ""),
    ("ops", "/outreach/plan/?plan={replan}", "outreach-replan", "", "#plan"),
    ("coordinator", "/outreach/sessions/{report_session}/report/", "outreach-report", "report", ""),
    ("ops", "/programs/{program}/", "program", "charts", ""),
    ("finance", "/finance/chain/", "finance-chain", "charts", "full"),
]
MAX_HEIGHT = 1100


def _env(var: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TIERCARE_DEBUG": "true",
            "TIERCARE_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'tiercare.sqlite3'}",
            "PYTHONPATH": str(ROOT / "src"),
            "DJANGO_SETTINGS_MODULE": "tiercare.settings",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


def prepare() -> dict[str, str]:
    """Run inside the demo's environment (``--prepare``): states the tour's pages show, made through the services
    where a service makes them. Returns the ids the pages need."""
    import django

    django.setup()
    from datetime import date, timedelta

    from django.utils import timezone

    from tiercare.consults import services as consults
    from tiercare.consults.models import Case, Teleconsult
    from tiercare.core.models import User
    from tiercare.network.models import Organization, PractitionerRole
    from tiercare.network.selectors import user_organization_ids
    from tiercare.outreach import planning
    from tiercare.outreach import services as outreach
    from tiercare.outreach.models import ExpertSession, LeaveKind
    from tiercare.people import services as people
    from tiercare.people.models import Person

    gp, ops, coordinator = (User.objects.get(username=u) for u in ("gp", "ops", "coordinator"))
    center_id = PractitionerRole.objects.filter(practitioner__user=gp).values_list("organization_id", flat=True)[0]
    # A household of two the GP registers today (it has no contract and no consent yet: the contract and consent
    # pages show their forms).
    center = Organization.objects.get(pk=center_id)
    household = people.household_create(
        by=gp, data={"name": "陈家", "registered_at": center, "address": "锦江区春熙路8号"}
    )
    for relation, name, sex, born, seq in (
        ("head", "陈建国", "1", date(1958, 4, 12), "031"),
        ("spouse", "刘淑芬", "2", date(1961, 9, 3), "042"),
    ):
        people.person_register(
            by=gp,
            household=household,
            relation=relation,
            data={"name": name, "sex": sex, "birth_date": born},
            id_kind="resident_id",
            id_number=_resident_id("510104", born, seq),
        )
    consent_person = household.members.order_by("created_at").first().person
    # The demo's open tele-consultation (answered with a question, awaiting the GP) and its case.
    tc = Teleconsult.objects.filter(status="answered").order_by("created_at").first()
    # A new MDT case the GP organises: the page shows the slot finder's proposals.
    consented = Person.objects.filter(consents__scope="teleconsultation", consents__granted_to_id=center_id)
    mdt_person = (
        consented.exclude(pk__in=Case.objects.values("person_id")).order_by("name_pinyin").first() or consented.first()
    )
    case = consults.case_create(
        by=gp,
        person=mdt_person,
        question="反复腹痛伴盆腔包块，手术还是保守？",
        history="腹痛3个月",
        findings="B超：右附件区 4 cm 囊实性包块",
        current_treatment="对症处理",
    )
    mdt = consults.mdt_create(
        by=gp, case=case, specialties=["pediatrics", "gynecology"], deadline=timezone.now() + timedelta(days=5)
    )
    # Two weeks of outreach planned and confirmed; one session moved to yesterday at the coordinator's hospital (it
    # has started: its report is due); an expert on leave on another session's day, and the re-plan of the horizon.
    start = planning.first_workday(timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday()))
    plan = outreach.plan_create(by=ops, start=start, weeks=2, seconds=5)
    sessions = outreach.plan_confirm(by=ops, plan=plan)
    hosted = [s for s in sessions if s.site_id in set(user_organization_ids(coordinator))]
    report_session = hosted[0] if hosted else sessions[0]
    ExpertSession.objects.filter(pk=report_session.pk).update(date=timezone.localdate() - timedelta(days=1))
    away = next(s for s in sessions if s.pk != report_session.pk)
    outreach.leave_add(by=ops, practitioner=away.expert, kind=LeaveKind.LEAVE, start=away.date, end=away.date)
    replan = outreach.replan_create(by=ops, start=start, weeks=2, seconds=5)
    ids = {
        "household": household,
        "consent_person": consent_person,
        "case": tc.case if tc else case,
        "teleconsult": tc,
        "mdt": mdt,
        "replan": replan,
        "report_session": report_session,
    }
    # The neonatal unit built from nothing, a year on.
    from tiercare.programs.models import Program

    ids["program"] = Program.objects.filter(department__specialty="neonatology").first()
    return {k: str(v.pk) for k, v in ids.items() if v is not None}


def _resident_id(area: str, born: Any, seq: str) -> str:
    """A resident ID number that passes GB 11643 (area, birth date, sequence, check character); the sequence's last
    digit is odd for a man, even for a woman."""
    body = f"{area}{born:%Y%m%d}{seq}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _fill(page: Any, action: str) -> None:
    """What a user would have typed when the shot is taken."""
    if action == "consent":
        page.select_option("#id_purpose", "referral")
        page.check("input[name=method][value=paper]")
    elif action == "charts":
        page.wait_for_selector("body[data-charts-ready='1']")
    elif action == "report":
        page.fill("#id_cases_seen", "14")
        page.fill("#id_referred", "2")
        page.fill("#id_proc-0-procedure", "门诊")
        page.fill("#id_proc-0-cases", "12")
        page.fill("#id_attendees", "王丽 护士\n李强 住院医师")


def shoot(base: str, out: Path, password: str, ids: dict[str, str], only: set[str]) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for user, path, name, action, take in PAGES:
            if only and name not in only:
                continue
            try:
                url = path.format(**ids)
            except KeyError:
                print(f"skipped {name}: needs a prepared demo (run without --base)")
                continue
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, base_url=base, locale="zh-CN")
            page = context.new_page()
            page.goto("/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if action:
                _fill(page, action)
            target = out / f"{name}.png"
            if take.startswith("#"):
                box = page.locator(take).bounding_box()
                assert box is not None, f"{name}: no {take} on {url}"
                clip = {
                    "x": 0,
                    "y": max(0, box["y"] - 16),
                    "width": WIDTH,
                    "height": min(box["height"] + 32, MAX_HEIGHT),
                }
                page.screenshot(path=str(target), full_page=True, clip=clip)
            else:
                page.screenshot(path=str(target), full_page=take == "full")
            print(target)
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", help="a running demo; default: build one in a temporary directory")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--password", default="tiercare-demo")
    parser.add_argument("--households", default="120", help="households at the flagship center of the built demo")
    parser.add_argument("--only", nargs="*", default=[], help="file names (without .png) to take")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare()))
        return
    if args.base:
        shoot(args.base, Path(args.out), args.password, {}, set(args.only))
        return
    with tempfile.TemporaryDirectory(prefix="tiercare-shots-") as tmp:
        var = Path(tmp)
        env = _env(var)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "load_demo", "--households", args.households)
        prepared = subprocess.run(
            [sys.executable, __file__, "--prepare"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        ids = json.loads(prepared.stdout.strip().splitlines()[-1])
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/healthz")
            shoot(base, Path(args.out), args.password, ids, set(args.only))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
