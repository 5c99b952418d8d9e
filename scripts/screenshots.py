#!/usr/bin/env python3
"""Take the README's screenshots from a running demo (`make demo`), with Debian's Chromium.

.venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("ops", "/directory/experts/?specialty=pediatrics", "experts"),
    ("ops", "/directory/overview/", "overview"),
    ("ops", "/", "workspace-ops"),
    ("gp", "/", "workspace-gp"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--password", default="tiercare-demo")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for user, path, name in PAGES:
            context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=args.base)
            page = context.new_page()
            page.goto("/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", args.password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"))
            print(out / f"{name}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
