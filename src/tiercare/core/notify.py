"""Notifications as a pluggable backend, like Django's email backends (CONVENTIONS.md §Notifications).

SMS in China sends an approved signature + template code + parameters, never free text, so the one call is
``notify(recipient, template_code, params)``. Templates live in TEMPLATES below (zh-Hans and English renderings for
the console and in-app inbox); a production SMS backend maps each code to the provider's approved template id.
Backends: ConsoleBackend (development), InMemoryBackend (tests: ``outbox``). Set TIERCARE_NOTIFY_BACKEND.
Notifications are sent after the surrounding transaction commits (``notify_on_commit``), so a rolled-back booking
never tells anyone anything. The text sent is the zh-Hans one, so parameters that are words rather than data (a
status, a kind, a half-day) are given as lazy translations (``SessionKind(kind).label``) and rendered here in Chinese,
whatever the language of the page whose action sent the message.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# code -> (zh-Hans text, English text). Parameters are str.format fields. Apps add their codes with register().
TEMPLATES: dict[str, tuple[str, str]] = {
    "generic": ("{message}", "{message}"),
}


def register(code: str, zh: str, en: str) -> None:
    TEMPLATES[code] = (zh, en)


def render(code: str, params: dict[str, Any], language: str = "zh-hans") -> str:
    zh, en = TEMPLATES.get(code, TEMPLATES["generic"])
    text = zh if language.startswith("zh") else en
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return f"{code} {params}"


@dataclass
class Notification:
    recipient: str
    template_code: str
    params: dict[str, Any]
    sent_at: datetime = field(default_factory=timezone.now)

    @property
    def text(self) -> str:
        return render(self.template_code, self.params)


class BaseBackend:
    def send(self, recipient: str, template_code: str, params: dict[str, Any]) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, recipient: str, template_code: str, params: dict[str, Any]) -> None:
        sys.stdout.write(f"[notify → {recipient}] {template_code}: {render(template_code, params)}\n")


class InMemoryBackend(BaseBackend):
    outbox: list[Notification] = []

    def send(self, recipient: str, template_code: str, params: dict[str, Any]) -> None:
        if template_code not in TEMPLATES:
            raise ValueError(f"unknown notification template {template_code!r}")
        InMemoryBackend.outbox.append(Notification(recipient, template_code, dict(params)))


def get_backend() -> BaseBackend:
    return import_string(settings.NOTIFY_BACKEND)()


def notify(recipient: str, template_code: str, params: dict[str, Any]) -> None:
    """Send now. Prefer notify_on_commit inside services."""
    with translation.override("zh-hans"):  # the language of the text sent (lazy labels among the params)
        params = {k: str(v) for k, v in params.items()}
    try:
        get_backend().send(recipient, template_code, params)
    except Exception:  # a failed SMS must not undo a booking; it is logged for operations to follow up
        log.exception("notification %s to %s failed", template_code, recipient)
        if settings.TESTING:
            raise


def notify_on_commit(recipient: str, template_code: str, params: dict[str, Any]) -> None:
    transaction.on_commit(lambda: notify(recipient, template_code, params))
