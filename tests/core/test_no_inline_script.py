"""No template carries inline script or an inline event handler: the Content-Security-Policy (script-src 'self')
would block them, so a page relying on one would silently break."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tiercare"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def templates() -> list[Path]:
    return sorted(SRC.glob("*/templates/**/*.html"))


def test_templates_exist():
    assert len(templates()) > 20


def test_every_script_tag_loads_a_file_or_carries_json():
    offenders = []
    for path in templates():
        for attrs in SCRIPT_TAG.findall(path.read_text(encoding="utf-8")):
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path.relative_to(SRC)}: <script{attrs}>")
    assert offenders == []


def test_no_inline_event_handlers_or_javascript_urls():
    offenders = [
        str(path.relative_to(SRC))
        for path in templates()
        if HANDLER.search(path.read_text(encoding="utf-8")) or JS_URL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
