"""Every role's pages, in zh-Hans, show words, never codes or English (issue 12, "internal codes reach users").

The demo network (every workflow in every state) is loaded once for the module. For each role, each page its
navigation offers is rendered, and one page of every kind it links to (one referral, one case, one household …),
and the visible text is checked against:

- every stored code of the product's choices (statuses, specialties, services, roles, kinds …), taken from the
  models themselves, so a code added later is guarded too;
- the English labels of those choices (a label rendered in the wrong language, or missing from the catalogue);
- English that reached pages before (not-found messages, units, the ICS wording).

Text a person typed or that is deliberately a code (a rule id in ``<code>``, anything marked ``translate="no"``, the
language switch) is not checked. The audit log is checked column by column: no Latin letters at all in role,
action, object and reason, apart from the few abbreviations Chinese users write (MDT, API).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from tiercare.core.models import User

pytestmark = pytest.mark.django_db

# A role's own pages: what its navigation offers (core/base.html) and its workspace.
START_PAGES: dict[str, list[str]] = {
    "ops": ["/", "/directory/experts/", "/directory/organizations/", "/directory/overview/", "/outreach/plan/",
            "/consults/", "/referrals/", "/directory/excel/", "/triage/registrations/", "/finance/unpriced/",
            "/finance/statements/", "/finance/incidents/", "/profiles/moderation/"],
    "expert": ["/", "/outreach/calendar/", "/consults/", "/referrals/", "/directory/experts/", "/finance/statements/",
               "/profiles/mine/"],
    "finance": ["/", "/finance/reconciliation/", "/finance/settlements/", "/finance/charges/", "/finance/statements/",
                "/finance/unpriced/", "/finance/prices/", "/finance/shares/"],
    "coordinator": ["/", "/outreach/requests/", "/consults/", "/referrals/", "/people/households/",
                    "/referrals/capacity/"],
    "gp": ["/", "/care/", "/care/dashboard/", "/consults/", "/referrals/", "/people/households/"],
    "health_manager": ["/", "/care/", "/people/households/"],
    "patient": ["/", "/care/me/", "/profiles/reviews/", "/experts/", "/experts/?q=糖尿病"],
    "auditor": ["/", "/audit/", "/directory/experts/", "/directory/overview/", "/triage/registrations/"],
    "admin": ["/", "/audit/", "/consults/dashboard/", "/referrals/dashboard/", "/care/dashboard/"],
}  # fmt: skip
# Links not followed: writes behind GET would be a bug of their own, but downloads, the API, the admin and the
# language switch are not pages of a role's job.
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/logout/", "/outreach/ics/")
MAX_LINKED_PAGES = 40

# Abbreviations written in Latin letters in Chinese hospitals, allowed in the audit log's columns.
LATIN_ALLOWED = {"MDT", "API", "ID", "CT", "Excel"}
# English that reached Chinese pages before this guard.
ENGLISH = ["Not found", "No such", "beats/min", "places; ", "legal basis:", "None", "True", "False"]
CODE_SHAPE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
ENGLISH_SENTENCE = re.compile(r"(?<![A-Za-z])[A-Za-z][a-z]+(?:[ ,]+[a-z]+){2,}")


def _choice_sets() -> tuple[set[str], set[str]]:
    """Every code of every choice field of the product's models, and their English labels."""
    codes: set[str] = set()
    labels: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("tiercare."):
            continue
        for field in model._meta.get_fields():
            choices = getattr(field, "choices", None)
            if not choices or not isinstance(field, models.Field):
                continue
            for code, label in field.flatchoices:
                if isinstance(code, str) and CODE_SHAPE.match(code) and len(code) >= 4:
                    codes.add(code)
                with translation.override("en"):
                    english = str(label)
                with translation.override("zh-hans"):
                    chinese = str(label)
                # A label the same in both languages (HbA1c, MDT) is not a leak.
                if english != chinese and len(english) >= 5:
                    labels.add(english)
    return codes, labels


