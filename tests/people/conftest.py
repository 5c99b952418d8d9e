"""People tests: uploaded consent documents go to a temporary media root; the SMS outbox starts empty."""

from __future__ import annotations

from typing import Any

import pytest

from tiercare.core.notify import InMemoryBackend


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _outbox() -> Any:
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()