class VisibleText(HTMLParser):
    """The text a reader sees, without scripts, styles, ``<code>``, ``translate="no"`` and the language switch."""

    SKIP_TAGS = {"script", "style", "code", "template"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "base", "col", "embed", "track"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag in self.VOID:
            return
        skip = tag in self.SKIP_TAGS or a.get("translate") == "no" or a.get("id") == "lang-switch"
        self.stack.append((tag, skip or self.skipping))

    def handle_endtag(self, tag: str) -> None:
        # Pop to the element this closes (an unclosed <p> or <li> inside it goes with it).
        if any(open_tag == tag for open_tag, _skip in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def leaks(text: str, codes: set[str], labels: set[str]) -> list[str]:
    found = [c for c in codes if re.search(rf"(?<![A-Za-z0-9_\-./]){re.escape(c)}(?![A-Za-z0-9_\-])", text)]
    found += [label for label in labels if re.search(rf"(?<![A-Za-z]){re.escape(label)}(?![A-Za-z])", text)]
    found += [e for e in ENGLISH if e in text]
    # An English sentence (three words or more): a message missing from the catalogue, or rendered in English.
    found += [m.group(0) for m in ENGLISH_SENTENCE.finditer(text)]
    return sorted(found)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The full demo, loaded once for the module inside a transaction that is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", "--households", "30", "--seed", "3", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = "zh-hans"
    return client


def _pattern(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(username: str) -> Iterator[tuple[str, str]]:
    """(path, html) of the role's start pages, then of one page of each kind they link to."""
    client = _client(username)
    seen_patterns: set[str | None] = set()
    queue: list[str] = []
    for path in START_PAGES[username]:
        response = client.get(path)
        assert response.status_code == 200, (username, path, response.status_code)
        html = response.content.decode()
        seen_patterns.add(_pattern(path))
        yield path, html
        queue.extend(visible(html).links)
    followed = 0
    for href in queue:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
            continue
        if "lang=" in parts.query:
            continue
        pattern = _pattern(parts.path)
        if pattern is None or pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        response = client.get(href)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        followed += 1
        yield href, response.content.decode()
        if followed >= MAX_LINKED_PAGES:
            break


@pytest.mark.parametrize("username", list(START_PAGES))
def test_pages_show_words_not_codes(demo: None, db: None, username: str) -> None:
    codes, labels = _choice_sets()
    assert {"scheduled", "pediatrics", "ward_round", "back_referred", "health_manager"} <= codes  # the guard guards
    assert {"Pediatrics", "Ward round", "Scheduled"} <= labels
    problems = {}
    pages = 0
    for path, html in crawl(username):
        pages += 1
        found = leaks(visible(html).text, codes, labels)
        if found:
            problems[path] = found
    assert pages >= len(START_PAGES[username])
    assert problems == {}


def test_the_guard_catches_a_code_and_english() -> None:
    """The checks above fail on what they are for (and not on a person's typed text in Chinese)."""
    codes, labels = {"ward_round", "scheduled"}, {"Ward round"}
    page = visible(
        '<p>服务：surgery、ward_round</p><p>状态 scheduled</p><p lang="en" id="lang-switch">English</p>'
        "<p>Ward round</p><code>HTN-URG-1</code><p translate='no'>scheduled</p><p>Not found.</p>"
    )
    assert leaks(page.text, codes, labels) == ["Not found", "Ward round", "scheduled", "ward_round"]
    assert leaks(visible("<p>儿科 · 已安排 · 120/80 mmHg</p>").text, codes, labels) == []
    assert leaks(visible("<p>转诊率 Referral avoided by the team</p>").text, codes, labels) == [
        "Referral avoided by the team"
    ]


AUDIT_WORD_COLUMNS = {2: "role", 3: "action", 4: "object", 6: "reason"}


class AuditCells(HTMLParser):
    """The cells of the audit log table, row by row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.in_table = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "audit-log") in attrs:
            self.in_table = True
        elif self.in_table and tag == "tr":
            self.rows.append([])
        elif self.in_table and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_the_audit_log_is_in_words(demo: None, db: None) -> None:
    """After every role has worked through its pages, the auditor's log says who, what, which object and why in
    Chinese: roles, actions, objects and the reasons the code writes, never a code."""
    for username in ("ops", "coordinator", "gp", "patient", "expert", "admin"):
        for _page in crawl(username):
            pass
    auditor = _client("auditor")
    latin: dict[str, set[str]] = {}
    for page in (1, 2, 3):
        html = auditor.get("/audit/", {"page": page}).content.decode()
        parser = AuditCells()
        parser.feed(html)
        rows = [r for r in parser.rows if len(r) >= 7]
        assert rows, html[:2000]
        for row in rows:
            for index, column in AUDIT_WORD_COLUMNS.items():
                words = set(re.findall(r"[A-Za-z][A-Za-z_\-]*", row[index])) - LATIN_ALLOWED
                if words:
                    latin.setdefault(column, set()).add(row[index])
    assert latin == {}
